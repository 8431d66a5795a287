// Checksums computed while bytes stream past: sha256 always (the cache and the
// zip index speak sha256), plus md5 when a legacy manifest only publishes md5.
// Nothing here ever holds a whole file in memory.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ssri from 'ssri';
import type { HashAlgorithm } from '../core/integrity.js';

export interface DigestResult {
  size: number;
  sha256: string;
  md5?: string;
  /** SRI string of every digest computed. */
  integrity: string;
}

/** Running sha256 (+ md5) and byte count over one stream of content. */
export class Digests {
  private readonly sha256: Hash = createHash('sha256');
  private readonly md5: Hash | undefined;
  size = 0;

  constructor(algorithm: HashAlgorithm) {
    this.md5 = algorithm === 'md5' ? createHash('md5') : undefined;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    this.size += chunk.length;
  }

  /** A pass-through stream that feeds every chunk to these digests. */
  tap(onChunk?: (size: number) => void): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        this.update(chunk);
        onChunk?.(this.size);
        cb(null, chunk);
      },
    });
  }

  /** Feeds the first `length` bytes of a file (a partial download being resumed). */
  async updateFromFile(file: string, length?: number): Promise<void> {
    if (length === 0) return;
    const src = createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 });
    await pipeline(src, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) this.update(chunk);
    });
  }

  finish(): DigestResult {
    const sha256 = this.sha256.digest('hex');
    const md5 = this.md5?.digest('hex');
    let sri = ssri.fromHex(sha256, 'sha256').toString();
    if (md5) sri += ' ' + ssri.fromHex(md5, 'md5').toString();
    return { size: this.size, sha256, ...(md5 ? { md5 } : {}), integrity: sri };
  }

  /** The hex digest for `algorithm` from a finished result. */
  static hexOf(result: DigestResult, algorithm: HashAlgorithm): string | undefined {
    return algorithm === 'sha256' ? result.sha256 : result.md5;
  }
}

/** Hashes a whole file by streaming it. */
export async function digestFile(file: string, algorithm: HashAlgorithm): Promise<DigestResult> {
  const d = new Digests(algorithm);
  await d.updateFromFile(file);
  return d.finish();
}
