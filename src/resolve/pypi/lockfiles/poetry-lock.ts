// poetry.lock lock-version 2.1 (Poetry >= 2.0), read the way `poetry sync
// --only main` installs it without re-resolving: a package is installed when
// one of its `groups` is selected and that group's entry in `markers` holds
// for the target, with `extra` true for the root extras asked for. Versions
// before 2.1 do not record groups and per-package markers, and Poetry itself
// re-resolves them against pyproject.toml: they are refused with a hint.
// Every selected package's dependencies that apply on the target must be
// selected too (the lock must be complete).
// Source: python-poetry/poetry src/poetry/packages/locker.py (locked_packages,
// _dump_package) and src/poetry/puzzle/transaction.py.
import { normalizeName } from '../requirement.js';
import { evaluateMarker } from '../markers.js';
import { type CandidateFile, chooseFile, pythonLabel } from './choose-file.js';
import {
  arrayTableLines, describeWhere, isTable, lockError, lockMarker, parseTomlLock, pathInsideApp, sha256From, str, strings, table, tables, type Table,
  type Where,
} from './lock-source.js';
import { finish } from './pylock.js';
import { checkSelection } from './selection.js';
import { type LocalProject, type LockedPackage, type LockReadOptions, type LockedEnvironment, PYPI_SIMPLE } from './types.js';

const HINT = 'regenerate it with Poetry >= 2.0 (`poetry lock`)';
const MAIN = 'main';

interface Selected {
  name: string;
  key: string;
  version: string;
  table: Table;
  where: Where;
}

/** Reads a poetry.lock (lock-version 2.1) for the target. Throws PackagerError EINPUT naming the file, line and package. */
export function readPoetryLock(text: string, opts: LockReadOptions): LockedEnvironment {
  const { file, target } = opts;
  const doc = parseTomlLock(text, file, HINT);
  const metaWhere: Where = { file, key: 'metadata.lock-version' };
  const metadata = table(doc, 'metadata', { file });
  const lockVersion = metadata ? str(metadata, 'lock-version', metaWhere, true) : undefined;
  const m = lockVersion !== undefined ? /^(\d+)\.(\d+)$/.exec(lockVersion) : null;
  if (!m || Number(m[1]) !== 2) {
    throw lockError(`${file} has lock-version ${JSON.stringify(lockVersion ?? '(none)')}; this buildpack reads poetry.lock lock-version 2.x from 2.1 on`, metaWhere, { found: String(lockVersion), hint: HINT });
  }
  if (Number(m[2]) < 1) {
    throw lockError(
      `${file} has lock-version ${lockVersion} (Poetry 1.x): it does not record which group each package belongs to or when it applies, so Poetry itself re-resolves it against pyproject.toml; it cannot be installed as it is`,
      metaWhere,
      { found: lockVersion, hint: `${HINT}, which writes lock-version 2.1; or export it: \`poetry export -f requirements.txt --output requirements.txt\`` },
    );
  }

  const raw = tables(doc, 'package', { file, key: 'package' });
  const lines = arrayTableLines(text, 'package', raw.length);
  const rootExtras = table(doc, 'extras', { file }) ?? {};
  const extras = checkSelection('extra', opts.extras ?? [], Object.keys(rootExtras), file, '[extras]');
  const declaredGroups = new Set<string>();
  const parsed = raw.map((t, i) => {
    const where: Where = { file, line: lines[i], key: `package[${i}]` };
    const groups = strings(t, 'groups', where).map(normalizeName);
    if (!('groups' in t)) throw lockError(`${describeWhere(where)}: the package has no \`groups\` (required in lock-version 2.1)`, { ...where, key: 'groups' }, { hint: HINT });
    for (const g of groups) if (g !== MAIN) declaredGroups.add(g);
    return { t, where, groups };
  });
  const groups = [MAIN, ...checkSelection('group', opts.groups ?? [], [...declaredGroups], file, "packages' groups")];
  const extraSet = new Set(extras);

  const selected = new Map<string, Selected>();
  for (const { t, where, groups: own } of parsed) {
    const name = str(t, 'name', where);
    const version = str(t, 'version', where);
    const markers = t.markers;
    const applies = own.some((g) => {
      if (!groups.includes(g)) return false;
      let text: unknown = markers;
      if (isTable(markers)) text = Object.entries(markers).find(([k]) => normalizeName(k) === g)?.[1];
      if (text === undefined) return true;
      if (typeof text !== 'string') throw lockError(`${describeWhere(where)}: \`markers\` must be a string or a table of strings`, { ...where, key: 'markers' }, { hint: HINT });
      return evaluateMarker(lockMarker(text, { ...where, key: 'markers' }), target.markerEnv, extraSet);
    });
    if (!applies) continue;
    const key = normalizeName(name);
    const earlier = selected.get(key);
    if (earlier) {
      throw lockError(`${describeWhere(where)}: ${name} ${version} and ${earlier.version} (${describeWhere(earlier.where)}) are both selected for ${pythonLabel(target)}: the lock is ambiguous`, where, { hint: HINT });
    }
    selected.set(key, { name, key, version, table: t, where });
  }

  checkClosure(selected, file, target.markerEnv);

  const packages: LockedPackage[] = [];
  const localProjects: LocalProject[] = [];
  for (const s of selected.values()) {
    const { name, version, table: t, where } = s;
    const source = table(t, 'source', where) ?? {};
    const type = typeof source.type === 'string' ? source.type : undefined;
    const url = typeof source.url === 'string' ? source.url : undefined;
    if (type === 'git') {
      throw lockError(`${describeWhere(where)}: ${name} ${version} comes from git (${url ?? '?'}): a git checkout has no file hash and cannot be fetched at staging`, where, {
        hint: 'build it into a wheel, publish it to an index the packager reads, and lock that instead',
      });
    }
    if (type === 'directory') {
      localProjects.push({ name, path: pathInsideApp(url ?? '', where, `${name} (a path dependency)`), editable: t.develop === true });
      continue;
    }
    const localArchive = type === 'file' ? pathInsideApp(url ?? '', where, `${name} (a local archive)`) : undefined;
    const files: CandidateFile[] = tables(t, 'files', where).map((f, j) => {
      const w: Where = { ...where, key: `${where.key}.files[${j}]` };
      const filename = str(f, 'file', w);
      const c: CandidateFile = { kind: filename.endsWith('.whl') ? 'wheel' : 'sdist', filename };
      const hash = str(f, 'hash', w, true);
      const sha = hash !== undefined ? sha256From(hash) : undefined;
      if (sha) c.sha256 = sha;
      if (type === 'url' && url !== undefined) c.url = url;
      if (localArchive !== undefined) c.path = localArchive;
      return c;
    });
    const file = chooseFile(name, version, files, target, where);
    const p: LockedPackage = { name, key: s.key, version, file, hashes: [file.sha256], source: describeWhere(where) };
    if (type === 'legacy' && url !== undefined) p.index = url.replace(/\/+$/, '');
    else if (type === undefined) p.index = PYPI_SIMPLE;
    packages.push(p);
  }
  return finish('poetry.lock', file, packages, localProjects);
}

/** Every dependency of a selected package that applies on the target (not optional, marker true) must be selected. */
function checkClosure(selected: Map<string, Selected>, file: string, env: Parameters<typeof evaluateMarker>[1]): void {
  for (const s of selected.values()) {
    const deps = table(s.table, 'dependencies', s.where) ?? {};
    for (const [dep, spec] of Object.entries(deps)) {
      const constraints = Array.isArray(spec) ? spec : [spec];
      const applies = constraints.some((c) => {
        if (typeof c === 'string') return true;
        if (!isTable(c) || c.optional === true) return false;
        if (typeof c.markers !== 'string') return true;
        // `extra == "x"` here names the depending package's own extras, which the lock does not say are active: taken as inactive
        return evaluateMarker(lockMarker(c.markers, { ...s.where, key: `dependencies.${dep}` }), env, new Set<string>());
      });
      if (!applies || selected.has(normalizeName(dep))) continue;
      const wanted = constraints.map((c) => (typeof c === 'string' ? c : isTable(c) && typeof c.version === 'string' ? c.version : '')).filter(Boolean).join(' | ');
      throw lockError(`${file} is incomplete: ${s.name} ${s.version} -> ${dep}${wanted ? ` (${wanted})` : ''}: ${s.name} needs ${dep} on this target, but the lock selects no ${dep} for it`, s.where, {
        hint: `${HINT} (never edit poetry.lock by hand)`,
        chain: [`${s.name} ${s.version}`, dep],
      });
    }
  }
}
