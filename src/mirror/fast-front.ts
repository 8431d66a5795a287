// The mirror's listening socket, in front of node:http. node:http's work per
// request (its request and response objects, header bookkeeping, events)
// cost more than the rest of a small file's answer: a bare node:http server
// answered ~0.4x nginx's requests/s here, where a plain socket writing ready
// bytes matched nginx (bench/BENCHMARKS.md, "Mirror"). So each connection
// starts here: plain HTTP/1.1 keep-alive GETs, each whole in the bytes read,
// go to `answer`, which answers from memory or declines. At the first request
// it does not take (any other method or version, a body, Range, Expect,
// Upgrade, Connection: close, a head split over reads, anything unusual, or a
// client that lets responses pile up), the connection goes to node:http for
// good, with the bytes not yet answered put back in front of the socket's
// stream (`unshift`, then node:http's own handler of the 'connection' event,
// the one `server.emit('connection', socket)` would run). So
// node:http, with its limits and timeouts, still parses everything this
// strict subset does not cover; the front never parses a body or waits for
// the rest of a head.
import { STATUS_CODES } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** node:http's default limit on a request head (its --max-http-header-size). */
export const MAX_HEAD_BYTES = 16 << 10;

/** What the mirror reads of a plain GET. */
export interface PlainGet {
  /** The request target as sent (node:http's req.url). */
  target: string;
  accept?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/** A plain GET and where the next request starts; `other` for anything node:http must see; `partial` when the head is not all here. */
export type HeadParse = { get: PlainGet; next: number } | 'other' | 'partial';

/** An answer from memory: the status, its headers as name/value pairs (as writeHead takes them), the body if any. */
export interface FrontAnswer {
  status: number;
  headers: readonly string[];
  body?: Buffer;
}

export interface FastFrontOptions {
  /** The answer to a plain GET, or undefined to hand the connection to node:http. */
  answer(get: PlainGet): FrontAnswer | undefined;
  /** Called after an answer was written. */
  answered?(get: PlainGet, a: FrontAnswer, socket: Socket, ms: number): void;
  /** A connection the front holds closes after this long without a request (node:http's keepAliveTimeout). */
  keepAliveTimeoutMs: number;
}

// Headers whose presence sends the request to node:http: a body, a range,
// preconditions the front does not evaluate, protocol switches.
const HAND_OVER = new Set(['content-length', 'transfer-encoding', 'expect', 'upgrade', 'range', 'if-range', 'if-match', 'if-unmodified-since']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// visible ASCII, spaces and tabs only: obs-text and controls go to node:http
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const REQUEST_LINE = /^GET ([\x21-\x7e]+) HTTP\/1\.1$/;
const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses the request head at `from` when it is one the front may answer (see the top of this file). */
export function parsePlainGet(buf: Buffer, from: number): HeadParse {
  const end = buf.indexOf(HEAD_END, from);
  if (end === -1) return buf.length - from > MAX_HEAD_BYTES ? 'other' : 'partial';
  if (end - from > MAX_HEAD_BYTES) return 'other';
  const lines = buf.toString('latin1', from, end).split('\r\n');
  const line = REQUEST_LINE.exec(lines[0]!);
  if (!line) return 'other';
  const get: PlainGet = { target: line[1]! };
  let hosts = 0;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    const colon = l.indexOf(':');
    if (colon <= 0) return 'other';
    const name = l.slice(0, colon);
    if (!TOKEN.test(name)) return 'other';
    const value = l.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) return 'other';
    const lower = name.toLowerCase();
    if (HAND_OVER.has(lower)) return 'other';
    if (lower === 'host') hosts++;
    else if (lower === 'connection') {
      if (value.toLowerCase() !== 'keep-alive') return 'other';
    } else if (lower === 'accept' || lower === 'if-none-match' || lower === 'if-modified-since') {
      // node:http joins or drops repeated ones by rules of its own: its call
      const key = lower === 'accept' ? 'accept' : lower === 'if-none-match' ? 'ifNoneMatch' : 'ifModifiedSince';
      if (get[key] !== undefined) return 'other';
      get[key] = value;
    }
  }
  // HTTP/1.1 wants exactly one Host (node:http answers 400 otherwise)
  if (hosts !== 1) return 'other';
  return { get, next: end + HEAD_END.length };
}

export interface FastFront {
  /** Ends the connections the front still holds (each is between requests: it answers synchronously). */
  endHeld(): void;
  /** Destroys them (a close's grace period is over). */
  destroyHeld(): void;
}

/**
 * Puts the front (see the top of this file) before `server`'s own handling
 * of each new connection; the server listens, limits and closes as before.
 */
export function installFastFront(server: HttpServer, o: FastFrontOptions): FastFront {
  // node:http's connection handler (what `server.emit('connection', socket)`,
  // its documented way in, runs): from now on only the front calls it
  const nodeHandlers = server.listeners('connection') as ((socket: Socket) => void)[];
  if (nodeHandlers.length === 0) throw new Error('node:http registered no connection handler: the fast front cannot hand connections over');
  server.removeAllListeners('connection');
  const held = new Set<Socket>();
  const heads = new WeakMap<readonly string[], Map<number, Buffer>>();
  const keepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  // the Date header, made once a second (as node:http does)
  let dateSecond = -1;
  let dateTail = Buffer.alloc(0);
  const tail = (): Buffer => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateTail = Buffer.from(`Date: ${new Date(second * 1000).toUTCString()}\r\n${keepAlive}`, 'latin1');
    }
    return dateTail;
  };
  // status line and headers of an answer, serialised once per header list
  const headOf = (a: FrontAnswer): Buffer => {
    let byStatus = heads.get(a.headers);
    if (!byStatus) heads.set(a.headers, (byStatus = new Map()));
    let b = byStatus.get(a.status);
    if (!b) {
      let text = `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status]}\r\n`;
      for (let i = 0; i + 1 < a.headers.length; i += 2) text += `${a.headers[i]}: ${a.headers[i + 1]}\r\n`;
      byStatus.set(a.status, (b = Buffer.from(text, 'latin1')));
    }
    return b;
  };

  server.on('connection', (socket: Socket) => {
    const onTimeout = () => socket.destroy();
    const onError = () => socket.destroy();
    const handOver = (rest: Buffer) => {
      held.delete(socket);
      socket.off('close', onClose);
      socket.off('data', onData);
      socket.off('timeout', onTimeout);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.pause();
      if (rest.length > 0) socket.unshift(rest);
      for (const handle of nodeHandlers) handle.call(server, socket);
      socket.resume();
    };
    const onData = (chunk: Buffer) => {
      // ended by endHeld (the server is closing): nothing more is answered
      if (!socket.writable) return;
      let at = 0;
      while (at < chunk.length) {
        // a client that does not read its answers: node:http pauses it
        if (socket.writableNeedDrain) return handOver(chunk.subarray(at));
        const p = parsePlainGet(chunk, at);
        if (typeof p === 'string') return handOver(chunk.subarray(at));
        const started = performance.now();
        let a: FrontAnswer | undefined;
        try {
          a = o.answer(p.get);
        } catch {
          // node:http runs the request again and answers the failure (500)
          a = undefined;
        }
        if (!a) return handOver(chunk.subarray(at));
        socket.cork();
        socket.write(headOf(a));
        socket.write(tail());
        if (a.body && a.body.length > 0) socket.write(a.body);
        socket.uncork();
        at = p.next;
        o.answered?.(p.get, a, socket, performance.now() - started);
      }
    };
    const onClose = () => held.delete(socket);
    held.add(socket);
    socket.on('close', onClose);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.setTimeout(o.keepAliveTimeoutMs);
  });
  return {
    endHeld() {
      for (const s of held) s.end();
    },
    destroyHeld() {
      for (const s of held) s.destroy();
    },
  };
}
