// A directory tree as comparable data: every file's relative path, mode, size
// and sha256 (symlinks as their target), so "the same tree" is one toEqual.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/** rel path -> `<mode> <size> <sha256>` (files), `dir <mode>` or `link -> target`. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const e of (await readdir(dir, { recursive: true })).map(String).sort()) {
    const p = path.join(dir, e);
    const st = await lstat(p);
    if (st.isSymbolicLink()) out[e] = `link -> ${await readlink(p)}`;
    else if (st.isDirectory()) out[e] = `dir ${(st.mode & 0o7777).toString(8)}`;
    else out[e] = `${(st.mode & 0o7777).toString(8)} ${st.size} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
  }
  return out;
}
