// manifest.lock.yml: what `bin/package resolve` decided, one entry per artifact
// (docs/MANIFEST.md). Users commit it and diff it, so serialisation is
// deterministic: entries sorted, keys in one fixed order, nothing that depends
// on the order resolvers happened to finish in.
import { PackagerError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { isHexDigest } from '../core/integrity.js';
import { FieldReader, isMapping, preview } from './fields.js';
import { childPath, loadYamlSource, readYamlFile } from './yaml-source.js';
import { dumpYaml } from './yaml-dump.js';
import { DEFAULT_ENVIRONMENT } from './manifest.js';
import type { BuildRequirement, BuiltWheel, Lock, LockEntry, LockKind } from './types.js';

export const LOCK_VERSION = 1;
const KINDS: LockKind[] = ['installer', 'conda', 'wheel', 'sdist'];

// The order keys are written in; also the full list of keys a lock entry may have.
const ENTRY_KEYS = [
  'kind',
  'name',
  'version',
  'flavor',
  'build',
  'build_number',
  'filename',
  'uri',
  'sha256',
  'md5',
  'size',
  'size_approximate',
  'channel',
  'subdir',
  'tags',
  'requires_python',
  'depends',
  'constrains',
  'cf_stacks',
  'environments',
  'record',
  'built',
] as const satisfies readonly (keyof LockEntry)[];

const HEADER = [
  '# manifest.lock.yml: written by `bin/package resolve`; do not edit by hand.',
  '# Every artifact the offline zip carries, with its exact URL, sha256 and size.',
  '# Re-resolve with `bin/package resolve --update` after changing the manifest.',
  '',
].join('\n');

/** Reads a lock file; undefined when it does not exist. Throws ELOCK when it is invalid. */
export async function loadLock(file: string): Promise<Lock | undefined> {
  let text: string;
  try {
    text = await readYamlFile(file, 'ELOCK');
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PackagerError('EIO', `Could not read lock file: ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  return parseLock(text, file);
}

/** Parses and validates lock text. Throws ELOCK (with key path and line) on anything malformed. */
export function parseLock(text: string, file: string): Lock {
  const { value, index } = loadYamlSource(text, file, 'ELOCK');
  const r = new FieldReader(file, index);
  const hint = 'Regenerate it with `bin/package resolve --update`.';
  if (!isMapping(value)) {
    throw new PackagerError('ELOCK', `${file}: not a lock file (expected a mapping with lock_version, inputs_sha256, artifacts)`, { file, hint });
  }
  if (value.lock_version !== LOCK_VERSION) {
    r.problem('lock_version', `unsupported lock_version: ${preview(value.lock_version ?? null)}`, {
      wanted: String(LOCK_VERSION),
      found: preview(value.lock_version ?? null),
      hint,
    });
    r.throwIfAny('ELOCK');
  }
  const inputs = r.string(value.inputs_sha256, 'inputs_sha256', true);
  if (inputs !== undefined && !isHexDigest(inputs, 'sha256')) r.problem('inputs_sha256', `not a sha256 digest: ${preview(inputs)}`, { hint });
  const artifacts: LockEntry[] = [];
  (r.list(value.artifacts, 'artifacts', true) ?? []).forEach((item, i) => {
    const e = readEntry(r, item, childPath('artifacts', i));
    if (e) artifacts.push(e);
  });
  for (const p of r.problems) p.hint ??= hint;
  r.throwIfAny('ELOCK');
  return { lock_version: LOCK_VERSION, inputs_sha256: inputs!, artifacts };
}

/**
 * Why an entry's names cannot become paths in the zip, or undefined: the file
 * name and subdir must each be one plain path segment (no `/`, `\\`, `..`,
 * query, control characters) of at most 255 bytes, which unzip and every
 * Linux file system can create; the name must not contain a path either.
 */
export function entryNameProblem(e: Pick<LockEntry, 'name' | 'filename' | 'subdir'>): string | undefined {
  const segment = (what: string, s: string): string | undefined => {
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    if (s === '' || s === '.' || s === '..' || /[/\\?#\u0000-\u001f\u007f]/.test(s)) return `its ${what} is not a plain file name: ${JSON.stringify(s)}`;
    if (Buffer.byteLength(s) > 255) return `its ${what} is ${Buffer.byteLength(s)} bytes, longer than the 255 a file name may have (unzip cannot create it)`;
    return undefined;
  };
  return segment('file name', e.filename) ?? (e.subdir !== undefined ? segment('subdir', e.subdir) : undefined) ?? segment('name', e.name);
}

function readEntry(r: FieldReader, item: unknown, key: string): LockEntry | undefined {
  const m = r.mapping(item, key, true);
  if (!m) return undefined;
  const before = r.problems.length;
  const at = (k: string) => childPath(key, k);
  const kind = r.string(m.kind, at('kind'), true);
  if (kind !== undefined && !KINDS.includes(kind as LockKind)) {
    r.problem(at('kind'), `unknown artifact kind: ${kind}`, { wanted: KINDS.join(', '), found: kind });
  }
  const sha256 = m.sha256 === '' ? '' : r.string(m.sha256, at('sha256'), true);
  if (sha256 === '') {
    r.problem(at('sha256'), 'is empty (an older bin/package locked an md5-only conda package without its sha256)', {
      hint: 'run `bin/package resolve --update`: it downloads such packages once and records their sha256 beside the md5',
    });
  } else if (sha256 !== undefined && !isHexDigest(sha256, 'sha256')) r.problem(at('sha256'), `not a sha256 digest (64 hexadecimal characters): ${preview(sha256)}`);
  const md5 = r.string(m.md5, at('md5'));
  if (md5 !== undefined && !isHexDigest(md5, 'md5')) r.problem(at('md5'), `not an md5 digest (32 hexadecimal characters): ${preview(md5)}`);
  const sizeApprox = m.size_approximate;
  if (sizeApprox !== undefined && typeof sizeApprox !== 'boolean') r.problem(at('size_approximate'), 'expected true or false');
  const record = m.record === undefined ? undefined : r.mapping(m.record, at('record'));
  const e: Partial<LockEntry> = {
    kind: kind as LockKind,
    name: r.string(m.name, at('name'), true),
    version: r.string(m.version, at('version'), true),
    flavor: r.string(m.flavor, at('flavor')),
    build: r.string(m.build, at('build')),
    build_number: r.integer(m.build_number, at('build_number')),
    filename: r.string(m.filename, at('filename'), true),
    uri: r.string(m.uri, at('uri'), true),
    sha256: sha256?.toLowerCase(),
    md5: md5?.toLowerCase(),
    size: r.integer(m.size, at('size'), true),
    size_approximate: sizeApprox === true ? true : undefined,
    channel: r.string(m.channel, at('channel')),
    subdir: r.string(m.subdir, at('subdir')),
    tags: r.stringList(m.tags, at('tags')),
    requires_python: r.string(m.requires_python, at('requires_python')),
    depends: r.stringList(m.depends, at('depends')) ?? [],
    constrains: r.stringList(m.constrains, at('constrains')),
    cf_stacks: r.stringList(m.cf_stacks, at('cf_stacks'), true),
    environments: r.stringList(m.environments, at('environments')),
    record,
    built: m.built === undefined ? undefined : readBuilt(r, m.built, at('built')),
  };
  if (r.problems.length !== before) return undefined;
  const unusable = entryNameProblem(e as LockEntry);
  if (unusable) {
    r.problem(at('filename'), `artifact ${e.name} ${e.version}: ${unusable}`, { hint: 'resolve again (`bin/package resolve --update`); a lock from another tool may name files the zip cannot hold' });
    return undefined;
  }
  return normalizeEntry(e as LockEntry);
}

function digest(r: FieldReader, v: unknown, key: string): string | undefined {
  const s = r.string(v, key, true);
  if (s !== undefined && !isHexDigest(s, 'sha256')) r.problem(key, `not a sha256 digest (64 hexadecimal characters): ${preview(s)}`);
  return s?.toLowerCase();
}

/** An sdist's `built:` (src/build/): the wheel made from it and how. */
function readBuilt(r: FieldReader, v: unknown, key: string): BuiltWheel | undefined {
  const m = r.mapping(v, key);
  if (!m) return undefined;
  const at = (k: string) => childPath(key, k);
  const requires: BuildRequirement[] = [];
  (r.list(m.requires, at('requires'), true) ?? []).forEach((item, i) => {
    const q = r.mapping(item, childPath(at('requires'), i), true);
    if (!q) return;
    const k = (f: string) => childPath(childPath(at('requires'), i), f);
    requires.push({
      name: r.string(q.name, k('name'), true)!,
      version: r.string(q.version, k('version'), true)!,
      filename: r.string(q.filename, k('filename'), true)!,
      uri: r.string(q.uri, k('uri'), true)!,
      sha256: digest(r, q.sha256, k('sha256'))!,
      size: r.integer(q.size, k('size'), true)!,
    });
  });
  return {
    filename: r.string(m.filename, at('filename'), true)!,
    sha256: digest(r, m.sha256, at('sha256'))!,
    size: r.integer(m.size, at('size'), true)!,
    backend: r.string(m.backend, at('backend'), true)!,
    python: r.string(m.python, at('python'), true)!,
    source_date_epoch: r.integer(m.source_date_epoch, at('source_date_epoch'), true)!,
    isolation: r.string(m.isolation, at('isolation'), true)!,
    requires,
  };
}

/** `built:` with its keys in a fixed order, requirements sorted by file name. */
function normalizeBuilt(b: BuiltWheel): BuiltWheel {
  return {
    filename: b.filename,
    sha256: b.sha256,
    size: b.size,
    backend: b.backend,
    python: b.python,
    source_date_epoch: b.source_date_epoch,
    isolation: b.isolation,
    requires: b.requires
      .map((q) => ({ name: q.name, version: q.version, filename: q.filename, uri: q.uri, sha256: q.sha256, size: q.size }))
      .sort((a, c) => compareText(a.filename, c.filename)),
  };
}

/** The entry with its keys in the fixed order and absent optional keys dropped. */
function normalizeEntry(e: LockEntry): LockEntry {
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_KEYS) {
    const v = e[k];
    if (v === undefined) continue;
    if (k === 'record') out[k] = sortKeysDeep(v);
    else if (k === 'built') out[k] = normalizeBuilt(v as BuiltWheel);
    else if (k === 'cf_stacks') out[k] = [...(v as string[])].sort(compareText);
    else if (k === 'environments') {
      const envs = [...new Set(v as string[])].sort(compareText);
      // absent means `default`: a lock of a manifest without environments stays as it was
      if (!(envs.length === 1 && envs[0] === DEFAULT_ENVIRONMENT)) out[k] = envs;
    } else out[k] = v;
  }
  return out as unknown as LockEntry;
}

/** The environments that need an entry (`default` when the lock says none). */
export function entryEnvironments(e: Pick<LockEntry, 'environments'>): string[] {
  return e.environments?.length ? [...new Set(e.environments)].sort(compareText) : [DEFAULT_ENVIRONMENT];
}

/** Code-point order: the same on every machine and locale (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The lock's entry order: kind, name, version, build (or filename), stacks, then uri. */
export function compareLockEntries(a: LockEntry, b: LockEntry): number {
  return (
    compareText(a.kind, b.kind) ||
    compareText(a.name, b.name) ||
    compareText(a.version, b.version) ||
    compareText(a.build ?? a.filename, b.build ?? b.filename) ||
    compareText(a.filename, b.filename) ||
    compareText([...a.cf_stacks].sort(compareText).join(','), [...b.cf_stacks].sort(compareText).join(',')) ||
    compareText(a.uri, b.uri)
  );
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (isMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareText)) out[k] = sortKeysDeep(v[k]);
    return out;
  }
  return v;
}

/** The lock as YAML text: header comment, sorted entries, fixed key order; same lock -> same bytes. */
export function serializeLock(lock: Lock): string {
  const artifacts = lock.artifacts.map(normalizeEntry).sort(compareLockEntries);
  const doc = { lock_version: LOCK_VERSION, inputs_sha256: lock.inputs_sha256, artifacts };
  const body = dumpYaml(doc);
  return HEADER + body;
}

/** Writes the lock atomically (temp file + rename): a crash never leaves half a lock. */
export async function writeLock(file: string, lock: Lock): Promise<void> {
  await writeFileAtomic(file, serializeLock(lock));
}
