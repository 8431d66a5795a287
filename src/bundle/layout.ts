// Where things sit inside a buildpack zip, and what the zip is called
// (docs/BUNDLE.md). Pure string functions: every other bundle module,
// the mirror and `verify` derive paths from here so they can never disagree.
import { createHash } from 'node:crypto';
import { PackagerError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

/** Entries `cf create-buildpack` (CC v3 and the v6 cf CLI) needs at the zip root. */
export const REQUIRED_ENTRIES = ['manifest.yml', 'VERSION', 'bin/compile'] as const;

/** Staging scripts a complete buildpack ships (verify checks they exist and are executable). */
export const STAGING_SCRIPTS = ['bin/compile', 'bin/detect', 'bin/supply', 'bin/finalize', 'bin/release'] as const;

export const INDEX_TSV = 'dependencies/index.tsv';
export const URL_MAP_TSV = 'dependencies/url_map.tsv';
export const NAMES_TSV = 'dependencies/names.tsv';
/** Uncached zips only: the lock as TSV for online staging (bash cannot read YAML). */
export const LOCK_TSV = 'lock.tsv';
export const CONDA_CHANNELS_TSV = 'conda/channels.tsv';
export const PYPI_SIMPLE = 'pypi/simple';
export const PYPI_FILES = 'pypi/files';

/**
 * libbuildpack's cached path: `dependencies/<md5(uri)>/<basename>`. The md5 is of
 * the uri exactly as written, as libbuildpack computes it, except for a uri
 * with credentials: an unsalted md5 of those would let a dictionary recover
 * the password from the zip alone, so its redacted form is hashed (staging
 * finds the file through the packaged manifest's `file:` and index.tsv, never
 * by recomputing the hash). The basename is the URL path's last segment
 * without query or fragment, e.g. `https://h/x/Miniforge3-24.7.1-0-Linux-x86_64.sh?raw=1`
 * -> `dependencies/<md5>/Miniforge3-24.7.1-0-Linux-x86_64.sh`.
 */
export function dependencyZipPath(uri: string): string {
  const md5 = createHash('md5').update(redactUrl(uri), 'utf8').digest('hex');
  return `dependencies/${md5}/${urlBasename(uri)}`;
}

/** Last path segment of a URL (no query, no fragment); `file` when the path has none. */
export function urlBasename(uri: string): string {
  let rest = uri.replace(/[?#].*$/s, '');
  rest = rest.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '');
  const segments = rest.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1];
  if (!last || last === '.' || last === '..' || last.includes('\\')) return 'file';
  return last;
}

/**
 * `<language>_buildpack[-cached][-<profile>][-<stack>]-v<version>.zip`, the names
 * the Ruby gem and libbuildpack give (python_buildpack-cached-cflinuxfs4-v1.9.5.zip).
 */
export function zipFileName(o: { language: string; cached: boolean; stack?: string; version: string; profile?: string }): string {
  const parts = [`${o.language}_buildpack`];
  if (o.cached) parts.push('-cached');
  if (o.profile) parts.push(`-${o.profile}`);
  if (o.stack) parts.push(`-${o.stack}`);
  parts.push(`-v${o.version}.zip`);
  return parts.join('');
}

/**
 * Canonical form of a channel URL for comparisons: credentials redacted (lock
 * files only ever hold the redacted form), no trailing slash.
 */
export function channelKey(channelUrl: string): string {
  return redactUrl(channelUrl.trim()).replace(/\/+$/, '');
}

/**
 * Directory name of a channel under `conda/`: the URL path's segments joined
 * with `-`, ignoring anaconda.org token segments (`/t/<token>`):
 * `https://conda.anaconda.org/conda-forge` -> `conda-forge`,
 * `https://repo.anaconda.com/pkgs/main` -> `pkgs-main`,
 * `file:///srv/channels/local` -> `local` (file:// keeps only the last segment).
 * A URL with no path is named after its host. A channel under one of `aliases` (the
 * manifest's `conda.channel_alias`) is named by its path below the alias, the name the
 * manifest writes (`mychan`), which is what apps and mirror users write too.
 */
export function channelDirName(channelUrl: string, aliases: readonly string[] = []): string {
  let trimmed = channelUrl.trim().replace(/[?#].*$/s, '');
  const plain = (u: string) => channelKey(u).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  for (const alias of aliases) {
    const base = plain(alias);
    if (plain(trimmed).startsWith(`${base}/`)) {
      trimmed = plain(trimmed).slice(base.length + 1);
      break;
    }
  }
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(.*)$/s.exec(trimmed);
  let segments: string[];
  let host = '';
  if (m) {
    host = m[2]!.replace(/^.*@/, '').replace(/:\d+$/, '');
    segments = m[3]!.split('/').filter((s) => s !== '');
    if (m[1]!.toLowerCase() === 'file') segments = segments.slice(-1);
  } else {
    segments = trimmed.split('/').filter((s) => s !== '');
  }
  const kept: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    // anaconda.org private channels: /t/<token>/<channel>; the token is a secret
    if (segments[i] === 't' && i + 2 < segments.length) {
      i++;
      continue;
    }
    kept.push(segments[i]!);
  }
  const raw = kept.length ? kept.join('-') : host || 'channel';
  const safe = raw.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return safe || 'channel';
}

/**
 * Directory names for a set of channels, unique: the channel whose key sorts first
 * keeps the plain name, the others get `-2`, `-3`, ... in key order. Depends only
 * on the set of channels, never on the order they were listed in.
 */
export function channelDirNames(channelUrls: Iterable<string>, aliases: readonly string[] = []): Map<string, string> {
  const keys = [...new Set([...channelUrls].map(channelKey))].sort(compareBytes);
  const byName = new Map<string, string[]>();
  for (const key of keys) {
    const name = channelDirName(key, aliases);
    const list = byName.get(name) ?? [];
    list.push(key);
    byName.set(name, list);
  }
  const taken = new Set(byName.keys());
  const out = new Map<string, string>();
  for (const [name, list] of [...byName].sort((a, b) => compareBytes(a[0], b[0]))) {
    list.forEach((key, i) => {
      if (i === 0) {
        out.set(key, name);
        return;
      }
      let n = i + 1;
      while (taken.has(`${name}-${n}`)) n++;
      taken.add(`${name}-${n}`);
      out.set(key, `${name}-${n}`);
    });
  }
  return out;
}

/** `conda/<channel>/<subdir>/<filename>` */
export function condaPackagePath(channelDir: string, subdir: string, filename: string): string {
  return `conda/${channelDir}/${subdir}/${filename}`;
}

/** `pypi/files/<filename>` */
export function pypiFilePath(filename: string): string {
  return `${PYPI_FILES}/${filename}`;
}

// Formats that are already compressed: deflating them again costs CPU for
// nothing (often a few bytes more), so they are STORED.
const STORED_SUFFIXES = [
  '.whl', '.conda', '.tar.bz2', '.tbz', '.tbz2', '.tgz', '.tar.gz', '.tar.xz', '.txz', '.tar.zst', '.tzst',
  '.zip', '.gz', '.bz2', '.xz', '.zst', '.lz4', '.lzma', '.7z', '.jar', '.egg', '.br',
];

/**
 * True when an entry should be STORED rather than deflated. `.sh` files are
 * stored only under `dependencies/` (Miniconda/Miniforge installers carry a
 * compressed payload); the buildpack's own small scripts are deflated.
 */
export function isStoredByDefault(name: string): boolean {
  const lower = name.toLowerCase();
  if (STORED_SUFFIXES.some((s) => lower.endsWith(s))) return true;
  return lower.endsWith('.sh') && lower.startsWith('dependencies/');
}

/**
 * Throws EBUNDLE unless `name` is a safe relative zip path: forward slashes, no
 * empty, `.` or `..` segments, not absolute, no NUL or backslash.
 */
export function assertSafeEntryName(name: string): void {
  const bad =
    name === '' ||
    name.startsWith('/') ||
    /^[a-zA-Z]:/.test(name) ||
    name.includes('\\') ||
    name.includes('\0') ||
    name.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) {
    throw new PackagerError('EBUNDLE', `Unsafe path for a zip entry: ${JSON.stringify(name)}`, {
      hint: 'zip entries must be relative paths with forward slashes and no `.`/`..` segments',
      found: name,
    });
  }
}

/** Code-unit string order (same as byte order for ASCII), independent of locale. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
