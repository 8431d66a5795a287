import { describe, expect, it } from 'vitest';
import { decodeText, isPackagerError, percentDecoded } from '../../src/core/index.js';

const errorOf = (bytes: number[]) => {
  try {
    decodeText(Uint8Array.from(bytes), 'req.txt', 'EINPUT');
  } catch (err) {
    if (isPackagerError(err)) return { code: err.code, message: err.message, line: err.details.line, column: err.details.column };
    throw err;
  }
  throw new Error('decoded');
};

describe('decodeText: the bytes of a file the user wrote', () => {
  it('reads UTF-8, and UTF-16 when a byte order mark says so', () => {
    expect(decodeText(Buffer.from('naïve==1\n'), 'r.txt', 'EINPUT')).toBe('naïve==1\n');
    expect(decodeText(Buffer.from('\ufeffx', 'utf16le'), 'r.txt', 'EINPUT')).toBe('x');
    expect(decodeText(Uint8Array.from([0xfe, 0xff, 0, 0x78]), 'r.txt', 'EINPUT')).toBe('x');
  });

  it('refuses other bytes with the code given, naming the first bad byte, its line and column', () => {
    expect(errorOf([0x61, 0x0a, 0x62, 0x63, 0xe9, 0x0a])).toEqual({ code: 'EINPUT', message: 'req.txt is not UTF-8 text: byte 0xe9 at line 2, column 3', line: 2, column: 3 });
  });

  it.each([
    ['an overlong form', [0x61, 0xc0, 0xaf], 2],
    ['a surrogate', [0x61, 0x62, 0xed, 0xa0, 0x80], 3],
    ['a sequence cut short at the end', [0x61, 0xe2, 0x82], 2],
  ])('finds %s', (_what, bytes, column) => {
    expect(errorOf(bytes).column).toBe(column);
  });
});

describe('percentDecoded', () => {
  it('decodes percent-encoding and keeps what does not decode as written', () => {
    expect(percentDecoded('a%2Bb%20c.whl')).toBe('a+b c.whl');
    expect(percentDecoded('%zz-1.0.tar.gz')).toBe('%zz-1.0.tar.gz');
    expect(percentDecoded('%E0%A4%A')).toBe('%E0%A4%A');
  });
});
