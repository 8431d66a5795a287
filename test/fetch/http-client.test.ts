import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, type ProgressEvent } from '../../src/core/log.js';
import { fetchArtifact, fetchDocument } from '../../src/fetch/index.js';
import { prepareUrl } from '../../src/fetch/http-client.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, listFiles, origin, partialOf, rejection, ZLIB, zlibArtifact } from './support.js';

const PASSWORD = 's3cr3t-Pa55';
const TOKEN = 'tk-9f8e7d6c-SECRET';

/** Everything a user or a file could ever show: logs, events, errors, and every cache file's name and bytes. */
async function everythingVisible(cacheDir: string, logger: MemoryLogger, events: ProgressEvent[], extra: unknown[] = []): Promise<string> {
  const parts = [logger.text(), JSON.stringify(events)];
  for (const x of extra) {
    parts.push(JSON.stringify(x), String(x));
    if (x instanceof Error) parts.push(x.message, x.stack ?? '', JSON.stringify((x as { details?: unknown }).details));
  }
  for (const f of await listFiles(cacheDir)) {
    parts.push(f, (await readFile(path.join(cacheDir, f))).toString('latin1'));
  }
  return parts.join('\n');
}

async function setup() {
  const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file, [`/t/${TOKEN}/main/zlib.tar.bz2`]: ZLIB.file } });
  const cacheDir = await tempDir();
  const logger = new MemoryLogger();
  const events: ProgressEvent[] = [];
  return { o, cacheDir, logger, events, opts: { cacheDir, logger, onProgress: (e: ProgressEvent) => events.push(e), ...FAST } };
}

describe('credentials in URLs', () => {
  it('sends user:pass as Basic auth and never shows the password', async () => {
    const { o, cacheDir, logger, events, opts } = await setup();
    const url = `http://ci-bot:${PASSWORD}@127.0.0.1:${o.port}${ZLIB.urlPath}`;
    const f = await fetchArtifact(zlibArtifact(url), opts);
    const [req] = o.requestsFor(ZLIB.urlPath);
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from(`ci-bot:${PASSWORD}`).toString('base64')}`);
    expect(req!.url).toBe(ZLIB.urlPath);
    expect(logger.lines).toContainEqual({
      level: 'info',
      message: `Downloading zlib 1.2.11 from http://-redacted-:-redacted-@127.0.0.1:${o.port}${ZLIB.urlPath}`,
    });
    const seen = await everythingVisible(cacheDir, logger, events, [f]);
    expect(seen).not.toContain(PASSWORD);
    expect(seen).not.toContain(Buffer.from(`ci-bot:${PASSWORD}`).toString('base64'));
  });

  it('decodes percent-encoded userinfo before building the header', () => {
    expect(prepareUrl('https://me%40corp:p%3Ass@h/x?q=1')).toEqual({
      url: 'https://h/x?q=1',
      authorization: `Basic ${Buffer.from('me@corp:p:ss').toString('base64')}`,
    });
    expect(prepareUrl('https://h/x')).toEqual({ url: 'https://h/x' });
  });

  it('keeps a /t/<token>/ path in the request and redacts it everywhere else', async () => {
    const { o, cacheDir, logger, events, opts } = await setup();
    const url = `${o.url}/t/${TOKEN}/main/zlib.tar.bz2`;
    const f = await fetchArtifact(zlibArtifact(url), opts);
    expect(o.requests.map((r) => r.path)).toEqual([`/t/${TOKEN}/main/zlib.tar.bz2`]);
    expect(logger.text()).toContain(`${o.url}/t/-redacted-/main/zlib.tar.bz2`);
    expect(await everythingVisible(cacheDir, logger, events, [f])).not.toContain(TOKEN);
  });

  it('keeps credentials out of errors, retry lines and partial files', async () => {
    const { o, cacheDir, logger, events, opts } = await setup();
    o.setFaults(`/t/${TOKEN}/main/zlib.tar.bz2`, [{ status: 503 }, { reset: 40_000 }]);
    const url = `http://ci-bot:${PASSWORD}@127.0.0.1:${o.port}/t/${TOKEN}/main/zlib.tar.bz2`;
    const err = await rejection(fetchArtifact(zlibArtifact(url), { ...opts, retries: 1 }));
    expect(err.code).toBe('ENETWORK');
    const partial = path.basename((await partialOf(cacheDir, ZLIB.sha256))!);
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([partial, `${partial}.json`]);
    const missing = await rejection(fetchArtifact(zlibArtifact(url.replace('zlib.tar.bz2', 'nope.tar.bz2')), opts));
    expect(missing.code).toBe('EHTTP');
    expect(missing.message).toBe(`Cannot download zlib 1.2.11 from http://-redacted-:-redacted-@127.0.0.1:${o.port}/t/-redacted-/main/nope.tar.bz2: HTTP 404 Not Found`);
    const seen = await everythingVisible(cacheDir, logger, events, [err, missing]);
    expect(seen).toContain('Retrying zlib 1.2.11');
    expect(seen).not.toContain(PASSWORD);
    expect(seen).not.toContain(TOKEN);
  });

  it('drops the Authorization header when a redirect leaves the origin, and keeps it within the origin', async () => {
    const { o, opts } = await setup();
    const other = await origin({ files: { '/mirror/zlib.tar.bz2': ZLIB.file } });
    o.setFaults('/same', [{ redirect: '/hop' }]);
    o.setFaults('/hop', [{ redirect: `${other.url}/mirror/zlib.tar.bz2` }]);
    const url = `http://ci-bot:${PASSWORD}@127.0.0.1:${o.port}/same`;
    await fetchArtifact(zlibArtifact(url), opts);
    const auth = `Basic ${Buffer.from(`ci-bot:${PASSWORD}`).toString('base64')}`;
    expect(o.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/same', auth],
      ['/hop', auth],
    ]);
    expect(other.requests.map((r) => [r.path, r.headers.authorization])).toEqual([['/mirror/zlib.tar.bz2', undefined]]);
  });

  it('reports the final redirected document URL redacted', async () => {
    const { o, cacheDir } = await setup();
    o.setFile(`/t/${TOKEN}/simple/zlib/`, Buffer.from('<html></html>'));
    o.setFaults('/t/x/simple/zlib/', [{ redirect: `/t/${TOKEN}/simple/zlib/` }]);
    const doc = await fetchDocument(`${o.url}/t/x/simple/zlib/`, { cacheDir, ...FAST });
    expect(doc.url).toBe(`${o.url}/t/-redacted-/simple/zlib/`);
  });
});

describe('proxies from the environment', () => {
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('tunnels through HTTP_PROXY with CONNECT', async () => {
    const upstream = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const proxy = await connectProxy(upstream.port);
    delete process.env.http_proxy;
    delete process.env.no_proxy;
    delete process.env.NO_PROXY;
    process.env.HTTP_PROXY = proxy.url;
    // The host does not resolve: only the proxy (which sends every tunnel to `upstream`) can reach it.
    const f = await fetchArtifact(zlibArtifact(`http://packages.example.invalid${ZLIB.urlPath}`), { cacheDir: await tempDir(), ...FAST });
    expect(f.sha256).toBe(ZLIB.sha256);
    expect(proxy.tunnels).toEqual(['packages.example.invalid:80']);
    expect(upstream.requests.map((r) => [r.path, r.headers.host])).toEqual([[ZLIB.urlPath, 'packages.example.invalid']]);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const proxy = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const direct = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    delete process.env.http_proxy;
    delete process.env.no_proxy;
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    await fetchArtifact(zlibArtifact(direct.url + ZLIB.urlPath), { cacheDir: await tempDir(), ...FAST });
    expect(proxy.requests).toHaveLength(0);
    expect(direct.requests).toHaveLength(1);
  });
});

const proxies: Server[] = [];
afterEach(async () => {
  while (proxies.length) {
    const p = proxies.pop()!;
    p.closeAllConnections();
    await new Promise((r) => p.close(r));
  }
});

/** A forward proxy that only speaks CONNECT and sends every tunnel to 127.0.0.1:<port>. */
async function connectProxy(port: number): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  const sockets = new Set<Socket>();
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const up = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const s of [up, client]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxies.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}
