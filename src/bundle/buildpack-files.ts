// Which files of the buildpack root go into the zip. Two models, as upstream:
// - `include_files` (libbuildpack): an allow-list; only those paths (a listed
//   directory brings its whole tree), and a listed path that does not exist is
//   an error naming it.
// - `exclude_files` (Ruby buildpack-packager): a deny-list over the whole tree
//   with Info-ZIP `zip -x` semantics: `f` excludes `f` and `*/f`, `d/` excludes
//   `d/*` and `*/d/*`, `*` matches across `/`, no fuzzy matching.
// Either way `.git*` (.git, .gitignore, .github, ...) is never walked into,
// and the packager's own by-products (its zips and their temp files, the SBOM
// it writes, a cache or output directory inside the root) never go in.
// Symlinks, as git stores them, are followed when their target stays inside
// the buildpack root (the zip holds the target's contents); one that leaves
// the root is an error naming it, never a silent copy of an outside file.
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError } from '../core/errors.js';
import type { Manifest } from '../manifest/types.js';
import { compareBytes } from './layout.js';
import type { ZipEntry } from './write-zip.js';

export interface CollectOptions {
  /** Root-relative paths this run writes inside the root (cache, output zip, SBOM): never collected. */
  byProducts?: string[];
  /** Other directories symlinks may point into (the original root, when collecting from pre_package's copy). */
  alsoInside?: string[];
}

/** Zips the packager names (`<language>_buildpack...-v<version>.zip`) and atomic-write temp files (`.<name>.<pid>.<hex>.tmp`). */
const BY_PRODUCT_NAME = /^(?:[A-Za-z0-9][A-Za-z0-9._+-]*_buildpack(?:-[^/]*)?-v[^/]*\.zip|\..+\.\d+\.[0-9a-f]{8}\.tmp)$/;

/** Names never packaged at any depth: installed node packages. */
const SKIP_ANYWHERE = new Set(['node_modules']);

/**
 * True for a root-relative path that never goes into the zip: what the
 * packager itself writes (`byProducts`, its zips and temp files), top-level
 * `dist/` and `*.zip` (build output and earlier zips), node_modules.
 */
export function isByProduct(rel: string, byProducts: readonly string[] = []): boolean {
  const parts = rel.split('/');
  if (parts.some((p) => SKIP_ANYWHERE.has(p))) return true;
  if (parts.length === 1 && (parts[0] === 'dist' || parts[0]!.toLowerCase().endsWith('.zip'))) return true;
  if (BY_PRODUCT_NAME.test(parts[parts.length - 1]!)) return true;
  return byProducts.some((b) => rel === b || rel.startsWith(`${b}/`));
}

/** `paths` (absolute) that lie inside `root`, as root-relative POSIX paths. */
export function byProductsInside(root: string, paths: string[]): string[] {
  const absRoot = path.resolve(root);
  return paths
    .map((p) => path.relative(absRoot, path.resolve(p)))
    .filter((rel) => rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel))
    .map((rel) => rel.split(path.sep).join('/'));
}

/** The buildpack's own files (not dependencies) that go into the zip, sorted by name. */
export async function collectBuildpackFiles(root: string, m: Manifest, o: CollectOptions = {}): Promise<ZipEntry[]> {
  const absRoot = path.resolve(root);
  const found = new Map<string, string>();
  const roots = await Promise.all([absRoot, ...(o.alsoInside ?? [])].map((r) => realpath(r)));
  const tree: Tree = { roots, skip: (rel) => isByProduct(rel, o.byProducts) };
  if (m.include_files !== undefined) {
    for (const [i, listed] of m.include_files.entries()) {
      const rel = normalizeListed(listed);
      const key = `include_files[${i}]`;
      if (rel === undefined) {
        throw new PackagerError('EMANIFEST', `include_files entry points outside the buildpack: ${listed}`, {
          file: m.path,
          key,
          found: listed,
          hint: 'list paths relative to the buildpack root, without `..`',
        });
      }
      const abs = path.join(absRoot, rel);
      if (tree.skip(rel)) continue;
      if (!(await lstat(abs).catch(() => undefined))) {
        throw new PackagerError('EMANIFEST', `include_files names a file that does not exist: ${listed}`, {
          file: m.path,
          key,
          found: abs,
          hint: `create ${rel} in the buildpack, or remove it from include_files`,
        });
      }
      const st = await statInside(abs, rel, tree);
      if (st.isDirectory()) await walk(abs, rel, found, () => false, new Set([await realpath(abs)]), tree);
      else if (st.isFile()) found.set(rel, abs);
      else {
        throw new PackagerError('EMANIFEST', `include_files names something that is not a file or directory: ${listed}`, { file: m.path, key, found: abs });
      }
    }
  } else {
    const patterns = (m.exclude_files ?? []).map(excludeMatcher);
    const excluded = (rel: string) => patterns.some((p) => p(rel));
    await walk(absRoot, '', found, excluded, new Set([await realpath(absRoot)]), tree);
  }
  return [...found.keys()].sort(compareBytes).map((name) => ({ name, source: { path: found.get(name)! } }));
}

/** `./bin/compile` -> `bin/compile`; undefined when the path escapes the root. */
function normalizeListed(listed: string): string | undefined {
  const posix = path.posix.normalize(listed.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (posix === '' || posix === '.' || posix.startsWith('../') || posix === '..' || posix.startsWith('/')) return undefined;
  return posix.replace(/^\.\//, '');
}

/** True for names git owns: `.git`, `.gitignore`, `.github`, `.gitmodules`, ... */
function isGitName(name: string): boolean {
  return name.startsWith('.git');
}

interface Tree {
  /** Real paths symlinks may resolve into. */
  roots: string[];
  skip: (rel: string) => boolean;
}

function isInside(real: string, roots: string[]): boolean {
  return roots.some((r) => real === r || real.startsWith(`${r}${path.sep}`));
}

/** stat of `abs`, following a symlink only when its target stays inside the tree. */
async function statInside(abs: string, rel: string, tree: Tree): Promise<Stats> {
  const link = await lstat(abs);
  if (!link.isSymbolicLink()) return link;
  const target = await readlink(abs);
  const real = await realpath(abs).catch(() => undefined);
  if (real === undefined || !isInside(real, tree.roots)) {
    const leaves = real !== undefined || path.isAbsolute(target) || !isInside(path.resolve(path.dirname(abs), target), tree.roots);
    throw new PackagerError('EBUNDLE', leaves ? `A symlink in the buildpack points outside it: ${rel} -> ${target}` : `Broken symlink in the buildpack: ${rel} -> ${target}`, {
      file: rel,
      found: target,
      hint: leaves
        ? 'copy the file into the buildpack instead of linking to it, or remove the link (or leave it out with exclude_files / include_files)'
        : 'fix or remove it (or exclude it with exclude_files)',
    });
  }
  return stat(abs);
}

async function walk(
  absDir: string,
  relDir: string,
  found: Map<string, string>,
  excluded: (rel: string) => boolean,
  seen: Set<string>,
  tree: Tree,
): Promise<void> {
  const names = (await readdir(absDir)).sort(compareBytes);
  for (const name of names) {
    if (isGitName(name)) continue;
    const abs = path.join(absDir, name);
    const rel = relDir ? `${relDir}/${name}` : name;
    if (tree.skip(rel)) continue;
    let st: Stats;
    try {
      st = await statInside(abs, rel, tree);
    } catch (err) {
      if (err instanceof PackagerError) {
        // a link the deny-list leaves out is not the zip's business
        if (excluded(rel)) continue;
        throw err;
      }
      throw new PackagerError('EBUNDLE', `Unreadable file in the buildpack: ${rel}`, {
        file: abs,
        hint: 'fix its permissions or remove it (or exclude it with exclude_files)',
      }, { cause: err });
    }
    if (st.isDirectory()) {
      const real = await realpath(abs);
      if (seen.has(real)) continue; // a symlink loop back into the tree
      seen.add(real);
      await walk(abs, rel, found, excluded, seen, tree);
      seen.delete(real);
    } else if (st.isFile()) {
      if (!excluded(rel)) found.set(rel, abs);
    }
  }
}

// One exclude_files pattern as the Ruby gem passes it to `zip -x`: `f` becomes
// `-x f -x */f`, `d/` becomes `-x d* -x */d*`.
/** A predicate telling whether a relative path is excluded by one exclude_files pattern. */
export function excludeMatcher(pattern: string): (rel: string) => boolean {
  const p = pattern.replace(/^\.\//, '');
  const globs = p.endsWith('/') ? [`${p}*`, `*/${p}*`] : [p, `*/${p}`];
  const regexes = globs.map(zipWildcard);
  return (rel) => regexes.some((r) => r.test(rel));
}

/** Info-ZIP wildcard -> RegExp: `*` any run (including `/`), `?` one char, `[...]` a class. */
function zipWildcard(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
