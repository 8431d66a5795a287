// Downloads one artifact over HTTP into the cache: stream to a partial file
// under <cache>/tmp/ while hashing, verify, then rename into place. A partial
// left by an interrupted attempt (or a killed run) is resumed with
// `Range: bytes=<n>-` guarded by `If-Range: <validator>` (RFC 9110 section 13.1.5),
// so the origin sends either the rest of the same file (206) or all of the new
// one (200), never a splice of two versions.
import { PackagerError } from '../core/errors.js';
import type { Artifact } from '../core/artifact.js';
import { Digests, digestFile, type DigestResult } from './digests.js';
import type { ContentCache, ContentKey, Lease } from './content-cache.js';
import { statPath, unlinkIfPresent } from './quick-fs.js';
import { rememberVerified } from './verified-files.js';
import { diskError, httpStatusError, isDiskError, integrityError, sizeError, truncatedError, type Subject } from './fetch-errors.js';
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
  /** The hash worker removed the partial's validator when it closed the file (the body was complete). */
  validatorGone: boolean;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await statPath(file)).size;
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
  // once renamed into the cache, the partial and its validator are gone: nothing to discard
  let committed = false;
  try {
    opts.logger.info(`Downloading ${what} from ${shown}`);
    opts.onProgress({ type: 'start', id, name: what, ...(a.size !== undefined ? { total: a.size } : {}) });
    let restartedAfterMismatch = false;
    // Until an attempt has written to it, a partial exists only if one was in tmp/ when the run looked.
    let mayHavePartial = lease.hadPartial;
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
      // The validator goes first (the hash worker removed it when it closed a
      // complete body): a kill between the two steps then leaves a partial
      // without one (restarted next time), never a validator whose partial
      // was already committed (an orphan no later run would lease).
      if (!result.validatorGone) await unlinkIfPresent(lease.meta);
      const final = await cache.commit(lease.data, key);
      committed = true;
      await rememberVerified(final, result.digests);
      opts.onProgress({ type: 'done', id, bytes: result.digests.size, cached: false });
      return { path: final, ...result.digests, fromCache: false };
    }
  } catch (err) {
    // Network trouble or an interrupted run leaves the partial for the next run
    // to resume; anything else (4xx, bad bytes, full disk) makes those bytes worthless.
    keepPartial = lease.shared && (isTransient(err) || opts.signal?.aborted === true);
    throw err;
  } finally {
    if (!keepPartial && !committed && lease.shared) await cache.discardPartial(lease);
    await lease.release();
  }
}

/** One request for `a` into the lease's partial; `fresh`: no partial can exist yet (no stat needed). */
async function attempt(a: Artifact, lease: Lease, key: ContentKey, subject: Subject, ctx: DownloadContext, fresh: boolean): Promise<AttemptResult> {
  const { cache, client, opts } = ctx;
  const id = subject.url;
  const have = fresh ? 0 : await sizeOf(lease.data);
  const meta = have > 0 ? await cache.readPartialMeta(lease) : undefined;
  const headers: Record<string, string> = {};
  let offset = 0;
  // Hash the bytes we already have before asking for the rest, so a large
  // partial is never read while the response waits (and its body timer runs).
  let resumeDigests: Digests | undefined;
  if (have > 0 && meta?.validator) {
    offset = have;
    headers.range = `bytes=${have}-`;
    headers['if-range'] = meta.validator;
    resumeDigests = new Digests(key.algorithm);
    try {
      await resumeDigests.updateFromFile(lease.data, offset);
    } catch (err) {
      resumeDigests.abort();
      throw diskError(err, subject.what, lease.data);
    }
  }

  let res: HttpResponse;
  try {
    res = await client.get(a.url, { headers, signal: opts.signal, subject });
  } catch (err) {
    resumeDigests?.abort();
    throw err;
  }
  let append = false;
  let total: number | undefined;
  const length = contentLength(res);
  // The resume hash is only used for a 206 that continues the partial.
  const dropResume = () => resumeDigests?.abort();

  if (res.status === 206 && offset > 0) {
    const range = parseContentRange(header(res.headers, 'content-range'));
    if (range?.start !== offset) {
      dropResume();
      await res.body.dump().catch(() => {});
      await cache.discardPartial(lease);
      throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server answered a resume with the wrong range`, { url: subject.url }));
    }
    append = true;
    total = range.total ?? (length !== undefined ? offset + length : undefined);
    opts.logger.debug(`Resuming ${subject.what} at byte ${offset}`);
  } else if (res.status === 416 && offset > 0) {
    dropResume();
    await res.body.dump().catch(() => {});
    // The partial may already hold the whole file (killed between the last byte and the rename).
    if (parseContentRange(header(res.headers, 'content-range'))?.total === offset) {
      return { digests: await digestFile(lease.data, key.algorithm), resumed: true, validatorGone: false };
    }
    await cache.discardPartial(lease);
    throw transient(new PackagerError('ENETWORK', `Cannot download ${subject.what} from ${subject.url}: the server refused to resume at byte ${offset}`, { url: subject.url }));
  } else if (res.status >= 200 && res.status < 300 && res.status !== 206) {
    dropResume();
    if (have > 0) opts.logger.debug(`Server sent all of ${subject.what} again (no range support or the file changed); starting over`);
    total = length;
  } else {
    dropResume();
    await res.body.dump().catch(() => {});
    throw httpStatusError(res.status, res.statusText, subject, res.headers['retry-after']);
  }

  if (a.size !== undefined && total !== undefined && total !== a.size) {
    resumeDigests?.abort();
    await res.body.dump().catch(() => {});
    await cache.discardPartial(lease);
    throw sizeError(subject, a.size, total);
  }

  // The body is drained from this tick on: bytes left waiting in its buffer
  // would be dropped if the connection then failed. A hash worker writes them
  // to the partial file as it hashes them (hash-pool.ts), so the main thread
  // only moves bytes from the socket to the worker. The worker also saves the
  // validator beside the partial as it opens it, so a kill mid-body leaves a
  // resumable partial (a partial without one is simply restarted, never
  // spliced), and removes it when it closes a complete body.
  const validator = validatorOf(res);
  const digests = append && resumeDigests ? resumeDigests : new Digests(key.algorithm);
  let result: DigestResult;
  let complete = false;
  try {
    // The worker opens (truncates) the partial only with the first batch, and
    // writes the new validator just after: old bytes must not meet it after a kill.
    if (!append && have > 0) {
      try {
        await unlinkIfPresent(lease.data);
      } catch (err) {
        throw diskError(err, subject.what, lease.data);
      }
    }
    digests.writeTo(lease.data, { append, sidecar: { file: lease.meta, text: validator ? JSON.stringify({ validator, url: subject.url }) : undefined } });
    const bodyError = await drainInto(res.body, digests, () => opts.onProgress({ type: 'bytes', id, bytes: digests.size }));
    // No later attempt resumes a complete body: its validator can go with the close.
    complete = bodyError === undefined && (total === undefined || digests.size === total);
    // Every byte that arrived is on file once finish() returns, also after a
    // network error: each is one the resume does not fetch again.
    let writeError: unknown;
    try {
      result = await digests.finish({ dropSidecar: complete });
    } catch (err) {
      writeError = err;
    }
    if (writeError) throw isDiskError(writeError) ? diskError(writeError, subject.what, cache.dir) : writeError;
    if (bodyError) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? bodyError;
      const mapped = client.toError(bodyError, subject);
      if (mapped.code === 'ENETWORK' && total !== undefined && digests.size < total) {
        throw truncatedError(subject, digests.size, total);
      }
      throw mapped;
    }
    if (total !== undefined && result!.size !== total) throw truncatedError(subject, result!.size, total);
  } catch (err) {
    digests.abort();
    throw err;
  }
  return { digests: result!, resumed: append, validatorGone: complete };
}

/**
 * Feeds `body` to `digests` (whose worker writes it to the partial file) until
 * it ends; resolves with the body's error, if any. Flowing mode, so no chunk
 * waits in the body's buffer to be dropped by a failing connection; the body
 * pauses while the worker has too much queued.
 */
function drainInto(body: HttpResponse['body'], digests: Digests, onBytes: () => void): Promise<unknown> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (bodyError?: unknown) => {
      if (settled) return;
      settled = true;
      resolve(bodyError);
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      const ok = digests.update(chunk);
      onBytes();
      if (ok) return;
      body.pause();
      digests.drained().then(
        () => {
          if (!settled) body.resume();
        },
        () => {
          // the worker failed (a write error): finish() reports it
          body.destroy();
          done();
        },
      );
    });
    body.on('end', () => done());
    body.on('error', (err) => done(err));
  });
}
