// Index pages and repodata for the resolvers: fetched with the same client and
// retry policy as artifacts, written to a file (repodata can be hundreds of MB),
// and kept under <cache>/http-v1/ keyed by URL + request headers, revalidated
// with If-None-Match / If-Modified-Since (RFC 9110 section 13.1) so an unchanged
// page costs one 304.
//
//   <cache>/http-v1/ab/<sha256(url, headers)>.json         metadata (redacted URL, validators, body name)
//   <cache>/http-v1/ab/<sha256(url, headers)>.<rand>.body  the decoded body
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { limitKeyOf, overLimitError, type DocumentKind } from '../core/download-limits.js';
import { PackagerError } from '../core/errors.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { redactUrl } from '../core/redact.js';
import { ContentCache } from './content-cache.js';
import { deadlineError, diskError, isDiskError, httpStatusError, truncatedError, type Subject } from './fetch-errors.js';
import { header, HttpClient, type HttpResponse } from './http-client.js';
import { resolveOptions, type FetchOptions } from './options.js';
import { receiveBody } from './receive-body.js';
import { withRetry } from './retry.js';

export interface FetchDocumentOptions extends FetchOptions {
  /** Extra request headers, e.g. `accept: application/vnd.pypi.simple.v1+json` (PEP 691). */
  headers?: Record<string, string>;
  /** What it is, for its size limit (default `document`); a `file` has no whole-time limit. */
  kind?: DocumentKind;
}

export interface FetchedDocument {
  /** File holding the decoded body; valid until the next fetch of the same URL. */
  path: string;
  /** Final URL after redirects, redacted. */
  url: string;
  status: number;
  contentType?: string;
  etag?: string;
  lastModified?: string;
  /** True when the server answered 304 and the cached copy was used. */
  fromCache: boolean;
}

interface DocumentMeta {
  url: string;
  finalUrl: string;
  status: number;
  contentType?: string;
  etag?: string;
  lastModified?: string;
  body: string;
  size: number;
}

function cacheKey(url: string, headers: Record<string, string>): string {
  const h = Object.entries(headers)
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify([url, h])).digest('hex');
}

/** The cached copy, unless it is gone, damaged, or over today's limit (then it is fetched again, and refused). */
async function readMeta(file: string, maxBytes: number): Promise<DocumentMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(file, 'utf8')) as DocumentMeta;
    const st = await stat(path.join(path.dirname(file), meta.body));
    return st.size === meta.size && st.size <= maxBytes ? meta : undefined;
  } catch {
    return undefined;
  }
}

function decoder(res: HttpResponse): Transform | undefined {
  const enc = header(res.headers, 'content-encoding')?.trim().toLowerCase();
  if (!enc || enc === 'identity') return undefined;
  if (enc === 'gzip' || enc === 'x-gzip') return createGunzip();
  if (enc === 'deflate') return createInflate();
  if (enc === 'br') return createBrotliDecompress();
  return undefined;
}

function result(meta: DocumentMeta, dir: string, fromCache: boolean, finalUrl?: string): FetchedDocument {
  return {
    path: path.join(dir, meta.body),
    url: finalUrl ?? meta.finalUrl,
    status: meta.status,
    ...(meta.contentType ? { contentType: meta.contentType } : {}),
    ...(meta.etag ? { etag: meta.etag } : {}),
    ...(meta.lastModified ? { lastModified: meta.lastModified } : {}),
    fromCache,
  };
}

/**
 * GETs a document (index page, repodata) into the HTTP cache, revalidating a
 * cached copy. Its decoded size is limited by its kind, and, unless it is a
 * file, its whole time (retries included).
 */
export async function fetchDocument(url: string, o: FetchDocumentOptions): Promise<FetchedDocument> {
  const opts = resolveOptions(o);
  const cache = new ContentCache(opts.cacheDir);
  const client = new HttpClient(opts);
  const shown = redactUrl(url);
  const subject: Subject = { url: shown };
  const kind = o.kind ?? 'document';
  const limit = { key: limitKeyOf(kind), bytes: opts.limits[limitKeyOf(kind)] };
  // Lower-cased so a caller's `Accept-Encoding` replaces our default instead of doubling it.
  const extra = Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const key = cacheKey(url, extra);
  const dir = path.join(cache.dir, 'http-v1', key.slice(0, 2));
  const metaPath = path.join(dir, `${key}.json`);
  const cached = opts.forceDownload ? undefined : await readMeta(metaPath, limit.bytes);
  const deadline = kind === 'file' ? undefined : AbortSignal.timeout(opts.limits.documentTimeoutMs);
  const signal = deadline && opts.signal ? AbortSignal.any([opts.signal, deadline]) : (deadline ?? opts.signal);
  try {
    return await withRetry(
      { retries: opts.retries, minDelayMs: opts.minRetryDelayMs, maxDelayMs: opts.maxRetryDelayMs, signal },
      async () => {
        const headers: Record<string, string> = { 'accept-encoding': 'gzip, br', ...extra };
        if (cached?.etag) headers['if-none-match'] = cached.etag;
        if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
        opts.logger.debug(`Fetching ${shown}`);
        await mkdir(dir, { recursive: true }).catch((err) => {
          throw diskError(err, shown, dir);
        });
        const res = await client.get(url, { headers, signal, subject });
        const finalUrl = redactUrl(res.url);
        if (res.status === 304 && cached) {
          await res.body.dump().catch(() => {});
          opts.logger.debug(`Using cached ${shown} (not modified)`);
          return result(cached, dir, true, finalUrl);
        }
        if (res.status < 200 || res.status >= 300) {
          await res.body.dump().catch(() => {});
          throw httpStatusError(res.status, res.statusText, subject, res.headers['retry-after']);
        }
        const meta = await saveBody(res, { cache, client, dir, key, shown, subject, opts, signal, limit });
        const previous = cached?.body;
        await writeFileAtomic(metaPath, JSON.stringify({ ...meta, url: shown, finalUrl }, null, 1)).catch((err) => {
          throw diskError(err, shown, dir);
        });
        if (previous && previous !== meta.body) await rm(path.join(dir, previous), { force: true });
        return result({ ...meta, url: shown, finalUrl }, dir, false);
      },
      ({ attempt, of, delayMs, error }) => {
        opts.logger.warn(`Retrying ${shown} in ${(delayMs / 1000).toFixed(1)}s (attempt ${attempt} of ${of}): ${error.message}`);
        opts.onProgress({ type: 'retry', id: shown, attempt, delayMs, reason: error.message });
      },
    );
  } catch (err) {
    if (deadline?.aborted && !opts.signal?.aborted) throw deadlineError(subject, opts.limits.documentTimeoutMs);
    throw err;
  } finally {
    await client.close();
  }
}

async function saveBody(
  res: HttpResponse,
  ctx: {
    cache: ContentCache;
    client: HttpClient;
    dir: string;
    key: string;
    shown: string;
    subject: Subject;
    opts: ReturnType<typeof resolveOptions>;
    signal: AbortSignal | undefined;
    limit: { key: ReturnType<typeof limitKeyOf>; bytes: number };
  },
): Promise<Omit<DocumentMeta, 'url' | 'finalUrl'>> {
  const { cache, client, dir, key, shown, subject, opts, signal, limit } = ctx;
  const lengthHeader = header(res.headers, 'content-length');
  const expected = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const decode = decoder(res);
  const tooLarge = () => overLimitError({ url: shown, limit: limit.bytes, key: limit.key, decoded: decode !== undefined });
  // Nothing but blocking calls from here to receiveBody: the body must have its reader before its next chunk.
  let tmp: string | undefined;
  let fd: number | undefined;
  try {
    if (expected !== undefined && expected > limit.bytes) throw tooLarge();
    tmp = cache.tempPath('.body');
    fd = openSync(tmp, 'w');
  } catch (err) {
    res.body.destroy();
    if (tmp !== undefined) await rm(tmp, { force: true });
    throw err instanceof PackagerError ? err : diskError(err, shown, dir);
  }
  try {
    opts.onProgress({ type: 'start', id: shown, name: shown, ...(expected !== undefined ? { total: expected } : {}) });
    let wire = 0;
    const got = await receiveBody(res.body, {
      fd,
      maxBytes: limit.bytes,
      decoder: decode,
      onWire: (chunk) => opts.onProgress({ type: 'bytes', id: shown, bytes: (wire += chunk.length) }),
    });
    try {
      closeSync(fd);
    } catch (err) {
      got.writeError ??= err;
    }
    if (got.writeError) throw isDiskError(got.writeError) ? diskError(got.writeError, shown, cache.dir) : got.writeError;
    if (signal?.aborted) throw signal.reason ?? got.bodyError;
    if (got.overLimit) throw tooLarge();
    if (got.decodeError) {
      throw new PackagerError('ENETWORK', `Cannot fetch ${shown}: the compressed body is corrupt (${(got.decodeError as Error).message})`, { url: shown }, { cause: got.decodeError });
    }
    if (got.bodyError) {
      const mapped = client.toError(got.bodyError, subject);
      if (mapped.code === 'ENETWORK' && expected !== undefined && got.wireBytes < expected) throw truncatedError(subject, got.wireBytes, expected);
      throw mapped;
    }
    if (expected !== undefined && got.wireBytes < expected) throw truncatedError(subject, got.wireBytes, expected);
    const body = `${key}.${randomBytes(4).toString('hex')}.body`;
    try {
      await rename(tmp, path.join(dir, body));
    } catch (err) {
      throw diskError(err, shown, dir);
    }
    opts.onProgress({ type: 'done', id: shown, bytes: got.wireBytes, cached: false });
    const contentType = header(res.headers, 'content-type');
    const etag = header(res.headers, 'etag');
    const lastModified = header(res.headers, 'last-modified');
    return {
      status: res.status,
      ...(contentType ? { contentType } : {}),
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
      body,
      size: got.fileBytes,
    };
  } finally {
    await rm(tmp, { force: true });
  }
}
