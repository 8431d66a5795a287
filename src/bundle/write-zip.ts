// Writes a buildpack zip: entries in fixed (sorted) order with a fixed
// timestamp, so the same inputs give byte-identical zips; files are streamed
// (never read whole), checked against their expected sha256 and size, and the
// zip appears under its final name only when complete (renamed, not fsynced:
// see writeZip).
//
// Our own writer (APPNOTE 6.3.10, with zip64 where sizes, offsets or the entry
// count need it) rather than archiver: archiver computes every CRC-32 in
// JavaScript (the `crc-32` package, ~0.2 GB/s here) and copies STORED bytes
// through three stream stages, which made the zip step cost several times the
// download (bench/BENCHMARKS.md). Here a STORED file is copied by a worker
// thread with sync positional 1 MiB reads and writes (several files at once,
// each at its precomputed offset). Its CRC-32 and sha256 come from the pass
// that verified the cache entry (fetch's verified-files registry, trusted
// only while the file's stat fingerprint is unchanged), or else from the copy
// itself: the worker hashes the bytes it copies and the local header, which
// holds the CRC-32, is written last, so a file not verified before is read
// once, not twice. The zip's own sha256 is computed as the bytes go out (on
// a worker of its own while files are verified as they are copied).
// Format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, writeSync, type BigIntStats } from 'node:fs';
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
import { HashSession, copyInPool, hashPoolSize, statFingerprint, verifiedDigests, wasVerified, type PoolCopyError } from '../fetch/index.js';
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

/** A STORED file up to this size is copied in one piece; a bigger one in about 16 (progress steps). */
const COPY_ONE_PIECE = 1 << 20;
/** Smallest piece of a STORED copy in several. */
const COPY_PIECE_MIN = 256 << 10;
/** Largest piece of a STORED copy (one message to a worker). */
const COPY_PIECE_MAX = 8 << 20;
/** STORED files being copied at once (their zip offsets are already fixed). */
const FILES_IN_FLIGHT = 8;
/** Entries opened and digested while earlier ones are written. */
const PREPARE_AHEAD = 8;
/** Small writes (headers, little entries) are gathered up to this size. */
const SINK_BUFFER = 1 << 20;
/** Gathered bytes up to this size are written synchronously (see Sink.flush). */
const SYNC_WRITE_MAX = 64 << 10;
/** The zip hash worker is told to read on every time this much more of the zip is on file. */
const HASH_STEP = 8 << 20;

const deflateRawAsync = promisify(deflateRaw);
// Each source file is opened, stat'ed and closed synchronously: these take
// microseconds, while a thread-pool round trip costs the main thread a pool
// thread's wake-up (fs/promises' FileHandle cost ~0.4 ms per file here, a
// third of the zip step for 300 wheels; bench/BENCHMARKS.md).
/** Closes a source file, ignoring errors (it was only read). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // only read: nothing is lost
  }
}

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
  const date = zipTimestamp(o.env);
  const dos = dosDateTime(date);
  const sorted = sortEntries(entries);

  // a zip writer killed with -9 leaves its temp file here: ours to remove
  await removeStaleTemps(path.dirname(outPath), new Set([path.basename(outPath)]));
  const tmp = tempPathFor(outPath);
  let fh: FileHandle | undefined;
  let sink: Sink | undefined;
  // Entries opened and digested ahead of the one being written (small files
  // would otherwise wait on one round trip after another).
  const ahead: Promise<Settled<Prepared>>[] = [];
  let next = 0;
  // STORED files whose bytes are still being copied (their place in the zip is fixed).
  const copying = new Set<Promise<void>>();
  // The big ones of those. The zip's hash follows the copies in zip order, so
  // they should finish in that order: with 8 in flight they all finished
  // late, and the zip's hash ran alone at the end. One verified as it is
  // copied goes through one worker, so one of those per hash worker (the
  // hash also stops at its header until its bytes are checked); any other is
  // split over the workers, so one at a time (warm `large` ~1.9 -> ~1.6 s,
  // the cold zip step of `large` ~1.0 -> ~0.8 s).
  const bigCopies = new Set<Promise<void>>();
  let copyFailure: { error: unknown } | undefined;
  try {
    fh = await open(tmp, 'wx', 0o644);
    // The zip's hash gets a worker of its own when files will be verified as
    // they are copied: those copies need both pool workers, and the hash
    // would queue behind them. Otherwise it holds one pool worker and the
    // copies use the others: a third worker cost ~8 MiB of peak RSS, and in
    // a cold run, whose copies are short, it booted too late to help.
    sink = new Sink(fh, tmp, { ownThread: sorted.some((e) => 'path' in e.source && (e.store ?? isStoredByDefault(e.name)) && !wasVerified(e.source.path)) });
    const central: CentralRecord[] = [];
    for (let i = 0; i < sorted.length; i++) {
      o.signal?.throwIfAborted();
      if (copyFailure) throw copyFailure.error;
      while (ahead.length < PREPARE_AHEAD && next < sorted.length) ahead.push(settle(prepareEntry(sorted[next++]!)));
      const p = await ahead.shift()!;
      if ('error' in p) throw p.error;
      const { rec, copied } = await emitEntry(sink, p.value, dos, o.onProgress, o.signal);
      central.push(rec);
      if (copied) {
        // the copy goes on while later entries are laid out after it
        const c: Promise<void> = settle(copied).then((r) => {
          copying.delete(c);
          if ('error' in r) copyFailure ??= r;
        });
        copying.add(c);
        if (copying.size >= FILES_IN_FLIGHT) await Promise.race(copying);
        if (p.value.kind === 'file' && p.value.size > COPY_ONE_PIECE) {
          bigCopies.add(c);
          void c.then(() => bigCopies.delete(c));
          if (bigCopies.size >= (p.value.crc === undefined ? hashPoolSize() : 1)) await Promise.race(bigCopies);
        }
      }
    }
    await Promise.all(copying);
    if (copyFailure) throw copyFailure.error;
    o.signal?.throwIfAborted();
    await sink.put(centralDirectory(central, sink.pos, dos));
    const closed = await sink.close();
    // Not fsynced, like the download cache's entries: the zip gets its final
    // name only when complete, so a killed run never leaves a partial one, and
    // after a power loss `bin/package verify` tells a damaged zip apart and a
    // rebuild makes the same bytes. Flushing first cost about as long as the
    // rest of the zip step for large bundles (bench/BENCHMARKS.md), and none
    // of the tools compared there (zip, the Ruby packager) flushes either.
    const sha256 = await closed.sha256;
    const size = closed.size;
    await fh.close();
    fh = undefined;
    // The previous zip goes first: ext4 (auto_da_alloc, its default) starts
    // writing the new file back to disk when a rename replaces another file,
    // and the rename waits for that (~0.6-0.7 s for a 734 MB zip here, about
    // as long as the zip step's copy). The final name is then absent for a
    // moment, never half-written; whatever unlink cannot remove, rename reports.
    await unlink(outPath).catch(() => undefined);
    await rename(tmp, outPath);
    logger.debug(`Wrote ${outPath} (${sorted.length} entries, ${size} bytes)`);
    return { path: outPath, size, sha256 };
  } catch (err) {
    sink?.abandon();
    await Promise.all(copying);
    for (const p of await Promise.all(ahead.splice(0))) if ('value' in p && p.value.kind === 'file') closeQuietly(p.value.fd);
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw wrapError(err, outPath);
  }
}

type Settled<T> = { value: T } | { error: unknown };

/** A promise that never rejects (so one prepared ahead cannot go unhandled). */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
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

/** An entry with everything known before its bytes go out: the next few are prepared while one is written. */
type Prepared =
  | { entry: ZipEntry; name: Buffer; kind: 'data'; store: boolean; crc: number; size: number; body: Buffer }
  | { entry: ZipEntry; name: Buffer; kind: 'file'; store: boolean; file: string; fd: number; size: number; mode: number; st: BigIntStats; crc?: number };

/**
 * Opens, stats and (for STORED files verified earlier) gets the digests of an
 * entry, or deflates an in-memory one. Checks what can be checked before writing.
 */
async function prepareEntry(entry: ZipEntry): Promise<Prepared> {
  const store = entry.store ?? isStoredByDefault(entry.name);
  const name = Buffer.from(entry.name, 'utf8');
  if ('data' in entry.source) {
    const buf = typeof entry.source.data === 'string' ? Buffer.from(entry.source.data, 'utf8') : Buffer.from(entry.source.data);
    checkIntegrity(entry, entry.sha256 !== undefined ? createHash('sha256').update(buf).digest('hex') : undefined, buf.length);
    // small pieces are deflated inline: a thread-pool round trip would cost more than the work
    const body = store ? buf : buf.length < 256 << 10 ? deflateRawSync(buf, { level: DEFLATE_LEVEL }) : await deflateRawAsync(buf, { level: DEFLATE_LEVEL });
    return { entry, name, kind: 'data', store, crc: crc32(buf), size: buf.length, body };
  }
  const file = entry.source.path;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw readError(err, file, entry.name);
  }
  try {
    let st: BigIntStats;
    try {
      st = fstatSync(fd, { bigint: true });
    } catch (err) {
      throw readError(err, file, entry.name);
    }
    if (!st.isFile()) throw new PackagerError('EBUNDLE', `Not a regular file, cannot zip it: ${file}`, { file });
    const base = { entry, name, kind: 'file' as const, store, file, fd, size: Number(st.size), mode: entry.mode ?? normalizedMode(Number(st.mode)), st };
    // a wrong size fails before anything is written; a wrong checksum once the bytes were read
    checkIntegrity(entry, undefined, base.size, file);
    const known = store ? verifiedDigests(file, st) : undefined;
    if (!known) return base;
    checkIntegrity(entry, entry.sha256 !== undefined ? known.sha256 : undefined, known.size, file);
    return { ...base, crc: known.crc32 };
  } catch (err) {
    closeQuietly(fd);
    throw err;
  }
}

/**
 * Lays out a prepared entry at the sink's position. A STORED file's bytes are
 * copied in the background (`copied`, which also closes the file); anything
 * else is written before this returns.
 */
async function emitEntry(
  sink: Sink,
  p: Prepared,
  dos: DosTime,
  onProgress: OnProgress | undefined,
  signal: AbortSignal | undefined,
): Promise<{ rec: CentralRecord; copied?: Promise<void> }> {
  const offset = sink.pos;
  const { entry, name } = p;
  if (p.kind === 'data') {
    const rec: CentralRecord = { name, flags: FLAG_UTF8, method: p.store ? METHOD_STORE : METHOD_DEFLATE, crc: p.crc, compressedSize: p.body.length, size: p.size, offset, mode: entry.mode ?? 0o644 };
    await sink.put(localHeader(rec, dos, rec.size >= MAX32 || rec.compressedSize >= MAX32));
    await sink.put(p.body);
    return { rec };
  }
  const { file, fd, size, mode } = p;
  const id = `zip:${entry.name}`;
  onProgress?.({ type: 'start', id, name: entry.name, total: size });
  const progress = (n: number) => onProgress?.({ type: 'bytes', id, bytes: n });
  if (!p.store) {
    try {
      const rec = await deflateFile(sink, fd, size, entry, { name, offset, mode, dos, onBytes: progress, signal });
      onProgress?.({ type: 'done', id, bytes: size, cached: false });
      return { rec };
    } finally {
      closeQuietly(fd);
    }
  }
  const zip64 = size >= MAX32;
  const rec: CentralRecord = { name, flags: FLAG_UTF8, method: METHOD_STORE, crc: p.crc ?? 0, compressedSize: size, size, offset, mode };
  const copyOptions = { onBytes: progress, signal, file, entry: entry.name };
  if (p.crc !== undefined) {
    await sink.put(localHeader(rec, dos, zip64));
    const copy = sink.copyFrom(fd, size, copyOptions);
    const copied = (async () => {
      try {
        await copy;
        onProgress?.({ type: 'done', id, bytes: size, cached: false });
      } finally {
        closeQuietly(fd);
      }
    })();
    return { rec, copied };
  }
  // Not verified in this process: the worker hashes the bytes as it copies
  // them, and the local header (which holds the CRC-32) fills its reserved
  // place once they are checked. The zip's own hash waits for it there.
  const headerAt = sink.reserve(localHeader(rec, dos, zip64).length);
  const session = new HashSession({ sha256: entry.sha256 !== undefined, crc32: true });
  const copy = sink.copyFrom(fd, size, { ...copyOptions, session });
  const copied = (async () => {
    try {
      await copy;
      const r = await session.finish();
      checkIntegrity(entry, entry.sha256 !== undefined ? r.sha256 : undefined, r.size, file);
      if (r.size !== size || changedSince(fd, p.st)) throw changedError(entry, file);
      rec.crc = r.crc32;
      sink.fill(headerAt, localHeader(rec, dos, zip64));
      onProgress?.({ type: 'done', id, bytes: size, cached: false });
    } catch (err) {
      session.abort();
      throw err;
    } finally {
      closeQuietly(fd);
    }
  })();
  return { rec, copied };
}

/** True when the open file's stat fingerprint moved since `st` (something wrote it while it was copied). */
function changedSince(fd: number, st: BigIntStats): boolean {
  return statFingerprint(fstatSync(fd, { bigint: true })) !== statFingerprint(st);
}

/** A deflated file: streamed through zlib with a data descriptor (sizes known only at the end). */
async function deflateFile(
  sink: Sink,
  fd: number,
  size: number,
  entry: ZipEntry,
  e: { name: Buffer; offset: number; mode: number; dos: DosTime; onBytes: (n: number) => void; signal: AbortSignal | undefined },
): Promise<CentralRecord> {
  const zip64 = size >= MAX32 - ZIP64_DEFLATE_MARGIN;
  const rec: CentralRecord = { name: e.name, flags: FLAG_UTF8 | FLAG_DESCRIPTOR, method: METHOD_DEFLATE, crc: 0, compressedSize: 0, size: 0, offset: e.offset, mode: e.mode };
  await sink.put(localHeader(rec, e.dos, zip64));
  const hash: Hash | undefined = entry.sha256 !== undefined ? createHash('sha256') : undefined;
  let crc = 0;
  let read = 0;
  let readFailure: unknown;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      crc = crc32(chunk, crc);
      hash?.update(chunk);
      read += chunk.length;
      e.onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  const source = createReadStream('', { fd, start: 0, highWaterMark: 256 << 10, autoClose: false });
  source.on('error', (err) => (readFailure ??= err));
  try {
    await pipeline(source, tap, createDeflateRaw({ level: DEFLATE_LEVEL }), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        rec.compressedSize += chunk.length;
        await sink.put(chunk);
      }
    }, e.signal ? { signal: e.signal } : {});
  } catch (err) {
    if (e.signal?.aborted) throw e.signal.reason ?? err;
    throw readFailure ? readError(readFailure, sourcePath(entry), entry.name) : err;
  }
  checkIntegrity(entry, hash?.digest('hex'), read, sourcePath(entry));
  if (read !== size) throw changedError(entry, sourcePath(entry));
  rec.crc = crc >>> 0;
  rec.size = read;
  await sink.put(dataDescriptor(rec, zip64));
  return rec;
}

function sourcePath(entry: ZipEntry): string | undefined {
  return 'path' in entry.source ? entry.source.path : undefined;
}

/**
 * Everything written to the zip goes through here: small pieces are gathered
 * into one buffer, large copies go straight to the file with positional
 * writes. A hash worker computes the zip's sha256 by reading back what has
 * been written (from the page cache), trailing the writes, so the copy never
 * waits for the hash and the last of the hashing overlaps the fsync.
 */
class Sink {
  /** Bytes of the zip so far (the offset of the next byte). */
  pos = 0;
  private readonly buf = Buffer.allocUnsafe(SINK_BUFFER);
  private used = 0;
  private readonly hash: HashSession;
  private readonly writes = new Set<Promise<void>>();
  /** Writes that completed beyond the contiguous prefix: start -> end. */
  private readonly completed = new Map<number, number>();
  /** Every byte before this offset is on file. */
  private watermark = 0;
  /** Bytes handed to the hash worker so far. */
  private announced = 0;
  private failure: unknown;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    o: { ownThread: boolean },
  ) {
    this.hash = new HashSession(o.ownThread ? { sha256: true, ownThread: true } : { sha256: true, exclusive: true });
  }

  /** Appends `b` (copied: the caller may reuse it). */
  async put(b: Buffer): Promise<void> {
    this.check();
    if (this.used + b.length > SINK_BUFFER) this.flush();
    if (b.length >= SINK_BUFFER) {
      await this.writeAt(b, this.pos);
    } else {
      b.copy(this.buf, this.used);
      this.used += b.length;
    }
    this.pos += b.length;
  }

  /**
   * Appends `size` bytes of `src` (from its offset 0): the space is taken at
   * once and hash-pool workers copy the bytes into it (copyInPool: sync
   * positional reads and writes on their own threads, so the main thread
   * spends one message per piece, not several thread-pool round trips per
   * MiB). A big file goes in pieces, on every worker at once, each reported
   * as progress; with a `session`, the pieces go one after another through
   * that session's worker, which hashes them on the way.
   */
  async copyFrom(
    src: number,
    size: number,
    o: { session?: HashSession; onBytes: (n: number) => void; signal: AbortSignal | undefined; file: string; entry: string },
  ): Promise<void> {
    this.flush();
    const base = this.pos;
    this.pos += size;
    if (size === 0) return;
    const piece = size <= COPY_ONE_PIECE ? size : Math.min(COPY_PIECE_MAX, Math.max(COPY_PIECE_MIN, Math.ceil(size / 16 / 4096) * 4096));
    const window = o.session ? 1 : hashPoolSize();
    const inFlight = new Set<Promise<void>>();
    let failed: { error: unknown } | undefined;
    const copyPiece = async (at: number, n: number): Promise<void> => {
      try {
        if (o.session) await o.session.copyRange(src, at, this.fh.fd, base + at, n);
        else await copyInPool(src, at, this.fh.fd, base + at, n);
        // each piece on file lets the zip's hash move on: it need not wait for the whole file
        this.written(base + at, base + at + n);
        o.onBytes(n);
      } catch (err) {
        failed ??= { error: this.copyError(err, size, o) };
      }
    };
    try {
      for (let at = 0; at < size && !failed; at += piece) {
        this.check();
        o.signal?.throwIfAborted();
        const p: Promise<void> = copyPiece(at, Math.min(piece, size - at)).then(() => {
          inFlight.delete(p);
        });
        inFlight.add(p);
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
    } finally {
      // no piece may still be writing into the zip when this returns or throws
      await Promise.all(inFlight);
    }
    if (failed) throw failed.error;
  }

  /** Takes the next `n` bytes of the zip, to be written later with fill(). */
  reserve(n: number): number {
    this.flush();
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Writes `b` at `at`, a place reserve() took (a failure fails the zip at its next step). */
  fill(at: number, b: Buffer): void {
    this.check();
    this.writeNow(b, b.length, at);
  }

  /** What a failed copyInPool means for this zip: a write error fails the zip, a read error names the file. */
  private copyError(err: unknown, size: number, o: { file: string; entry: string }): unknown {
    const e = err as PoolCopyError;
    if (e.side === 'dst') {
      this.failure ??= err;
      return err;
    }
    if (e.code === 'ESHORT') {
      return new PackagerError('ESIZE', `File shrank while it was copied into the zip: ${o.entry}`, {
        wanted: `${size} bytes`,
        found: `${e.bytes ?? 0} bytes`,
        file: o.file,
        entry: o.entry,
        hint: 'something else is writing the download cache: re-run when it is done',
      });
    }
    return readError(err, o.file, o.entry);
  }

  /**
   * Writes what is buffered and waits for every write. Returns the zip's size
   * and its sha256, which the worker may still be computing.
   */
  async close(): Promise<{ size: number; sha256: Promise<string> }> {
    this.flush();
    await Promise.all(this.writes);
    this.check();
    this.announce();
    return { size: this.pos, sha256: this.hash.finish().then((r) => r.sha256) };
  }

  /** Stops hashing after a failure. */
  abandon(): void {
    this.hash.abort();
  }

  private flush(): void {
    if (this.used === 0) return;
    const at = this.pos - this.used;
    // A few headers (what comes before each copied file): written at once,
    // which takes microseconds, where a thread-pool write costs the main
    // thread a pool thread's wake-up for each of 300 small files.
    if (this.used <= SYNC_WRITE_MAX) {
      const n = this.used;
      this.used = 0;
      this.writeNow(this.buf, n, at);
      return;
    }
    // a copy of just the gathered bytes, so the buffer is free again at once
    const b = Buffer.from(this.buf.subarray(0, this.used));
    this.used = 0;
    const w = this.writeAt(b, at);
    this.writes.add(w);
    w.then(
      () => this.writes.delete(w),
      () => this.writes.delete(w),
    );
  }

  /** Writes the first `n` bytes of `b` at `at` synchronously (small writes only: see flush). */
  private writeNow(b: Buffer, n: number, at: number): void {
    try {
      for (let done = 0; done < n; ) done += writeSync(this.fh.fd, b, done, n - done, at + done);
    } catch (err) {
      this.failure ??= err; // thrown by the next check(), as for a failed background write
      return;
    }
    this.written(at, at + n);
  }

  private async writeAt(b: Buffer, position: number): Promise<void> {
    if (b.length === 0) return;
    let done = 0;
    try {
      while (done < b.length) {
        const { bytesWritten } = await this.fh.write(b, done, b.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      this.failure ??= err;
      throw err;
    }
    this.written(position, position + b.length);
  }

  /** Moves the watermark over completed writes and lets the hash worker read up to it. */
  private written(start: number, end: number): void {
    this.completed.set(start, end);
    for (let e = this.completed.get(this.watermark); e !== undefined; e = this.completed.get(this.watermark)) {
      this.completed.delete(this.watermark);
      this.watermark = e;
    }
    if (this.watermark - this.announced >= HASH_STEP) this.announce();
  }

  private announce(): void {
    if (this.watermark <= this.announced) return;
    // a failure here fails the session, and so finish()
    this.hash.fromFile(this.path, this.announced, this.watermark).catch(() => undefined);
    this.announced = this.watermark;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
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
