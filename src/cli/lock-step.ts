// manifest.lock.yml is what offline packaging downloads. It is (re)resolved
// when missing, when its inputs changed (manifest sections or the files they
// name), or on `resolve --update`; otherwise it is used as it is, so packaging
// is repeatable without touching any index.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_STACK, PackagerError, isPackagerError, readRegularFile, type DocumentKind, type Logger } from '../core/index.js';
import { fetchDocument, fetchArtifact } from '../fetch/index.js';
import {
  DEFAULT_ENVIRONMENT,
  compareLockEntries,
  entryNameProblem,
  loadLock,
  lockedUri,
  manifestEnvironments,
  manifestStacks,
  resolveInputsSha256,
  writeLock,
  type Environment,
  type Lock,
  type LockEntry,
  type Manifest,
} from '../manifest/index.js';
import { resolveInstallers } from '../resolve/miniconda/index.js';
import { RepodataCache, resolveConda } from '../resolve/conda/index.js';
import { resolvePypi, type PypiSourceCache } from '../resolve/pypi/index.js';
import { LEGACY_BUILD_SYSTEM, projectBuildSystem } from '../build/index.js';
import { condaPythons, environmentPython, installerPythons, missingPythonError, wantedPython, type EnvironmentPython, type PythonSource } from './environment-python.js';
import type { CommandContext } from './run.js';
import { fetchTuning } from './common.js';

export const LOCK_FILE = 'manifest.lock.yml';
/** Largest file a manifest may name (local conda packages are the big ones). */
const MAX_INPUT_FILE_BYTES = 2 ** 31 - 1;

/** True when the manifest has anything for `resolve` to do. */
export function hasResolvedSections(m: Manifest): boolean {
  return m.miniconda.length > 0 || m.environments.length > 0 || m.apps.length > 0;
}

/** Path of the lock beside the manifest. */
export function lockPathFor(m: Manifest): string {
  return path.join(path.dirname(m.path), LOCK_FILE);
}

/** The files the resolved sections name, as the staleness hash sees them. */
async function inputFiles(m: Manifest, envs: Environment[]): Promise<{ path: string; bytes: Uint8Array }[]> {
  const names = [...new Set(envs.flatMap((e) => [...(e.conda?.files ?? []), ...(e.pip?.files ?? []), ...(e.project_files ?? [])]))];
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
  const envs = await manifestEnvironments(m);
  const inputs = resolveInputsSha256(m, await inputFiles(m, envs), envs);
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
  const artifacts = await resolveAll(m, o.cacheDir, log, o.ctx.signal, envs);
  const lock: Lock = { lock_version: 1, inputs_sha256: inputs, artifacts };
  if (o.write !== false) {
    await writeLock(lockPath, lock);
    log.info(`Wrote ${lockPath} (${artifacts.length} artifacts)`);
  }
  return lock;
}

/**
 * Runs every resolver the manifest needs and merges their entries: installers
 * once, then each environment on its own (conda first, since a conda closure
 * decides the environment's Python, then pip at that Python). The same file
 * needed by several environments is one entry listing them all.
 */
export async function resolveAll(m: Manifest, cacheDir: string, log: Logger, signal: AbortSignal, envs?: Environment[]): Promise<LockEntry[]> {
  const environments = envs ?? (await manifestEnvironments(m));
  const stacks = targetStacks(m);
  const fetchOpts = { cacheDir, logger: log, signal, ...fetchTuning() };
  const getDocument = (url: string, headers?: Record<string, string>, kind?: DocumentKind) => fetchDocument(url, { ...fetchOpts, headers, ...(kind ? { kind } : {}) });
  const entries: LockEntry[] = [];
  const named = environments.length > 1 || environments.some((e) => e.name !== DEFAULT_ENVIRONMENT);
  const label = (e: Environment) => (named ? ` for environment ${e.name}` : '');
  // read before any download: a malformed pyproject.toml is the operator's input error
  const builds = new Map<Environment, Awaited<ReturnType<typeof appBuildRequirements>>>();
  for (const env of environments) builds.set(env, await appBuildRequirements(env, path.dirname(m.path)));

  if (m.miniconda.length) {
    log.info(`Resolving ${m.miniconda.length} installer spec(s)`);
    const installers = await resolveInstallers(m.miniconda, { stacks, fetchDocument: (u) => getDocument(u), logger: log });
    entries.push(...installers.map((e) => ({ ...e, environments: environments.map((x) => x.name) })));
  }

  // one cache of repodata and one of index pages for the whole run: environments share their I/O
  const repodata = new RepodataCache({ fetchDocument: (u, kind) => getDocument(u, undefined, kind), limits: fetchOpts.limits, logger: log });
  const sources: PypiSourceCache = new Map();
  const perEnv = new Map<Environment, { conda: LockEntry[]; pipFromConda: string[] }>();
  try {
    for (const env of environments) {
      let conda: LockEntry[] = [];
      let pipFromConda: string[] = [];
      if (env.conda) {
        log.info(`Resolving conda packages${label(env)} from ${env.conda.channels.length} channel(s)`);
        const r = await resolveConda(
          { conda: env.conda, stacks, manifestDir: path.dirname(m.path) },
          { fetchDocument: (u, kind) => getDocument(u, undefined, kind), fetchFile: (a) => fetchArtifact(a, fetchOpts), limits: fetchOpts.limits, logger: log, repodata },
        );
        conda = r.entries;
        pipFromConda = r.pipRequirements;
      }
      perEnv.set(env, { conda, pipFromConda });
    }
  } finally {
    await repodata.close();
  }

  const installers = installerPythons(m, entries);
  const bundled = condaPythons([...perEnv.values()].flatMap((v) => v.conda));
  const pythons = new Map(environments.map((env) => [env, environmentPython(env, perEnv.get(env)!.conda, installers, bundled)]));
  // an environment without a Python resolves at the one it asks for: what its inputs get wrong is said first
  const markerVersion = (env: Environment) => pythons.get(env)?.markerVersion ?? wantedPython(env);

  const merged = new Map<string, LockEntry>();
  const add = (env: Environment, list: LockEntry[]) => {
    for (const e of list) {
      const key = `${e.kind}|${e.uri}`;
      const prev = merged.get(key);
      if (!prev) {
        merged.set(key, { ...e, environments: [env.name] });
        continue;
      }
      prev.cf_stacks = [...new Set([...prev.cf_stacks, ...e.cf_stacks])].sort();
      prev.depends = [...new Set([...prev.depends, ...e.depends])];
      prev.environments = [...new Set([...(prev.environments ?? []), env.name])];
    }
  };
  for (const env of environments) {
    const { conda, pipFromConda } = perEnv.get(env)!;
    add(env, conda);
    if (env.pip || pipFromConda.length) {
      const pip = { ...(env.pip ?? defaultPipSection()), python_version: markerVersion(env) };
      log.info(`Resolving pip requirements${label(env)}`);
      const dists = await resolvePypi(
        { pip, stacks, manifestDir: path.dirname(m.path), extraRequirements: pipFromConda },
        { fetchDocument: (u, h, kind) => getDocument(u, h, kind), fetchFile: (a) => fetchArtifact(a, fetchOpts), logger: log, sources },
      );
      add(env, dists);
    }
    const build = builds.get(env);
    if (build) {
      // resolved on their own, as pip's isolated build environment resolves them: runtime pins do not constrain them
      log.info(`Resolving the build backend of app ${env.app} (${build.from}): ${build.requires.join(', ') || '(none)'}`);
      const pip = { ...(env.pip ?? defaultPipSection()), python_version: markerVersion(env), requirements: build.requires, files: [] };
      const dists = await resolvePypi(
        { pip, stacks, manifestDir: path.dirname(m.path) },
        { fetchDocument: (u, h, kind) => getDocument(u, h, kind), fetchFile: (a) => fetchArtifact(a, fetchOpts), logger: log, sources },
      );
      add(env, dists);
    }
  }
  entries.push(...merged.values());
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
  checkPythons(m, environments, pythons, installers, bundled, log);
  return entries.sort(compareLockEntries);
}

/**
 * A bundle must carry a Python for every environment it stages (exit 4 naming
 * each one without). A manifest with no installer and no environments or apps
 * of its own packages wheels and conda packages only, for `bin/mirror` or for
 * another buildpack's installer: that is a warning, not an error.
 */
function checkPythons(
  m: Manifest,
  environments: Environment[],
  pythons: Map<Environment, EnvironmentPython | undefined>,
  installers: PythonSource[],
  bundled: PythonSource[],
  log: Logger,
): void {
  const missing = environments.filter((env) => !pythons.get(env));
  if (!missing.length) return;
  const err = missingPythonError(missing, installers, bundled);
  const packagesOnly = !m.miniconda.length && environments.every((e) => e.name === DEFAULT_ENVIRONMENT);
  if (!packagesOnly) throw err;
  log.warn(`${err.message}: the zip serves its packages (bin/mirror) but cannot stage an app; to stage, ${err.hint ?? 'add an installer to miniconda:'}`);
}

/**
 * The `[build-system] requires` of an app that is a project (its pyproject.toml,
 * else setuptools' legacy default for a setup.py): staging installs the project
 * with pip, whose build environment takes them from the bundle's index.
 */
export async function appBuildRequirements(env: Environment, manifestDir: string): Promise<{ requires: string[]; from: string } | undefined> {
  const files = env.project_files ?? [];
  if (!files.length) return undefined;
  const pyproject = files.find((f) => path.basename(f) === 'pyproject.toml');
  const text = pyproject === undefined ? undefined : await readFile(path.resolve(manifestDir, pyproject), 'utf8');
  const bs = projectBuildSystem(text, files.some((f) => path.basename(f) === 'setup.py'), {
    label: `the app ${env.app && env.app !== '.' ? env.app : env.name}`,
    code: 'EMANIFEST',
    hint: `fix [build-system] in ${pyproject} (PEP 518: requires = ["..."], build-backend = "module:object")`,
  });
  return bs && { requires: bs.requires, from: bs === LEGACY_BUILD_SYSTEM ? "setuptools' legacy default" : pyproject! };
}

function defaultPipSection(): NonNullable<Manifest['pip']> {
  return { index_url: 'https://pypi.org/simple', extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: [] };
}

/** Stacks the resolvers target: every stack the manifest names, else the default stack. */
function targetStacks(m: Manifest): string[] {
  const stacks = manifestStacks(m);
  return stacks.length ? stacks : [DEFAULT_STACK];
}
