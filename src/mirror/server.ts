// `bin/mirror serve`: a node:http server over a MirrorSite, for one site and
// for tests; a site that needs more serves `bin/mirror export` with nginx
// (nginx-conf.ts). GET and HEAD, one byte Range (206/416), strong ETags
// (sha256 of the bytes), 304 on If-None-Match / If-Modified-Since, a fixed
// Last-Modified, PEP 691 negotiation on simple pages (`Vary: Accept`),
// keep-alive. Each representation's header list is built once; a body held in
// memory is answered at once, others stream from the source with
// backpressure. No request parses or scans anything unbounded (the site made
// the JSON pages when it opened), so none holds up the others. A request can
// fail but never take the process down; close() stops accepting, lets
// in-flight responses finish (up to a grace period) and resolves when every
// connection is gone.
// HTTP semantics: RFC 9110; simple API: PEP 503/691.
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline, type Readable } from 'node:stream';
import { PackagerError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { redactText, redactUrl } from '../core/redact.js';
import { ifRangeAllows, isNotModified, parseRange } from './http-range.js';
import { negotiateSimple } from './pep691.js';
import { parseRequestTarget } from './request-path.js';
import { routeRequest } from './routes.js';
import { cacheControlFor, type MirrorSite, type SiteFile } from './site.js';

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

/** One stored form of a resource: a site file (a simple page's JSON form included) in a content type. */
export interface Representation {
  file: SiteFile;
  contentType: string;
  /** `Accept` for simple pages, whose answer depends on it. */
  vary?: string;
}

/** What a request gets: a representation, or a short text answer. */
export type Answer = { kind: 'representation'; rep: Representation } | { kind: 'text'; status: number; text: string; headers?: string[] };

/** The header lists (name, value, name, value...) of a representation's 200 and 304. */
export interface Heads {
  ok: string[];
  notModified: string[];
}

const ALLOW = 'GET, HEAD';
/** How long a keep-alive connection may wait for its next request. */
const KEEP_ALIVE_MS = 5_000;

/** What a request for `rawTarget` with this Accept gets from `site`. Pure: the site never changes. */
export function answerFor(site: MirrorSite, method: string, rawTarget: string, accept: string | undefined): Answer {
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method Not Allowed\n', ['Allow', ALLOW]);
  const target = parseRequestTarget(rawTarget);
  if (!target.ok) return text(target.status, `${STATUS_CODES[target.status]}: ${target.reason}\n`);
  const route = routeRequest(target, (p) => site.files.has(p));
  if (route.kind === 'not-found') return text(404, 'Not Found\n');
  if (route.kind === 'redirect') return text(301, `Moved Permanently: ${route.location}\n`, ['Location', route.location]);
  const file = site.get(route.path)!;
  if (!route.simple) return { kind: 'representation', rep: { file, contentType: file.contentType } };
  const json = site.json.get(route.path);
  const format = negotiateSimple(accept, queryParam(target.query, 'format'), json !== undefined);
  if (!format) {
    return text(406, 'Not Acceptable: this index serves text/html, application/vnd.pypi.simple.v1+html and application/vnd.pypi.simple.v1+json\n', ['Vary', 'Accept']);
  }
  return { kind: 'representation', rep: { file: format.format === 'json' ? json! : file, contentType: format.contentType, vary: 'Accept' } };
}

/** The headers of a representation whose ETag is `etag`. A 304 carries what the 200 would, but the body's type and length (RFC 9110 section 15.4.5). */
export function headsOf(rep: Representation, etag: string, lastModified: string): Heads {
  const notModified = ['ETag', etag, 'Last-Modified', lastModified, 'Cache-Control', cacheControlFor(rep.file.path), 'Accept-Ranges', 'bytes', 'X-Content-Type-Options', 'nosniff'];
  if (rep.vary) notModified.push('Vary', rep.vary);
  return { notModified, ok: [...notModified, 'Content-Type', rep.contentType, 'Content-Length', String(rep.file.size)] };
}

/** The server's state, shared by the steps below. */
interface Mirror {
  site: MirrorSite;
  logger: Logger;
  onAccess?: (e: AccessLogEntry) => void;
  stats: MirrorStats;
  lastModified: string;
  /** Heads by file and content type, built at a representation's first request. */
  heads: WeakMap<SiteFile, Map<string, Heads>>;
  closing: boolean;
}

/** Starts serving `site`. Throws EUSAGE when the address cannot be used. */
export async function startMirrorServer(site: MirrorSite, o: MirrorServerOptions = {}): Promise<MirrorServer> {
  const host = o.host ?? '127.0.0.1';
  const m: Mirror = {
    site,
    logger: o.logger ?? silentLogger,
    onAccess: o.onAccess,
    stats: { requests: 0, inFlight: 0, bytesSent: 0 },
    lastModified: site.lastModified.toUTCString(),
    heads: new WeakMap(),
    closing: false,
  };
  // node checks headersTimeout/requestTimeout only every connectionsCheckingInterval
  // (default 30 s), so a slowloris sender kept its socket 30-50 s, not 20 s
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: KEEP_ALIVE_MS, connectionsCheckingInterval: 1_000 }, (req, res) =>
    handleRequest(m, server, req, res),
  );
  server.maxConnections = o.maxConnections ?? 1024;
  server.setTimeout(o.idleTimeoutMs ?? 120_000);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(m, err, socket));
  const port = await listen(server, host, o.port ?? 8080);
  server.on('error', (err) => m.logger.warn(`Mirror server error: ${err.message}`));
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    host,
    port,
    stats: () => ({ ...m.stats }),
    close: () => (closed ??= closeGracefully(m, server, o.graceMs ?? 10_000)),
  };
}

/** Listens on host:port; resolves the port (the one picked when 0). */
function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting and closes idle connections (node:http's close() does
 * both), closes busy ones as their responses end (handleRequest), and cuts
 * whatever is left after `graceMs`. Resolves when every connection is gone.
 */
function closeGracefully(m: Mirror, server: http.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    m.closing = true;
    server.close(() => resolve());
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.once('close', () => clearTimeout(cut));
  });
}

/** One request, from its arrival to its access-log entry. */
function handleRequest(m: Mirror, server: http.Server, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  let bytes = 0;
  m.stats.requests++;
  m.stats.inFlight++;
  const count = (n: number) => {
    bytes += n;
    m.stats.bytesSent += n;
  };
  res.once('close', () => {
    m.stats.inFlight--;
    m.onAccess?.({
      remote: req.socket.remoteAddress ?? '-',
      method: printable(req.method ?? '-', 16),
      // a client may carry a token in its URL (`?token=`, `/t/<token>/`, userinfo in an absolute target)
      target: printable(redactUrl(req.url ?? ''), 512),
      status: res.statusCode,
      bytes,
      ms: performance.now() - started,
    });
    // closing: the connection this response held is idle now, close it
    if (m.closing) setImmediate(() => server.closeIdleConnections());
  });
  // a body on GET/HEAD is meaningless: drain it so the connection stays usable
  req.resume();
  if (m.closing) res.setHeader('Connection', 'close');
  const fail = (err: unknown) => {
    m.logger.warn(`Request failed: ${printable(req.method ?? '', 16)} ${printable(redactUrl(req.url ?? ''), 512)}: ${redactText((err as Error)?.message ?? String(err))}`);
    if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n', req.method, count);
    else res.destroy();
  };
  try {
    const method = req.method ?? '';
    const answer = answerFor(m.site, method, req.url ?? '', req.headers.accept);
    if (answer.kind === 'text') {
      for (let i = 0; i + 1 < (answer.headers?.length ?? 0); i += 2) res.setHeader(answer.headers![i]!, answer.headers![i + 1]!);
      sendText(res, answer.status, answer.text, method, count);
    } else {
      sendRepresentation(m, req, res, answer.rep, count)?.catch(fail);
    }
  } catch (err) {
    fail(err);
  }
}

/**
 * Answers with a representation: 304, 416, or its bytes (whole or one range).
 * Returns undefined when it answered at once (its digest and, for a body, its
 * bytes were in memory), else the promise of the answer.
 */
function sendRepresentation(m: Mirror, req: IncomingMessage, res: ServerResponse, rep: Representation, count: (n: number) => void): Promise<void> | undefined {
  const { site } = m;
  const digest = site.knownDigest(rep.file);
  if (digest === undefined) return site.digest(rep.file).then(() => sendRepresentation(m, req, res, rep, count));
  const etag = `"${digest}"`;
  const heads = headsFor(m, rep, etag);
  const h = req.headers;
  if ((h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined) && isNotModified({ ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'] }, etag, site.lastModified)) {
    res.writeHead(304, heads.notModified);
    res.end();
    return undefined;
  }
  const size = rep.file.size;
  const range = req.method === 'GET' && h.range !== undefined && ifRangeAllows(header(h['if-range']), etag, site.lastModified) ? parseRange(header(h.range), size) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    return sendText(res, 416, 'Range Not Satisfiable\n', req.method, count);
  }
  if (range.kind === 'full') {
    if (req.method === 'HEAD' || size === 0) {
      res.writeHead(200, heads.ok);
      res.end();
      return undefined;
    }
    const whole = site.cachedWhole(rep.file);
    if (whole) {
      res.writeHead(200, heads.ok);
      count(whole.length);
      res.end(whole);
      return undefined;
    }
    return sendBody(m, res, rep.file, 0, size - 1, 200, heads.ok, count);
  }
  const partial = [...heads.notModified, 'Content-Type', rep.contentType, 'Content-Length', String(range.end - range.start + 1), 'Content-Range', `bytes ${range.start}-${range.end}/${size}`];
  return sendBody(m, res, rep.file, range.start, range.end, 206, partial, count);
}

/** The heads of a representation, built at its first request. */
function headsFor(m: Mirror, rep: Representation, etag: string): Heads {
  let byType = m.heads.get(rep.file);
  if (!byType) m.heads.set(rep.file, (byType = new Map()));
  let heads = byType.get(rep.contentType);
  if (!heads) byType.set(rep.contentType, (heads = headsOf(rep, etag, m.lastModified)));
  return heads;
}

/** Sends bytes `start..end` of a file under `headers`, from memory or streamed with backpressure. */
async function sendBody(m: Mirror, res: ServerResponse, file: SiteFile, start: number, end: number, status: number, headers: string[], count: (n: number) => void): Promise<void> {
  const body = await m.site.body(file, start, end);
  if (res.destroyed) {
    if (!Buffer.isBuffer(body)) body.destroy();
    return;
  }
  res.writeHead(status, headers);
  if (Buffer.isBuffer(body)) {
    count(body.length);
    res.end(body);
    return;
  }
  await streamTo(m, res, body, file.path, count);
}

function streamTo(m: Mirror, res: ServerResponse, body: Readable, sitePath: string, count: (n: number) => void): Promise<void> {
  body.on('data', (chunk: Buffer) => count(chunk.length));
  return new Promise<void>((resolve) => {
    pipeline(body, res, (err) => {
      // a client that goes away mid-body is normal; a read error cuts the connection
      if (err && !res.destroyed) res.destroy();
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') m.logger.warn(`Could not send ${sitePath}: ${err.message}`);
      resolve();
    });
  });
}

/** A request node:http could not parse: logged, and answered as node's default handler would. */
function answerClientError(m: Mirror, err: NodeJS.ErrnoException, socket: Socket): void {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  if (err.code !== 'ECONNRESET') m.onAccess?.({ remote: socket.remoteAddress ?? '-', method: '-', target: '-', status, bytes: 0, ms: 0 });
  // answer only when no response is under way on the socket
  const inProgress = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && !inProgress?.headersSent) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  } else socket.destroy();
}

/** One access-log line: `127.0.0.1 GET /pypi/simple/ 200 1234 0.8ms`. */
export function formatAccessLine(e: AccessLogEntry): string {
  return `${e.remote} ${e.method} ${e.target} ${e.status} ${e.bytes} ${e.ms.toFixed(1)}ms`;
}

function text(status: number, body: string, headers?: string[]): Answer {
  return { kind: 'text', status, text: body, headers };
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
