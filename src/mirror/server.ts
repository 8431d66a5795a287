// `bin/mirror serve`: a node:http server over a MirrorSite. GET and HEAD,
// one byte Range (206/416), strong ETags (sha256 of the bytes), 304 on
// If-None-Match / If-Modified-Since, a fixed Last-Modified, PEP 691
// negotiation on simple pages (`Vary: Accept`), keep-alive. Bodies stream from
// the source with backpressure; only small files and generated pages are held
// in memory (site.ts caps both), and a plain GET of one of those, or a
// revalidation that gets 304, is answered synchronously with a head built
// once (the common requests of pip and conda): on a keep-alive connection by
// the fast front (fast-front.ts) before node:http sees it. A request can fail but never take the
// process down; close() stops accepting, lets in-flight responses finish
// (up to a grace period) and resolves when every connection is gone.
// HTTP semantics: RFC 9110; simple API: PEP 503/691.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream';
import { PackagerError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { redactText, redactUrl } from '../core/redact.js';
import { ifRangeAllows, isNotModified, parseRange } from './http-range.js';
import { installFastFront, type FrontAnswer } from './fast-front.js';
import { negotiateSimple, type SimpleFormat } from './pep691.js';
import { parseRequestTarget } from './request-path.js';
import { routeRequest, type Route } from './routes.js';
import type { MirrorSite, SiteFile } from './site.js';

export interface AccessLogEntry {
  remote: string;
  method: string;
  /** The request target as received, credentials redacted, made printable and cut to 512 characters. */
  target: string;
  status: number;
  /** Body bytes handed to the socket. */
  bytes: number;
  ms: number;
}

export interface MirrorServerOptions {
  /** Default 127.0.0.1: the mirror is reachable from other machines only when told so. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  logger?: Logger;
  /** Called once per request when its response is finished or aborted. */
  onAccess?: (e: AccessLogEntry) => void;
  /** How long close() lets in-flight responses run before cutting them (default 10 s). */
  graceMs?: number;
  /** A connection with no traffic for this long is closed (default 120 s). */
  idleTimeoutMs?: number;
  /** Connections beyond this are refused (default 1024). */
  maxConnections?: number;
}

export interface MirrorStats {
  requests: number;
  inFlight: number;
  /** Body bytes handed to sockets so far. */
  bytesSent: number;
}

export interface MirrorServer {
  /** `http://127.0.0.1:8080/` */
  url: string;
  host: string;
  port: number;
  stats(): MirrorStats;
  /** Graceful stop: no new connections, in-flight responses finish, then resolves. */
  close(): Promise<void>;
}

interface Representation {
  etag: string;
  size: number;
  contentType: string;
  vary?: string;
  file?: SiteFile;
  data?: Buffer;
}

const ALLOW = 'GET, HEAD';
/** How long a keep-alive connection may wait for its next request. */
const KEEP_ALIVE_MS = 5_000;
const MEMO_KEY_MAX = 1024;

type FileTarget = { kind: 'file'; path: string; file: SiteFile; format?: SimpleFormat };
/** Where a request target leads (targetOf). */
type Target = FileTarget | { kind: 'text'; status: number; text: string; header?: [string, string] };

/** What a raw request target gets: a route (with the raw query), or 400/414. */
type Routed = (Route & { query: string }) | { kind: 'bad'; status: 400 | 414; reason: string };

/**
 * A memo of at most `max` entries of keys up to MEMO_KEY_MAX characters,
 * emptied when full: the keys come from clients, so it must stay small.
 */
class BoundedMemo<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string, make: () => V): V {
    if (key.length > MEMO_KEY_MAX) return make();
    const hit = this.map.get(key);
    if (hit !== undefined || this.map.has(key)) return hit!;
    const v = make();
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, v);
    return v;
  }
}

/** Starts serving `site`. Throws EUSAGE when the address cannot be used. */
export async function startMirrorServer(site: MirrorSite, o: MirrorServerOptions = {}): Promise<MirrorServer> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? 8080;
  const logger = o.logger ?? silentLogger;
  const stats: MirrorStats = { requests: 0, inFlight: 0, bytesSent: 0 };
  const jsonEtags = new WeakMap<Buffer, string>();
  const lastModified = site.lastModified.toUTCString();
  let closing = false;

  // node checks headersTimeout/requestTimeout only every connectionsCheckingInterval
  // (default 30 s), so a slowloris sender kept its socket 30-50 s, not 20 s
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: KEEP_ALIVE_MS, connectionsCheckingInterval: 1_000 }, (req, res) => {
    const started = performance.now();
    let bytes = 0;
    stats.requests++;
    stats.inFlight++;
    const count = (n: number) => {
      bytes += n;
      stats.bytesSent += n;
    };
    res.once('close', () => {
      stats.inFlight--;
      o.onAccess?.({
        remote: req.socket.remoteAddress ?? '-',
        method: printable(req.method ?? '-', 16),
        // a client may carry a token in its URL (`?token=`, `/t/<token>/`, userinfo in an absolute target)
        target: printable(redactUrl(req.url ?? ''), 512),
        status: res.statusCode,
        bytes,
        ms: performance.now() - started,
      });
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    // a body on GET/HEAD is meaningless: drain it so the connection stays usable
    req.resume();
    if (closing) res.setHeader('Connection', 'close');
    const fail = (err: unknown) => {
      logger.warn(`Request failed: ${printable(req.method ?? '', 16)} ${printable(redactUrl(req.url ?? ''), 512)}: ${redactText((err as Error)?.message ?? String(err))}`);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n', req.method, count);
      else res.destroy();
    };
    try {
      respond(req, res, count)?.catch(fail);
    } catch (err) {
      fail(err);
    }
  });
  server.maxConnections = o.maxConnections ?? 1024;
  server.setTimeout(o.idleTimeoutMs ?? 120_000);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (err.code !== 'ECONNRESET') o.onAccess?.({ remote: socket.remoteAddress ?? '-', method: '-', target: '-', status, bytes: 0, ms: 0 });
    // as node's default handler: answer only when no response is under way on the socket
    const inProgress = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inProgress?.headersSent) {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else socket.destroy();
  });

  // Both are pure functions of the raw request target (the site never
  // changes), so clients asking for the same URLs again skip the decoding.
  const routes = new BoundedMemo<Routed>(4096);
  const routeFor = (raw: string): Routed =>
    routes.get(raw, () => {
      const target = parseRequestTarget(raw);
      return target.ok ? { ...routeRequest(target, (p) => site.files.has(p)), query: target.query } : { kind: 'bad', status: target.status, reason: target.reason };
    });
  // a client sends the same Accept header with every request, and parsing
  // pip's took ~6 us, near a tenth of a small-file answer
  const formats = new BoundedMemo<SimpleFormat | undefined>(256);
  // The heads of the plain 200 and of the 304 per representation (a file, or
  // a simple page in one negotiated type), built once: node's per-header
  // setHeader bookkeeping was the largest user-space cost of a small-file
  // request. Keyed by object (file, JSON body): hashing a string key per
  // request cost more than the lookup saved.
  const heads = new WeakMap<SiteFile | Buffer, Map<string, { ok: string[]; notModified: string[] }>>();
  const headsFor = (of: SiteFile | Buffer, etag: string, contentType: string, vary: string | undefined, size: number) => {
    let byType = heads.get(of);
    if (!byType) heads.set(of, (byType = new Map()));
    let made = byType.get(contentType);
    if (!made) {
      // a 304 carries what the 200 would, but the body's type and length (RFC 9110 section 15.4.5)
      const notModified = ['ETag', etag, 'Last-Modified', lastModified, 'Accept-Ranges', 'bytes', 'X-Content-Type-Options', 'nosniff', ...(vary ? ['Vary', vary] : [])];
      made = { notModified, ok: [...notModified, 'Content-Type', contentType, 'Content-Length', String(size)] };
      byType.set(contentType, made);
    }
    return made;
  };
  const jsonTag = (data: Buffer): string => {
    let tag = jsonEtags.get(data);
    if (!tag) jsonEtags.set(data, (tag = createHash('sha256').update(data).digest('hex')));
    return tag;
  };

  /** Where a request target leads: a file of the site (in its negotiated format), or a short text answer. */
  function targetOf(raw: string, accept: string | undefined): Target {
    const route = routeFor(raw);
    if (route.kind === 'bad') return { kind: 'text', status: route.status, text: `${http.STATUS_CODES[route.status]}: ${route.reason}\n` };
    if (route.kind === 'not-found') return { kind: 'text', status: 404, text: 'Not Found\n' };
    if (route.kind === 'redirect') return { kind: 'text', status: 301, text: `Moved Permanently: ${route.location}\n`, header: ['Location', route.location] };
    const file = site.get(route.path)!;
    if (!route.simple) return { kind: 'file', path: route.path, file };
    const asked = route.query ? queryParam(route.query, 'format') : undefined;
    const format = asked === undefined ? formats.get(accept ?? '', () => negotiateSimple(accept)) : negotiateSimple(accept, asked);
    if (!format) {
      return { kind: 'text', status: 406, text: 'Not Acceptable: this index serves text/html, application/vnd.pypi.simple.v1+html and application/vnd.pypi.simple.v1+json\n', header: ['Vary', 'Accept'] };
    }
    return { kind: 'file', path: route.path, file, format };
  }

  /**
   * The answer when it needs no waiting: a 304, or a plain GET whose body is
   * in memory (with its validator). Undefined otherwise: ranges (the caller
   * checks), HEAD without a validator and streamed bodies take the full path.
   */
  function fromMemory(t: FileTarget, method: string, ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): FrontAnswer | undefined {
    if (closing) return undefined;
    const json = t.format?.format === 'json';
    const data = json ? site.builtJson(t.path) : site.cachedWhole(t.file);
    const tag = json ? data && jsonTag(data) : site.knownDigest(t.file);
    if (!tag) return undefined;
    const etag = `"${tag}"`;
    const made = headsFor(json ? data! : t.file, etag, t.format?.contentType ?? t.file.contentType, t.format ? 'Accept' : undefined, json ? data!.length : t.file.size);
    if ((ifNoneMatch !== undefined || ifModifiedSince !== undefined) && isNotModified({ ifNoneMatch, ifModifiedSince }, etag, site.lastModified)) {
      return { status: 304, headers: made.notModified };
    }
    if (method === 'GET' && data) return { status: 200, headers: made.ok, body: data };
    return undefined;
  }

  /** Answers from memory when it can (fromMemory), else returns the promise of the full path. */
  function respond(req: IncomingMessage, res: ServerResponse, count: (n: number) => void): Promise<void> | undefined {
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', ALLOW);
      return sendText(res, 405, 'Method Not Allowed\n', method, count);
    }
    const t = targetOf(req.url ?? '', req.headers.accept);
    if (t.kind === 'text') {
      if (t.header) res.setHeader(t.header[0], t.header[1]);
      return sendText(res, t.status, t.text, method, count);
    }
    const h = req.headers;
    const quick = h.range === undefined ? fromMemory(t, method, h['if-none-match'], h['if-modified-since']) : undefined;
    if (quick) {
      res.writeHead(quick.status, quick.headers as string[]);
      if (quick.body) count(quick.body.length);
      res.end(quick.body);
      return;
    }
    return respondFully(req, res, count, method, t.path, t.file, t.format);
  }

  // Plain keep-alive GETs answered from memory skip node:http's per-request
  // work (fast-front.ts); everything else reaches the handler above.
  const front = installFastFront(server, {
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
    answer(get) {
      const t = targetOf(get.target, get.accept);
      return t.kind === 'file' ? fromMemory(t, 'GET', get.ifNoneMatch, get.ifModifiedSince) : undefined;
    },
    answered(get, a, socket, ms) {
      const bytes = a.body?.length ?? 0;
      stats.requests++;
      stats.bytesSent += bytes;
      o.onAccess?.({ remote: socket.remoteAddress ?? '-', method: 'GET', target: printable(redactUrl(get.target), 512), status: a.status, bytes, ms });
    },
  });

  async function respondFully(req: IncomingMessage, res: ServerResponse, count: (n: number) => void, method: string, sitePath: string, file: SiteFile, format: SimpleFormat | undefined): Promise<void> {
    let rep: Representation;
    if (format) {
      if (format.format === 'json') {
        const data = (await site.simpleJson(sitePath))!;
        rep = { etag: `"${jsonTag(data)}"`, size: data.length, contentType: format.contentType, vary: 'Accept', data };
      } else {
        rep = { etag: `"${await site.digest(file)}"`, size: file.size, contentType: format.contentType, vary: 'Accept', file };
      }
    } else {
      rep = { etag: `"${await site.digest(file)}"`, size: file.size, contentType: file.contentType, file };
    }

    res.setHeader('ETag', rep.etag);
    res.setHeader('Last-Modified', lastModified);
    if (rep.vary) res.setHeader('Vary', rep.vary);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const h = req.headers;
    if (isNotModified({ ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'] }, rep.etag, site.lastModified)) {
      res.writeHead(304);
      res.end();
      return;
    }
    const range = method === 'GET' && ifRangeAllows(header(h['if-range']), rep.etag, site.lastModified) ? parseRange(header(h.range), rep.size) : { kind: 'full' as const };
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${rep.size}`);
      return sendText(res, 416, 'Range Not Satisfiable\n', method, count);
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, rep.size - 1];
    const length = end - start + 1;
    res.setHeader('Content-Type', rep.contentType);
    res.setHeader('Content-Length', String(length));
    if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${rep.size}`);
    const status = range.kind === 'partial' ? 206 : 200;
    if (method === 'HEAD' || length === 0) {
      res.writeHead(status);
      res.end();
      return;
    }
    const body = rep.data ? rep.data.subarray(start, end + 1) : await site.body(rep.file!, start, end);
    if (res.destroyed) {
      if (!Buffer.isBuffer(body)) body.destroy();
      return;
    }
    res.writeHead(status);
    if (Buffer.isBuffer(body)) {
      count(body.length);
      res.end(body);
      return;
    }
    body.on('data', (chunk: Buffer) => count(chunk.length));
    await new Promise<void>((resolve) => {
      pipeline(body, res, (err) => {
        // a client that goes away mid-body is normal; a read error cuts the connection
        if (err && !res.destroyed) res.destroy();
        if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
          logger.warn(`Could not send ${sitePath}: ${err.message}`);
        }
        resolve();
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.warn(`Mirror server error: ${err.message}`));
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`;

  let closed: Promise<void> | undefined;
  return {
    url,
    host,
    port: actualPort,
    stats: () => ({ ...stats }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        front.endHeld();
        const cut = setTimeout(() => {
          server.closeAllConnections();
          front.destroyHeld();
        }, o.graceMs ?? 10_000);
        cut.unref();
        server.once('close', () => clearTimeout(cut));
      });
      return closed;
    },
  };
}

/** One access-log line: `127.0.0.1 GET /pypi/simple/ 200 1234 0.8ms`. */
export function formatAccessLine(e: AccessLogEntry): string {
  return `${e.remote} ${e.method} ${e.target} ${e.status} ${e.bytes} ${e.ms.toFixed(1)}ms`;
}

function sendText(res: ServerResponse, status: number, text: string, method = 'GET', count?: (n: number) => void): undefined {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), 'X-Content-Type-Options': 'nosniff' });
  if (method === 'HEAD') return void res.end();
  count?.(body.length);
  res.end(body);
  return undefined;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  try {
    return new URLSearchParams(query).get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Control and non-ASCII characters percent-encoded, so a log line stays one line. */
function printable(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): PackagerError {
  if (err.code === 'EADDRINUSE') {
    return new PackagerError('EUSAGE', `Port ${port} on ${host} is already in use`, { hint: 'choose another --port (0 picks a free one)' }, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new PackagerError('EUSAGE', `Not allowed to listen on port ${port} of ${host}`, { hint: 'ports below 1024 need privileges: use e.g. --port 8080' }, { cause: err });
  }
  return new PackagerError('EUSAGE', `Cannot listen on ${host}:${port}: ${err.code ?? err.message}`, { hint: 'give an address of this machine with --host, e.g. 127.0.0.1 or 0.0.0.0' }, { cause: err });
}
