// manifest.lock.yml is what offline packaging downloads. It is (re)resolved
// when missing, when its inputs changed (manifest sections or the files they
// name), or on `resolve --update`; otherwise it is used as it is, so packaging
// is repeatable without touching any index.
import path from 'node:path';
import { DEFAULT_STACK, PackagerError, isPackagerError, readRegularFile, type Logger } from '../core/index.js';
import { fetchDocument, fetchArtifact } from '../fetch/index.js';
import { loadLock, manifestStacks, resolveInputsSha256, writeLock, compareLockEntries, entryNameProblem, lockedUri, type Lock, type LockEntry, type Manifest } from '../manifest/index.js';
import { resolveInstallers } from '../resolve/miniconda/index.js';
import { resolveConda } from '../resolve/conda/index.js';
import { resolvePypi } from '../resolve/pypi/index.js';
import type { CommandContext } from './run.js';
import { retryTuning } from './common.js';

export const LOCK_FILE = 'manifest.lock.yml';
/** Largest file a manifest may name (local conda packages are the big ones). */
const MAX_INPUT_FILE_BYTES = 2 ** 31 - 1;

/** True when the manifest has anything for `resolve` to do. */
export function hasResolvedSections(m: Manifest): boolean {
  return m.miniconda.length > 0 || m.conda !== undefined || m.pip !== undefined;
}

/** Path of the lock beside the manifest. */
export function lockPathFor(m: Manifest): string {
  return path.join(path.dirname(m.path), LOCK_FILE);
}

/** The files the resolved sections name, as the staleness hash sees them. */
async function inputFiles(m: Manifest): Promise<{ path: string; bytes: Uint8Array }[]> {
  const names = [...(m.conda?.files ?? []), ...(m.pip?.files ?? [])];
  const dir = path.dirname(m.path);
  const out: { path: string; bytes: Uint8Array }[] = [];
  for (const name of names) {
    const local = name.startsWith('file://') ? new URL(name).pathname : path.resolve(dir, name);
    try {
      out.push({ path: name, bytes: await readRegularFile(local, { code: 'EMANIFEST', maxBytes: MAX_INPUT_FILE_BYTES, what: 'file the manifest names', shown: name }) });
    } catch (err) {
      if (isPackagerError(err)) throw err;
      throw new PackagerError('EMANIFEST', `A file the manifest names cannot be read: ${name}`, {
        file: m.path,
        hint: `create ${local} or remove it from the manifest's files: list`,
        cause: String(err),
      });
    }
  }
  return out;
}

/** The lock to package from: loaded when fresh, else resolved and written. Undefined when nothing needs resolving. */
export async function ensureLock(
  m: Manifest,
  o: { cacheDir: string; ctx: CommandContext; update: boolean; write?: boolean },
): Promise<Lock | undefined> {
  if (!hasResolvedSections(m)) return undefined;
  const log = o.ctx.reporter;
  const lockPath = lockPathFor(m);
  const inputs = resolveInputsSha256(m, await inputFiles(m));
  const existing = await loadLock(lockPath).catch((err: unknown) => {
    // --update replaces the lock, so one this version cannot read must not stop it
    if (o.update && isPackagerError(err, 'ELOCK')) {
      log.warn(`${LOCK_FILE} cannot be read (${err.message}); resolving it anew`);
      return undefined;
    }
    throw err;
  });
  if (existing && existing.inputs_sha256 === inputs && !o.update) {
    log.info(`Using ${LOCK_FILE} (${existing.artifacts.length} artifacts, inputs unchanged)`);
    return existing;
  }
  log.info(existing ? (o.update ? `Updating ${LOCK_FILE}` : `${LOCK_FILE} is stale (inputs changed): resolving`) : `No ${LOCK_FILE}: resolving`);
  const artifacts = await resolveAll(m, o.cacheDir, log, o.ctx.signal);
  const lock: Lock = { lock_version: 1, inputs_sha256: inputs, artifacts };
  if (o.write !== false) {
    await writeLock(lockPath, lock);
    log.info(`Wrote ${lockPath} (${artifacts.length} artifacts)`);
  }
  return lock;
}

/** Runs every resolver the manifest needs and merges their entries. */
export async function resolveAll(m: Manifest, cacheDir: string, log: Logger, signal: AbortSignal): Promise<LockEntry[]> {
  const stacks = targetStacks(m);
  const fetchOpts = { cacheDir, logger: log, signal, ...retryTuning() };
  const getDocument = (url: string, headers?: Record<string, string>) => fetchDocument(url, { ...fetchOpts, headers });
  const entries: LockEntry[] = [];

  if (m.miniconda.length) {
    log.info(`Resolving ${m.miniconda.length} installer spec(s)`);
    entries.push(...(await resolveInstallers(m.miniconda, { stacks, fetchDocument: (u) => getDocument(u), logger: log })));
  }
  let pipFromConda: string[] = [];
  if (m.conda) {
    log.info(`Resolving conda packages from ${m.conda.channels.length} channel(s)`);
    const conda = await resolveConda(
      { conda: m.conda, stacks, manifestDir: path.dirname(m.path) },
      { fetchDocument: (u) => getDocument(u), fetchFile: (a) => fetchArtifact(a, fetchOpts), logger: log },
    );
    entries.push(...conda.entries);
    pipFromConda = conda.pipRequirements;
  }
  if (m.pip || pipFromConda.length) {
    const pip = m.pip ?? defaultPipSection();
    log.info('Resolving pip requirements');
    entries.push(
      ...(await resolvePypi(
        { pip, stacks, manifestDir: path.dirname(m.path), extraRequirements: pipFromConda },
        {
          fetchDocument: (u, h) => getDocument(u, h),
          fetchFile: (a) => fetchArtifact(a, fetchOpts),
          logger: log,
        },
      )),
    );
  }
  for (const e of entries) {
    e.uri = lockedUri(e.uri, path.dirname(m.path));
    const unusable = entryNameProblem(e);
    if (unusable) {
      throw new PackagerError('ERESOLVE', `The index offers ${e.kind} ${e.name} ${e.version} under a name the zip cannot hold: ${unusable}`, {
        url: e.uri,
        hint: 'this record is malformed upstream; pin another version or build, or ask the index owner to fix it',
      });
    }
  }
  return entries.sort(compareLockEntries);
}

function defaultPipSection(): NonNullable<Manifest['pip']> {
  return { index_url: 'https://pypi.org/simple', extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: [] };
}

/** Stacks the resolvers target: every stack the manifest names, else the default stack. */
function targetStacks(m: Manifest): string[] {
  const stacks = manifestStacks(m);
  return stacks.length ? stacks : [DEFAULT_STACK];
}
