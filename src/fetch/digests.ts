// A file's digests, computed in one pass as its bytes stream past: sha256
// (what the cache and the zip index speak), CRC-32 (what a zip entry records,
// so the zip writer never reads a verified file twice for it) and md5 when a
// legacy manifest publishes only md5. Nothing here holds a whole file in memory.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import ssri from 'ssri';
import type { HashAlgorithm } from '../core/integrity.js';

/** What fetch returns for every file and bundle/ writes into the zip. */
export interface FileDigests {
  size: number;
  sha256: string;
  /** CRC-32 (ISO 3309, as a zip entry records it), unsigned. */
  crc32: number;
  /** Computed only when asked for (an md5-keyed artifact). */
  md5?: string;
}

/** Incremental sha256 (+ md5) + CRC-32 + byte count over one stream of content. */
export class Digester {
  private readonly sha256 = createHash('sha256');
  private readonly md5: Hash | undefined;
  private crc = 0;
  size = 0;

  constructor(o: { md5?: boolean } = {}) {
    this.md5 = o.md5 ? createHash('md5') : undefined;
  }

  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
  }

  /** The digests of everything fed (call once). */
  digest(): FileDigests {
    return { size: this.size, sha256: this.sha256.digest('hex'), crc32: this.crc >>> 0, ...(this.md5 ? { md5: this.md5.digest('hex') } : {}) };
  }
}

// One read buffer for every file hashed on this thread: reads here are synchronous, one file at a time.
const readBuffer = Buffer.allocUnsafe(1 << 20);

/**
 * Feeds bytes [start, end) of `file` (to its end when `end` is undefined) to
 * `d`, with blocking reads: a local file's bytes come at memory speed, and
 * hashing them keeps this thread busy anyway.
 */
export function feedFile(d: Digester, file: string, start = 0, end = Infinity): void {
  const fd = openSync(file, 'r');
  try {
    for (let pos = start; pos < end; ) {
      const n = readSync(fd, readBuffer, 0, Math.min(readBuffer.length, end - pos), pos);
      if (n === 0) break;
      d.update(readBuffer.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The digests of a whole file (blocking reads: see feedFile). */
export function digestFile(file: string, algorithm: HashAlgorithm): FileDigests {
  const d = new Digester({ md5: algorithm === 'md5' });
  feedFile(d, file);
  return d.digest();
}

/** The hex digest that `algorithm` names. */
export function hexOf(d: FileDigests, algorithm: HashAlgorithm): string | undefined {
  return algorithm === 'sha256' ? d.sha256 : d.md5;
}

/** SRI string of every digest computed (`sha256-... md5-...`). */
export function integrityOf(d: FileDigests): string {
  let sri = ssri.fromHex(d.sha256, 'sha256').toString();
  if (d.md5) sri += ' ' + ssri.fromHex(d.md5, 'md5').toString();
  return sri;
}
