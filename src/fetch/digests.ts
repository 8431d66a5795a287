// A file's digests, computed in one pass as its bytes stream past: sha256
// (what the cache and the zip index speak), CRC-32 (what a zip entry records,
// so the zip writer never reads a verified file twice for it) and md5 when a
// legacy manifest publishes only md5. Nothing here holds a whole file in memory.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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

/** Feeds bytes [start, end) of `file` (to its end when `end` is undefined) to `d`. */
export async function feedFile(d: Digester, file: string, start = 0, end?: number): Promise<void> {
  if (end !== undefined && end <= start) return;
  const stream = createReadStream(file, { start, ...(end !== undefined ? { end: end - 1 } : {}), highWaterMark: 1 << 20 });
  for await (const chunk of stream) d.update(chunk as Buffer);
}

/** The digests of a whole file. */
export async function digestFile(file: string, algorithm: HashAlgorithm): Promise<FileDigests> {
  const d = new Digester({ md5: algorithm === 'md5' });
  await feedFile(d, file);
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
