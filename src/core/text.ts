// Bytes to text for the files users write, one decoder for every reader of
// them; and percent-decoding that keeps what does not decode.
import { PackagerError, type ErrorCode } from './errors.js';

/**
 * Bytes of a text file the user wrote (manifest, lock, requirements.txt,
 * environment.yml) as a string: UTF-16 when a byte order mark says so, else
 * strict UTF-8; anything else is `code` naming the first bad byte's line and
 * column, because decoding it anyway silently turns names into mojibake.
 */
export function decodeText(bytes: Uint8Array, file: string, code: ErrorCode): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at);
    const line = before.filter((b) => b === 10).length + 1;
    const column = at - (before.lastIndexOf(10) + 1) + 1;
    throw new PackagerError(code, `${file} is not UTF-8 text: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at line ${line}, column ${column}`, {
      file,
      line,
      column,
      hint: 'save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)',
    });
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    // overlong, surrogate and out-of-range forms
    if ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f) || (c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f)) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}

/** decodeURIComponent, or the text as written when it is not valid percent-encoding (`%zz`): for names read from links. */
export function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
