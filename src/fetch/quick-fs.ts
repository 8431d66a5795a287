// The few file-system calls a download or a cache hit makes several times per
// file (a lock, a validator, a rename, a stat, an unlink), made synchronously.
// Each is a metadata call of a few microseconds on a local disk, while handing
// one to libuv's thread pool costs the main thread the wake-up of a pool
// thread: on this 2-core VM, with the hash workers and the origin busy, the
// ~14 such calls per download took ~1 ms of main-thread time through the
// callback API, a third of it more through fs/promises (bench/BENCHMARKS.md,
// "Per-file overheads"). They keep a Promise API so callers stay the same,
// and a cache on a slow network file system only delays, never breaks, them.
import fs from 'node:fs';

/** fs.writeFile for small files (a lock, a validator). */
export async function writeSmallFile(file: string, data: string, options?: fs.WriteFileOptions): Promise<void> {
  fs.writeFileSync(file, data, options);
}

/** fs.stat, with `{ bigint: true }` when a fingerprint needs nanoseconds. */
export async function statPath(file: string): Promise<fs.Stats>;
export async function statPath(file: string, o: { bigint: true }): Promise<fs.BigIntStats>;
export async function statPath(file: string, o?: { bigint: true }): Promise<fs.Stats | fs.BigIntStats> {
  return o ? fs.statSync(file, o) : fs.statSync(file);
}

/** fs.rename. */
export async function renamePath(from: string, to: string): Promise<void> {
  fs.renameSync(from, to);
}

/** mkdir -p, in the thread pool: a new directory costs an inode, ~1 ms here under load. */
export function makeDirs(dir: string): Promise<unknown> {
  return new Promise((resolve, reject) => fs.mkdir(dir, { recursive: true }, (err) => (err ? reject(err) : resolve(undefined))));
}

/**
 * Removes one file, fine when it is already gone. Not fs.rm: that stats the
 * path first, and a download runs this several times.
 */
export async function unlinkIfPresent(file: string): Promise<void> {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}
