import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../../src/core/errors.js';
import { parseSha256File } from '../../../src/resolve/miniconda/index.js';

const SHA = 'b64f77042cf8eafd31ced64f9253a74fb85db63545fe167ba5756aea0e8125be';
const FILE = 'Miniforge3-24.7.1-0-Linux-x86_64.sh';
const URL_ = `https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/${FILE}.sha256`;

describe('parseSha256File', () => {
  it('reads sha256sum output, text and binary mode, bare digests and upper case', () => {
    expect(parseSha256File(`${SHA}  ${FILE}\n`, FILE, URL_)).toBe(SHA);
    expect(parseSha256File(`${SHA} *${FILE}\r\n`, FILE, URL_)).toBe(SHA);
    expect(parseSha256File(`${SHA.toUpperCase()}\n`, FILE, URL_)).toBe(SHA);
    expect(parseSha256File(`${'0'.repeat(64)}  other.sh\n${SHA}  ./${FILE}\n`, FILE, URL_)).toBe(SHA);
  });

  it('rejects a file for another asset, naming both', () => {
    const e = (() => {
      try {
        parseSha256File(`${SHA}  Miniforge3-24.7.1-0-Linux-aarch64.sh\n`, FILE, URL_);
      } catch (err) {
        return err as PackagerError;
      }
    })()!;
    expect(e.code).toBe('EBADINDEX');
    expect(e.message).toBe(`Checksum file does not list ${FILE}: ${URL_}`);
    expect(e.details.found).toBe('Miniforge3-24.7.1-0-Linux-aarch64.sh');
  });

  it('rejects a document with no digest in it (an HTML error page)', () => {
    expect(() => parseSha256File('<html>Not Found</html>', FILE, URL_)).toThrow(/Malformed checksum file/);
  });
});
