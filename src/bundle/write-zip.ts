// Writes a buildpack zip with archiver: entries in fixed (sorted) order with a
// fixed timestamp, so the same inputs give byte-identical zips; files are
// streamed one at a time (never read whole), hashed while copied and checked
// against their expected sha256; the zip appears under its final name only
// when complete.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { PackagerError, isPackagerError } from '../core/errors.js';
import type { Logger, OnProgress } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { tempPathFor } from '../core/atomic-file.js';
import { assertSafeEntryName, compareBytes, isStoredByDefault } from './layout.js';

/** One file of the zip: its name inside the zip and where its bytes come from. */
export interface ZipEntry {
  name: string;
  source: { path: string } | { data: string | Uint8Array };
  /** Unix permission bits; default 0755 when the file has any exec bit, else 0644. */
  mode?: number;
  /** Force STORE (true) or deflate (false); default decided by the name's extension. */
  store?: boolean;
  /** Expected sha256 (hex) of the bytes; checked while copying (EINTEGRITY). */
  sha256?: string;
  /** Expected size in bytes; checked while copying (ESIZE). */
  size?: number;
}

export interface WrittenZip {
  path: string;
  size: number;
  sha256: string;
}

// 1980-01-01 00:00:00, the DOS epoch. compress-commons encodes DOS time from the
// Date's UTC fields (forceLocalTime off), so a Date built from UTC fields gives
// the same bytes in every TZ.
const DOS_EPOCH_MS = Date.UTC(1980, 0, 1, 0, 0, 0);
// The latest DOS time compress-commons can encode (2043-12-31 23:59:58).
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
  const sorted = sortEntries(entries);

  const tmp = tempPathFor(outPath);
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const zipHash = createHash('sha256');
  let zipSize = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      zipHash.update(chunk);
      zipSize += chunk.length;
      cb(null, chunk);
    },
  });
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });

  // The first failure wins; everything else is cleanup noise.
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
  };
  archive.on('warning', fail);
  const written = pipeline(archive, tap, out);
  written.catch(fail);
  // Interrupted (Ctrl-C): erroring the archive wakes whatever is waiting on it;
  // the catch below then removes the temp file.
  const onAbort = () => {
    const reason = o.signal?.reason;
    const err = reason instanceof Error ? reason : new PackagerError('EIO', `Interrupted while writing the zip: ${outPath}`, { file: outPath });
    fail(err);
    archive.destroy(err);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (const entry of sorted) {
      if (failure) break;
      await appendOne(archive, entry, date, o.onProgress, () => failure);
    }
    if (!failure) {
      await archive.finalize();
      await written;
    }
    if (failure) throw failure;
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, outPath);
  } catch (err) {
    fail(err);
    try {
      archive.abort();
    } catch {
      // already failed; the temp file goes below either way
    }
    out.destroy();
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw wrapError(failure, outPath);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  const sha256 = zipHash.digest('hex');
  logger.debug(`Wrote ${outPath} (${sorted.length} entries, ${zipSize} bytes)`);
  return { path: outPath, size: zipSize, sha256 };
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

async function appendOne(
  archive: ZipArchive,
  entry: ZipEntry,
  date: Date,
  onProgress: OnProgress | undefined,
  failed: () => unknown,
): Promise<void> {
  const store = entry.store ?? isStoredByDefault(entry.name);
  const id = `zip:${entry.name}`;
  if ('data' in entry.source) {
    const buf = typeof entry.source.data === 'string' ? Buffer.from(entry.source.data, 'utf8') : Buffer.from(entry.source.data);
    checkIntegrity(entry, createHash('sha256').update(buf).digest('hex'), buf.length);
    await appendAndWait(archive, buf, { name: entry.name, date, mode: entry.mode ?? 0o644, store }, failed);
    return;
  }

  const file = entry.source.path;
  let mode = entry.mode;
  let total: number | undefined;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new PackagerError('EBUNDLE', `Not a regular file, cannot zip it: ${file}`, { file });
    mode ??= normalizedMode(st.mode);
    total = st.size;
  } catch (err) {
    if (isPackagerError(err)) throw err;
    throw new PackagerError('EIO', `Cannot read a file for the zip: ${file}`, { file, entry: entry.name, hint: 'is the download cache intact? re-run to fetch it again' }, { cause: err });
  }
  onProgress?.({ type: 'start', id, name: entry.name, total });
  // The check never errors the stream it feeds archiver (an errored source can
  // leave archiver waiting forever): a read error ends the entry early and is
  // thrown once archiver is done with it, and so is a checksum mismatch. Either
  // way the half-written temp zip is then removed.
  const hash = createHash('sha256');
  let bytes = 0;
  let readError: unknown;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      hash.update(chunk);
      bytes += chunk.length;
      onProgress?.({ type: 'bytes', id, bytes: chunk.length });
      cb(null, chunk);
    },
  });
  const source = createReadStream(file);
  source.on('error', (err) => {
    readError ??= new PackagerError('EIO', `Cannot read a file for the zip: ${file}`, { file, entry: entry.name }, { cause: err });
    source.unpipe(check);
    check.end();
  });
  source.pipe(check);
  try {
    await appendAndWait(archive, check, { name: entry.name, date, mode, store }, failed);
  } finally {
    source.destroy();
  }
  if (readError) throw readError;
  checkIntegrity(entry, hash.digest('hex'), bytes);
  onProgress?.({ type: 'done', id, bytes, cached: false });
}

/** Appends one entry and resolves when archiver has written it (its `entry` event). */
function appendAndWait(
  archive: ZipArchive,
  source: Buffer | NodeJS.ReadableStream,
  data: { name: string; date: Date; mode: number; store: boolean },
  failed: () => unknown,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEntry = (d: { name: string }) => {
      if (d.name !== data.name) return;
      cleanup();
      const f = failed();
      if (f) reject(f);
      else resolve();
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(failed() ?? err);
    };
    const cleanup = () => {
      archive.off('entry', onEntry);
      archive.off('error', onError);
    };
    archive.on('entry', onEntry);
    archive.on('error', onError);
    archive.append(source as never, data);
  });
}

/** Throws EINTEGRITY / ESIZE when the bytes copied differ from what the entry expects. */
function checkIntegrity(entry: ZipEntry, sha256: string, size: number): void {
  const file = 'path' in entry.source ? entry.source.path : undefined;
  if (entry.sha256 !== undefined && entry.sha256.toLowerCase() !== sha256) {
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

function wrapError(err: unknown, outPath: string): unknown {
  if (isPackagerError(err)) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') {
    return new PackagerError('ENOSPC', `No space left on the device while writing the zip: ${outPath}`, { file: outPath, hint: 'free disk space or choose another --output' }, { cause: err });
  }
  return new PackagerError('EIO', `Could not write the zip: ${outPath}: ${(err as Error)?.message ?? String(err)}`, { file: outPath }, { cause: err });
}
