// The four parts of undici the packager uses, loaded without undici's index.js.
// That index also loads fetch, WebSocket, EventSource, the cache stores and the
// mocks: ~80 ms of its ~130 ms load on this machine, paid by every run that
// downloads anything (bench/BENCHMARKS.md, "Start-up"). The paths are those of
// the undici version package-lock.json pins; test/fetch/undici-parts.test.ts
// fails if an upgrade moves them.
import { createRequire } from 'node:module';
import type { Dispatcher, EnvHttpProxyAgent, Pool, interceptors } from 'undici';

export interface UndiciParts {
  EnvHttpProxyAgent: typeof EnvHttpProxyAgent;
  Pool: typeof Pool;
  redirect: typeof interceptors.redirect;
  /** undici's top-level `request(url, { dispatcher, ... })`. */
  request(dispatcher: Dispatcher, url: string, opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData>;
}

let parts: UndiciParts | undefined;

/** Loads (once) what http-client.ts needs from undici. */
export function undiciParts(): UndiciParts {
  if (parts) return parts;
  // createRequire, not import: undici is CommonJS, and a bundler must leave it
  // out of the CLI bundle so it still loads only on the first download.
  const load = createRequire(import.meta.url);
  // As undici's index.js does: its dispatchers' request()/connect() (the proxy
  // agent's CONNECT uses the latter) live on Dispatcher.prototype.
  const Dispatcher = load('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
  Object.assign(Dispatcher.prototype, load('undici/lib/api/index.js'));
  const { parseURL } = load('undici/lib/core/util.js') as { parseURL(url: string): URL };
  parts = {
    EnvHttpProxyAgent: load('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof EnvHttpProxyAgent,
    Pool: load('undici/lib/dispatcher/pool.js') as typeof Pool,
    redirect: load('undici/lib/interceptor/redirect.js') as typeof interceptors.redirect,
    // What undici's top-level request(url, opts) does: validate the URL, split it into origin + path.
    async request(dispatcher, url, opts) {
      const u = parseURL(url);
      return await dispatcher.request({ ...opts, origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname } as Dispatcher.RequestOptions);
    },
  };
  return parts;
}
