// Downloads one artifact over HTTP into the cache: stream to a partial file
// under <cache>/tmp/ while hashing, verify, then rename into place. A partial
// left by an interrupted attempt (or a killed run) is resumed with
// `Range: bytes=<n>-` guarded by `If-Range: <validator>` (RFC 9110 section 13.1.5),
// so the origin sends either the rest of the same file (206) or all of the new
// one (200), never a splice of two versions.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PackagerError } from '../core/errors.js';
import type { Artifact } from '../core/artifact.js';
import { Digests, digestFile, type DigestResult } from './digests.js';
import type { ContentCache, ContentKey, Lease } from './content-cache.js';
import { diskError, isDiskError, httpStatusError, integrityError, sizeError, truncatedError, type Subject } from './fetch-errors.js';
import { header, type HttpClient, type HttpResponse } from './http-client.js';
import type { CachedFile, ResolvedOptions } from './options.js';
import { isTransient, transient, withRetry } from './retry.js';

export interface DownloadContext {
  cache: ContentCache;
  client: HttpClient;
  opts: ResolvedOptions;
}

interface AttemptResult {
  digests: DigestResult;
  /** Some bytes came from an earlier attempt or run. */
  resumed: boolean;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

// `bytes 100-199/1000` or `bytes */1000` (RFC 9110 section 14.4).
function parseContentRange(v: string | undefined): { start?: number; total?: number } | undefined {
  const m = v ? /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(v.trim()) : null;
  if (!m) return undefined;
  return {
    ...(m[1] !== undefined ? { start: Number(m[1]) } : {}),
    ...(m[2] !== '*' ? { total: Number(m[2]) } : {}),
  };
}

function contentLength(res: HttpResponse): number | undefined {
  const v = header(res.headers, 'content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

// If-Range needs a strong ETag; a weak one cannot prove the bytes are identical.
function validatorOf(res: HttpResponse): string | undefined {
  const etag = header(res.headers, 'etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return header(res.headers, 'last-modified');
}

/** Downloads `a` over HTTP(S), verifies it against `key`, and commits it to the cache. */
export async function downloadArtifact(a: Artifact, key: ContentKey, what: string, shown: string, ctx: DownloadContext): Promise<CachedFile> {
  const { cache, opts } = ctx;
  const subject: Subject = { what, url: shown };
  const id = shown;
  const lease = await cache.lease(key);
  let keepPartial = false;
  try {
    opts.logger.info(`Downloading ${what} from ${shown}`);
    opts.onProgress({ type: 'start', id, name: what, ...(a.size !== undefined ? { total: a.size } : {}) });
    let restartedAfterMismatch = false;
    for (;;) {
      const result = await withRetry(
        { retries: opts.retries, minDelayMs: opts.minRetryDelayMs, maxDelayMs: opts.maxRetryDelayMs, signal: opts.signal },
        () => attempt(a, lease, key, subject, ctx),
        ({ attempt: n, of, delayMs, error }) => {
          opts.logger.warn(`Retrying ${what} in ${(delayMs / 1000).toFixed(1)}s (attempt ${n} of ${of}): ${error.message}`);
          opts.onProgress({ type: 'retry', id, attempt: n, delayMs, reason: error.message });
        },
      );
      const found = key.algorithm === 'sha256' ? result.digests.sha256 : result.digests.md5!;
      const bad =
        a.size !== undefined && result.digests.size !== a.size
          ? sizeError(subject, a.size, result.digests.size)
          : found !== key.hex.toLowerCase()
            ? integrityError(subject, key.algorithm, key.hex.toLowerCase(), found)
            : undefined;
      if (bad) {
        await cache.discardPartial(lease);
        // A resume trusts the origin's If-Range handling; if the spliced file
        // does not verify, give the origin one clean chance before blaming the file.
        if (result.resumed && !restartedAfterMismatch) {
          restartedAfterMismatch = true;
          opts.logger.warn(`Resumed download of ${what} did not verify; downloading it again from the start`);
          continue;
        }
        throw bad;
      }
      const final = await cache.commit(lease.data, key);
      await rm(lease.meta, { force: true });
      opts.onProgress({ type: 'done', id, bytes: result.digests.size, cached: false });
      return { path: final, ...result.digests, fromCache: false };
    }
  } catch (err) {
    // Network trouble or an interrupted run leaves the partial for the next run
    // to resume; anything else (4xx, bad bytes, full disk) makes those bytes worthless.
    keepPartial = lease.shared && (isTransient(err) || opts.signal?.aborted === true);
    throw err;
  } finally {
    if (!keepPartial && lease.shared) await cache.discardPartial(lease);
    await lease.release();
  }
}

async function attempt(a: Artifact, lease: Lease, key: ContentKey, subject: Subject, ctx: DownloadContext): Promise<AttemptResult> {
  const { cache, client, opts } = ctx;
  const id = subject.url;
  const have = await sizeOf(lease.data);
  const meta = have > 0 ? await cache.readPartialMeta(lease) : undefined;
  const headers: Record<string, string> = {};
  let offset = 0;
  if (have > 0 && meta?.validator) {
    offset = have;
    headers.range = `bytes=${have}-`;
    headers['if-range'] = meta.validator;
  }

  const res = await client.get(a.url, { headers, signal: opts.signal, subject });
  let append = false;
  let total: number | undefined;
  const length = contentLength(res);

  if (res.status === 206 && offset > 0) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset) {
      await res.body.dump().catch(() => {});
      await cache.discardPartial(lease);
      throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server answered a resume with the wrong range`, { url: subject.url }));
    }
    append = true;
    total = range.total ?? (length !== undefined ? offset + length : undefined);
    opts.logger.debug(`Resuming ${subject.what} at byte ${offset}`);
  } else if (res.status === 416 && offset > 0) {
    await res.body.dump().catch(() => {});
    // The partial may already hold the whole file (killed between the last byte and the rename).
    if (parseContentRange(header(res.headers, 'content-range'))?.total === offset) {
      return { digests: await digestFile(lease.data, key.algorithm), resumed: true };
    }
    await cache.discardPartial(lease);
    throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server refused to resume at byte ${offset}`, { url: subject.url }));
  } else if (res.status >= 200 && res.status < 300 && res.status !== 206) {
    if (have > 0) opts.logger.debug(`Server sent all of ${subject.what} again (no range support or the file changed); starting over`);
    total = length;
  } else {
    await res.body.dump().catch(() => {});
    throw httpStatusError(res.status, res.statusText, subject, res.headers['retry-after']);
  }

  if (a.size !== undefined && total !== undefined && total !== a.size) {
    await res.body.dump().catch(() => {});
    await cache.discardPartial(lease);
    throw sizeError(subject, a.size, total);
  }

  const validator = validatorOf(res);
  try {
    // Written before the body so that a kill mid-body leaves a resumable partial.
    if (validator) await writeFile(lease.meta, JSON.stringify({ validator, url: subject.url }));
    else await rm(lease.meta, { force: true });
  } catch (err) {
    await res.body.dump().catch(() => {});
    throw diskError(err, subject.what, cache.dir);
  }

  const digests = new Digests(key.algorithm);
  if (append) {
    try {
      await digests.updateFromFile(lease.data, offset);
    } catch (err) {
      await res.body.dump().catch(() => {});
      throw diskError(err, subject.what, lease.data);
    }
  }
  let writeError: unknown;
  const out = createWriteStream(lease.data, { flags: append ? 'a' : 'w' });
  out.on('error', (err) => {
    writeError ??= err;
  });
  try {
    await pipeline(
      res.body,
      digests.tap((n) => opts.onProgress({ type: 'bytes', id, bytes: n })),
      out,
    );
  } catch (err) {
    if (!out.closed) await once(out, 'close').catch(() => {});
    if (isDiskError(writeError)) throw diskError(writeError, subject.what, cache.dir);
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    const mapped = client.toError(err, subject);
    if (mapped.code === 'ENETWORK' && total !== undefined && digests.size < total) {
      throw truncatedError(subject, digests.size, total);
    }
    throw mapped;
  }
  if (total !== undefined && digests.size !== total) throw truncatedError(subject, digests.size, total);
  return { digests: digests.finish(), resumed: append };
}
