// Cache first, then the source: a verified cache hit is used as it is (after a
// re-hash); a miss or a corrupt entry goes to file-source.ts or download.ts.
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

async function fetchOne(a: Artifact, run: Run): Promise<CachedFile> {
  const { cache, opts } = run;
  const what = artifactLabel(a);
  const shown = redactUrl(a.url);
  const key = ContentCache.keyOf(a.integrity, what);
  if (!opts.forceDownload) {
    const hit = await cache.check(key, a.size);
    if (hit.status === 'ok') {
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
  }
  if (/^file:/i.test(a.url)) return copyFileArtifact(a, key, what, shown, run);
  return downloadArtifact(a, key, what, shown, run);
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
 * Fetches every artifact, `concurrency` at a time; results in input order.
 * Artifacts with the same checksum are fetched once. After the first failure
 * no new download starts; those in flight finish (and stay cached), then the
 * first error is thrown.
 */
export async function fetchArtifacts(list: Artifact[], o: FetchOptions): Promise<CachedFile[]> {
  const opts = resolveOptions(o);
  const client = new HttpClient(opts);
  const run: Run = { cache: new ContentCache(opts.cacheDir), client, opts };
  const limit = pLimit(opts.concurrency);
  let firstError: { error: unknown } | undefined;
  const byIntegrity = new Map<string, Promise<CachedFile | undefined>>();
  try {
    const tasks = list.map((a) => {
      const shared = byIntegrity.get(a.integrity);
      if (shared) return shared;
      const task = limit(async () => {
        if (firstError || opts.signal?.aborted) return undefined;
        try {
          return await fetchOne(a, run);
        } catch (error) {
          firstError ??= { error };
          return undefined;
        }
      });
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
