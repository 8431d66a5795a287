// The mirror over real loopback HTTP (node:http client and raw sockets):
// status codes and headers, ranges, conditionals, negotiation, redirects,
// keep-alive, backpressure, aborted clients and graceful shutdown.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerFor, exportSite, headsOf, openSite, startMirrorServer, type AccessLogEntry, type MirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';
import { request, splitReplies, type RawReply } from './http.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BIG = 32 * 1024 * 1024;
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

let work: string;
let bundle: MirrorBundle;
let site: MirrorSite;
let mirror: MirrorServer;
const access: AccessLogEntry[] = [];
let base: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-server-'));
  bundle = await buildMirrorBundle(work, { bigInstallerBytes: BIG });
  site = await openSite(bundle.zip);
  mirror = await startMirrorServer(site, { port: 0, onAccess: (e) => access.push(e) });
  base = mirror.url.slice(0, -1);
});
afterAll(async () => {
  await mirror?.close();
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

/** Sends raw bytes on a fresh connection and returns everything the server sends until it closes. */
function raw(text: string, url = base): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.end(text));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

/** Sends `text` on one keep-alive connection and returns the first `n` replies whole (`heads[i]` when reply i answers a HEAD). */
function keepAliveReplies(text: string, n: number, heads: boolean[] = []): Promise<RawReply[]> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write(text));
    let got = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      const replies = splitReplies(got, heads);
      if (replies.length < n) return;
      s.destroy();
      resolve(replies.slice(0, n));
    });
    s.on('error', reject);
  });
}

/** A fresh connection to `url`, resolved once connected. */
function connect(url: string): Promise<net.Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Milliseconds until `s` closes, or -1 when it is still open after `limitMs`. */
async function closesWithin(s: net.Socket, limitMs: number): Promise<number> {
  const started = performance.now();
  if (s.destroyed) return 0;
  return Promise.race([new Promise<number>((r) => s.once('close', () => r(performance.now() - started))), sleep(limitMs).then(() => -1)]);
}

describe('files', () => {
  it('answers GET with the bytes, a strong sha256 ETag, Content-Length, type and the bundle date', async () => {
    const r = await request(base + bundle.paths.wheel);
    expect(r.status).toBe(200);
    expect(sha(r.body)).toBe(bundle.sha256.get(bundle.paths.wheel));
    expect(r.headers).toMatchObject({
      etag: `"${bundle.sha256.get(bundle.paths.wheel)}"`,
      'content-length': String(r.body.length),
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      'last-modified': site.lastModified.toUTCString(),
      'cache-control': 'public, max-age=31536000, immutable',
    });
    const repodata = await request(`${base}/conda/conda-forge/noarch/repodata.json`);
    expect(repodata.headers['content-type']).toBe('application/json');
    expect(repodata.headers['cache-control']).toBe('no-cache');
    expect((await request(base + bundle.paths.condaPackage)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(JSON.parse(repodata.body.toString()).packages).toHaveProperty(['run_exports_versions-2.0-h39de5ba_0.tar.bz2']);
    expect((await request(`${base}/healthz`)).body.toString()).toBe('ok\n');
  });

  it('answers HEAD with the same headers and no body', async () => {
    const get = await request(base + bundle.paths.bigWheel);
    const head = await request(base + bundle.paths.bigWheel, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    for (const h of ['etag', 'content-length', 'content-type', 'last-modified']) expect(head.headers[h]).toBe(get.headers[h]);
  });

  it('answers repeated requests and revalidations from memory with the same heads as the first answer', async () => {
    // a fresh site and server, so the first answers are built the long way and the repeats come from memory
    const fresh = await openSite(bundle.zip);
    const server = await startMirrorServer(fresh, { port: 0 });
    try {
      const at = server.url.slice(0, -1);
      const asks: [string, Record<string, string>][] = [
        [bundle.paths.wheel, {}],
        ['/pypi/simple/simplewheel/', {}],
        ['/pypi/simple/simplewheel/', { accept: PIP_ACCEPT }],
        ['/pypi/simple/simplewheel/', { accept: 'application/vnd.pypi.simple.v1+html' }],
        ['/pypi/simple/', { accept: PIP_ACCEPT }],
        ['/conda/conda-forge/noarch/repodata.json', {}],
        ['/healthz', {}],
      ];
      const answer = async ([p, headers]: [string, Record<string, string>]) => {
        const r = await request(at + p, { headers });
        const { date: _date, ...rest } = r.headers;
        return { status: r.status, headers: rest, sha256: sha(r.body) };
      };
      // before anything is read: repodata.json is not in index.tsv, so its digest is unknown and this 304 takes the full path
      const early = await answer(['/conda/conda-forge/noarch/repodata.json', { 'if-modified-since': fresh.lastModified.toUTCString() }]);
      const first = [];
      for (const a of asks) first.push(await answer(a));
      for (let round = 0; round < 2; round++) for (const [i, a] of asks.entries()) expect(await answer(a), `${a[0]} ${JSON.stringify(a[1])}`).toEqual(first[i]);
      expect(new Set(first.map((f) => `${f.headers['content-type']} ${f.headers.etag}`)).size).toBe(asks.length);
      expect(first.every((f) => f.status === 200 && f.headers['x-content-type-options'] === 'nosniff')).toBe(true);

      // a revalidation gets 304 with every header the 200 had but the body's type and length (RFC 9110 section 15.4.5), each time
      for (const [i, [p, headers]] of asks.entries()) {
        const { 'content-type': _type, 'content-length': _length, ...validators } = first[i]!.headers;
        if (p.endsWith('repodata.json')) expect({ status: early.status, headers: early.headers }).toEqual({ status: 304, headers: validators });
        for (const conditional of [{ 'if-none-match': first[i]!.headers.etag! }, { 'if-modified-since': first[i]!.headers['last-modified']! }] as Record<string, string>[]) {
          for (let round = 0; round < 2; round++) {
            const r = await request(at + p, { headers: { ...headers, ...conditional } });
            const { date: _date, ...rest } = r.headers;
            expect({ status: r.status, headers: rest, bytes: r.body.length }, `${p} ${JSON.stringify(conditional)}`).toEqual({ status: 304, headers: validators, bytes: 0 });
          }
        }
        // another representation's tag does not match
        const other = first[(i + 1) % asks.length]!.headers.etag!;
        expect((await request(at + p, { headers: { ...headers, 'if-none-match': other } })).status).toBe(200);
      }
    } finally {
      await server.close();
      await fresh.close();
    }
  });

  it('serves current_repodata.json only where the bundle has one', async () => {
    expect((await request(`${base}/conda/pkgs-main/linux-64/current_repodata.json`)).status).toBe(200);
    expect((await request(`${base}/conda/conda-forge/noarch/current_repodata.json`)).status).toBe(404);
  });
});

describe('ranges', () => {
  it('serves one byte range of stored, deflated and generated files (206)', async () => {
    for (const p of [bundle.paths.bigWheel, '/conda/conda-forge/noarch/repodata.json', '/miniconda/', bundle.paths.metadata]) {
      const full = (await request(base + p)).body;
      for (const [range, a, b] of [
        ['bytes=0-9', 0, 9],
        ['bytes=100-', 100, full.length - 1],
        ['bytes=-50', full.length - 50, full.length - 1],
        [`bytes=${full.length - 3}-${full.length + 100}`, full.length - 3, full.length - 1],
      ] as const) {
        const r = await request(base + p, { headers: { range } });
        expect(r.status, `${p} ${range}`).toBe(206);
        expect(r.headers['content-range']).toBe(`bytes ${a}-${b}/${full.length}`);
        expect(r.headers['content-length']).toBe(String(b - a + 1));
        expect(r.body.equals(full.subarray(a, b + 1)), `${p} ${range}`).toBe(true);
      }
    }
  });

  it('answers 416 with the size when the range starts past the end', async () => {
    const size = site.get(bundle.paths.wheel)!.size;
    const r = await request(base + bundle.paths.wheel, { headers: { range: `bytes=${size}-` } });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${size}`);
  });

  it('answers a multi-range or invalid Range with the whole body, and ignores Range on HEAD', async () => {
    for (const range of ['bytes=0-1,5-6', 'bytes=9-2', 'lines=1-2']) {
      const r = await request(base + bundle.paths.wheel, { headers: { range } });
      expect(r.status).toBe(200);
      expect(sha(r.body)).toBe(bundle.sha256.get(bundle.paths.wheel));
    }
    const head = await request(base + bundle.paths.wheel, { method: 'HEAD', headers: { range: 'bytes=0-1' } });
    expect(head.status).toBe(200);
  });

  it('applies a range only while If-Range still matches', async () => {
    const etag = `"${bundle.sha256.get(bundle.paths.wheel)}"`;
    expect((await request(base + bundle.paths.wheel, { headers: { range: 'bytes=0-3', 'if-range': etag } })).status).toBe(206);
    expect((await request(base + bundle.paths.wheel, { headers: { range: 'bytes=0-3', 'if-range': '"other"' } })).status).toBe(200);
  });
});

describe('conditional requests', () => {
  it('answers If-None-Match with 304 and no body, for files and generated pages', async () => {
    for (const p of [bundle.paths.wheel, '/miniconda/', '/pypi/simple/simplewheel/']) {
      const first = await request(base + p);
      const again = await request(base + p, { headers: { 'if-none-match': first.headers.etag! } });
      expect(again.status, p).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect((await request(base + p, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
    }
  });

  it('answers If-Modified-Since at or after the bundle date with 304', async () => {
    const r = await request(base + bundle.paths.wheel, { headers: { 'if-modified-since': site.lastModified.toUTCString() } });
    expect(r.status).toBe(304);
    const old = await request(base + bundle.paths.wheel, { headers: { 'if-modified-since': new Date(site.lastModified.getTime() - 1000).toUTCString() } });
    expect(old.status).toBe(200);
  });
});

describe('the simple index', () => {
  it('answers HTML by default and PEP 691 JSON to pip, with Vary: Accept and distinct ETags', async () => {
    const html = await request(`${base}/pypi/simple/simplewheel/`);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers.vary).toBe('Accept');
    expect(html.body.toString()).toContain('simplewheel-2.0-1-py2.py3-none-any.whl#sha256=');
    const json = await request(`${base}/pypi/simple/simplewheel/`, { headers: { accept: PIP_ACCEPT } });
    expect(json.headers['content-type']).toBe('application/vnd.pypi.simple.v1+json');
    expect(json.headers.vary).toBe('Accept');
    expect(json.headers.etag).not.toBe(html.headers.etag);
    expect(JSON.parse(json.body.toString())).toMatchObject({ meta: { 'api-version': '1.1' }, name: 'simplewheel' });
    const root = await request(`${base}/pypi/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    expect(JSON.parse(root.body.toString()).projects).toContainEqual({ name: 'has-script' });
    const fmt = await request(`${base}/pypi/simple/simplewheel/?format=application/vnd.pypi.simple.v1%2Bjson`);
    expect(fmt.headers['content-type']).toBe('application/vnd.pypi.simple.v1+json');
    const explicitHtml = await request(`${base}/pypi/simple/`, { headers: { accept: 'application/vnd.pypi.simple.v1+html' } });
    expect(explicitHtml.headers['content-type']).toBe('application/vnd.pypi.simple.v1+html');
  });

  it('answers 406 when the client accepts none of the forms', async () => {
    const r = await request(`${base}/pypi/simple/`, { headers: { accept: 'application/json' } });
    expect(r.status).toBe(406);
    expect(r.headers.vary).toBe('Accept');
  });

  it('redirects names that are not normalised, and directory URLs without their slash (301)', async () => {
    for (const [from, to] of [
      ['/pypi/simple/Has.Script/', '/pypi/simple/has-script/'],
      ['/pypi/simple/has_script', '/pypi/simple/has-script/'],
      ['/pypi/simple/INITools/', '/pypi/simple/initools/'],
      ['/pypi/simple', '/pypi/simple/'],
      ['/miniconda', '/miniconda/'],
    ]) {
      const r = await request(base + from);
      expect(r.status, from).toBe(301);
      expect(r.headers.location).toBe(to);
    }
    expect((await request(`${base}/pypi/simple/numpy/`)).status).toBe(404);
  });
});

describe('requests the mirror refuses', () => {
  it('answers other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await request(base + bundle.paths.wheel, { method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('answers traversal and malformed paths with 400, unknown ones with 404, over-long ones with 414', async () => {
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/pypi/files/..%2f..%2fmanifest.yml', '/pypi\\files', '/pypi/files/%00', '//etc/passwd']) {
      expect((await request(base, { path: p })).status, p).toBe(400);
    }
    for (const p of ['/manifest.yml', '/dependencies/index.tsv', '/bin/compile', '/conda/channels.tsv', '/etc/passwd']) {
      expect((await request(base, { path: p })).status, p).toBe(404);
    }
    expect((await request(base, { path: `/${'x'.repeat(5000)}` })).status).toBe(414);
  });

  it('answers garbage and oversized headers without falling over', async () => {
    const before = access.length;
    expect(await raw('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(access.slice(before)).toContainEqual(expect.objectContaining({ method: '-', target: '-', status: 400 }));
    expect(await raw(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\n\r\nok\n$/);
  });
});

describe('connections', () => {
  it('keeps one connection alive across many requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    try {
      for (let i = 0; i < 20; i++) {
        const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
          const req = http.get(`${base}/pypi/simple/`, { agent }, resolve);
          req.on('error', reject);
        });
        ports.add(r.socket.localPort!);
        r.resume();
        await new Promise((res) => r.on('end', res));
      }
    } finally {
      agent.destroy();
    }
    expect(ports.size).toBe(1);
  });

  it('answers pipelined requests on one connection in order: GET, HEAD, negotiated JSON, 304', async () => {
    const etag = `"${bundle.sha256.get(bundle.paths.wheel)}"`;
    const ask = (method: string, p: string, extra: string[] = []) => [`${method} ${p} HTTP/1.1`, 'Host: mirror', ...extra].join('\r\n') + '\r\n\r\n';
    const replies = await keepAliveReplies(
      ask('GET', bundle.paths.wheel) + ask('HEAD', bundle.paths.bigWheel) + ask('GET', '/pypi/simple/simplewheel/', [`Accept: ${PIP_ACCEPT}`]) + ask('GET', bundle.paths.wheel, [`If-None-Match: ${etag}`]),
      4,
      [false, true],
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 304]);
    expect(sha(replies[0]!.body)).toBe(bundle.sha256.get(bundle.paths.wheel));
    expect(replies[1]!.headers).toContain(`Content-Length: ${site.get(bundle.paths.bigWheel)!.size}`);
    expect(replies[2]!.headers).toContain('Content-Type: application/vnd.pypi.simple.v1+json');
    expect(JSON.parse(replies[2]!.body.toString()).name).toBe('simplewheel');
    expect(replies[3]!.body.length).toBe(0);
  });

  it('writes one access-log entry per request with method, target, status and bytes', async () => {
    const before = access.length;
    await request(`${base}/healthz`);
    await request(`${base}/nope`);
    await new Promise((r) => setImmediate(r));
    expect(access.slice(before).map(({ method, target, status, bytes }) => ({ method, target, status, bytes }))).toEqual([
      { method: 'GET', target: '/healthz', status: 200, bytes: 3 },
      { method: 'GET', target: '/nope', status: 404, bytes: 10 },
    ]);
  });

  it('logs request targets with their secrets redacted', async () => {
    const before = access.length;
    await request(base, { path: '/pypi/simple/?token=s3cr3t-q&x=1' });
    await request(base, { path: '/t/tk-s3cr3t-path/conda/x/' });
    await request(base, { path: '/pypi/simple/%0Aforged%20200?password=s3cr3t-pw' });
    await new Promise((r) => setImmediate(r));
    const targets = access.slice(before).map((e) => e.target);
    expect(targets).toEqual(['/pypi/simple/?token=-redacted-&x=1', '/t/-redacted-/conda/x/', '/pypi/simple/%0Aforged%20200?password=-redacted-']);
    expect(targets.join('\n')).not.toMatch(/s3cr3t/);
  });

  it('closes a connection that sends nothing after idleTimeoutMs', async () => {
    const m = await startMirrorServer(site, { port: 0, idleTimeoutMs: 300 });
    try {
      const s = await connect(m.url);
      // without the idle timeout, node:http's headersTimeout (20 s) would close it
      const ms = await closesWithin(s, 5_000);
      s.destroy();
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await m.close();
    }
  });

  it('refuses connections beyond maxConnections and serves again once one goes', async () => {
    const m = await startMirrorServer(site, { port: 0, maxConnections: 2 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    try {
      // two kept-alive connections, each with a request answered
      const held = await Promise.all([0, 1].map(() => request(`${m.url}healthz`, { agent })));
      expect(held.map((r) => r.status)).toEqual([200, 200]);
      const third = await connect(m.url);
      let got = '';
      third.on('data', (c: Buffer) => (got += c.toString('latin1')));
      third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closesWithin(third, 3_000)).toBeGreaterThanOrEqual(0);
      expect(got).toBe('');
      agent.destroy();
      // the server counts a connection until it sees it closed
      let again;
      for (let i = 0; i < 50 && !again; i++) {
        await sleep(20);
        again = await request(`${m.url}healthz`).catch(() => undefined);
      }
      expect(again?.status).toBe(200);
    } finally {
      agent.destroy();
      await m.close();
    }
  });

  it('stops reading a big file while the client does not read (backpressure)', async () => {
    const u = new URL(base);
    const s = net.connect(Number(u.port), u.hostname);
    s.write(`GET ${bundle.paths.bigInstaller} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    s.pause();
    const start = mirror.stats().bytesSent;
    // wait until the server stops pushing (socket buffers full)
    let last = -1;
    for (let same = 0; same < 5; ) {
      await sleep(50);
      const now = mirror.stats().bytesSent;
      same = now === last ? same + 1 : 0;
      last = now;
    }
    expect(last - start).toBeGreaterThan(0);
    expect(last - start).toBeLessThan(BIG / 2);
    const h = createHash('sha256');
    let head = Buffer.alloc(0);
    let inBody = false;
    s.on('data', (c: Buffer) => {
      if (inBody) return void h.update(c);
      head = Buffer.concat([head, c]);
      const at = head.indexOf('\r\n\r\n');
      if (at !== -1) {
        inBody = true;
        h.update(head.subarray(at + 4));
      }
    });
    s.resume();
    await new Promise((r) => s.on('close', r));
    expect(h.digest('hex')).toBe(site.get(bundle.paths.bigInstaller!)!.sha256);
  });

  it('survives clients that vanish mid-body', async () => {
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const req = http.get(base + bundle.paths.bigInstaller!, { agent: false }, (res) => {
          res.once('data', () => req.destroy());
          res.on('error', () => undefined);
          res.on('close', () => resolve());
        });
        req.on('error', () => resolve());
      });
    }
    for (let i = 0; i < 50 && mirror.stats().inFlight > 0; i++) await sleep(20);
    expect(mirror.stats().inFlight).toBe(0);
    expect((await request(`${base}/healthz`)).status).toBe(200);
  });

  it('serves many concurrent clients the right bytes', async () => {
    const want = bundle.sha256.get(bundle.paths.bigWheel);
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => request(base + (i % 3 ? bundle.paths.bigWheel : '/pypi/simple/simplewheel/'))));
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(200);
      if (i % 3) expect(sha(r.body)).toBe(want);
    }
  });
});

describe('a directory that changes under the mirror', () => {
  it('answers 500 for a file truncated after start, and keeps serving', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const fromDir = await openSite(dir);
    const m = await startMirrorServer(fromDir, { port: 0 });
    try {
      await truncate(path.join(dir, bundle.paths.bigWheel.slice(1)), 10);
      expect((await request(m.url.slice(0, -1) + bundle.paths.bigWheel)).status).toBe(500);
      expect((await request(`${m.url}healthz`)).status).toBe(200);
    } finally {
      await m.close();
      await fromDir.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, closes idle connections at once, lets the in-flight download finish, closes its connection, then resolves', async () => {
    const own = await openSite(bundle.zip);
    const m = await startMirrorServer(own, { port: 0 });
    // an idle keep-alive connection (one request answered) and a download under way, both kept-alive
    const idle = await connect(m.url);
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    idle.resume();
    const s = await connect(m.url);
    s.write(`GET ${bundle.paths.bigInstaller} HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.pause();
    for (let i = 0; i < 100 && (m.stats().bytesSent < 1000 || m.stats().inFlight !== 1); i++) await sleep(10);
    expect(m.stats().inFlight).toBe(1);
    let closed = false;
    const closing = m.close().then(() => (closed = true));
    // the keep-alive timeout is 5 s: each connection must go well before it
    expect(await closesWithin(idle, 1_000), 'the idle connection closes at once').toBeGreaterThanOrEqual(0);
    await expect(request(`${m.url}healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);
    let bytes = 0;
    s.on('data', (c: Buffer) => (bytes += c.length));
    const lastByte = new Promise<number>((resolve) => {
      s.on('data', () => bytes >= BIG && resolve(performance.now()));
    });
    s.resume();
    const done = await lastByte;
    await new Promise((r) => s.on('close', r));
    expect(performance.now() - done, 'the download connection closes once its response is done').toBeLessThan(1_000);
    await closing;
    expect(closed).toBe(true);
    expect(bytes).toBeGreaterThan(BIG);
    await own.close();
  });

  it('cuts a response still running when the grace period ends', async () => {
    const own = await openSite(bundle.zip);
    const m = await startMirrorServer(own, { port: 0, graceMs: 300 });
    const s = await connect(m.url);
    s.write(`GET ${bundle.paths.bigInstaller} HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.pause();
    for (let i = 0; i < 100 && m.stats().bytesSent === 0; i++) await sleep(10);
    const started = performance.now();
    await m.close();
    // the client never read: without the cut, close() would wait for it for good
    expect(performance.now() - started).toBeLessThan(3_000);
    s.resume();
    expect(await closesWithin(s, 2_000)).toBeGreaterThanOrEqual(0);
    await own.close();
  });
});

describe('answerFor (what a request gets, without a socket)', () => {
  it('routes files, simple pages in the negotiated form, redirects, refusals', () => {
    const rep = (method: string, target: string, accept?: string) => {
      const a = answerFor(site, method, target, accept);
      return a.kind === 'text' ? { status: a.status, headers: a.headers } : { path: a.rep.file.path, type: a.rep.contentType, vary: a.rep.vary };
    };
    expect(rep('GET', bundle.paths.wheel)).toEqual({ path: bundle.paths.wheel, type: 'application/octet-stream', vary: undefined });
    expect(rep('HEAD', '/pypi/simple/simplewheel/', PIP_ACCEPT)).toEqual({ path: '/pypi/simple/simplewheel/index.json', type: 'application/vnd.pypi.simple.v1+json', vary: 'Accept' });
    expect(rep('GET', '/pypi/simple/simplewheel/')).toEqual({ path: '/pypi/simple/simplewheel/', type: 'text/html; charset=utf-8', vary: 'Accept' });
    expect(rep('GET', '/pypi/simple/?format=application/vnd.pypi.simple.v1%2Bjson', 'text/html')).toMatchObject({ path: '/pypi/simple/index.json' });
    expect(rep('GET', '/pypi/simple/', 'application/json')).toEqual({ status: 406, headers: ['Vary', 'Accept'] });
    expect(rep('GET', '/pypi/simple/Has.Script/')).toEqual({ status: 301, headers: ['Location', '/pypi/simple/has-script/'] });
    expect(rep('POST', '/healthz')).toEqual({ status: 405, headers: ['Allow', 'GET, HEAD'] });
    expect(rep('GET', '/../x')).toMatchObject({ status: 400 });
    expect(rep('GET', '/manifest.yml')).toMatchObject({ status: 404 });
  });

  it('answers a page without a JSON form (too large to convert) as HTML, or 406 to a client that takes only JSON', async () => {
    const own = await openSite(bundle.zip);
    try {
      own.json.delete('/pypi/simple/simplewheel/');
      expect(answerFor(own, 'GET', '/pypi/simple/simplewheel/', PIP_ACCEPT)).toMatchObject({ kind: 'representation', rep: { file: { path: '/pypi/simple/simplewheel/' }, contentType: 'application/vnd.pypi.simple.v1+html' } });
      expect(answerFor(own, 'GET', '/pypi/simple/simplewheel/', 'application/vnd.pypi.simple.v1+json')).toMatchObject({ kind: 'text', status: 406 });
      expect(answerFor(own, 'GET', '/pypi/simple/', 'application/vnd.pypi.simple.v1+json')).toMatchObject({ kind: 'representation', rep: { file: { path: '/pypi/simple/index.json' } } });
    } finally {
      await own.close();
    }
  });

  it('builds a 304 head with every header of the 200 but the body type and length', () => {
    const file = site.get(bundle.paths.wheel)!;
    const heads = headsOf({ file, contentType: file.contentType }, '"abc"', 'Thu, 01 Jan 1981 00:00:00 GMT');
    expect(heads.ok).toEqual([...heads.notModified, 'Content-Type', 'application/octet-stream', 'Content-Length', String(file.size)]);
    expect(heads.notModified).toEqual(['ETag', '"abc"', 'Last-Modified', 'Thu, 01 Jan 1981 00:00:00 GMT', 'Cache-Control', 'public, max-age=31536000, immutable', 'Accept-Ranges', 'bytes', 'X-Content-Type-Options', 'nosniff']);
  });
});
