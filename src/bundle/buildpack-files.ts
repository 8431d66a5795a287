// Which files of the buildpack root go into the zip. Two models, as upstream:
// - `include_files` (libbuildpack): an allow-list; only those paths (a listed
//   directory brings its whole tree), and a listed path that does not exist is
//   an error naming it.
// - `exclude_files` (Ruby buildpack-packager): a deny-list over the whole tree
//   with Info-ZIP `zip -x` semantics: `f` excludes `f` and `*/f`, `d/` excludes
//   `d/*` and `*/d/*`, `*` matches across `/`, no fuzzy matching.
// Either way `.git*` (.git, .gitignore, .github, ...) is never walked into.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError } from '../core/errors.js';
import type { Manifest } from '../manifest/types.js';
import { compareBytes } from './layout.js';
import type { ZipEntry } from './write-zip.js';

/** The buildpack's own files (not dependencies) that go into the zip, sorted by name. */
export async function collectBuildpackFiles(root: string, m: Manifest): Promise<ZipEntry[]> {
  const absRoot = path.resolve(root);
  const found = new Map<string, string>();
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
      let st;
      try {
        st = await stat(abs);
      } catch (err) {
        throw new PackagerError('EMANIFEST', `include_files names a file that does not exist: ${listed}`, {
          file: m.path,
          key,
          found: abs,
          hint: `create ${rel} in the buildpack, or remove it from include_files`,
        }, { cause: err });
      }
      if (st.isDirectory()) await walk(abs, rel, found, () => false, new Set([await realpath(abs)]));
      else if (st.isFile()) found.set(rel, abs);
      else {
        throw new PackagerError('EMANIFEST', `include_files names something that is not a file or directory: ${listed}`, { file: m.path, key, found: abs });
      }
    }
  } else {
    const patterns = (m.exclude_files ?? []).map(excludeMatcher);
    const excluded = (rel: string) => patterns.some((p) => p(rel));
    await walk(absRoot, '', found, excluded, new Set([await realpath(absRoot)]));
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

async function walk(
  absDir: string,
  relDir: string,
  found: Map<string, string>,
  excluded: (rel: string) => boolean,
  seen: Set<string>,
): Promise<void> {
  const names = (await readdir(absDir)).sort(compareBytes);
  for (const name of names) {
    if (isGitName(name)) continue;
    const abs = path.join(absDir, name);
    const rel = relDir ? `${relDir}/${name}` : name;
    let st;
    try {
      st = await stat(abs); // follows symlinks: the zip holds their targets' contents
    } catch (err) {
      throw new PackagerError('EBUNDLE', `Broken symlink or unreadable file in the buildpack: ${rel}`, {
        file: abs,
        hint: 'fix or remove it (or exclude it with exclude_files)',
      }, { cause: err });
    }
    if (st.isDirectory()) {
      const real = await realpath(abs);
      if (seen.has(real)) continue; // a symlink loop back into the tree
      seen.add(real);
      await walk(abs, rel, found, excluded, seen);
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
