import { describe, expect, it } from 'vitest';
import { ifRangeAllows, isNotModified, parseEntityTags, parseRange } from '../../src/mirror/http-range.js';

describe('parseRange on a 1000-byte body', () => {
  const table: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { kind: 'partial', start: 100, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes = 5-9', { kind: 'partial', start: 5, end: 9 }],
    ['bytes=0-0,', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-9,20-29', { kind: 'full' }],
    ['bytes=9-0', { kind: 'full' }],
    ['bytes=abc', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['bytes=1.5-2', { kind: 'full' }],
    ['items=0-9', { kind: 'full' }],
    ['', { kind: 'full' }],
  ];
  it.each(table)('%j -> %j', (header, want) => {
    expect(parseRange(header, 1000)).toEqual(want);
  });

  it('finds nothing to serve in an empty body', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange(undefined, 0)).toEqual({ kind: 'full' });
  });
});

describe('conditional requests', () => {
  const etag = '"abc"';
  const lm = new Date('2024-05-01T10:00:00Z');

  it('reads entity-tag lists', () => {
    expect(parseEntityTags('"a", W/"b" ,"c"')).toEqual(['"a"', 'W/"b"', '"c"']);
    expect(parseEntityTags(' * ')).toEqual(['*']);
  });

  const notModified: [Parameters<typeof isNotModified>[0], boolean][] = [
    [{ ifNoneMatch: '"abc"' }, true],
    [{ ifNoneMatch: 'W/"abc"' }, true],
    [{ ifNoneMatch: '"x", "abc"' }, true],
    [{ ifNoneMatch: '*' }, true],
    [{ ifNoneMatch: '"abd"' }, false],
    [{ ifNoneMatch: '"abd"', ifModifiedSince: 'Wed, 01 May 2024 10:00:00 GMT' }, false],
    [{ ifModifiedSince: 'Wed, 01 May 2024 10:00:00 GMT' }, true],
    [{ ifModifiedSince: 'Wed, 01 May 2024 11:00:00 GMT' }, true],
    [{ ifModifiedSince: 'Wed, 01 May 2024 09:59:59 GMT' }, false],
    [{ ifModifiedSince: 'yesterday' }, false],
    [{}, false],
  ];
  it.each(notModified)('%j -> 304 %s', (h, want) => {
    expect(isNotModified(h, etag, lm)).toBe(want);
  });

  const ifRange: [string | undefined, boolean][] = [
    [undefined, true],
    ['"abc"', true],
    ['"abd"', false],
    ['W/"abc"', false],
    ['Wed, 01 May 2024 10:00:00 GMT', true],
    ['Wed, 01 May 2024 10:00:01 GMT', false],
    ['garbage', false],
  ];
  it.each(ifRange)('If-Range %j applies the range: %s', (h, want) => {
    expect(ifRangeAllows(h, etag, lm)).toBe(want);
  });
});
