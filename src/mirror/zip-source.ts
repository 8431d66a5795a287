// A buildpack zip read in place: the central directory once at start (yauzl),
// then every request is a positional read of the zip file. STORED entries
// (packages, wheels, installers: bundle/layout.ts stores them) stream straight
// from their offset, so a Range costs nothing extra; deflated entries (pages,
// repodata.json) are inflated on the fly. One file descriptor serves every
// request; nothing is extracted.
// Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.7 local header, 4.4.5 methods).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { PackagerError } from '../core/errors.js';
import { assertSafeEntryName } from '../bundle/layout.js';
import type { Source, SourceEntry } from './source.js';
import { streamChunk, trackStream } from './stream-budget.js';


const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

interface ZipSourceEntry extends SourceEntry {
  entry: Entry;
  dataStart?: Promise<number>;
}

/** Opens a zip and reads its central directory. Throws EBUNDLE for a zip the mirror must not serve. */
export async function openZipSource(zipPath: string): Promise<Source> {
  let mtime: Date;
  try {
    const st = await stat(zipPath);
    if (!st.isFile()) throw new PackagerError('EUSAGE', `Not a zip file: ${zipPath}`, { file: zipPath, hint: 'give a buildpack zip or an exported directory' });
    mtime = st.mtime;
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    throw new PackagerError('EUSAGE', `Cannot read the bundle: ${zipPath}: ${(err as Error).message}`, { file: zipPath, hint: 'check the path' }, { cause: err });
  }
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    throw new PackagerError('EBUNDLE', `Not a valid zip: ${zipPath}: ${(err as Error).message}`, { file: zipPath, hint: 'run `bin/package verify` on it' }, { cause: err });
  }
  const entries = new Map<string, ZipSourceEntry>();
  const unsafe: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const raw = entry.fileName as unknown as Buffer;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
      const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
      try {
        assertSafeEntryName(name.replace(/\/+$/, ''));
      } catch {
        unsafe.push(JSON.stringify(name));
        continue;
      }
      if ((unixMode & S_IFMT) === S_IFLNK) {
        unsafe.push(`${JSON.stringify(name)} (symlink)`);
        continue;
      }
      if (name.endsWith('/')) continue;
      if (entry.isEncrypted() || (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)) {
        throw new PackagerError('EBUNDLE', `Zip entry is encrypted or uses an unsupported compression method (${entry.compressionMethod}): ${name}`, { file: zipPath });
      }
      if (entries.has(name)) throw new PackagerError('EBUNDLE', `Zip entry appears twice: ${name}`, { file: zipPath, hint: 'rebuild the zip with bin/package' });
      entries.set(name, { name, size: entry.uncompressedSize, entry });
    }
  } catch (err) {
    zip.close();
    if (err instanceof PackagerError) throw err;
    throw new PackagerError('EBUNDLE', `Not a valid zip: ${zipPath}: ${(err as Error).message}`, { file: zipPath, hint: 'run `bin/package verify` on it' }, { cause: err });
  }
  if (unsafe.length) {
    zip.close();
    throw new PackagerError('EBUNDLE', `The zip has entries that escape its root, refusing to serve it: ${zipPath}`, {
      file: zipPath,
      entries: unsafe.slice(0, 20),
      hint: 'the zip was not made by bin/package or was tampered with; rebuild it',
    });
  }
  const handle = await open(zipPath, 'r');
  return new ZipSource(zipPath, new Date(Math.floor(mtime.getTime() / 1000) * 1000), entries, zip, handle);
}

class ZipSource implements Source {
  readonly kind = 'zip';

  constructor(
    readonly location: string,
    readonly lastModified: Date,
    readonly entries: Map<string, ZipSourceEntry>,
    private readonly zip: ZipFile,
    private readonly handle: FileHandle,
  ) {}

  async open(name: string, start: number, end: number): Promise<Readable> {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no such entry: ${name}`);
    if (start < 0 || end >= e.size || end < start) throw new RangeError(`range ${start}-${end} outside ${name} (${e.size} bytes)`);
    const dataStart = await this.dataStart(e);
    if (e.entry.compressionMethod === 0) return trackStream(new PositionalReader(this.handle, dataStart + start, dataStart + end));
    const compressed = trackStream(new PositionalReader(this.handle, dataStart, dataStart + e.entry.compressedSize - 1));
    const slice = new SliceStream(start, end, e.size, name);
    pipeline(compressed, createInflateRaw(), slice, () => {
      // errors reach the consumer through `slice`
    });
    return slice;
  }

  /** Offset of the entry's data (after its local header), read once per entry. */
  private dataStart(e: ZipSourceEntry): Promise<number> {
    if (!e.dataStart) {
      e.dataStart = this.zip.readLocalFileHeaderPromise(e.entry, { minimal: true }).then((h) => h.fileDataStart);
      e.dataStart.catch(() => {
        e.dataStart = undefined;
      });
    }
    return e.dataStart;
  }

  async close(): Promise<void> {
    this.zip.close();
    await this.handle.close();
  }
}

/** Passes on bytes `start..end` of an inflated entry and checks its full length. */
class SliceStream extends Transform {
  private pos = 0;

  constructor(
    private readonly first: number,
    private readonly last: number,
    private readonly total: number,
    private readonly entryName: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const from = this.pos;
    this.pos += chunk.length;
    if (this.pos > this.total) return cb(new Error(`zip entry inflates to more than its ${this.total} bytes: ${this.entryName}`));
    const a = Math.max(this.first, from);
    const b = Math.min(this.last + 1, this.pos);
    if (a < b) this.push(a === from && b === this.pos ? chunk : chunk.subarray(a - from, b - from));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    cb(this.pos === this.total ? null : new Error(`zip entry inflates to ${this.pos} bytes, not ${this.total}: ${this.entryName}`));
  }
}

/**
 * Bytes `pos..last` of a file through a shared FileHandle (pread). Unlike
 * fs.createReadStream({ fd }), destroying it (a client going away) never
 * closes the descriptor every other request is reading from.
 */
class PositionalReader extends Readable {
  private readonly chunk: number;

  constructor(
    private readonly handle: FileHandle,
    private pos: number,
    private readonly last: number,
  ) {
    const chunk = Math.min(streamChunk(), Math.max(1, last - pos + 1));
    super({ highWaterMark: chunk });
    this.chunk = chunk;
  }

  override _read(): void {
    const n = Math.min(this.chunk, this.last - this.pos + 1);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(n);
    this.handle.read(buf, 0, n, this.pos).then(
      ({ bytesRead }) => {
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.destroy(new Error(`unexpected end of the zip file at offset ${this.pos}`));
          return;
        }
        this.pos += bytesRead;
        this.push(bytesRead === n ? buf : buf.subarray(0, bytesRead));
        if (this.pos > this.last) this.push(null);
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }
}
