// uv.lock (version 1, any revision) read the way `uv sync --frozen` installs
// it: from the app's own project (the package at ".", else the workspace
// members) along the recorded dependency edges whose markers hold for the
// target, through the optional-dependencies of the extras asked for and the
// dev-dependencies (dependency groups) asked for. An edge that names no
// locked package is an incomplete lock and is refused with its chain.
// Format: https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile
import { normalizeName } from '../requirement.js';
import { evaluateMarker } from '../markers.js';
import { parseSpecifierSet, setContains } from '../pep440.js';
import { type CandidateFile, chooseFile, pythonLabel } from './choose-file.js';
import {
  arrayTableLines, describeWhere, isTable, lockError, lockMarker, parseTomlLock, pathInsideApp, sha256From, str, strings, table, tables, type Table,
  urlFilename, type Where,
} from './lock-source.js';
import { finish } from './pylock.js';
import { checkSelection } from './selection.js';
import { type LocalProject, type LockedFile, type LockedPackage, type LockReadOptions, type LockedEnvironment } from './types.js';

const HINT = 'regenerate it with `uv lock`';
const LOCAL_KINDS = ['editable', 'virtual', 'directory'] as const;

interface Entry {
  i: number;
  name: string;
  key: string;
  version?: string;
  source: Table;
  sourceKey: string;
  table: Table;
  where: Where;
}

interface Visit {
  entry: Entry;
  extras: Set<string>;
  /** How it was reached: `app -> flask 3.1.3`. */
  chain: string[];
}

/** Reads a uv.lock for the target. Throws PackagerError EINPUT naming the file, line and package (or the chain for an incomplete lock). */
export function readUvLock(text: string, opts: LockReadOptions): LockedEnvironment {
  const { file, target } = opts;
  const doc = parseTomlLock(text, file, HINT);
  const top: Where = { file };
  const version = doc.version;
  if (version !== 1) {
    throw lockError(`${file} has version = ${JSON.stringify(version)}; this buildpack reads uv.lock version 1`, { ...top, key: 'version' }, { found: String(version), hint: HINT });
  }
  const requiresPython = str(doc, 'requires-python', top, true);
  if (requiresPython !== undefined && !setContains(specifier(requiresPython, { ...top, key: 'requires-python' }), target.pythonFull, true)) {
    throw lockError(`${file} requires Python ${requiresPython}; the target is ${pythonLabel(target)}`, { ...top, key: 'requires-python' }, {
      found: requiresPython,
      hint: 'pin a Python the lock supports (runtime.txt / pip.python_version), or change requires-python and lock again',
    });
  }
  const supported = strings(doc, 'supported-markers', top);
  if (supported.length && !supported.some((m) => evaluateMarker(lockMarker(m, { ...top, key: 'supported-markers' }), target.markerEnv))) {
    throw lockError(`${file} was locked only for ${supported.join(' | ')} (tool.uv.environments), not for ${pythonLabel(target)}`, { ...top, key: 'supported-markers' }, {
      found: supported.join(' | '),
      hint: 'add this stack (sys_platform == "linux") to [tool.uv] environments and lock again',
    });
  }

  const raw = tables(doc, 'package', { ...top, key: 'package' });
  const lines = arrayTableLines(text, 'package', raw.length);
  const entries: Entry[] = raw.map((t, i) => {
    const where: Where = { file, line: lines[i], key: `package[${i}]` };
    const name = str(t, 'name', where);
    const source = table(t, 'source', where);
    if (!source) throw lockError(`${describeWhere(where)}: ${name} has no source`, { ...where, key: 'source' }, { hint: HINT });
    const e: Entry = { i, name, key: normalizeName(name), source, sourceKey: sourceKey(source), table: t, where };
    const v = str(t, 'version', where, true);
    if (v !== undefined) e.version = v;
    return e;
  });
  const byKey = new Map<string, Entry[]>();
  for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);

  const roots = findRoots(doc, entries, file);
  const declaredExtras = roots.flatMap((r) => Object.keys(table(r.table, 'optional-dependencies', r.where) ?? {}));
  const declaredGroups = roots.flatMap((r) => Object.keys(table(r.table, 'dev-dependencies', r.where) ?? {}));
  const extras = checkSelection('extra', opts.extras ?? [], declaredExtras, file, "project's optional-dependencies");
  const groups = checkSelection('dependency group', opts.groups ?? [], declaredGroups, file, "project's dependency groups (dev-dependencies)");
  // uv writes conflicting extras/groups into markers as `extra == 'extra-<len>-<project>-<name>'` / `'group-<len>-<project>-<name>'`
  const conflictSet = new Set<string>();
  for (const r of roots) {
    for (const x of extras) conflictSet.add(`extra-${r.key.length}-${r.key}-${x}`);
    for (const g of groups) conflictSet.add(`group-${r.key.length}-${r.key}-${g}`);
  }

  const visits = new Map<Entry, Visit>();
  const queue: { entry: Entry; extras: string[]; chain: string[] }[] = [];
  const label = (e: Entry) => (e.version ? `${e.name} ${e.version}` : e.name);

  const follow = (from: Entry, edges: Table[], chain: string[], where: Where) => {
    for (const edge of edges) {
      const name = str(edge, 'name', where);
      const marker = str(edge, 'marker', where, true);
      if (marker !== undefined && !evaluateMarker(lockMarker(marker, where), target.markerEnv, conflictSet)) continue;
      const to = resolveEdge(edge, name, byKey, from, chain, where, file);
      queue.push({ entry: to, extras: strings(edge, 'extra', where).map(normalizeName), chain: [...chain, label(to)] });
    }
  };

  for (const root of roots) {
    const chain = [label(root)];
    visits.set(root, { entry: root, extras: new Set(), chain });
    follow(root, tables(root.table, 'dependencies', root.where), chain, root.where);
    const optional = table(root.table, 'optional-dependencies', root.where) ?? {};
    for (const x of extras) follow(root, edgesOf(optional, x, root.where), chain, root.where);
    const dev = table(root.table, 'dev-dependencies', root.where) ?? {};
    for (const g of groups) follow(root, edgesOf(dev, g, root.where), chain, root.where);
  }
  while (queue.length) {
    const { entry, extras: wanted, chain } = queue.shift()!;
    let visit = visits.get(entry);
    const fresh = !visit;
    if (!visit) {
      visit = { entry, extras: new Set(), chain };
      visits.set(entry, visit);
    }
    if (fresh) follow(entry, tables(entry.table, 'dependencies', entry.where), chain, entry.where);
    const optional = table(entry.table, 'optional-dependencies', entry.where) ?? {};
    for (const x of wanted) {
      if (visit.extras.has(x)) continue;
      visit.extras.add(x);
      // an extra the package does not declare adds nothing (as when pip installs pkg[unknown])
      follow(entry, edgesOf(optional, x, entry.where), chain, entry.where);
    }
  }

  const packages: LockedPackage[] = [];
  const localProjects: LocalProject[] = [];
  const chosen = new Map<string, Visit>();
  for (const visit of visits.values()) {
    const e = visit.entry;
    const other = chosen.get(e.key);
    if (other) {
      throw lockError(`${file}: ${label(e)} (${describeWhere(e.where)}) and ${label(other.entry)} (${describeWhere(other.entry.where)}) are both needed on ${pythonLabel(target)}: ${visit.chain.join(' -> ')} and ${other.chain.join(' -> ')}`, e.where, {
        hint: `a lock installs one version of each package; ${HINT}`,
      });
    }
    chosen.set(e.key, visit);
    const local = LOCAL_KINDS.find((k) => typeof e.source[k] === 'string');
    if (local) {
      const dir = pathInsideApp(e.source[local] as string, e.where, `${e.name} (a ${local} source)`);
      localProjects.push({ name: e.name, path: dir, editable: local === 'editable' });
      continue;
    }
    packages.push(lockedPackage(e, visit, opts));
  }
  return finish('uv.lock', file, packages, localProjects);
}

function specifier(text: string, where: Where) {
  try {
    return parseSpecifierSet(text);
  } catch {
    throw lockError(`${describeWhere(where)}: ${JSON.stringify(text)} is not a version specifier`, where, { found: text, hint: HINT });
  }
}

/** A stable identity of a `source = {...}` table, to match edges that name one. */
function sourceKey(source: Table): string {
  return JSON.stringify(Object.keys(source).sort().map((k) => [k, source[k]]));
}

function edgesOf(groups: Table, name: string, where: Where): Table[] {
  const key = Object.keys(groups).find((k) => normalizeName(k) === name);
  return key === undefined ? [] : tables(groups, key, where);
}

/** The app's own project(s): the package at ".", else the workspace members the manifest lists. */
function findRoots(doc: Table, entries: Entry[], file: string): Entry[] {
  const isLocalAt = (e: Entry, p?: string) =>
    LOCAL_KINDS.some((k) => typeof e.source[k] === 'string' && (p === undefined || (e.source[k] as string).replace(/\/$/, '') === p));
  const dot = entries.filter((e) => isLocalAt(e, '.'));
  if (dot.length) return dot;
  const manifest = isTable(doc.manifest) ? doc.manifest : undefined;
  const members = manifest ? strings(manifest, 'members', { file, key: 'manifest.members' }).map(normalizeName) : [];
  const roots = entries.filter((e) => members.includes(e.key) && isLocalAt(e));
  if (roots.length) return roots;
  throw lockError(`${file} has no project of the app: no package with source = { editable = "." } or { virtual = "." }, and no [manifest] members`, { file }, {
    hint: 'run `uv lock` in the app directory (the one with pyproject.toml)',
  });
}

/** The locked package an edge `{ name, version?, source? }` points at; exactly one, or the lock is incomplete/ambiguous. */
function resolveEdge(edge: Table, name: string, byKey: Map<string, Entry[]>, from: Entry, chain: string[], where: Where, file: string): Entry {
  const key = normalizeName(name);
  let candidates = byKey.get(key) ?? [];
  const version = str(edge, 'version', where, true);
  if (version !== undefined) candidates = candidates.filter((c) => c.version === version);
  const source = isTable(edge.source) ? sourceKey(edge.source) : undefined;
  if (source !== undefined) candidates = candidates.filter((c) => c.sourceKey === source);
  const wanted = version !== undefined ? `${name} ${version}` : name;
  if (candidates.length === 1) return candidates[0]!;
  if (!candidates.length) {
    throw lockError(`${file} is incomplete: ${[...chain, wanted].join(' -> ')}: ${from.name} depends on ${wanted}, which the lock does not contain`, from.where, {
      hint: `${HINT} (never edit uv.lock by hand)`,
      chain: [...chain, wanted],
    });
  }
  throw lockError(`${describeWhere(from.where)}: ${from.name} depends on ${wanted}, which matches ${candidates.length} locked packages (${candidates.map((c) => `${c.name} ${c.version ?? ''}`.trim()).join(', ')}): the edge must name a version`, from.where, {
    hint: HINT,
  });
}

function lockedPackage(e: Entry, visit: Visit, opts: LockReadOptions): LockedPackage {
  const { where, source, name } = e;
  const via = visit.chain.join(' -> ');
  if (typeof source.git === 'string') {
    throw lockError(`${describeWhere(where)}: ${name} (needed by ${via}) comes from git (${source.git}): a git checkout has no file hash and cannot be fetched at staging`, where, {
      hint: 'build it into a wheel, publish it to an index the packager reads, and lock that instead',
    });
  }
  if (e.version === undefined) throw lockError(`${describeWhere(where)}: ${name} has no version`, { ...where, key: 'version' }, { hint: HINT });
  const registry = typeof source.registry === 'string' ? source.registry : undefined;
  const direct = typeof source.url === 'string' ? source.url : undefined;
  const localArchive = typeof source.path === 'string' ? pathInsideApp(source.path, where, `${name} (a local archive)`) : undefined;
  const registryIsUrl = registry !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(registry);
  const fileOf = (t: Table, kind: 'wheel' | 'sdist', key: string): CandidateFile => {
    const w: Where = { ...where, key: `${where.key}.${key}` };
    const url = str(t, 'url', w, true) ?? (kind === 'sdist' || !t.filename ? direct : undefined);
    const p = str(t, 'path', w, true);
    const filename = str(t, 'filename', w, true) ?? (url !== undefined ? urlFilename(url) : p !== undefined ? p.split('/').pop()! : localArchive?.split('/').pop());
    if (!filename) throw lockError(`${describeWhere(w)}: a file of ${name} has neither url, path nor filename`, w, { hint: HINT });
    const f: CandidateFile = { kind, filename };
    const hash = str(t, 'hash', w, true);
    const sha = hash !== undefined ? sha256From(hash) : undefined;
    if (sha) f.sha256 = sha;
    if (url !== undefined) f.url = url;
    else if (p !== undefined) f.path = pathInsideApp(registry && !registryIsUrl ? `${registry}/${p}` : p, w, `${name} (${filename})`);
    else if (localArchive !== undefined) f.path = localArchive;
    if (typeof t.size === 'number') f.size = t.size;
    return f;
  };
  const files: CandidateFile[] = tables(e.table, 'wheels', where).map((w, j) => fileOf(w, 'wheel', `wheels[${j}]`));
  const sdist = table(e.table, 'sdist', where);
  if (sdist) files.push(fileOf(sdist, 'sdist', 'sdist'));
  const file: LockedFile = chooseFile(name, e.version, files, opts.target, where);
  const p: LockedPackage = { name, key: e.key, version: e.version, file, hashes: [file.sha256], source: describeWhere(where) };
  if (registryIsUrl) p.index = registry!.replace(/\/+$/, '');
  return p;
}
