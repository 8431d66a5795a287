// The mirror's fast front over real loopback sockets: which request heads it
// takes, and that a connection it hands to node:http keeps its order, its
// bytes and node:http's own handling (bodies, backpressure, timeouts).
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, installFastFront, parsePlainGet, type FastFront, type FrontAnswer } from '../../src/mirror/fast-front.js';
import { splitReplies, type RawReply } from './http.js';

const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');

describe('parsePlainGet', () => {
  it('takes a plain HTTP/1.1 GET with one Host and reads only Accept and the validators', () => {
    const b = head(['GET /pypi/simple/six/?x=1 HTTP/1.1', 'Host: mirror:8080', 'User-Agent: pip/23.2.1', 'Accept:  application/vnd.pypi.simple.v1+json \t', 'If-None-Match: "abc"', 'If-Modified-Since: Thu, 01 Jan 1981 00:00:00 GMT', 'Connection: Keep-Alive']);
    expect(parsePlainGet(b, 0)).toEqual({
      get: { target: '/pypi/simple/six/?x=1', accept: 'application/vnd.pypi.simple.v1+json', ifNoneMatch: '"abc"', ifModifiedSince: 'Thu, 01 Jan 1981 00:00:00 GMT' },
      next: b.length,
    });
  });

  it('finds where the next pipelined request starts', () => {
    const first = head(['GET /a HTTP/1.1', 'Host: x']);
    const both = Buffer.concat([first, head(['GET /b HTTP/1.1', 'host: x'])]);
    const p = parsePlainGet(both, 0);
    expect(p).toEqual({ get: { target: '/a' }, next: first.length });
    expect(parsePlainGet(both, first.length)).toEqual({ get: { target: '/b' }, next: both.length });
  });

  it('leaves to node:http every request it does not take whole', () => {
    const cases: Record<string, string[]> = {
      HEAD: ['HEAD /a HTTP/1.1', 'Host: x'],
      POST: ['POST /a HTTP/1.1', 'Host: x'],
      'HTTP/1.0': ['GET /a HTTP/1.0', 'Host: x'],
      'no Host': ['GET /a HTTP/1.1'],
      'two Hosts': ['GET /a HTTP/1.1', 'Host: x', 'Host: y'],
      'a body': ['GET /a HTTP/1.1', 'Host: x', 'Content-Length: 0'],
      chunked: ['GET /a HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'],
      Range: ['GET /a HTTP/1.1', 'Host: x', 'Range: bytes=0-1'],
      'If-Range': ['GET /a HTTP/1.1', 'Host: x', 'If-Range: "a"'],
      'If-Match': ['GET /a HTTP/1.1', 'Host: x', 'If-Match: "a"'],
      'If-Unmodified-Since': ['GET /a HTTP/1.1', 'Host: x', 'If-Unmodified-Since: Thu, 01 Jan 1981 00:00:00 GMT'],
      Expect: ['GET /a HTTP/1.1', 'Host: x', 'Expect: 100-continue'],
      Upgrade: ['GET /a HTTP/1.1', 'Host: x', 'Upgrade: websocket', 'Connection: Upgrade'],
      'Connection: close': ['GET /a HTTP/1.1', 'Host: x', 'Connection: close'],
      'two Accepts': ['GET /a HTTP/1.1', 'Host: x', 'Accept: text/html', 'Accept: */*'],
      'two If-None-Match': ['GET /a HTTP/1.1', 'Host: x', 'If-None-Match: "a"', 'If-None-Match: "b"'],
      'a line without a colon': ['GET /a HTTP/1.1', 'Host: x', 'garbage'],
      'a space before the colon': ['GET /a HTTP/1.1', 'Host: x', 'Content-Length : 5'],
      'a folded line': ['GET /a HTTP/1.1', 'Host: x', 'X-A: 1', ' 2'],
      'a non-ASCII value': ['GET /a HTTP/1.1', 'Host: x', 'X-A: caf\u00e9'],
      'a control character': ['GET /a HTTP/1.1', 'Host: x', 'X-A: a\u0001b'],
      'a space in the target': ['GET /a b HTTP/1.1', 'Host: x'],
      'a trailing space': ['GET /a HTTP/1.1 ', 'Host: x'],
      'a bare LF inside': ['GET /a HTTP/1.1\nHost: x', 'Host: y'],
    };
    for (const [name, lines] of Object.entries(cases)) expect(parsePlainGet(head(lines), 0), name).toBe('other');
    expect(parsePlainGet(head(['GET /a HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`]), 0)).toBe('other');
  });

  it('waits for the rest of a head split over reads, up to node:http\'s limit', () => {
    expect(parsePlainGet(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n'), 0)).toBe('partial');
    expect(parsePlainGet(Buffer.from('GET /a HTTP/1.1\nHost: x\n\n'), 0)).toBe('partial');
    expect(parsePlainGet(Buffer.from(`GET /a HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`), 0)).toBe('other');
  });
});

/** A node:http server answering `node:<url>`, with a front answering `front:<target>` for /front/ paths. */
async function frontedServer(o: { keepAliveTimeoutMs?: number; bigBody?: Buffer } = {}) {
  const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/front/big' && o.bigBody) return void res.end(o.bigBody);
      res.end(`node:${req.method} ${req.url}${chunks.length ? ` body=${Buffer.concat(chunks).length}` : ''}`);
    });
  });
  const answered: string[] = [];
  const front: FastFront = installFastFront(server, {
    keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? 5_000,
    answer(get): FrontAnswer | undefined {
      if (!get.target.startsWith('/front/')) return undefined;
      if (get.target === '/front/throw') throw new Error('a lookup failed');
      const body = get.target === '/front/big' && o.bigBody ? o.bigBody : Buffer.from(`front:GET ${get.target}`);
      return { status: 200, headers: ['Content-Type', 'text/plain', 'Content-Length', String(body.length)], body };
    },
    answered(get) {
      answered.push(get.target);
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  servers.push(server);
  return { server, front, port, answered };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Writes `parts` to a fresh connection (pausing between them), then reads until `replies` responses arrived. */
async function converse(port: number, parts: string[], replies: number, o: { heads?: boolean[]; readAfterMs?: number } = {}): Promise<RawReply[]> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const chunks: Buffer[] = [];
  if (o.readAfterMs) s.pause();
  s.on('data', (c: Buffer) => chunks.push(c));
  for (const [i, p] of parts.entries()) {
    if (i > 0) await sleep(50);
    s.write(p);
  }
  if (o.readAfterMs) {
    await sleep(o.readAfterMs);
    s.resume();
  }
  for (let waited = 0; waited < 10_000; waited += 10) {
    const got = splitReplies(Buffer.concat(chunks), o.heads);
    if (got.length >= replies) {
      s.destroy();
      return got;
    }
    await sleep(10);
  }
  s.destroy();
  throw new Error(`timed out with: ${Buffer.concat(chunks).toString('latin1').slice(0, 500)}`);
}

const get = (p: string, extra: string[] = []) => head([`GET ${p} HTTP/1.1`, 'Host: x', ...extra]).toString('latin1');

describe('installFastFront', () => {
  it('answers what it takes and hands the rest of the connection to node:http, in order', async () => {
    const { port, answered } = await frontedServer();
    const replies = await converse(port, [get('/front/a') + get('/front/b') + get('/node/c') + get('/front/d')], 4);
    expect(replies.map((r) => r.body.toString())).toEqual(['front:GET /front/a', 'front:GET /front/b', 'node:GET /node/c', 'node:GET /front/d']);
    expect(answered).toEqual(['/front/a', '/front/b']);
    // the front's answers carry what node:http adds to its own
    expect(replies[0]!.headers.filter((h) => !h.startsWith('Date: '))).toEqual(['Content-Type: text/plain', 'Content-Length: 18', 'Connection: keep-alive', 'Keep-Alive: timeout=5']);
    expect(replies[0]!.headers.some((h) => /^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/.test(h))).toBe(true);
  });

  it('hands over a head that arrives in pieces, and node:http answers it', async () => {
    const { port, answered } = await frontedServer();
    const replies = await converse(port, ['GET /front/x HTTP/1.1\r\nHo', 'st: x\r\n\r\n'], 1);
    expect(replies.map((r) => r.body.toString())).toEqual(['node:GET /front/x']);
    expect(answered).toEqual([]);
  });

  it('never reads a request body as a request: node:http gets the body with its request', async () => {
    const { port, answered } = await frontedServer();
    const smuggled = get('/front/evil');
    const post = `POST /front/a HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    const replies = await converse(port, [get('/front/first') + post + get('/front/after')], 3);
    expect(replies.map((r) => r.body.toString())).toEqual(['front:GET /front/first', `node:POST /front/a body=${smuggled.length}`, 'node:GET /front/after']);
    expect(answered).toEqual(['/front/first']);
    // a GET with a body too
    const withBody = `GET /front/b HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    const again = await converse(port, [withBody + get('/front/after')], 2);
    expect(again.map((r) => r.body.toString())).toEqual([`node:GET /front/b body=${smuggled.length}`, 'node:GET /front/after']);
    expect(answered).toEqual(['/front/first']);
  });

  it('hands a request whose answer throws to node:http, which runs it again, and the process lives on', async () => {
    const { port, answered } = await frontedServer();
    const replies = await converse(port, [get('/front/a') + get('/front/throw') + get('/front/b')], 3);
    expect(replies.map((r) => r.body.toString())).toEqual(['front:GET /front/a', 'node:GET /front/throw', 'node:GET /front/b']);
    expect(answered).toEqual(['/front/a']);
  });

  it('hands HEAD to node:http, which answers it without a body', async () => {
    const { port } = await frontedServer();
    const replies = await converse(port, [head(['HEAD /front/a HTTP/1.1', 'Host: x']).toString('latin1') + get('/front/b')], 2, { heads: [true, false] });
    expect(replies.map((r) => [r.status, r.body.toString()])).toEqual([
      [200, ''],
      [200, 'node:GET /front/b'],
    ]);
  });

  it('lets node:http take a client that does not read its answers, and every answer arrives whole and in order', async () => {
    const bigBody = Buffer.alloc(64 << 10, 7);
    const { port, answered } = await frontedServer({ bigBody });
    const n = 300;
    const replies = await converse(port, [get('/front/big').repeat(n) + get('/front/last')], n + 1, { readAfterMs: 300 });
    expect(replies.length).toBe(n + 1);
    expect(replies.slice(0, n).every((r) => r.status === 200 && r.body.equals(bigBody))).toBe(true);
    expect(replies[n]!.body.toString()).toBe('node:GET /front/last');
    // the front stopped once the socket's buffer was full, well before the end
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(n / 2);
  });

  it('closes a connection it holds after keepAliveTimeoutMs without a request', async () => {
    const { port } = await frontedServer({ keepAliveTimeoutMs: 200 });
    const s = net.connect(port, '127.0.0.1');
    const started = Date.now();
    s.write(get('/front/a'));
    s.resume();
    // -1: still open after 3 s
    const closedAfter = await Promise.race([new Promise<number>((r) => s.on('close', () => r(Date.now() - started))), sleep(3_000).then(() => -1)]);
    s.destroy();
    expect(closedAfter).toBeGreaterThanOrEqual(150);
  });

  it('ends the connections it holds on endHeld, and the server closes', async () => {
    const { server, front, port } = await frontedServer();
    const s = net.connect(port, '127.0.0.1');
    s.write(get('/front/a'));
    s.resume();
    await sleep(100);
    const closed = new Promise((r) => s.on('close', r));
    const serverClosed = new Promise((r) => server.close(r));
    front.endHeld();
    s.end();
    await closed;
    await serverClosed;
  });
});
