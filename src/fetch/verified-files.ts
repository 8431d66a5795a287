// Files this process has hashed, with what their bytes hashed to, keyed by
// path and fingerprinted by what the kernel changes on any write or
// replacement: device, inode, size, mtime and ctime in nanoseconds (ctime
// cannot be set back from user space). The zip writer copies a cache entry
// that was verified moments earlier without hashing it a second time, and
// re-hashes anything whose fingerprint moved: git's index trusts the same stat
// data for the same purpose.
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { statPath } from './quick-fs.js';

/** Digests of a file's whole content. */
export interface VerifiedDigests {
  size: number;
  sha256: string;
  md5?: string;
  crc32: number;
}

const verified = new Map<string, VerifiedDigests & { fingerprint: string }>();

/**
 * What the kernel changes on any write or replacement of a file, as one
 * string (hash-pool.ts's worker builds the same from its own fstat).
 */
export function statFingerprint(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * Records `d` as the digests of `file` as it is now. `before`, when given, is
 * the file's stat from before it was hashed: nothing is recorded if the file
 * changed while it was being read.
 */
export async function rememberVerified(file: string, d: VerifiedDigests, before?: BigIntStats): Promise<void> {
  const key = path.resolve(file);
  try {
    const st = await statPath(key, { bigint: true });
    const fp = statFingerprint(st);
    if (st.size !== BigInt(d.size) || (before && statFingerprint(before) !== fp)) {
      verified.delete(key);
      return;
    }
    record(key, d, fp);
  } catch {
    verified.delete(key);
  }
}

/**
 * Records `d` as the digests of `file`, read whole by a hash worker that saw
 * the same stat fingerprint before and after the read (HashResult.fingerprint;
 * undefined when it moved: nothing is recorded). Saves the two stat calls of
 * rememberVerified for every cache hit.
 */
export function rememberFingerprinted(file: string, d: VerifiedDigests, fp: string | undefined): void {
  const key = path.resolve(file);
  if (!fp || fp.split(':')[2] !== String(d.size)) {
    verified.delete(key);
    return;
  }
  record(key, d, fp);
}

function record(key: string, d: VerifiedDigests, fp: string): void {
  verified.set(key, { size: d.size, sha256: d.sha256, ...(d.md5 ? { md5: d.md5 } : {}), crc32: d.crc32, fingerprint: fp });
}

/** The digests recorded for `file` when `st` (its current stat) shows it unchanged since; else undefined. */
export function verifiedDigests(file: string, st: BigIntStats): VerifiedDigests | undefined {
  const hit = verified.get(path.resolve(file));
  if (!hit || hit.fingerprint !== statFingerprint(st)) return undefined;
  const { fingerprint: _fp, ...digests } = hit;
  return digests;
}

/** Whether `file` was recorded at all, whatever its stat says now (a hint: verifiedDigests decides). */
export function wasVerified(file: string): boolean {
  return verified.has(path.resolve(file));
}

/** Forgets every record (tests). */
export function forgetVerified(): void {
  verified.clear();
}
