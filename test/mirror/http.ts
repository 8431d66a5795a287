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

/** One reply read off a raw socket: the whole bytes, and its status, header lines and body. */
export interface RawReply {
  raw: Buffer;
  status: number;
  headers: string[];
  body: Buffer;
}

/**
 * Splits bytes read off one connection into whole replies (Content-Length
 * bodies; none for a 304, or where `heads[i]` says reply i answers a HEAD).
 * An incomplete last reply is left out.
 */
export function splitReplies(bytes: Buffer, heads: boolean[] = []): RawReply[] {
  const out: RawReply[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const lines = bytes.toString('latin1', at, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const length = heads[out.length] || status === 304 ? 0 : Number(/^content-length: (\d+)$/im.exec(lines.join('\n'))?.[1] ?? 0);
    if (bytes.length < end + 4 + length) break;
    out.push({ raw: bytes.subarray(at, end + 4 + length), status, headers: lines.slice(1), body: bytes.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}
