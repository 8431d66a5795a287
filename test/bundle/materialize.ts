// Writes ZipEntry lists to a directory (what `unzip` of the zip would give),
// so real clients (pip) can be pointed at the tree without a zip in between.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ZipEntry } from '../../src/bundle/write-zip.js';

export async function materialize(entries: ZipEntry[], dir: string): Promise<void> {
  for (const e of entries) {
    const dest = path.join(dir, ...e.name.split('/'));
    await mkdir(path.dirname(dest), { recursive: true });
    if ('path' in e.source) await copyFile(e.source.path, dest);
    else await writeFile(dest, e.source.data);
  }
}
