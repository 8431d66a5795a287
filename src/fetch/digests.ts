// Checksums computed while bytes stream past: sha256 always (the cache and the
// zip index speak sha256), md5 when a legacy manifest only publishes md5, and
// CRC-32 (what the zip writer needs, so it never re-reads a verified file to
// get it). The hashing runs in worker threads (hash-pool.ts); nothing here
// ever holds a whole file in memory.
import { Transform, type TransformCallback } from 'node:stream';
import ssri from 'ssri';
import type { HashAlgorithm } from '../core/integrity.js';
import { HashSession, hashFileInPool, type HashResult, type Sidecar } from './hash-pool.js';

export interface DigestResult {
  size: number;
  sha256: string;
  md5?: string;
  /** CRC-32 of the content (unsigned), as a zip entry records it. */
  crc32: number;
  /** SRI string of every digest computed. */
  integrity: string;
  /** digestFile with `fingerprint`: the file's stat fingerprint, when unchanged by the read. */
  fingerprint?: string;
}

/** Running sha256 (+ md5) + CRC-32 and byte count over one stream of content. */
export class Digests {
  private readonly session: HashSession;
  size = 0;

  constructor(algorithm: HashAlgorithm) {
    this.session = new HashSession({ sha256: true, md5: algorithm === 'md5', crc32: true });
  }

  /** Adds bytes; false means: await drained() before adding more (the hashing fell behind). */
  update(chunk: Buffer): boolean {
    this.size += chunk.length;
    return this.session.update(chunk);
  }

  /** Resolves when the hashing has caught up with update(). */
  drained(): Promise<void> {
    return this.session.drained();
  }

  /** The hash worker also writes every later chunk to `file`, and keeps its sidecar (see HashSession.writeTo). */
  writeTo(file: string, o: { append: boolean; sidecar?: Sidecar }): void {
    this.session.writeTo(file, o);
  }

  /** A pass-through stream that feeds every chunk to these digests (with backpressure). */
  tap(onChunk?: (size: number) => void): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        const ok = this.update(chunk);
        onChunk?.(this.size);
        if (ok) cb(null, chunk);
        else this.drained().then(() => cb(null, chunk), cb);
      },
    });
  }

  /** Feeds the first `length` bytes of a file (a partial download being resumed). */
  async updateFromFile(file: string, length: number): Promise<void> {
    if (length === 0) return;
    await this.session.fromFile(file, 0, length);
    this.size += length;
  }

  /** The digests of everything fed; `dropSidecar` removes writeTo's sidecar once the file is closed. */
  async finish(o: { dropSidecar?: boolean } = {}): Promise<DigestResult> {
    return withIntegrity(await this.session.finish(o));
  }

  /** Drops the running hash (the bytes will not be used). */
  abort(): void {
    this.session.abort();
  }

  /** The hex digest for `algorithm` from a finished result. */
  static hexOf(result: DigestResult, algorithm: HashAlgorithm): string | undefined {
    return algorithm === 'sha256' ? result.sha256 : result.md5;
  }
}

function withIntegrity(r: HashResult): DigestResult {
  let sri = ssri.fromHex(r.sha256, 'sha256').toString();
  if (r.md5) sri += ' ' + ssri.fromHex(r.md5, 'md5').toString();
  return { size: r.size, sha256: r.sha256, ...(r.md5 ? { md5: r.md5 } : {}), crc32: r.crc32, integrity: sri, ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}) };
}

/** Hashes a whole file (read and hashed in a worker thread). */
export async function digestFile(file: string, algorithm: HashAlgorithm, o: { fingerprint?: boolean } = {}): Promise<DigestResult> {
  return withIntegrity(await hashFileInPool(file, { sha256: true, md5: algorithm === 'md5', crc32: true, fingerprint: o.fingerprint === true }));
}
