// Cache first, then the source: a verified cache hit is used as it is (after a
// re-hash, or unread for a caller that verifies it as it reads it); a miss or
// a corrupt entry goes to file-source.ts or download.ts.
// fetchArtifacts runs many through p-limit and stops starting new ones after
// the first failure, letting in-flight downloads land in the cache.
import pLimit from 'p-limit';
import { artifactLabel, type Artifact } from '../core/artifact.js';
import { redactUrl } from '../core/redact.js';
import { sriFromHex } from '../core/integrity.js';
import { ContentCache, type CacheCheck } from './content-cache.js';
import { downloadArtifact } from './download.js';
import { copyFileArtifact } from './file-source.js';
import { hashPoolSize } from './hash-pool.js';
import { HttpClient } from './http-client.js';
import { resolveOptions, type CachedFile, type FetchOptions, type ResolvedOptions } from './options.js';

/** Cache entries being re-hashed at once, per hash worker. */
const CHECKS_PER_HASH_WORKER = 8;

interface Run {
  cache: ContentCache;
  client: HttpClient;
  opts: ResolvedOptions;
}

/**
 * The verified cache entry for `a` (with verifyHitsLater, one keyed by sha256
 * comes back unread), or undefined when it must be fetched (a corrupt entry is
 * removed first).
 */
async function fromCache(a: Artifact, run: Run): Promise<CachedFile | undefined> {
  const { cache, opts } = run;
  const what = artifactLabel(a);
  const key = ContentCache.keyOf(a.integrity, what);
  const unread = opts.verifyHitsLater && key.algorithm === 'sha256' ? await cache.peek(key, a.size) : undefined;
  const hit: CacheCheck = unread
    ? { status: 'ok', file: { ...unread, sha256: key.hex.toLowerCase(), integrity: sriFromHex(key.hex, 'sha256'), fromCache: true, unverified: true } }
    : await cache.check(key, a.size);
  if (hit.status === 'ok') {
    const shown = redactUrl(a.url);
    // a run killed between committing this entry and releasing its lease left them
    await cache.forgetAbandonedDownload(key);
    opts.logger.info(`Using cached ${what}`);
    opts.onProgress({ type: 'start', id: shown, name: what, total: hit.file.size });
    opts.onProgress({ type: 'done', id: shown, bytes: hit.file.size, cached: true });
    return hit.file;
  }
  if (hit.status === 'corrupt') {
    opts.logger.warn(`Cached ${what} is corrupt (wanted ${hit.wanted}, found ${hit.found}); fetching it again`);
  }
  return undefined;
}

/** Copies (file:) or downloads `a` into the cache. */
async function fromSource(a: Artifact, run: Run): Promise<CachedFile> {
  const what = artifactLabel(a);
  const shown = redactUrl(a.url);
  const key = ContentCache.keyOf(a.integrity, what);
  if (/^file:/i.test(a.url)) return copyFileArtifact(a, key, what, shown, run);
  return downloadArtifact(a, key, what, shown, run);
}

async function fetchOne(a: Artifact, run: Run): Promise<CachedFile> {
  return (run.opts.forceDownload ? undefined : await fromCache(a, run)) ?? (await fromSource(a, run));
}

/** Returns `a` from the cache (re-verified) or fetches, verifies and caches it. */
export async function fetchArtifact(a: Artifact, o: FetchOptions): Promise<CachedFile> {
  const opts = resolveOptions(o);
  const client = new HttpClient(opts);
  try {
    return await fetchOne(a, { cache: new ContentCache(opts.cacheDir), client, opts });
  } finally {
    await client.close();
  }
}

/**
 * Fetches every artifact, `concurrency` downloads at a time (cache hits are
 * re-hashed under a wider limit); results in input order. Artifacts with the
 * same checksum are fetched once. After the first failure no new download
 * starts; those in flight finish (and stay cached), then the first error is
 * thrown.
 */
export async function fetchArtifacts(list: Artifact[], o: FetchOptions): Promise<CachedFile[]> {
  const opts = resolveOptions(o);
  const client = new HttpClient(opts);
  const run: Run = { cache: new ContentCache(opts.cacheDir), client, opts };
  const downloads = pLimit(opts.concurrency);
  // Cache hits are re-hashed under their own, wider limit: they wait on the
  // hash workers, not on the network, and each has a few file-system round
  // trips of latency that 8 at a time left mostly idle (bench/BENCHMARKS.md).
  const checks = pLimit(Math.max(opts.concurrency, CHECKS_PER_HASH_WORKER * hashPoolSize()));
  let firstError: { error: unknown } | undefined;
  const stopped = () => firstError !== undefined || opts.signal?.aborted === true;
  // Runs `step` unless the run has stopped; records its error before its slot
  // frees (p-limit starts the next queued step at once), so no new one starts.
  const guarded = async <T>(step: () => Promise<T>): Promise<T | undefined> => {
    if (stopped()) return undefined;
    try {
      return await step();
    } catch (error) {
      firstError ??= { error };
      return undefined;
    }
  };
  const byIntegrity = new Map<string, Promise<CachedFile | undefined>>();
  // Downloads queue in list order, whatever order the checks finish in: each
  // task takes its place in the queue only after the one before it has.
  let turn = Promise.resolve();
  try {
    const tasks = list.map((a) => {
      const shared = byIntegrity.get(a.integrity);
      if (shared) return shared;
      const myTurn = turn;
      let passTurn!: () => void;
      turn = new Promise<void>((resolve) => (passTurn = resolve));
      const task = (async () => {
        try {
          const hit = opts.forceDownload ? undefined : await checks(() => guarded(() => fromCache(a, run)));
          await myTurn;
          if (hit || stopped()) return hit;
          const fetched = downloads(() => guarded(() => fromSource(a, run)));
          passTurn();
          return await fetched;
        } finally {
          passTurn();
        }
      })();
      byIntegrity.set(a.integrity, task);
      return task;
    });
    const results = await Promise.all(tasks);
    if (firstError) throw firstError.error;
    opts.signal?.throwIfAborted();
    return results as CachedFile[];
  } finally {
    await client.close();
  }
}
