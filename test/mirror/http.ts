// Plain node:http requests for the mirror's tests: no redirect following, no
// decompression, every header visible, a fresh connection unless an agent is given.
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request; resolves with the whole reply. */
export function request(url: string, o: { method?: string; headers?: Record<string, string>; agent?: http.Agent; path?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path ?? u.pathname + u.search, headers: o.headers, agent: o.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
