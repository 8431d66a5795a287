// Pipfile.lock (pipfile-spec 6), read as `pipenv install --deploy` /
// `pipenv sync` installs it: the `default` category (plus the categories asked
// for: `develop` holds [dev-packages]), each entry whose `markers` hold for the
// target, pinned with `==`; a package in several categories is taken from
// the first (`default` first), as pipenv's merge lets `default` win. The lock records hashes but no file names: each
// package carries every sha256 it accepts, and the packager takes the best
// file for the target among those. It records no dependency graph, so there is
// no closure to check.
// Format: https://pipenv.pypa.io/en/latest/pipfile.html (pipfile-spec 6)
import { normalizeName } from '../requirement.js';
import { evaluateMarker, type LockMarkerSets } from '../markers.js';
import { pythonLabel } from './choose-file.js';
import { isTable, lockError, lockMarker, parseJsonLock, pathInsideApp, sha256From, type Table, urlFilename, type Where, describeWhere } from './lock-source.js';
import { finish } from './pylock.js';
import { checkSelection } from './selection.js';
import { type LocalProject, type LockedPackage, type LockReadOptions, type LockedEnvironment, PYPI_SIMPLE } from './types.js';

const HINT = 'regenerate it with `pipenv lock`';
const ARCHIVE_RE = /\.(whl|tar\.gz|zip|tar\.bz2|tgz)$/i;

/** Reads a Pipfile.lock for the target. Throws PackagerError EINPUT naming the file, line and package. */
export function readPipfileLock(text: string, opts: LockReadOptions): LockedEnvironment {
  const { file, target } = opts;
  const doc = parseJsonLock(text, file, HINT);
  const meta = isTable(doc._meta) ? doc._meta : undefined;
  if (!meta) throw lockError(`${file} has no _meta section: not a Pipfile.lock`, { file, key: '_meta' }, { hint: HINT });
  const spec = meta['pipfile-spec'];
  if (spec !== 6) throw lockError(`${file} has pipfile-spec ${JSON.stringify(spec)}; this buildpack reads pipfile-spec 6`, { file, key: '_meta.pipfile-spec' }, { found: String(spec), hint: HINT });

  const requires = isTable(meta.requires) ? meta.requires : {};
  if (typeof requires.python_version === 'string' && requires.python_version !== target.markerEnv.python_version) {
    throw lockError(`${file} was locked for Python ${requires.python_version} (_meta.requires.python_version); the target is ${pythonLabel(target)}`, { file, key: '_meta.requires.python_version' }, {
      found: requires.python_version,
      hint: `pin Python ${requires.python_version} (runtime.txt / pip.python_version), or lock again with this Python`,
    });
  }
  const sources = (Array.isArray(meta.sources) ? meta.sources : []).filter(isTable);
  const indexByName = new Map<string, string>();
  for (const s of sources) if (typeof s.name === 'string' && typeof s.url === 'string') indexByName.set(s.name, s.url.replace(/\/+$/, ''));
  const defaultIndex = typeof sources[0]?.url === 'string' ? (sources[0].url as string).replace(/\/+$/, '') : PYPI_SIMPLE;

  const categories = Object.keys(doc).filter((k) => k !== '_meta' && isTable(doc[k]));
  const asked = (opts.groups ?? []).map((g) => (normalizeName(g) === 'dev' && !categories.includes('dev') ? 'develop' : g));
  const chosen = ['default', ...checkSelection('category', asked, categories.filter((c) => c !== 'default'), file, 'categories')];
  if (opts.extras?.length) {
    throw lockError(`${file}: Pipfile.lock has no extras of the app (asked for ${opts.extras.join(', ')}); the extras of each package are already in it`, { file }, { hint: 'leave BP_LOCK_EXTRAS unset for Pipfile.lock apps' });
  }

  const lines = text.split(/\r\n|\r|\n/);
  const packages = new Map<string, LockedPackage>();
  const localProjects: LocalProject[] = [];
  for (const category of chosen) {
    const section = doc[category];
    if (!isTable(section)) continue;
    const sectionLine = lines.findIndex((l) => l.trimStart().startsWith(`${JSON.stringify(category)}:`));
    for (const [name, value] of Object.entries(section)) {
      const at = sectionLine < 0 ? -1 : lines.findIndex((l, i) => i > sectionLine && l.trimStart().startsWith(`${JSON.stringify(name)}:`));
      const where: Where = { file, key: `${category}.${name}` };
      if (at >= 0) where.line = at + 1;
      if (!isTable(value)) throw lockError(`${describeWhere(where)}: ${name} must be an object`, where, { hint: HINT });
      if (typeof value.markers === 'string' && !evaluateMarker(lockMarker(value.markers, where), target.markerEnv, '', categorySets(category))) continue;
      const p = entry(name, value, where, indexByName, defaultIndex, localProjects);
      if (!p) continue;
      // pipenv merges the categories with `default` winning (a develop pin of the same package yields)
      if (!packages.has(p.key)) packages.set(p.key, p);
    }
  }
  return finish('Pipfile.lock', file, [...packages.values()], localProjects);
}

/**
 * Recent pipenv writes `'dev' in dependency_groups` into the markers of
 * [dev-packages] entries and strips it again at install, the category having
 * chosen the package already: it holds for the entry's own category.
 */
function categorySets(category: string): LockMarkerSets {
  const groups = new Set([normalizeName(category)]);
  if (category === 'develop') groups.add('dev');
  return { extras: new Set(), dependency_groups: groups };
}

function entry(name: string, v: Table, where: Where, indexByName: Map<string, string>, defaultIndex: string, localProjects: LocalProject[]): LockedPackage | undefined {
  const at = describeWhere(where);
  if (typeof v.git === 'string' || typeof v.hg === 'string' || typeof v.svn === 'string' || typeof v.bzr === 'string') {
    throw lockError(`${at}: ${name} comes from a VCS repository (${String(v.git ?? v.hg ?? v.svn ?? v.bzr)}): it has no file hash and cannot be fetched at staging`, where, {
      hint: 'build it into a wheel, publish it to an index the packager reads, and lock that instead',
    });
  }
  const localPath = typeof v.path === 'string' ? v.path : undefined;
  if (localPath !== undefined && !ARCHIVE_RE.test(localPath)) {
    localProjects.push({ name, path: pathInsideApp(localPath, where, `${name} (a path dependency)`), editable: v.editable === true });
    return undefined;
  }
  const version = typeof v.version === 'string' ? v.version : undefined;
  const pin = version !== undefined ? /^===?\s*(\S+)$/.exec(version) : null;
  const url = typeof v.file === 'string' ? v.file : undefined;
  const hashes = (Array.isArray(v.hashes) ? v.hashes : []).map((h) => (typeof h === 'string' ? sha256From(h) : undefined)).filter((h): h is string => !!h);
  if (!hashes.length) {
    throw lockError(`${at}: ${name} has no sha256 hashes, so the buildpack cannot verify what it installs`, where, { hint: HINT });
  }
  const p: LockedPackage = { name, key: normalizeName(name), version: pin?.[1] ?? '', hashes: [...new Set(hashes)], source: at };
  if (url !== undefined || localPath !== undefined) {
    // a direct file: its one hash names it (pipenv records the hash of that file)
    const filename = url !== undefined ? urlFilename(url) : localPath!.replace(/\\/g, '/').split('/').pop()!;
    if (hashes.length !== 1) throw lockError(`${at}: ${name} is a single file (${filename}) but lists ${hashes.length} hashes`, where, { hint: HINT });
    p.file = { kind: filename.endsWith('.whl') ? 'wheel' : 'sdist', filename, sha256: hashes[0]! };
    if (url !== undefined) p.file.url = url;
    else p.file.path = pathInsideApp(localPath!, where, `${name} (${filename})`);
    if (!p.version) p.version = versionFromFilename(filename) ?? '';
  } else {
    if (!pin) throw lockError(`${at}: ${name} is not pinned (version ${JSON.stringify(version ?? '')}; a lock pins ==X)`, where, { found: String(version), hint: HINT });
    const index = typeof v.index === 'string' ? indexByName.get(v.index) : defaultIndex;
    if (typeof v.index === 'string' && index === undefined) {
      throw lockError(`${at}: ${name} names index ${JSON.stringify(v.index)}, which _meta.sources does not list`, where, { hint: HINT });
    }
    p.index = index!;
  }
  if (!p.version) throw lockError(`${at}: ${name} has no version`, where, { hint: HINT });
  return p;
}

function versionFromFilename(filename: string): string | undefined {
  const parts = filename.replace(ARCHIVE_RE, '').split('-');
  return parts.length >= 2 ? parts[1] : undefined;
}
