// The few file-system calls a download or a cache hit makes several times per
// file, through node:fs's callback API. fs/promises wraps each call in extra
// machinery (a FileHandle for writeFile) that cost several times the main-
// thread time here: 1,000 writeFile calls took 141 ms through fs/promises and
// 37 ms through the callback API (bench/BENCHMARKS.md, "Per-file overheads").
import fs from 'node:fs';
import { promisify } from 'node:util';

/** fs.writeFile (small files: a lock, a validator). */
export const writeSmallFile = promisify(fs.writeFile);
/** fs.stat, with `{ bigint: true }` when a fingerprint needs nanoseconds. */
export const statPath = promisify(fs.stat);
/** fs.rename. */
export const renamePath = promisify(fs.rename);
const unlinkPath = promisify(fs.unlink);

/**
 * Removes one file, fine when it is already gone. Not fs.rm: that stats the
 * path first, and a download runs this several times.
 */
export async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlinkPath(file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}
