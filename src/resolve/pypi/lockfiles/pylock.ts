// pylock.toml (PEP 751, lock-version 1.x), as `pip lock` (pip >= 25.1) and
// `uv export --format pylock.toml` write it, read with the spec's installation
// algorithm: top-level requires-python and environments checked, each package
// kept when its marker holds (with `extras` and `dependency_groups` as PEP 751
// defines them), a package's requires-python checked, two selected entries of
// one name refused, then the best wheel for the target, else the sdist.
// Spec: https://packaging.python.org/en/latest/specifications/pylock-toml/
import { normalizeName } from '../requirement.js';
import { evaluateMarker, type LockMarkerSets } from '../markers.js';
import { parseSpecifierSet, setContains } from '../pep440.js';
import { type CandidateFile, chooseFile, pythonLabel } from './choose-file.js';
import {
  arrayTableLines, describeWhere, isTable, lockError, lockMarker, parseTomlLock, pathInsideApp, sha256Hex, str, strings, table, tables, type Table,
  urlFilename, type Where,
} from './lock-source.js';
import { checkSelection } from './selection.js';
import { type LocalProject, type LockedEnvironment, type LockedFile, type LockedPackage, type LockReadOptions } from './types.js';

const HINT = 'regenerate it with `pip lock` (pip >= 25.1) or `uv export --format pylock.toml`';

/** Reads a pylock.toml for the target. Throws PackagerError EINPUT naming the file, line and package. */
export function readPylock(text: string, opts: LockReadOptions): LockedEnvironment {
  const { file, target } = opts;
  const doc = parseTomlLock(text, file, HINT);
  const top: Where = { file };
  const lockVersion = str(doc, 'lock-version', { ...top, key: 'lock-version' });
  if (!/^1(\.\d+)*$/.test(lockVersion)) {
    throw lockError(`${file} has lock-version ${JSON.stringify(lockVersion)}; this buildpack reads pylock.toml lock-version 1.x`, { ...top, key: 'lock-version' }, { found: lockVersion, hint: HINT });
  }
  str(doc, 'created-by', { ...top, key: 'created-by' });

  const requiresPython = str(doc, 'requires-python', top, true);
  if (requiresPython !== undefined) checkRequiresPython(requiresPython, opts, { ...top, key: 'requires-python' }, file);

  const environments = strings(doc, 'environments', top);
  if (environments.length && !environments.some((e) => evaluateMarker(lockMarker(e, { ...top, key: 'environments' }), target.markerEnv))) {
    throw lockError(`${file} was locked for other environments than ${pythonLabel(target)}: environments = ${JSON.stringify(environments)}`, { ...top, key: 'environments' }, {
      found: environments.join(' | '),
      hint: 'lock again with an environment that covers this stack (Linux, this CPython and architecture)',
    });
  }

  const extrasDeclared = strings(doc, 'extras', top).map(normalizeName);
  const groupsDeclared = strings(doc, 'dependency-groups', top).map(normalizeName);
  const defaultGroups = strings(doc, 'default-groups', top).map(normalizeName);
  const extras = checkSelection('extra', opts.extras ?? [], extrasDeclared, file, '`extras`');
  const groups = checkSelection('dependency group', opts.groups ?? [], groupsDeclared, file, '`dependency-groups`');
  const sets: LockMarkerSets = { extras: new Set(extras), dependency_groups: new Set([...defaultGroups, ...groups]) };

  const entries = tables(doc, 'packages', { ...top, key: 'packages' });
  if (!('packages' in doc)) throw lockError(`${file} has no [[packages]]`, { ...top, key: 'packages' }, { hint: HINT });
  const lines = arrayTableLines(text, 'packages', entries.length);

  const selected = new Map<string, { where: Where; entry: Table; name: string }>();
  entries.forEach((entry, i) => {
    const where: Where = { file, line: lines[i], key: `packages[${i}]` };
    const name = str(entry, 'name', where);
    const key = normalizeName(name);
    const marker = str(entry, 'marker', where, true);
    if (marker !== undefined && !evaluateMarker(lockMarker(marker, where), target.markerEnv, '', sets)) return;
    const pkgRequiresPython = str(entry, 'requires-python', where, true);
    if (pkgRequiresPython !== undefined) checkRequiresPython(pkgRequiresPython, opts, where, `${describeWhere(where)}: ${name}`);
    const earlier = selected.get(key);
    if (earlier) {
      throw lockError(`${describeWhere(where)}: ${name} is selected twice for ${pythonLabel(target)} (also at ${describeWhere(earlier.where)}): the lock is ambiguous`, where, {
        hint: `give the entries markers that exclude each other; ${HINT}`,
      });
    }
    selected.set(key, { where, entry, name });
  });

  const packages: LockedPackage[] = [];
  const localProjects: LocalProject[] = [];
  for (const [key, { where, entry, name }] of selected) {
    const version = str(entry, 'version', where, true);
    const index = str(entry, 'index', where, true);
    const source = describeWhere(where);
    if (table(entry, 'vcs', where)) {
      const vcs = table(entry, 'vcs', where)!;
      throw lockError(`${source}: ${name} comes from a ${String(vcs.type ?? 'VCS')} repository (${String(vcs.url ?? vcs.path ?? '?')}), which has no file hash and cannot be fetched at staging`, where, {
        hint: 'build it into a wheel, publish it to an index the packager reads (or vendor it in the app), and lock that instead',
      });
    }
    const directory = table(entry, 'directory', where);
    if (directory) {
      const dir = pathInsideApp(str(directory, 'path', { ...where, key: 'directory.path' }), where, `${name} (a source directory)`);
      localProjects.push({ name, path: dir, editable: directory.editable === true });
      continue;
    }
    if (version === undefined) throw lockError(`${source}: ${name} has no version`, { ...where, key: 'version' }, { hint: HINT });
    const archive = table(entry, 'archive', where);
    let file: LockedFile;
    if (archive) {
      const f = fileOf(archive, where, name, 'archive');
      file = chooseFile(name, version, [f], target, where);
    } else {
      const candidates: CandidateFile[] = tables(entry, 'wheels', where).map((w, j) => fileOf(w, { ...where, key: `${where.key}.wheels[${j}]` }, name, 'wheel'));
      const sdist = table(entry, 'sdist', where);
      if (sdist) candidates.push(fileOf(sdist, { ...where, key: `${where.key}.sdist` }, name, 'sdist'));
      if (!candidates.length) throw lockError(`${source}: ${name} ${version} names no source (none of wheels, sdist, archive, directory, vcs)`, where, { hint: HINT });
      file = chooseFile(name, version, candidates, target, where);
    }
    const p: LockedPackage = { name, key, version, file, hashes: [file.sha256], source };
    if (index !== undefined) p.index = index.replace(/\/+$/, '');
    packages.push(p);
  }
  return finish('pylock.toml', file, packages, localProjects);
}

function checkRequiresPython(spec: string, opts: LockReadOptions, where: Where, what: string): void {
  let set;
  try {
    set = parseSpecifierSet(spec);
  } catch {
    throw lockError(`${describeWhere(where)}: requires-python ${JSON.stringify(spec)} is not a version specifier`, where, { found: spec, hint: HINT });
  }
  if (!setContains(set, opts.target.pythonFull, true)) {
    throw lockError(`${what} requires Python ${spec}; the target is ${pythonLabel(opts.target)}`, where, {
      found: spec,
      hint: 'pin a Python the lock supports (runtime.txt / pip.python_version), or lock again for this one',
    });
  }
}

/** A wheels[]/sdist/archive table: file name from `name`, else the url or path; sha256 from `hashes`. */
function fileOf(t: Table, where: Where, project: string, kind: 'wheel' | 'sdist' | 'archive'): CandidateFile {
  const url = str(t, 'url', where, true);
  const rawPath = str(t, 'path', where, true);
  const given = str(t, 'name', where, true);
  const filename = given ?? (url !== undefined ? urlFilename(url) : rawPath !== undefined ? rawPath.replace(/\\/g, '/').split('/').pop()! : undefined);
  if (!filename) throw lockError(`${describeWhere(where)}: a file of ${project} has neither name, url nor path`, where, { hint: HINT });
  const hashes = t.hashes;
  if (!isTable(hashes) || Object.keys(hashes).length === 0) {
    throw lockError(`${describeWhere(where)}: ${project}: ${filename} has no hashes`, where, { found: filename, hint: HINT });
  }
  const f: CandidateFile = { kind: kind === 'archive' ? (filename.endsWith('.whl') ? 'wheel' : 'sdist') : kind, filename };
  const sha256 = sha256Hex(hashes.sha256);
  if (sha256) f.sha256 = sha256;
  else if (hashes.sha256 === undefined) {
    // the buildpack verifies sha256; another algorithm alone cannot be checked
    throw lockError(`${describeWhere(where)}: ${project}: ${filename} has only ${Object.keys(hashes).join(', ')} hashes; the buildpack verifies sha256`, where, { found: filename, hint: `${HINT} (both record sha256)` });
  }
  if (url !== undefined) f.url = url;
  if (rawPath !== undefined && url === undefined) f.path = pathInsideApp(rawPath, where, `${project} (${filename})`);
  if (typeof t.size === 'number') f.size = t.size;
  return f;
}

/** Sorts, and collects the indexes the packages name. */
export function finish(format: LockedEnvironment['format'], file: string, packages: LockedPackage[], localProjects: LocalProject[]): LockedEnvironment {
  packages.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const indexes: string[] = [];
  for (const p of packages) if (p.index && !indexes.includes(p.index)) indexes.push(p.index);
  return { format, file, packages, localProjects, indexes };
}
