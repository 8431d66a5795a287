// build: turns every locked sdist into a wheel at packaging time, so staging
// installs wheels only (docs/BUNDLE.md, "Built wheels"). For each sdist: the
// built-wheel cache first (keyed by sdist, build requirements and target);
// else unpack, resolve the build requirements (through the resolver cli hands
// in, locked in `built.requires`), fetch them, and build offline with the
// target Python. A compiled result ships only when the stack can load it.
// Builds run in parallel up to the core count.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { PackagerError, isPackagerError, type Logger } from '../core/index.js';
import type { BuildRequirement, BuiltWheel, LockEntry } from '../manifest/index.js';
import { buildWheel, unpackSdist } from './build-wheel.js';
import { BuiltWheelCache, builtWheelKey, type CachedWheel } from './built-cache.js';
import { compiledMismatch, findPython, hostPlatform, networkIsolation, type HostPlatform, type HostPython } from './host.js';

export { buildSystemOf, projectBuildSystem, LEGACY_BUILD_SYSTEM, type BuildSystem, type BuildSystemSource } from './build-system.js';
export { compiledMismatch, findPython, hostPlatform, networkIsolation } from './host.js';
export { BuiltWheelCache, builtWheelKey } from './built-cache.js';

/** 1980-01-01T00:00:00Z: the earliest time a zip (so a wheel) can record. */
export const DEFAULT_SOURCE_DATE_EPOCH = 315532800;

export interface LocalFile {
  path: string;
  sha256: string;
  size: number;
  crc32: number;
}

export interface BuildContext {
  cacheDir: string;
  logger: Logger;
  /** Resolves build requirements (PEP 508) for the stacks like any pip requirement; the lock entries it picks. */
  resolveRequirements(requirements: string[], stacks: string[], forWhat: string): Promise<LockEntry[]>;
  /** A locked build requirement, downloaded or from the download cache, verified. */
  fetchRequirement(q: BuildRequirement): Promise<LocalFile>;
}

export interface BuildOptions {
  /** pip.python_version: the builds run with python<major>.<minor> from PATH. */
  pythonVersion: string;
  /** pip.require_wheels: fail instead of keeping an sdist. */
  requireWheels: boolean;
  /** SOURCE_DATE_EPOCH for new builds (a locked build keeps its own). */
  sourceDateEpoch?: number;
  concurrency?: number;
  /** PATH to look for the Python in (tests). */
  pathEnv?: string;
}

export interface BuiltSdist {
  wheel: CachedWheel;
  requirements: { requirement: BuildRequirement; file: LocalFile }[];
  fromCache: boolean;
}

/**
 * Builds (or finds in the cache) a wheel for each sdist in `sdists` (with its
 * downloaded file). Sets `built` on each entry whose wheel the zip will carry;
 * returns those wheels and what they were built with. An sdist that cannot be
 * built for its stacks is left as it is, with a warning (EBUILD with
 * requireWheels); a build that fails throws EBUILD.
 */
export async function buildSdists(sdists: { entry: LockEntry; file: LocalFile }[], o: BuildOptions, ctx: BuildContext): Promise<Map<LockEntry, BuiltSdist>> {
  const out = new Map<LockEntry, BuiltSdist>();
  if (!sdists.length) return out;
  const log = ctx.logger;
  const cache = new BuiltWheelCache(ctx.cacheDir);
  const keep = (e: LockEntry, why: string): undefined => {
    if (o.requireWheels) {
      throw new PackagerError('EBUILD', `${e.filename} cannot become a wheel here: ${why}`, {
        hint: 'pip.require_wheels is true: package on a machine that can build it (see the reason), pin a version that publishes a wheel, or set require_wheels: false to ship the sdist',
      });
    }
    log.warn(`Keeping ${e.filename} as an sdist (staging will build it): ${why}`);
    return undefined;
  };
  const limit = pLimit(o.concurrency ?? os.availableParallelism());
  const host = hostPlatform();
  const env: BuildEnv = { o, ctx, cache, host, keep, python: lazy(() => findPython(o.pythonVersion, o.pathEnv)), isolation: lazy(networkIsolation) };
  await Promise.all(
    sdists.map(({ entry, file }) =>
      limit(async () => {
        const b = await buildOne(entry, file, env);
        if (b) out.set(entry, b);
      }),
    ),
  );
  return out;
}

interface BuildEnv {
  o: BuildOptions;
  ctx: BuildContext;
  cache: BuiltWheelCache;
  host: HostPlatform;
  keep: (e: LockEntry, why: string) => undefined;
  python: () => Promise<HostPython | undefined>;
  isolation: () => Promise<string[]>;
}

function lazy<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

/** One sdist: the cached wheel of its locked build, else a new build; undefined when the sdist is kept. */
async function buildOne(e: LockEntry, file: LocalFile, env: BuildEnv): Promise<BuiltSdist | undefined> {
  const { o, ctx, cache, host } = env;
  const log = ctx.logger;
  const stacks = [...e.cf_stacks].sort();
  const target = { pythonMinor: minor(o.pythonVersion), stacks };
  const fetchAll = (requires: BuildRequirement[]) => Promise.all(requires.map(async (q) => ({ requirement: q, file: await ctx.fetchRequirement(q) })));
  if (e.built) {
    const hit = cache.get(builtWheelKey({ sdistSha256: e.sha256, requires: e.built.requires, epoch: e.built.source_date_epoch, ...target }));
    if (hit && hit.sha256 === e.built.sha256) {
      log.info(`Using the wheel built from ${e.filename} before: ${hit.filename} (cached)`);
      return { wheel: hit, requirements: await fetchAll(e.built.requires), fromCache: true };
    }
  }
  const py = await env.python();
  if (!py) return env.keep(e, `no python${target.pythonMinor} on PATH to build it with (the environment's python_version is ${o.pythonVersion})`);
  const iso = await env.isolation();
  const work = await mkdtemp(path.join(os.tmpdir(), 'cob-build-'));
  try {
    const source = await unpackSdist(py.executable, file.path, e.filename, work);
    let requires = e.built?.requires;
    if (!requires) {
      const locked = await ctx.resolveRequirements(source.buildSystem.requires, stacks, `the build requirements of ${e.filename}`);
      const sdist = locked.find((q) => q.kind !== 'wheel');
      if (sdist) return env.keep(e, `its build requirement ${sdist.name} ${sdist.version} has no wheel (${sdist.filename})`);
      requires = locked.map((q) => ({ name: q.name, version: q.version, filename: q.filename, uri: q.uri, sha256: q.sha256, size: q.size }));
    }
    const requirements = await fetchAll(requires);
    const epoch = e.built?.source_date_epoch ?? o.sourceDateEpoch ?? DEFAULT_SOURCE_DATE_EPOCH;
    const key = builtWheelKey({ sdistSha256: e.sha256, requires, epoch, ...target });
    // a re-resolved lock (`resolve --update`) has no `built:`: the same inputs need no new build
    let wheel = e.built ? undefined : cache.get(key);
    const fromCache = wheel !== undefined;
    if (wheel) log.info(`Using the wheel built from ${e.filename} before: ${wheel.filename} (cached)`);
    else {
      log.info(`Building ${e.filename} (${source.buildSystem.backend}, Python ${py.version}${iso.length ? `, ${iso.join(' ')}` : ', network NOT isolated: unshare unavailable'})`);
      const started = performance.now();
      const built = await buildWheel({ python: py.executable, sdistName: e.filename, source, wheels: requirements.map((r) => r.file.path), work, sourceDateEpoch: epoch, isolation: iso });
      wheel = await cache.put(key, built.wheel, built.filename, built.python);
      log.info(`Built ${wheel.filename} from ${e.filename} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const mismatch = /-none-any\.whl$/.test(wheel.filename) ? undefined : compiledMismatch(host, stacks);
    if (mismatch) return env.keep(e, `it compiles code (${wheel.filename}) and ${mismatch}`);
    if (e.built && e.built.sha256 !== wheel.sha256) {
      log.warn(
        `The build of ${e.filename} is not reproducible: the lock records ${e.built.filename} sha256 ${e.built.sha256}, this build gave ${wheel.filename} sha256 ${wheel.sha256}; the lock now records this one`,
      );
    }
    e.built = builtRecord(wheel, { backend: source.buildSystem.backend, python: wheel.python ?? py.version, epoch, isolation: iso, requires });
    return { wheel, requirements, fromCache };
  } catch (err) {
    if (isPackagerError(err)) throw err;
    throw new PackagerError('EBUILD', `Building ${e.filename} failed: ${(err as Error).message}`, { hint: 'check the disk and the target Python, then package again' }, { cause: err });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function builtRecord(w: CachedWheel, how: { backend: string; python: string; epoch: number; isolation: string[]; requires: BuildRequirement[] }): BuiltWheel {
  return {
    filename: w.filename,
    sha256: w.sha256,
    size: w.size,
    backend: how.backend,
    python: how.python,
    source_date_epoch: how.epoch,
    isolation: how.isolation.join(' ') || 'none',
    requires: how.requires,
  };
}

function minor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

/** sha256 of a string, hex (cache keys). */
export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
