// Cache first, then the source: a cache hit is re-hashed and used with its
// digests; a miss or a corrupt entry goes to file-source.ts or download.ts.
// fetchArtifacts runs many through p-limit and stops starting new ones after
// the first failure, letting in-flight downloads land in the cache.
import pLimit from 'p-limit';
import { artifactLabel, type Artifact } from '../core/artifact.js';
import { redactUrl } from '../core/redact.js';
import { ContentCache } from './content-cache.js';
import { downloadArtifact } from './download.js';
import { copyFileArtifact } from './file-source.js';
import { HttpClient } from './http-client.js';
import { resolveOptions, type CachedFile, type FetchOptions, type ResolvedOptions } from './options.js';

interface Run {
  cache: ContentCache;
  client: HttpClient;
  opts: ResolvedOptions;
}

/**
 * The verified cache entry for `a`, or undefined when it must be fetched (a
 * corrupt entry is removed first).
 */
async function fromCache(a: Artifact, run: Run): Promise<CachedFile | undefined> {
  const { cache, opts } = run;
  const what = artifactLabel(a);
  const key = ContentCache.keyOf(a.integrity, what);
  const hit = cache.check(key, a.size);
  if (hit.status === 'ok') {
    const shown = redactUrl(a.url);
    // a run killed after it published this entry left its partial
    await cache.forgetAbandonedDownloads(key);
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
 * Fetches every artifact, `concurrency` downloads (and cache checks) at a
 * time; results in input order. Artifacts with the same checksum are fetched
 * once. After the first failure no new download starts; those in flight
 * finish (and stay cached), then the first error is thrown.
 */
export async function fetchArtifacts(list: Artifact[], o: FetchOptions): Promise<CachedFile[]> {
  const opts = resolveOptions(o);
  const client = new HttpClient(opts);
  const run: Run = { cache: new ContentCache(opts.cacheDir), client, opts };
  const downloads = pLimit(opts.concurrency);
  // separate limits: a check waiting for its download's turn must not hold a download's slot
  const checks = pLimit(opts.concurrency);
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
