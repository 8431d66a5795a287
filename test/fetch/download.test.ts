import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, type ProgressEvent } from '../../src/core/log.js';
import { fetchArtifact } from '../../src/fetch/index.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, listFiles, origin, rejection, ZLIB, zlibArtifact } from './support.js';

async function setup(faults: Parameters<typeof origin>[0] = {}) {
  const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, ...faults });
  const cacheDir = await tempDir();
  const logger = new MemoryLogger();
  const events: ProgressEvent[] = [];
  const opts = { cacheDir, logger, onProgress: (e: ProgressEvent) => events.push(e), ...FAST };
  return { o, cacheDir, logger, events, opts, url: o.url + ZLIB.urlPath };
}

async function expectCachedZlib(file: { path: string; sha256: string; size: number }, cacheDir: string) {
  expect(file.sha256).toBe(ZLIB.sha256);
  expect(file.size).toBe(ZLIB.size);
  expect(file.path).toBe(path.join(cacheDir, 'content-v2/sha256', ZLIB.sha256));
  expect((await readFile(file.path)).equals(await readFile(ZLIB.file))).toBe(true);
}

describe('downloads with faults', () => {
  it('downloads, verifies and caches a file under its sha256', async () => {
    const { o, cacheDir, logger, events, opts, url } = await setup();
    const f = await fetchArtifact(zlibArtifact(url), opts);
    await expectCachedZlib(f, cacheDir);
    expect(f.fromCache).toBe(false);
    expect(f.integrity).toBe('sha256-' + Buffer.from(ZLIB.sha256, 'hex').toString('base64'));
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
    expect(logger.lines).toContainEqual({ level: 'info', message: `Downloading zlib 1.2.11 from ${url}` });
    expect(events[0]).toEqual({ type: 'start', id: url, name: 'zlib 1.2.11', total: ZLIB.size });
    expect(events.at(-1)).toEqual({ type: 'done', id: url, bytes: ZLIB.size, cached: false });
    expect(events.filter((e) => e.type === 'bytes').at(-1)).toEqual({ type: 'bytes', id: url, bytes: ZLIB.size });
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('retries a 500 and then succeeds', async () => {
    const { o, cacheDir, logger, events, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ status: 500 }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), opts), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringMatching(/^Retrying zlib 1\.2\.11 in \d+\.\ds \(attempt 2 of 6\): Cannot download zlib 1\.2\.11 from .*: HTTP 500 Internal Server Error$/),
    ]);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('waits as long as Retry-After says on a 503 (capped by maxRetryDelayMs)', async () => {
    const { o, cacheDir, events, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ status: 503, retryAfter: 1 }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), { ...opts, maxRetryDelayMs: 150 }), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
    // backoff alone would wait ~1ms (minRetryDelayMs): 150 can only come from Retry-After: 1 capped at 150.
    expect(events.filter((e) => e.type === 'retry')).toEqual([
      { type: 'retry', id: url, attempt: 2, delayMs: 150, reason: expect.stringContaining('HTTP 503') },
    ]);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const soon = new Date(Date.now() + 60_000).toUTCString();
    const { events, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ status: 429, retryAfter: soon }] } });
    await fetchArtifact(zlibArtifact(url), { ...opts, maxRetryDelayMs: 120 });
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([120]);
  });

  it('resumes with Range after a connection reset mid-body', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ reset: 50_000 }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), opts), cacheDir);
    const reqs = o.requestsFor(ZLIB.urlPath);
    expect(reqs).toHaveLength(2);
    expect(reqs[0]!.headers.range).toBeUndefined();
    // every byte that arrived before the reset was kept: the resume asks for exactly the rest
    expect(reqs[1]!.headers.range).toBe('bytes=50000-');
    expect(reqs[1]!.headers['if-range']).toMatch(/^"[0-9a-f]{40}"$/);
    expect(reqs[1]!.status).toBe(206);
  });

  it('retries a body truncated below its Content-Length', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ truncate: 30_000 }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), opts), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
  });

  it('fails with ENETWORK naming the bytes received when every attempt is truncated', async () => {
    const faults = Array.from({ length: 3 }, () => ({ truncate: 1000 }));
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: faults }, ranges: false });
    const err = await rejection(fetchArtifact(zlibArtifact(url), { ...opts, retries: 2 }));
    expect(err.code).toBe('ENETWORK');
    expect(err.message).toBe(
      `Cannot download zlib 1.2.11 from ${url}: the connection closed after 1000 of ${ZLIB.size} bytes (gave up after 3 attempts)`,
    );
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(3);
    expect(await listFiles(path.join(cacheDir, 'content-v2'))).toEqual([]);
  });

  it('times out a stalled body and succeeds on the retry', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ stall: true }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), { ...opts, bodyTimeoutMs: 200 }), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
  });

  it('fails with ETIMEOUT when the body stalls on every attempt', async () => {
    const { cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ stall: true }, { stall: true }] } });
    const err = await rejection(fetchArtifact(zlibArtifact(url), { ...opts, bodyTimeoutMs: 150, retries: 1 }));
    expect(err.code).toBe('ETIMEOUT');
    expect(err.message).toBe(`Cannot download zlib 1.2.11 from ${url}: the body stalled for 0.15s (gave up after 2 attempts)`);
    expect(await listFiles(path.join(cacheDir, 'content-v2'))).toEqual([]);
  });

  it('fails with ETIMEOUT when headers never come', async () => {
    const { opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ delayHeadersMs: 2000 }] } });
    const err = await rejection(fetchArtifact(zlibArtifact(url), { ...opts, headersTimeoutMs: 150, retries: 0 }));
    expect(err.code).toBe('ETIMEOUT');
    expect(err.message).toContain('no response headers within 0.15s');
  });

  it('accepts a slow body whose chunks come within bodyTimeoutMs', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ slow: { chunk: 16_384, intervalMs: 40 } }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url), { ...opts, bodyTimeoutMs: 1000 }), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
  });

  it('follows a redirect chain', async () => {
    const { o, cacheDir, opts } = await setup({
      faults: { '/r1': [{ redirect: '/r2' }], '/r2': [{ redirect: ZLIB.urlPath, status: 301 }] },
    });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(o.url + '/r1'), opts), cacheDir);
    expect(o.requests.map((r) => r.path)).toEqual(['/r1', '/r2', ZLIB.urlPath]);
  });

  it('fails a redirect loop with EHTTP naming the URL, without retrying', async () => {
    const loop = Array.from({ length: 20 }, () => ({ redirect: '/b' }));
    const back = Array.from({ length: 20 }, () => ({ redirect: '/a' }));
    const { o, opts } = await setup({ faults: { '/a': loop, '/b': back } });
    const err = await rejection(fetchArtifact(zlibArtifact(o.url + '/a'), opts));
    expect(err.code).toBe('EHTTP');
    expect(err.message).toBe(`Cannot download zlib 1.2.11 from ${o.url}/a: redirect loop`);
    expect(o.requests.map((r) => r.path)).toEqual(['/a', '/b']);
  });

  it('fails after more than 10 redirects', async () => {
    const faults = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`/h${i}`, [{ redirect: `/h${i + 1}` }]]));
    const { o, opts } = await setup({ faults });
    const err = await rejection(fetchArtifact(zlibArtifact(o.url + '/h0'), opts));
    expect(err.code).toBe('EHTTP');
    expect(err.message).toBe(`Cannot download zlib 1.2.11 from ${o.url}/h0: too many redirects`);
    expect(o.requests).toHaveLength(11);
  });

  it('fails a 404 at once, without retrying', async () => {
    const { o, cacheDir, opts } = await setup();
    const url = o.url + '/missing.tar.bz2';
    const err = await rejection(fetchArtifact(zlibArtifact(url), opts));
    expect(err.code).toBe('EHTTP');
    expect(err.details).toMatchObject({ status: 404, url });
    expect(err.message).toBe(`Cannot download zlib 1.2.11 from ${url}: HTTP 404 Not Found`);
    expect(o.requests).toHaveLength(1);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('reports wrong bytes as EINTEGRITY and keeps them out of the cache', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ wrongBytes: true }] } });
    const err = await rejection(fetchArtifact(zlibArtifact(url), opts));
    expect(err.code).toBe('EINTEGRITY');
    expect(err.message).toBe(`Checksum mismatch for zlib 1.2.11 from ${url}`);
    expect(err.details).toMatchObject({
      url,
      wanted: `sha256 ${ZLIB.sha256}`,
      found: expect.stringMatching(/^sha256 [0-9a-f]{64}$/),
      hint: expect.stringContaining('upstream file changed or the manifest sha256 is wrong'),
    });
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('reports a Content-Length that differs from the published size as ESIZE', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ wrongLength: 1000 }] } });
    const err = await rejection(fetchArtifact(zlibArtifact(url), opts));
    expect(err.code).toBe('ESIZE');
    expect(err.details).toMatchObject({ wanted: `${ZLIB.size} bytes`, found: '1000 bytes' });
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('reports a short Content-Length as EINTEGRITY when no size is published', async () => {
    const { cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ wrongLength: 1000 }] } });
    const err = await rejection(fetchArtifact(zlibArtifact(url, { size: undefined }), opts));
    expect(err.code).toBe('EINTEGRITY');
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('retries when a Content-Length promises more than is sent', async () => {
    const { o, cacheDir, opts, url } = await setup({ faults: { [ZLIB.urlPath]: [{ wrongLength: ZLIB.size + 10 }] } });
    await expectCachedZlib(await fetchArtifact(zlibArtifact(url, { size: undefined }), { ...opts, bodyTimeoutMs: 200 }), cacheDir);
    expect(o.requestsFor(ZLIB.urlPath).length).toBeGreaterThanOrEqual(2);
  });

  it('fails with ENETWORK and a TLS hint when https:// points at a plain-http port', async () => {
    const { o, opts } = await setup();
    const url = `https://127.0.0.1:${o.port}${ZLIB.urlPath}`;
    const err = await rejection(fetchArtifact(zlibArtifact(url), opts));
    expect(err.code).toBe('ENETWORK');
    expect(err.message).toBe(`Cannot download zlib 1.2.11 from ${url}: TLS handshake failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)`);
    expect(err.details?.hint).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('retries a refused connection, then fails with ENETWORK', async () => {
    const { o, opts, events } = await setup();
    const url = o.url + ZLIB.urlPath;
    await o.close();
    const err = await rejection(fetchArtifact(zlibArtifact(url), { ...opts, retries: 2 }));
    expect(err.code).toBe('ENETWORK');
    expect(err.message).toMatch(/ECONNREFUSED.*\(gave up after 3 attempts\)$/);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });
});
