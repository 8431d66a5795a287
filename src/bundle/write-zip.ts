// Writes a buildpack zip: entries in fixed (sorted) order with a fixed
// timestamp, so the same inputs give byte-identical zips; files are streamed
// (never read whole), checked against their expected sha256 and size, and the
// zip appears under its final name only when complete (renamed, not fsynced:
// see writeZip). The zip's own sha256 is computed as its bytes are written.
//
// Our own writer (APPNOTE 6.3.10, with zip64 where sizes, offsets or the entry
// count need it) rather than archiver: archiver computes every CRC-32 in
// JavaScript and copies STORED bytes through three stream stages (README).
// A STORED file whose digests fetch computed (ZipEntry.crc32) is copied
// without being hashed again; any other is hashed first, so its local header
// can hold its CRC-32 before its bytes.
// Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
import { createHash } from 'node:crypto';
import { open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createDeflateRaw, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import { PackagerError, isPackagerError } from '../core/errors.js';
import type { Logger, OnProgress } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { removeStaleTemps, tempPathFor } from '../core/atomic-file.js';
import { Digester } from '../fetch/index.js';
import { assertSafeEntryName, compareBytes, isStoredByDefault } from './layout.js';

/** One file of the zip: its name inside the zip and where its bytes come from. */
export interface ZipEntry {
  name: string;
  source: { path: string } | { data: string | Uint8Array };
  /** Unix permission bits; default 0755 when the file has any exec bit, else 0644. */
  mode?: number;
  /** Force STORE (true) or deflate (false); default decided by the name's extension. */
  store?: boolean;
  /** Expected sha256 (hex) of the bytes; checked before they go in (EINTEGRITY). */
  sha256?: string;
  /** Expected size in bytes; checked before they go in (ESIZE). */
  size?: number;
  /**
   * CRC-32 of the file's bytes from the pass that verified them (fetch's
   * digests). With `sha256` and `size`, a STORED file is copied without being
   * hashed again: it must not change after it was verified (cache entries never do).
   */
  crc32?: number;
}

export interface WrittenZip {
  path: string;
  size: number;
  sha256: string;
}

// 1980-01-01 00:00:00, the DOS epoch. DOS time is written from the Date's UTC
// fields, so the same SOURCE_DATE_EPOCH gives the same bytes in every TZ.
const DOS_EPOCH_MS = Date.UTC(1980, 0, 1, 0, 0, 0);
// The latest DOS time the 7-bit year field can hold before 2044.
const DOS_MAX_MS = Date.UTC(2043, 11, 31, 23, 59, 58);

/**
 * The timestamp every entry gets: SOURCE_DATE_EPOCH (seconds, UTC) when set
 * (https://reproducible-builds.org/specs/source-date-epoch/), else 1980-01-01.
 */
export function zipTimestamp(env: NodeJS.ProcessEnv = process.env): Date {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return new Date(DOS_EPOCH_MS);
  if (!/^\d+$/.test(raw.trim())) {
    throw new PackagerError('EUSAGE', `SOURCE_DATE_EPOCH is not a whole number of seconds: ${raw}`, {
      hint: 'set SOURCE_DATE_EPOCH to seconds since 1970-01-01 UTC (e.g. `git log -1 --format=%ct`), or unset it',
      key: 'SOURCE_DATE_EPOCH',
      found: raw,
    });
  }
  const ms = Number(raw.trim()) * 1000;
  return new Date(Math.min(Math.max(ms, DOS_EPOCH_MS), DOS_MAX_MS));
}

/** Unix mode for a file on disk, normalised as git stores it (0755 or 0644). */
export function normalizedMode(statMode: number): number {
  return statMode & 0o111 ? 0o755 : 0o644;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const S_IFREG = 0o100000;
/** A deflated file this close to 4 GiB gets zip64 sizes up front (deflate can grow data by ~0.03 %). */
const ZIP64_DEFLATE_MARGIN = 16 << 20;
const DEFLATE_LEVEL = 9;

/** Read size for copying and hashing files. */
const CHUNK = 1 << 20;

const deflateRawAsync = promisify(deflateRaw);

interface CentralRecord {
  name: Buffer;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  mode: number;
}

/**
 * Writes `entries` as a zip at `outPath` (temp file beside it, renamed when
 * complete; removed on any error). Returns the zip's path, size and sha256.
 */
export async function writeZip(
  entries: ZipEntry[],
  outPath: string,
  o: { onProgress?: OnProgress; logger?: Logger; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<WrittenZip> {
  o.signal?.throwIfAborted();
  const logger = o.logger ?? silentLogger;
  const dos = dosDateTime(zipTimestamp(o.env));
  const sorted = sortEntries(entries);

  // a zip writer killed with -9 leaves its temp file here: ours to remove
  await removeStaleTemps(path.dirname(outPath), new Set([path.basename(outPath)]));
  const tmp = tempPathFor(outPath);
  let out: ZipOutput | undefined;
  try {
    out = await ZipOutput.create(tmp);
    const central: CentralRecord[] = [];
    for (const entry of sorted) {
      o.signal?.throwIfAborted();
      central.push(await writeEntry(out, entry, dos, o.onProgress, o.signal));
    }
    o.signal?.throwIfAborted();
    await out.write(centralDirectory(central, out.pos, dos));
    const { size, sha256 } = await out.close();
    // Not fsynced, like the download cache's entries: the zip gets its final
    // name only when complete, so a killed run never leaves a partial one, and
    // after a power loss `bin/package verify` tells a damaged zip apart.
    // The previous zip goes first: on ext4 a rename over a file waits for the
    // new file's write-back (auto_da_alloc). The final name is then absent for
    // a moment, never half-written; whatever unlink cannot remove, rename reports.
    await unlink(outPath).catch(() => undefined);
    await rename(tmp, outPath);
    logger.debug(`Wrote ${outPath} (${sorted.length} entries, ${size} bytes)`);
    return { path: outPath, size, sha256 };
  } catch (err) {
    await out?.abandon();
    await rm(tmp, { force: true });
    throw wrapError(err, outPath);
  }
}

/** Entries sorted by name, validated, no duplicates. */
function sortEntries(entries: ZipEntry[]): ZipEntry[] {
  const sorted = [...entries].sort((a, b) => compareBytes(a.name, b.name));
  for (let i = 0; i < sorted.length; i++) {
    assertSafeEntryName(sorted[i]!.name);
    if (i > 0 && sorted[i]!.name === sorted[i - 1]!.name) {
      throw new PackagerError('EBUNDLE', `Two files want the same place in the zip: ${sorted[i]!.name}`, {
        hint: 'remove the duplicate from include_files, or rename the file in the buildpack',
        file: sorted[i]!.name,
      });
    }
  }
  return sorted;
}

/** Writes one entry (local header, bytes, data descriptor if any) at the output's position; returns its central record. */
async function writeEntry(out: ZipOutput, entry: ZipEntry, dos: DosTime, onProgress: OnProgress | undefined, signal: AbortSignal | undefined): Promise<CentralRecord> {
  const store = entry.store ?? isStoredByDefault(entry.name);
  const name = Buffer.from(entry.name, 'utf8');
  const offset = out.pos;
  if ('data' in entry.source) {
    const buf = typeof entry.source.data === 'string' ? Buffer.from(entry.source.data, 'utf8') : Buffer.from(entry.source.data);
    checkIntegrity(entry, entry.sha256 !== undefined ? createHash('sha256').update(buf).digest('hex') : undefined, buf.length);
    // small pieces are deflated inline: a thread-pool round trip would cost more than the work
    const body = store ? buf : buf.length < 256 << 10 ? deflateRawSync(buf, { level: DEFLATE_LEVEL }) : await deflateRawAsync(buf, { level: DEFLATE_LEVEL });
    const rec: CentralRecord = { name, flags: FLAG_UTF8, method: store ? METHOD_STORE : METHOD_DEFLATE, crc: crc32(buf), compressedSize: body.length, size: buf.length, offset, mode: entry.mode ?? 0o644 };
    await out.write(localHeader(rec, dos, rec.size >= MAX32 || rec.compressedSize >= MAX32));
    await out.write(body);
    return rec;
  }
  const file = entry.source.path;
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw readError(err, file, entry.name);
  }
  try {
    let st;
    try {
      st = await fh.stat();
    } catch (err) {
      throw readError(err, file, entry.name);
    }
    if (!st.isFile()) throw new PackagerError('EBUNDLE', `Not a regular file, cannot zip it: ${file}`, { file });
    const size = st.size;
    const mode = entry.mode ?? normalizedMode(st.mode);
    // a wrong size fails before anything is written; a wrong checksum once the bytes were read
    checkIntegrity(entry, undefined, size, file);
    const id = `zip:${entry.name}`;
    onProgress?.({ type: 'start', id, name: entry.name, total: size });
    const src: Source = { fh, file, size, entry, onBytes: (n) => onProgress?.({ type: 'bytes', id, bytes: n }), signal };
    const rec = store ? await storeFile(out, src, { name, offset, mode, dos }) : await deflateFile(out, src, { name, offset, mode, dos });
    onProgress?.({ type: 'done', id, bytes: size, cached: false });
    return rec;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** An open source file of an entry, and where its progress goes. */
interface Source {
  fh: FileHandle;
  file: string;
  size: number;
  entry: ZipEntry;
  onBytes: (n: number) => void;
  signal: AbortSignal | undefined;
}

/**
 * Reads `size` bytes of an open file from its start, a chunk at a time (ESIZE
 * when it ends early). Each chunk is `buffer` refilled: use it before asking
 * for the next; without `buffer`, every chunk is a new one.
 */
async function* chunksOf(src: Source, buffer?: Buffer): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < src.size; ) {
    src.signal?.throwIfAborted();
    const buf = buffer ?? Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      ({ bytesRead: n } = await src.fh.read(buf, 0, Math.min(buf.length, src.size - pos), pos));
    } catch (err) {
      throw readError(err, src.file, src.entry.name);
    }
    if (n === 0) throw changedError(src.entry, src.file);
    pos += n;
    yield buf.subarray(0, n);
  }
}

/**
 * A STORED file: its CRC-32 goes in the local header, before its bytes. With
 * the digests fetch verified (entry.crc32), the bytes are copied as they are;
 * otherwise they are hashed first and their CRC-32 is checked again as they
 * are copied (nothing promises such a file stays unchanged in between).
 */
async function storeFile(out: ZipOutput, src: Source, e: { name: Buffer; offset: number; mode: number; dos: DosTime }): Promise<CentralRecord> {
  const { entry, size } = src;
  const trusted = entry.crc32 !== undefined && entry.sha256 !== undefined && entry.size === size;
  let crc = entry.crc32 ?? 0;
  if (!trusted) {
    const d = new Digester();
    for await (const chunk of chunksOf(src, out.readBuffer)) d.update(chunk);
    const digests = d.digest();
    checkIntegrity(entry, entry.sha256 !== undefined ? digests.sha256 : undefined, digests.size, src.file);
    crc = digests.crc32;
  }
  const rec: CentralRecord = { name: e.name, flags: FLAG_UTF8, method: METHOD_STORE, crc, compressedSize: size, size, offset: e.offset, mode: e.mode };
  await out.write(localHeader(rec, e.dos, size >= MAX32));
  let again = 0;
  for await (const chunk of chunksOf(src, out.readBuffer)) {
    if (!trusted) again = crc32(chunk, again);
    await out.write(chunk);
    src.onBytes(chunk.length);
  }
  if (!trusted && again >>> 0 !== crc) throw changedError(entry, src.file);
  return rec;
}

/** A deflated file: streamed through zlib with a data descriptor (sizes known only at the end). */
async function deflateFile(out: ZipOutput, src: Source, e: { name: Buffer; offset: number; mode: number; dos: DosTime }): Promise<CentralRecord> {
  const { entry, size } = src;
  const zip64 = size >= MAX32 - ZIP64_DEFLATE_MARGIN;
  const rec: CentralRecord = { name: e.name, flags: FLAG_UTF8 | FLAG_DESCRIPTOR, method: METHOD_DEFLATE, crc: 0, compressedSize: 0, size: 0, offset: e.offset, mode: e.mode };
  await out.write(localHeader(rec, e.dos, zip64));
  const d = new Digester();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      d.update(chunk);
      src.onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  await pipeline(chunksOf(src), tap, createDeflateRaw({ level: DEFLATE_LEVEL }), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      rec.compressedSize += chunk.length;
      await out.write(chunk);
    }
  });
  const digests = d.digest();
  checkIntegrity(entry, entry.sha256 !== undefined ? digests.sha256 : undefined, digests.size, src.file);
  rec.crc = digests.crc32;
  rec.size = digests.size;
  await out.write(dataDescriptor(rec, zip64));
  return rec;
}

/** The zip file being written, in order, with its sha256 computed as its bytes go out. */
class ZipOutput {
  /** Bytes of the zip so far (the offset of the next byte). */
  pos = 0;
  /** The one buffer source files are read into (entries are written one at a time). */
  readonly readBuffer = Buffer.allocUnsafe(CHUNK);
  private readonly hash = createHash('sha256');
  /** Small writes (headers, small entries) gathered into one. */
  private readonly pending = Buffer.allocUnsafe(CHUNK);
  private used = 0;

  private constructor(private readonly fh: FileHandle) {}

  /** Creates `file` (which must not exist) for writing. */
  static async create(file: string): Promise<ZipOutput> {
    return new ZipOutput(await open(file, 'wx', 0o644));
  }

  /** Appends `b`; the caller may reuse `b` once this resolves. */
  async write(b: Buffer): Promise<void> {
    this.hash.update(b);
    this.pos += b.length;
    // a large piece goes straight to the file: what is gathered must be written before it
    if (this.used + b.length > this.pending.length || b.length >= this.pending.length / 2) await this.flush();
    if (b.length >= this.pending.length / 2) {
      await writeAll(this.fh, b);
    } else {
      b.copy(this.pending, this.used);
      this.used += b.length;
    }
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await writeAll(this.fh, this.pending.subarray(0, this.used));
    this.used = 0;
  }

  /** Writes what is gathered and closes the file; its size and sha256. */
  async close(): Promise<{ size: number; sha256: string }> {
    await this.flush();
    await this.fh.close();
    return { size: this.pos, sha256: this.hash.digest('hex') };
  }

  /** Closes the file after a failure (the caller removes it). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** Writes all of `b` at the file's current position. */
async function writeAll(fh: FileHandle, b: Buffer): Promise<void> {
  for (let done = 0; done < b.length; ) done += (await fh.write(b, done, b.length - done)).bytesWritten;
}

interface DosTime {
  time: number;
  date: number;
}

function dosDateTime(d: Date): DosTime {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** APPNOTE 4.3.7. With a data descriptor, CRC and sizes are zero here (zip64: 0xFFFFFFFF + zeroed extra). */
function localHeader(r: CentralRecord, dos: DosTime, zip64: boolean): Buffer {
  const descriptor = (r.flags & FLAG_DESCRIPTOR) !== 0;
  const extra = zip64 ? zip64Extra([descriptor ? 0 : r.size, descriptor ? 0 : r.compressedSize]) : Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(SIG_LOCAL, 0);
  h.writeUInt16LE(zip64 ? 45 : 20, 4);
  h.writeUInt16LE(r.flags, 6);
  h.writeUInt16LE(r.method, 8);
  h.writeUInt16LE(dos.time, 10);
  h.writeUInt16LE(dos.date, 12);
  h.writeUInt32LE(descriptor ? 0 : r.crc, 14);
  h.writeUInt32LE(zip64 ? MAX32 : descriptor ? 0 : r.compressedSize, 18);
  h.writeUInt32LE(zip64 ? MAX32 : descriptor ? 0 : r.size, 22);
  h.writeUInt16LE(r.name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, r.name, extra]);
}

/** APPNOTE 4.3.9: signature, CRC-32, sizes (8 bytes each when the entry is zip64). */
function dataDescriptor(r: CentralRecord, zip64: boolean): Buffer {
  const b = Buffer.alloc(zip64 ? 24 : 16);
  b.writeUInt32LE(SIG_DESCRIPTOR, 0);
  b.writeUInt32LE(r.crc, 4);
  if (zip64) {
    b.writeBigUInt64LE(BigInt(r.compressedSize), 8);
    b.writeBigUInt64LE(BigInt(r.size), 16);
  } else {
    b.writeUInt32LE(r.compressedSize, 8);
    b.writeUInt32LE(r.size, 12);
  }
  return b;
}

/** APPNOTE 4.5.3: the zip64 extended information extra field (only the values that overflow, in order). */
function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/** Central directory (APPNOTE 4.3.12), then zip64 end records when needed (4.3.14, 4.3.15), then the end record (4.3.16). */
function centralDirectory(records: CentralRecord[], start: number, dos: DosTime): Buffer {
  const parts: Buffer[] = [];
  let cdSize = 0;
  for (const r of records) {
    const big: number[] = [];
    if (r.size >= MAX32) big.push(r.size);
    if (r.compressedSize >= MAX32) big.push(r.compressedSize);
    if (r.offset >= MAX32) big.push(r.offset);
    const extra = big.length ? zip64Extra(big) : Buffer.alloc(0);
    const version = big.length ? 45 : 20;
    const h = Buffer.alloc(46);
    h.writeUInt32LE(SIG_CENTRAL, 0);
    h.writeUInt16LE((3 << 8) | version, 4); // made by: Unix, so the mode below is read
    h.writeUInt16LE(version, 6);
    h.writeUInt16LE(r.flags, 8);
    h.writeUInt16LE(r.method, 10);
    h.writeUInt16LE(dos.time, 12);
    h.writeUInt16LE(dos.date, 14);
    h.writeUInt32LE(r.crc >>> 0, 16);
    h.writeUInt32LE(Math.min(r.compressedSize, MAX32), 20);
    h.writeUInt32LE(Math.min(r.size, MAX32), 24);
    h.writeUInt16LE(r.name.length, 28);
    h.writeUInt16LE(extra.length, 30);
    h.writeUInt16LE(0, 32); // comment length
    h.writeUInt16LE(0, 34); // disk number start
    h.writeUInt16LE(0, 36); // internal attributes
    h.writeUInt32LE(((S_IFREG | r.mode) << 16) >>> 0, 38);
    h.writeUInt32LE(Math.min(r.offset, MAX32), 42);
    parts.push(h, r.name, extra);
    cdSize += h.length + r.name.length + extra.length;
  }
  const count = records.length;
  const zip64 = count >= MAX16 || start >= MAX32 || cdSize >= MAX32;
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    z.writeBigUInt64LE(44n, 4); // size of the rest of this record
    z.writeUInt16LE((3 << 8) | 45, 12);
    z.writeUInt16LE(45, 14);
    z.writeUInt32LE(0, 16);
    z.writeUInt32LE(0, 20);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(start), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    loc.writeUInt32LE(0, 4);
    loc.writeBigUInt64LE(BigInt(start + cdSize), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(z, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_EOCD, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(Math.min(count, MAX16), 8);
  end.writeUInt16LE(Math.min(count, MAX16), 10);
  end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  end.writeUInt32LE(Math.min(start, MAX32), 16);
  end.writeUInt16LE(0, 20);
  parts.push(end);
  return Buffer.concat(parts);
}

/** Throws EINTEGRITY / ESIZE when the bytes differ from what the entry expects. */
function checkIntegrity(entry: ZipEntry, sha256: string | undefined, size: number, file?: string): void {
  if (entry.sha256 !== undefined && sha256 !== undefined && entry.sha256.toLowerCase() !== sha256) {
    throw new PackagerError('EINTEGRITY', `Checksum mismatch while copying into the zip: ${entry.name}`, {
      wanted: `sha256 ${entry.sha256.toLowerCase()}`,
      found: `sha256 ${sha256}`,
      file,
      entry: entry.name,
      hint: 'the cached copy is corrupt: re-run with --force-download (or delete it from the cache)',
    });
  }
  if (entry.size !== undefined && entry.size !== size) {
    throw new PackagerError('ESIZE', `Size mismatch while copying into the zip: ${entry.name}`, {
      wanted: `${entry.size} bytes`,
      found: `${size} bytes`,
      file,
      entry: entry.name,
      hint: 'the cached copy is truncated or stale: re-run with --force-download',
    });
  }
}

function changedError(entry: ZipEntry, file: string | undefined): PackagerError {
  return new PackagerError('ESIZE', `File changed size while it was copied into the zip: ${entry.name}`, {
    file,
    entry: entry.name,
    hint: 'something else is writing this file: re-run when it is done',
  });
}

function readError(err: unknown, file: string | undefined, entry: string): PackagerError {
  if (isPackagerError(err)) return err;
  return new PackagerError('EIO', `Cannot read a file for the zip: ${file}`, { file, entry, hint: 'is the download cache intact? re-run to fetch it again' }, { cause: err });
}

function wrapError(err: unknown, outPath: string): unknown {
  if (isPackagerError(err)) return err;
  if ((err as Error)?.name === 'AbortError' || err instanceof DOMException) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') {
    return new PackagerError('ENOSPC', `No space left on the device while writing the zip: ${outPath}`, { file: outPath, hint: 'free disk space or choose another --output' }, { cause: err });
  }
  return new PackagerError('EIO', `Could not write the zip: ${outPath}: ${(err as Error)?.message ?? String(err)}`, { file: outPath }, { cause: err });
}
