// Parsers for the environment files `conda.files` may name. Pure: text in,
// a typed description out; looking records up is index.ts's job.
// - `conda list -e` / `conda create --file` lists: one MatchSpec per line
//   (https://docs.conda.io/projects/conda/en/stable/commands/list.html); a list
//   where every line is `name=version=build` is a complete environment.
// - `@EXPLICIT` files (`conda list --explicit --md5`): package URLs with an
//   optional `#<md5>`, `#sha256:<hex>` or `#<64 hex>` fragment (conda/misc.py).
// - environment.yml (https://docs.conda.io/projects/conda/en/stable/user-guide/tasks/manage-environments.html#create-env-file-manually):
//   name, channels, dependencies (MatchSpecs and a nested `pip:` list), variables.
// - conda-lock.yml v1 (https://conda.github.io/conda-lock/output/): package[]
//   with manager conda|pip, platform, url, hash.

import path from 'node:path';
import yaml from 'js-yaml';
import { PackagerError } from '../../core/errors.js';
import { assertYamlSize } from '../../manifest/index.js';
import { MatchSpec } from './match-spec.js';

/** One `name=version=build` line of a complete `conda list -e` environment. */
export interface ListEntry {
  name: string;
  version: string;
  build: string;
  line: number;
}

/** One package URL of an @EXPLICIT file or conda-lock.yml. */
export interface UrlEntry {
  url: string;
  /** File name (last URL path segment, percent-decoded). */
  fn: string;
  md5?: string;
  sha256?: string;
  line?: number;
  /** conda-lock only: name/version as the lock states them. */
  name?: string;
  version?: string;
  /** conda-lock only: target platform and `conda` | `pip`. */
  platform?: string;
  manager?: string;
}

export type CondaInput =
  /** MatchSpecs to solve (environment.yml, or a list with non-exact lines). */
  | { kind: 'specs'; file: string; specs: { spec: string; line?: number }[]; channels: string[]; pip: string[]; variables: Record<string, string> }
  /** A complete environment by name=version=build (conda list -e). */
  | { kind: 'list'; file: string; entries: ListEntry[]; pip: string[]; platform?: string }
  /** A complete environment by URL (@EXPLICIT, conda-lock). */
  | { kind: 'urls'; file: string; format: 'explicit' | 'conda-lock'; entries: UrlEntry[]; pip: string[]; platform?: string };

function inputError(file: string, message: string, line?: number, extra: Record<string, unknown> = {}): PackagerError {
  return new PackagerError('EINPUT', `${message}: ${file}${line !== undefined ? ` line ${line}` : ''}`, { file, line, ...extra });
}

/** True when `name` looks like a conda package file (`.conda` / `.tar.bz2`), by path or file:// URL. */
export function isPackageFile(name: string): boolean {
  return /\.(conda|tar\.bz2)$/i.test(name.replace(/[?#].*$/, ''));
}

/**
 * Parses an environment file. `file` names it in messages (as the user wrote
 * it); `dir` is where relative `-r` paths of pip entries resolve (default: the
 * file's directory).
 */
export function parseEnvFile(file: string, text: string, dir = path.dirname(file)): CondaInput {
  const base = path.basename(file).toLowerCase();
  const lines = text.split(/\r?\n/);
  if (lines.some((l) => l.trim() === '@EXPLICIT')) return parseExplicit(file, lines);
  if (/\.ya?ml$/.test(base)) {
    let doc: unknown;
    try {
      doc = yaml.load(text);
    } catch (err) {
      const mark = (err as { mark?: { line: number; column: number } }).mark;
      throw new PackagerError('EINPUT', `Invalid YAML in conda environment file: ${file}`, {
        file,
        line: mark ? mark.line + 1 : undefined,
        column: mark ? mark.column + 1 : undefined,
        hint: (err as Error).message.split('\n')[0],
      });
    }
    assertYamlSize(doc, file, 'EINPUT');
    if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'package' in doc && 'version' in doc) return parseCondaLock(file, doc as Record<string, unknown>);
    return parseEnvironmentYml(file, doc, dir);
  }
  return parseList(file, lines);
}

const EXACT_LINE = /^([^\s=<>!~#]+)=([^\s=<>!~,|*]+)=([^\s=<>!~,|*]+)$/;

function parseList(file: string, lines: string[]): CondaInput {
  const entries: ListEntry[] = [];
  const specs: { spec: string; line: number }[] = [];
  const pip: string[] = [];
  let platform: string | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const pm = /^#\s*platform:\s*(\S+)/.exec(line);
    if (pm) platform = pm[1];
    if (line === '' || line.startsWith('#')) return;
    const text = line.replace(/\s+#.*$/, '');
    const m = EXACT_LINE.exec(text);
    if (m && m[3] === 'pypi_0') {
      // pip-installed packages show up in `conda list -e` but conda cannot install them
      pip.push(`${m[1]}==${m[2]}`);
      return;
    }
    if (m) entries.push({ name: m[1]!.toLowerCase(), version: m[2]!, build: m[3]!, line: i + 1 });
    else specs.push({ spec: text, line: i + 1 });
  });
  if (specs.length === 0) return { kind: 'list', file, entries, pip, ...(platform ? { platform } : {}) };
  // not all exact: this is a `conda create --file` spec list, each line read as conda reads it
  for (const s of specs) {
    const spec = specFromLine(s.spec);
    if (spec === undefined) {
      throw inputError(file, `could not parse '${s.spec}' (conda create --file reads name, name=version[=build] or name<op>version per line)`, s.line, {
        found: s.spec,
        hint: 'write e.g. `numpy=1.26.4`, `numpy=1.26.*` or `numpy>=1.26`; conda itself rejects this line',
      });
    }
    s.spec = spec;
    checkSpec(file, s.spec, s.line);
  }
  return {
    kind: 'specs',
    file,
    specs: [...entries.map((e) => ({ spec: `${e.name}==${e.version}=${e.build}`, line: e.line })), ...specs].sort((a, b) => a.line - b.line),
    channels: [],
    pip,
    variables: {},
  };
}

// conda/cli/common.py spec_pat @ 23.7.4
const SPEC_LINE = /^(?<name>[^=<>!\s]+)\s*(?:(?<cc>=[^=]+(?:=[^=]+)?)|(?<pc>(?:[=!]=|[><]=?|~=).+))?$/;

/**
 * conda's spec_from_line: how `conda create --file` reads one line. `name=1.2`
 * becomes `name 1.2`, an exact version (on the command line it would mean
 * 1.2.*); `name=1.2=b0` becomes `name 1.2 b0`; `name>=1.2` stays. Undefined
 * for a line conda cannot parse (`numpy 1.2`).
 */
export function specFromLine(line: string): string | undefined {
  const m = SPEC_LINE.exec(line.split('#')[0]!.trimEnd());
  if (!m) return undefined;
  const name = m.groups!.name!.toLowerCase();
  const { cc, pc } = m.groups!;
  if (cc) return name + cc.replace(/=/g, ' ');
  if (pc) {
    if (pc.startsWith('~= ')) {
      const ver = pc.replace('~= ', '');
      return `${name} >=${ver},==${ver.split('.').slice(0, -1).join('.')}.*`;
    }
    return `${name} ${pc.replace(/ /g, '')}`;
  }
  return name;
}

function checkSpec(file: string, spec: string, line?: number): void {
  try {
    MatchSpec.parse(spec);
  } catch (err) {
    throw new PackagerError('EINPUT', `${(err as Error).message} in ${file}${line !== undefined ? ` line ${line}` : ''}`, {
      file,
      line,
      found: spec,
      hint: (err as PackagerError).hint,
    });
  }
}

// conda/misc.py (24.9+): `<url>#<md5>`, `#sha256:<hex>` or `#<64 hex>`
const HASH = /^(?:(?<md5>[0-9a-fA-F]{32})|(?:sha256:)?(?<sha>[0-9a-fA-F]{64}))$/;

function urlEntry(file: string, raw: string, line: number | undefined): UrlEntry {
  const hashAt = raw.indexOf('#');
  const url = hashAt >= 0 ? raw.slice(0, hashAt) : raw;
  const frag = hashAt >= 0 ? raw.slice(hashAt + 1) : '';
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || !isPackageFile(url)) {
    throw inputError(file, 'Not a conda package URL in @EXPLICIT file', line, { found: raw, hint: 'each line after @EXPLICIT is <url of a .conda or .tar.bz2>[#md5]' });
  }
  const entry: UrlEntry = { url, fn: decodeURIComponent(url.replace(/[?].*$/, '').split('/').pop()!) };
  if (line !== undefined) entry.line = line;
  if (frag) {
    const m = HASH.exec(frag);
    if (!m) throw inputError(file, 'Unrecognised hash fragment in @EXPLICIT file', line, { found: frag, hint: 'use #<32 hex md5>, #sha256:<64 hex> or #<64 hex>' });
    if (m.groups!.md5) entry.md5 = m.groups!.md5.toLowerCase();
    if (m.groups!.sha) entry.sha256 = m.groups!.sha.toLowerCase();
  }
  return entry;
}

function parseExplicit(file: string, lines: string[]): CondaInput {
  const entries: UrlEntry[] = [];
  let platform: string | undefined;
  let seen = false;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const pm = /^#\s*platform:\s*(\S+)/.exec(line);
    if (pm) platform = pm[1];
    if (line === '@EXPLICIT') {
      seen = true;
      return;
    }
    if (!seen || line === '' || line.startsWith('#')) return;
    entries.push(urlEntry(file, line, i + 1));
  });
  return { kind: 'urls', file, format: 'explicit', entries, pip: [], ...(platform ? { platform } : {}) };
}

function parseEnvironmentYml(file: string, doc: unknown, dir: string): CondaInput {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw inputError(file, 'An environment.yml must be a mapping with `dependencies:`');
  const d = doc as Record<string, unknown>;
  const deps = d.dependencies ?? [];
  if (!Array.isArray(deps)) throw inputError(file, '`dependencies:` must be a list', undefined, { key: 'dependencies' });
  const specs: { spec: string }[] = [];
  const pip: string[] = [];
  deps.forEach((item, i) => {
    if (typeof item === 'string' || typeof item === 'number') {
      checkSpec(file, String(item));
      specs.push({ spec: String(item) });
    } else if (item && typeof item === 'object' && 'pip' in item) {
      const list = (item as { pip: unknown }).pip;
      if (!Array.isArray(list)) throw inputError(file, '`- pip:` must hold a list of requirements', undefined, { key: `dependencies[${i}].pip` });
      for (const p of list) {
        const line = String(p);
        // `-r other.txt` is relative to the environment file, as conda env runs pip there
        const inc = /^(-r|-c|--requirement|--constraint)\s+(.+)$/.exec(line.trim());
        pip.push(inc && !path.isAbsolute(inc[2]!) && !/^[a-z]+:\/\//i.test(inc[2]!) ? `${inc[1]} ${path.join(dir, inc[2]!)}` : line);
      }
    } else {
      throw inputError(file, 'Unsupported entry in `dependencies:`', undefined, { key: `dependencies[${i}]`, found: JSON.stringify(item) });
    }
  });
  const channels = Array.isArray(d.channels) ? d.channels.map(String).filter((c) => c !== 'nodefaults') : [];
  const variables: Record<string, string> = {};
  if (d.variables && typeof d.variables === 'object') for (const [k, v] of Object.entries(d.variables)) variables[k] = String(v);
  return { kind: 'specs', file, specs, channels, pip, variables };
}

function parseCondaLock(file: string, doc: Record<string, unknown>): CondaInput {
  if (doc.version !== 1) throw inputError(file, `Unsupported conda-lock version ${String(doc.version)} (only version 1 is read)`, undefined, { key: 'version' });
  if (!Array.isArray(doc.package)) throw inputError(file, 'conda-lock.yml has no `package:` list', undefined, { key: 'package' });
  const entries: UrlEntry[] = [];
  doc.package.forEach((p: unknown, i: number) => {
    const pkg = p as Record<string, unknown>;
    const hash = (pkg.hash ?? {}) as Record<string, unknown>;
    if (typeof pkg.url !== 'string' || typeof pkg.name !== 'string' || typeof pkg.platform !== 'string') {
      throw inputError(file, 'conda-lock package without name, platform or url', undefined, { key: `package[${i}]` });
    }
    const e: UrlEntry = {
      url: pkg.url,
      fn: decodeURIComponent(pkg.url.split('/').pop()!.replace(/[?#].*$/, '')),
      name: pkg.name,
      version: String(pkg.version ?? ''),
      platform: pkg.platform,
      manager: String(pkg.manager ?? 'conda'),
    };
    if (typeof hash.md5 === 'string') e.md5 = hash.md5.toLowerCase();
    if (typeof hash.sha256 === 'string') e.sha256 = hash.sha256.toLowerCase();
    entries.push(e);
  });
  const platforms = Array.isArray((doc.metadata as Record<string, unknown> | undefined)?.platforms) ? ((doc.metadata as { platforms: unknown[] }).platforms.map(String)) : [];
  // every platform's packages are kept; index.ts picks the stack's platform
  return { kind: 'urls', file, format: 'conda-lock', entries, pip: [], ...(platforms.length ? { platform: platforms.join(',') } : {}) };
}

/** The packages of a conda-lock input for one platform, split by manager (pip entries become hashed requirement lines). */
export function condaLockForPlatform(input: Extract<CondaInput, { kind: 'urls' }>, platform: string): { conda: UrlEntry[]; pip: string[] } {
  const conda: UrlEntry[] = [];
  const pip: string[] = [];
  for (const e of input.entries) {
    if (e.platform !== platform) continue;
    if (e.manager === 'pip') pip.push(`${e.name}==${e.version}${e.sha256 ? ` --hash=sha256:${e.sha256}` : ''}`);
    else conda.push(e);
  }
  return { conda, pip };
}
