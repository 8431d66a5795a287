// The request target of an HTTP request, decoded and checked before anything
// looks it up. Requests only ever reach bundle bytes through a Map keyed by
// decoded site paths, so a path can never name a file outside the bundle;
// this module additionally refuses what no honest client sends (`..`, `.`,
// `%2e%2e`, encoded slashes, backslashes, NUL and other control characters,
// empty segments, absolute-form targets) so such requests are answered 400
// rather than 404 and show up plainly in the access log.
// Target forms: RFC 9112 section 3.2 (origin-form); percent-decoding: RFC 3986 section 2.1.

/** Longest request target (path and query) the mirror reads; longer ones get 414. */
export const MAX_TARGET_LENGTH = 4096;

export type ParsedTarget =
  | {
      ok: true;
      /** Decoded path: `/pypi/files/a+b-1.0.whl`, `/pypi/simple/` (keeps its trailing slash). */
      path: string;
      /** Decoded segments without the empty trailing one. */
      segments: string[];
      trailingSlash: boolean;
      /** Raw query string without the `?` (empty when absent). */
      query: string;
    }
  | { ok: false; status: 400 | 414; reason: string };

/** Decodes and checks a raw request target (`req.url`). */
export function parseRequestTarget(raw: string): ParsedTarget {
  if (raw.length > MAX_TARGET_LENGTH) return bad(414, 'request target too long');
  if (!raw.startsWith('/')) return bad(400, 'not an origin-form path');
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const query = q === -1 ? '' : raw.slice(q + 1);
  if (rawPath.includes('#')) return bad(400, 'fragment in request target');
  if (rawPath.includes('\\')) return bad(400, 'backslash in path');
  if (rawPath === '/') return { ok: true, path: '/', segments: [], trailingSlash: true, query };

  const parts = rawPath.slice(1).split('/');
  const trailingSlash = parts[parts.length - 1] === '';
  if (trailingSlash) parts.pop();
  const segments: string[] = [];
  for (const part of parts) {
    if (part === '') return bad(400, 'empty path segment');
    let seg: string;
    try {
      seg = decodeURIComponent(part);
    } catch {
      return bad(400, 'malformed percent-encoding');
    }
    if (seg === '.' || seg === '..') return bad(400, 'dot segment in path');
    if (seg.includes('/')) return bad(400, 'encoded slash in path');
    if (seg.includes('\\')) return bad(400, 'backslash in path');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(seg)) return bad(400, 'control character in path');
    segments.push(seg);
  }
  return { ok: true, path: `/${segments.join('/')}${trailingSlash ? '/' : ''}`, segments, trailingSlash, query };
}

/** Percent-encodes a decoded site path for a Location header or a link. */
export function encodeSitePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

function bad(status: 400 | 414, reason: string): ParsedTarget {
  return { ok: false, status, reason };
}
