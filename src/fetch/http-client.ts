// One undici dispatcher per fetch run: EnvHttpProxyAgent (HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY) composed with the redirect interceptor. TLS trust is
// Node's default CA store, so NODE_EXTRA_CA_CERTS adds a private CA.
// undici refuses credentials inside URLs: userinfo is stripped here and sent as
// `Authorization: Basic`, which the redirect interceptor drops when a redirect
// leaves the origin. `/t/<token>/` paths stay in the URL (anaconda.org style).
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { PackagerError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { networkError, type Subject } from './fetch-errors.js';

/** Redirects followed before giving up (curl's --max-redirs is 50; pip's 30; 10 is plenty for CDNs). */
export const MAX_REDIRECTS = 10;

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(opts?: { limit: number }): Promise<void> };
  /**
   * Final URL after redirects, with the request's userinfo when it stayed on
   * the request's origin (the credentials went there too), so links resolved
   * against it keep them; may hold secrets: redact before showing.
   */
  url: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  subject: Subject;
}

/** A URL ready for undici: userinfo moved into an Authorization header. */
export interface PreparedUrl {
  url: string;
  authorization?: string;
}

/** Splits `https://user:pass@host/x` into `https://host/x` + `Basic dXNlcjpwYXNz`. */
export function prepareUrl(raw: string, what?: string): PreparedUrl {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new PackagerError('EINPUT', `Not a valid URL${what ? ` for ${what}` : ''}: ${redactUrl(raw)}`, {
      url: redactUrl(raw),
      hint: 'Use an absolute http://, https:// or file:// URL.',
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new PackagerError('EINPUT', `Unsupported URL scheme${what ? ` for ${what}` : ''}: ${redactUrl(raw)}`, {
      url: redactUrl(raw),
      hint: 'Use an http://, https:// or file:// URL.',
    });
  }
  if (!u.username && !u.password) return { url: raw };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}

/** First value of a response header. */
export function header(h: HttpResponse['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

let undici: Promise<typeof import('undici')> | undefined;

/** undici, imported on the first request: a run served from the cache never loads it (bench/BENCHMARKS.md, "Start-up"). */
function loadUndici(): Promise<typeof import('undici')> {
  return (undici ??= import('undici'));
}

export class HttpClient {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  private agent: Promise<Dispatcher> | undefined;

  constructor(opts: { headersTimeoutMs: number; bodyTimeoutMs: number }) {
    this.headersTimeoutMs = opts.headersTimeoutMs;
    this.bodyTimeoutMs = opts.bodyTimeoutMs;
  }

  /** The dispatcher, made on first use. */
  private dispatcher(): Promise<Dispatcher> {
    this.agent ??= loadUndici().then(({ EnvHttpProxyAgent, Pool, interceptors }) => {
      const timeouts = { headersTimeout: this.headersTimeoutMs, bodyTimeout: this.bodyTimeoutMs };
      return new EnvHttpProxyAgent({
        ...timeouts,
        connect: { timeout: this.headersTimeoutMs },
        // The proxy's CONNECT goes through this client: without our timeouts a
        // silent proxy would hold a download for undici's default 300 s.
        clientFactory: (origin: URL | string, o: object) => new Pool(origin, { ...o, ...timeouts }),
      }).compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
    });
    return this.agent;
  }

  /** GET `url` (redirects followed); network failures become PackagerErrors. The caller consumes or dumps the body. */
  async get(raw: string, opts: RequestOptions): Promise<HttpResponse> {
    const prepared = prepareUrl(raw, opts.subject.what);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...opts.headers };
    if (prepared.authorization) headers.authorization = prepared.authorization;
    const dispatcher = await this.dispatcher();
    const { request } = await loadUndici();
    try {
      const res = await request(prepared.url, {
        dispatcher,
        method: 'GET',
        headers,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const history = (res.context as { history?: URL[] } | undefined)?.history;
      const last = history && history.length > 0 ? history[history.length - 1]!.toString() : prepared.url;
      return {
        status: res.statusCode,
        statusText: res.statusText ?? '',
        headers: res.headers,
        body: res.body,
        url: withUserinfo(last, raw),
      };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      throw this.toError(err, opts.subject);
    }
  }

  /** Maps an error thrown while reading a body. */
  toError(err: unknown, subject: Subject): PackagerError {
    return networkError(err, subject, { headersMs: this.headersTimeoutMs, bodyMs: this.bodyTimeoutMs });
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).destroy();
  }
}

/** `final` with the userinfo of `requested` when both are on one origin (redirects within a host keep Basic auth). */
function withUserinfo(final: string, requested: string): string {
  const req = new URL(requested);
  if (!req.username && !req.password) return final;
  const out = new URL(final);
  if (out.origin !== req.origin) return final;
  out.username = req.username;
  out.password = req.password;
  return out.toString();
}

const USER_AGENT = 'conda-offline-buildpack-packager (undici)';
