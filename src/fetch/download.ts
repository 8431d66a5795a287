// Downloads one artifact over HTTP into the cache: stream to a partial file
// under <cache>/tmp/ while hashing, verify, then rename into place. A partial
// left by an interrupted attempt (or a killed run) is resumed with
// `Range: bytes=<n>-` guarded by `If-Range: <validator>` (RFC 9110 section 13.1.5),
// so the origin sends either the rest of the same file (206) or all of the new
// one (200), never a splice of two versions.
import { closeSync, openSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { overLimitError } from '../core/download-limits.js';
import { PackagerError } from '../core/errors.js';
import type { Artifact } from '../core/artifact.js';
import { Digester, digestFile, feedFile, hexOf, integrityOf, type FileDigests } from './digests.js';
import type { ContentCache, ContentKey, Lease } from './content-cache.js';
import { diskError, httpStatusError, isDiskError, integrityError, longerThanPublishedError, sizeError, truncatedError, type Subject } from './fetch-errors.js';
import { header, type HttpClient, type HttpResponse } from './http-client.js';
import type { CachedFile, ResolvedOptions } from './options.js';
import { receiveBody } from './receive-body.js';
import { isTransient, transient, withRetry } from './retry.js';

export interface DownloadContext {
  cache: ContentCache;
  client: HttpClient;
  opts: ResolvedOptions;
}

interface AttemptResult {
  digests: FileDigests;
  /** Some bytes came from an earlier attempt or run. */
  resumed: boolean;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
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

/** Downloads `a` over HTTP(S), verifies it against `key`, and publishes it in the cache. */
export async function downloadArtifact(a: Artifact, key: ContentKey, what: string, shown: string, ctx: DownloadContext): Promise<CachedFile> {
  const { cache, opts } = ctx;
  const subject: Subject = { what, url: shown };
  const id = shown;
  const lease = await cache.lease(key);
  // Network trouble or an interrupted run leaves the partial for a later run
  // to resume; anything else (4xx, bad bytes, full disk) makes those bytes worthless.
  let discard = true;
  try {
    opts.logger.info(`Downloading ${what} from ${shown}`);
    opts.onProgress({ type: 'start', id, name: what, ...(a.size !== undefined ? { total: a.size } : {}) });
    let restartedAfterMismatch = false;
    // Until an attempt has written to it, the partial exists only if the lease took one over.
    let mayHavePartial = lease.resumable;
    for (;;) {
      const result = await withRetry(
        { retries: opts.retries, minDelayMs: opts.minRetryDelayMs, maxDelayMs: opts.maxRetryDelayMs, signal: opts.signal },
        () => {
          const fresh = !mayHavePartial;
          mayHavePartial = true;
          return attempt(a, lease, key, subject, ctx, fresh);
        },
        ({ attempt: n, of, delayMs, error }) => {
          opts.logger.warn(`Retrying ${what} in ${(delayMs / 1000).toFixed(1)}s (attempt ${n} of ${of}): ${error.message}`);
          opts.onProgress({ type: 'retry', id, attempt: n, delayMs, reason: error.message });
        },
      );
      const found = hexOf(result.digests, key.algorithm)!;
      const bad =
        a.size !== undefined && result.digests.size !== a.size
          ? sizeError(subject, a.size, result.digests.size)
          : found !== key.hex.toLowerCase()
            ? integrityError(subject, key.algorithm, key.hex.toLowerCase(), found)
            : undefined;
      if (bad) {
        cache.discardPartial(lease.data);
        // A resume trusts the origin's If-Range handling; if the spliced file
        // does not verify, give the origin one clean chance before blaming the file.
        if (result.resumed && !restartedAfterMismatch) {
          restartedAfterMismatch = true;
          opts.logger.warn(`Resumed download of ${what} did not verify; downloading it again from the start`);
          continue;
        }
        throw bad;
      }
      // The validator goes first: a kill between the two steps then leaves a
      // partial without one (restarted next time), never an orphan validator.
      removeIfPresent(lease.meta);
      const final = cache.publish(lease.data, key);
      opts.onProgress({ type: 'done', id, bytes: result.digests.size, cached: false });
      return { path: final, ...result.digests, integrity: integrityOf(result.digests), fromCache: false };
    }
  } catch (err) {
    discard = !(isTransient(err) || opts.signal?.aborted === true);
    throw err;
  } finally {
    lease.release({ discard });
  }
}

/** One request for `a` into the lease's partial; `fresh`: no partial can exist yet (no stat needed). */
async function attempt(a: Artifact, lease: Lease, key: ContentKey, subject: Subject, ctx: DownloadContext, fresh: boolean): Promise<AttemptResult> {
  const { cache, client, opts } = ctx;
  const id = subject.url;
  const have = fresh ? 0 : sizeOf(lease.data);
  const meta = have > 0 ? await cache.readPartialMeta(lease) : undefined;
  const headers: Record<string, string> = {};
  let offset = 0;
  // Hash the bytes we already have before asking for the rest, so a large
  // partial is never read while the response waits (and its body timer runs).
  let digester = new Digester({ md5: key.algorithm === 'md5' });
  if (have > 0 && meta?.validator) {
    offset = have;
    headers.range = `bytes=${have}-`;
    headers['if-range'] = meta.validator;
    try {
      feedFile(digester, lease.data, 0, offset);
    } catch (err) {
      throw diskError(err, subject.what, lease.data);
    }
  }

  const res = await client.get(a.url, { headers, signal: opts.signal, subject });
  let append = false;
  let total: number | undefined;
  const length = contentLength(res);

  if (res.status === 206 && offset > 0) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset) {
      await res.body.dump().catch(() => {});
      cache.discardPartial(lease.data);
      throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server answered a resume with the wrong range`, { url: subject.url }));
    }
    append = true;
    total = range.total ?? (length !== undefined ? offset + length : undefined);
    opts.logger.debug(`Resuming ${subject.what} at byte ${offset}`);
  } else if (res.status === 416 && offset > 0) {
    await res.body.dump().catch(() => {});
    // The partial may already hold the whole file (killed between the last byte and the rename).
    if (parseContentRange(header(res.headers, 'content-range'))?.total === offset) {
      return { digests: digestFile(lease.data, key.algorithm), resumed: true };
    }
    cache.discardPartial(lease.data);
    throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server refused to resume at byte ${offset}`, { url: subject.url }));
  } else if (res.status >= 200 && res.status < 300 && res.status !== 206) {
    if (have > 0) opts.logger.debug(`Server sent all of ${subject.what} again (no range support or the file changed); starting over`);
    total = length;
  } else {
    await res.body.dump().catch(() => {});
    throw httpStatusError(res.status, res.statusText, subject, res.headers['retry-after']);
  }
  if (!append) digester = new Digester({ md5: key.algorithm === 'md5' });

  if (a.size !== undefined && total !== undefined && total !== a.size) {
    await res.body.dump().catch(() => {});
    cache.discardPartial(lease.data);
    throw sizeError(subject, a.size, total);
  }
  // A published size cuts the body there; without one, the limit for files does.
  const max = a.size ?? opts.limits.fileBytes;
  const tooLong = () =>
    a.size !== undefined ? longerThanPublishedError(subject, a.size) : overLimitError({ what: subject.what, url: subject.url, limit: max, key: 'fileBytes' });
  if (total !== undefined && total > max) {
    res.body.destroy();
    cache.discardPartial(lease.data);
    throw tooLong();
  }

  // Old bytes and their validator go before the new body's first byte, and the
  // new validator is written once the file is new: after a kill, a validator
  // never sits beside bytes of another response (a partial without one is
  // restarted, never spliced).
  const validator = validatorOf(res);
  if (!append && !fresh) cache.discardPartial(lease.data);
  // Nothing but blocking calls from here to receiveBody: the body must have its reader before its next chunk.
  let fd: number | undefined;
  try {
    fd = openSync(lease.data, append ? 'a' : 'w');
    if (!append && validator) writeFileSync(lease.meta, JSON.stringify({ validator, url: subject.url }));
  } catch (err) {
    res.body.destroy();
    if (fd !== undefined) closeSync(fd);
    throw isDiskError(err) ? diskError(err, subject.what, cache.dir) : err;
  }
  const got = await receiveBody(res.body, {
    fd,
    maxBytes: max - (append ? offset : 0),
    onWire: (chunk) => {
      digester.update(chunk);
      opts.onProgress({ type: 'bytes', id, bytes: digester.size });
    },
  });
  try {
    closeSync(fd);
  } catch (err) {
    got.writeError ??= err;
  }
  // Every byte that arrived is on file by now, also after a network error:
  // each is one the resume does not fetch again.
  if (got.writeError) throw isDiskError(got.writeError) ? diskError(got.writeError, subject.what, cache.dir) : got.writeError;
  if (got.overLimit) {
    // Not kept for a resume: the same origin would send too much again.
    cache.discardPartial(lease.data);
    throw tooLong();
  }
  if (got.bodyError) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? got.bodyError;
    const mapped = client.toError(got.bodyError, subject);
    if (mapped.code === 'ENETWORK' && total !== undefined && digester.size < total) {
      throw truncatedError(subject, digester.size, total);
    }
    throw mapped;
  }
  if (total !== undefined && digester.size !== total) throw truncatedError(subject, digester.size, total);
  return { digests: digester.digest(), resumed: append };
}
