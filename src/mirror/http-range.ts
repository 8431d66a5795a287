// Range requests and conditional requests, as a static file server answers
// them. Pure functions over header values.
// Range: RFC 9110 section 14 (one byte range; a multi-range request is
// answered in full, which section 14.2 allows); conditionals: RFC 9110
// section 13 (If-None-Match uses the weak comparison, If-Range the strong one,
// If-Modified-Since only when there is no If-None-Match).

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Interprets a Range header against a representation of `size` bytes.
 * `bytes=0-99`, `bytes=100-`, `bytes=-100`; an invalid or multi-range
 * header means the whole body; a range starting at or past the end is
 * unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return { kind: 'full' };
  const spec = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (!spec) return { kind: 'full' };
  const [, first, last] = spec;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'partial', start, end };
}

/** The entity-tags of an If-None-Match / If-Match header (`*` as itself). */
export function parseEntityTags(header: string): string[] {
  if (header.trim() === '*') return ['*'];
  const tags: string[] = [];
  for (const m of header.matchAll(/(W\/)?"([^"]*)"/g)) tags.push(`${m[1] ?? ''}"${m[2]}"`);
  return tags;
}

/** Weak comparison (RFC 9110 section 8.8.3.2): equal opaque tags, W/ ignored. */
export function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** True when a GET/HEAD may be answered 304 Not Modified. */
export function isNotModified(headers: { ifNoneMatch?: string; ifModifiedSince?: string }, etag: string, lastModified: Date): boolean {
  if (headers.ifNoneMatch !== undefined) {
    return parseEntityTags(headers.ifNoneMatch).some((t) => t === '*' || weakMatch(t, etag));
  }
  if (headers.ifModifiedSince !== undefined) {
    const since = Date.parse(headers.ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * If-Range (RFC 9110 section 13.1.5): the Range applies only when the
 * validator still matches: a strong entity-tag equal to ours, or the exact
 * Last-Modified date.
 */
export function ifRangeAllows(ifRange: string | undefined, etag: string, lastModified: Date): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return !v.startsWith('W/') && v === etag;
  const date = Date.parse(v);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified.getTime() / 1000);
}
