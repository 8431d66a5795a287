// Nothing we write may ever be seen half-written under its final name: write
// to a sibling temp file, fsync, then rename (atomic on one filesystem).
import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { processAlive } from './process-alive.js';

/** A unique temp path beside `finalPath` (same directory, so rename is atomic). */
export function tempPathFor(finalPath: string): string {
  const dir = path.dirname(finalPath);
  const base = path.basename(finalPath);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `finalPath` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(finalPath), { recursive: true });
  const tmp = tempPathFor(finalPath);
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, finalPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

// tempPathFor's names: `.<name>.<pid>.<8 hex>.tmp`.
const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temp files a killed writer left in `dir` for any of `names`
 * (tempPathFor's pattern, writer's pid gone). A kill -9 gives no chance to
 * clean up, so the next writer of the same files does it.
 */
export async function removeStaleTemps(dir: string, names: ReadonlySet<string>): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return; // not there (yet): nothing to clean
  }
  for (const e of entries) {
    const m = TEMP_NAME.exec(e);
    if (!m || !names.has(m[1]!) || processAlive(Number(m[2]))) continue;
    const p = path.join(dir, e);
    if ((await lstat(p).catch(() => undefined))?.isFile()) await rm(p, { force: true });
  }
}
