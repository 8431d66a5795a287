// Where the mirror's bytes come from: a buildpack zip read in place
// (zip-source.ts) or a directory (dir-source.ts). A Source only knows entry
// names and byte ranges; which entry answers which URL is site.ts's business.
import type { Readable } from 'node:stream';

export interface SourceEntry {
  /** Relative path with forward slashes (`pypi/files/x.whl`). */
  name: string;
  size: number;
}

export interface Source {
  readonly kind: 'zip' | 'dir';
  /** The zip file or directory, for messages. */
  readonly location: string;
  /** Fixed for the source's lifetime: the zip's mtime, or what the export recorded. */
  readonly lastModified: Date;
  readonly entries: ReadonlyMap<string, SourceEntry>;
  /** Bytes `start..end` (inclusive, within the entry) of an entry, streamed. */
  open(name: string, start: number, end: number): Promise<Readable>;
  close(): Promise<void>;
}

/** Reads a whole (small) entry into memory; refuses entries larger than `max` bytes. */
export async function readEntry(source: Source, name: string, max: number): Promise<Buffer> {
  const entry = source.entries.get(name);
  if (!entry) throw new Error(`no such entry: ${name}`);
  if (entry.size > max) throw new Error(`entry too large to read whole (${entry.size} > ${max} bytes): ${name}`);
  if (entry.size === 0) return Buffer.alloc(0);
  const stream = await source.open(name, 0, entry.size - 1);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
  }
  if (total !== entry.size) throw new Error(`entry changed size while read (${total} of ${entry.size} bytes): ${name}`);
  return Buffer.concat(chunks, total);
}
