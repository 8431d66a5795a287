// A directory as a Source: an unzipped bundle, or a tree `bin/mirror export`
// wrote. Only regular files found at start (or listed by the export's index)
// are entries; symlinks are never followed, so nothing outside the directory
// can be reached even if someone links it in later.
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PackagerError } from '../core/errors.js';
import { assertSafeEntryName, compareBytes } from '../bundle/layout.js';
import type { Source, SourceEntry } from './source.js';
import { streamChunk, trackStream } from './stream-budget.js';

export interface DirSourceOptions {
  /** Serve exactly these files (an export's index) instead of walking the tree. */
  names?: string[];
  /** Fixed Last-Modified; default the newest file's mtime. */
  lastModified?: Date;
}

/** A Source over a directory. Throws EBUNDLE when a listed file is missing or not a regular file. */
export async function openDirSource(root: string, o: DirSourceOptions = {}): Promise<Source> {
  const abs = path.resolve(root);
  const entries = new Map<string, SourceEntry>();
  let newest = 0;
  if (o.names) {
    const missing: string[] = [];
    for (const name of [...o.names].sort(compareBytes)) {
      assertSafeEntryName(name);
      const st = await lstat(path.join(abs, ...name.split('/'))).catch(() => undefined);
      if (!st?.isFile()) {
        missing.push(name);
        continue;
      }
      entries.set(name, { name, size: st.size });
      newest = Math.max(newest, st.mtimeMs);
    }
    if (missing.length) {
      throw new PackagerError('EBUNDLE', `The exported directory lacks ${missing.length} file(s) its index lists: ${abs}`, {
        file: abs,
        missing: missing.slice(0, 20),
        hint: 'run `bin/mirror export ZIP DIR` again to repair it',
      });
    }
  } else {
    newest = await walk(abs, '', entries);
  }
  const lastModified = o.lastModified ?? new Date(Math.floor(newest / 1000) * 1000);
  return new DirSource(abs, lastModified, entries);
}

async function walk(root: string, rel: string, out: Map<string, SourceEntry>): Promise<number> {
  let newest = 0;
  const dirents = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const d of dirents.sort((a, b) => compareBytes(a.name, b.name))) {
    const name = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) {
      newest = Math.max(newest, await walk(root, name, out));
    } else if (d.isFile()) {
      try {
        assertSafeEntryName(name);
      } catch {
        continue;
      }
      const st = await lstat(path.join(root, name));
      out.set(name, { name, size: st.size });
      newest = Math.max(newest, st.mtimeMs);
    }
  }
  return newest;
}

class DirSource implements Source {
  readonly kind = 'dir';

  constructor(
    readonly location: string,
    readonly lastModified: Date,
    readonly entries: Map<string, SourceEntry>,
  ) {}

  async open(name: string, start: number, end: number): Promise<Readable> {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no such entry: ${name}`);
    if (start < 0 || end >= e.size || end < start) throw new RangeError(`range ${start}-${end} outside ${name} (${e.size} bytes)`);
    const handle = await open(path.join(this.location, ...name.split('/')), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.size !== e.size) throw new Error(`file changed since the mirror started (${st.size} bytes, was ${e.size}): ${name}`);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return trackStream(handle.createReadStream({ start, end, highWaterMark: Math.min(streamChunk(), Math.max(1, end - start + 1)) }));
  }

  async close(): Promise<void> {}
}
