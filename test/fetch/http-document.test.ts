import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/log.js';
import { fetchDocument } from '../../src/fetch/index.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, listFiles, origin, rejection } from './support.js';

const REPODATA = path.join(UPSTREAM, 'conda/conda/repodata/main_noarch.json');
const SIMPLE = path.join(UPSTREAM, 'pypi/simple-html/pypi-qypi.html');

describe('fetchDocument', () => {
  it('writes the body to a file and reports validators', async () => {
    const o = await origin({ files: { '/main/noarch/repodata.json': REPODATA } });
    const cacheDir = await tempDir();
    const doc = await fetchDocument(`${o.url}/main/noarch/repodata.json`, { cacheDir, ...FAST });
    expect(doc).toMatchObject({
      url: `${o.url}/main/noarch/repodata.json`,
      status: 200,
      contentType: 'application/octet-stream',
      etag: expect.stringMatching(/^"[0-9a-f]{40}"$/),
      lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT',
      fromCache: false,
    });
    expect(doc.path.startsWith(path.join(cacheDir, 'http-v1') + path.sep)).toBe(true);
    expect((await readFile(doc.path)).equals(await readFile(REPODATA))).toBe(true);
  });

  it('revalidates a cached copy with If-None-Match and uses it on 304', async () => {
    const o = await origin({ files: { '/repodata.json': REPODATA } });
    const cacheDir = await tempDir();
    const first = await fetchDocument(`${o.url}/repodata.json`, { cacheDir, ...FAST });
    const second = await fetchDocument(`${o.url}/repodata.json`, { cacheDir, ...FAST });
    expect(second).toEqual({ ...first, fromCache: true });
    expect(o.requests.map((r) => [r.headers['if-none-match'], r.headers['if-modified-since'], r.status])).toEqual([
      [undefined, undefined, 200],
      [first.etag, first.lastModified, 304],
    ]);
  });

  it('replaces the cached copy when the document changed, and drops the old body', async () => {
    const o = await origin({ files: { '/index.html': Buffer.from('<a>v1</a>') } });
    const cacheDir = await tempDir();
    const first = await fetchDocument(`${o.url}/index.html`, { cacheDir, ...FAST });
    o.setFile('/index.html', Buffer.from('<a>v2</a>'));
    const second = await fetchDocument(`${o.url}/index.html`, { cacheDir, ...FAST });
    expect(second.fromCache).toBe(false);
    expect(await readFile(second.path, 'utf8')).toBe('<a>v2</a>');
    expect(second.etag).not.toBe(first.etag);
    expect((await listFiles(path.join(cacheDir, 'http-v1'))).filter((f) => f.endsWith('.body'))).toHaveLength(1);
  });

  it('revalidates with If-Modified-Since when the server sends no ETag', async () => {
    const o = await origin({
      routes: {
        '/page': (req, res) => {
          if (req.headers['if-modified-since'] === 'Tue, 02 Jan 2024 00:00:00 GMT') {
            res.writeHead(304);
            return void res.end();
          }
          res.writeHead(200, { 'content-type': 'text/html', 'last-modified': 'Tue, 02 Jan 2024 00:00:00 GMT' });
          res.end('<html>page</html>');
        },
      },
    });
    const cacheDir = await tempDir();
    await fetchDocument(`${o.url}/page`, { cacheDir, ...FAST });
    const again = await fetchDocument(`${o.url}/page`, { cacheDir, ...FAST });
    expect(again).toMatchObject({ fromCache: true, contentType: 'text/html', lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' });
    expect(await readFile(again.path, 'utf8')).toBe('<html>page</html>');
  });

  it('sends no validators with forceDownload', async () => {
    const o = await origin({ files: { '/repodata.json': REPODATA } });
    const cacheDir = await tempDir();
    await fetchDocument(`${o.url}/repodata.json`, { cacheDir, ...FAST });
    const forced = await fetchDocument(`${o.url}/repodata.json`, { cacheDir, forceDownload: true, ...FAST });
    expect(forced.fromCache).toBe(false);
    expect(o.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it('negotiates with the Accept header and caches each representation apart (PEP 691)', async () => {
    const o = await origin({
      routes: {
        '/simple/qypi/': (req, res) => {
          const json = (req.headers.accept ?? '').includes('application/vnd.pypi.simple.v1+json');
          res.writeHead(200, { 'content-type': json ? 'application/vnd.pypi.simple.v1+json' : 'text/html', vary: 'Accept' });
          res.end(json ? '{"meta":{"api-version":"1.0"},"files":[]}' : '<html></html>');
        },
      },
    });
    const cacheDir = await tempDir();
    const url = `${o.url}/simple/qypi/`;
    const json = await fetchDocument(url, { cacheDir, headers: { Accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1' }, ...FAST });
    const html = await fetchDocument(url, { cacheDir, ...FAST });
    expect(json.contentType).toBe('application/vnd.pypi.simple.v1+json');
    expect(html.contentType).toBe('text/html');
    expect(await readFile(json.path, 'utf8')).toContain('api-version');
    expect(await readFile(html.path, 'utf8')).toBe('<html></html>');
    expect(o.requests[0]!.headers.accept).toBe('application/vnd.pypi.simple.v1+json, text/html;q=0.1');
  });

  it('decodes a gzip-encoded body', async () => {
    const html = await readFile(SIMPLE);
    const o = await origin({
      routes: {
        '/simple/qypi/': (_req, res) => {
          const body = gzipSync(html);
          res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': String(body.length) });
          res.end(body);
        },
      },
    });
    const doc = await fetchDocument(`${o.url}/simple/qypi/`, { cacheDir: await tempDir(), ...FAST });
    expect((await readFile(doc.path)).equals(html)).toBe(true);
    expect(o.requests[0]!.headers['accept-encoding']).toBe('gzip, br');
  });

  it('retries a 500 and a truncated body, then succeeds', async () => {
    const o = await origin({ files: { '/repodata.json': REPODATA }, faults: { '/repodata.json': [{ status: 500 }, { truncate: 100 }] } });
    const logger = new MemoryLogger();
    const doc = await fetchDocument(`${o.url}/repodata.json`, { cacheDir: await tempDir(), logger, ...FAST });
    expect((await readFile(doc.path)).equals(await readFile(REPODATA))).toBe(true);
    expect(o.requests).toHaveLength(3);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it('fails a 404 at once with EHTTP and the status', async () => {
    const o = await origin();
    const err = await rejection(fetchDocument(`${o.url}/simple/nope/`, { cacheDir: await tempDir(), ...FAST }));
    expect(err.code).toBe('EHTTP');
    expect(err.message).toBe(`Cannot fetch ${o.url}/simple/nope/: HTTP 404 Not Found`);
    expect(err.details).toMatchObject({ status: 404 });
    expect(o.requests).toHaveLength(1);
  });

  it('follows redirects and reports the final URL', async () => {
    const o = await origin({ files: { '/new/index.html': SIMPLE }, faults: { '/old/': [{ redirect: '/new/index.html', status: 301 }] } });
    const doc = await fetchDocument(`${o.url}/old/`, { cacheDir: await tempDir(), ...FAST });
    expect(doc.url).toBe(`${o.url}/new/index.html`);
  });
});
