// `bin/mirror export ZIP DIR`: the site as static files any web server can
// serve (nginx, S3, Apache): `pypi/simple/<project>/index.html` and its PEP 691
// JSON form `index.json` beside it (nginx-conf.ts picks one by Accept),
// repodata.json per conda subdir, the files themselves, `miniconda/index.html`. Each file is
// written atomically (temp + rename) with the bundle's timestamp as mtime;
// re-exporting into the same DIR leaves unchanged files untouched (size and
// sha256 compared, mtime kept) and removes only files an earlier export wrote.
// DIR/.mirror-export.json records what was written; `serve DIR` reads it.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, realpath, rename, rm, rmdir, open, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { assertSafeEntryName, compareBytes } from '../bundle/layout.js';
import { PackagerError, isPackagerError } from '../core/errors.js';
import { removeStaleTemps, tempPathFor, writeFileAtomic } from '../core/atomic-file.js';
import type { Logger, OnProgress } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { sitePathToFile, type MirrorSite, type SiteFile } from './site.js';

/** The export's own index, at the root of DIR. */
export const EXPORT_INDEX = '.mirror-export.json';
const INDEX_FORMAT = 'bundle-mirror-export/1';

export interface ExportedFile {
  sha256: string;
  size: number;
  mtimeMs: number;
}

export interface ExportIndex {
  format: typeof INDEX_FORMAT;
  /** False while an export is under way (or was interrupted). */
  complete: boolean;
  /** The bundle's timestamp (ISO 8601): the Last-Modified of every file. */
  lastModified: string;
  /** Relative file -> what was written there. */
  files: Record<string, ExportedFile>;
}

export interface ExportOptions {
  logger?: Logger;
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Files written at once (default 4). */
  concurrency?: number;
}

export interface ExportResult {
  dir: string;
  files: number;
  written: number;
  unchanged: number;
  removed: number;
  bytesWritten: number;
}

/** Reads DIR's export index; undefined when DIR holds none. Throws EBUNDLE when it is unreadable. */
export async function readExportIndex(dir: string): Promise<ExportIndex | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, EXPORT_INDEX), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new PackagerError('EIO', `Cannot read the export index: ${path.join(dir, EXPORT_INDEX)}: ${(err as Error).message}`, { file: path.join(dir, EXPORT_INDEX) });
  }
  try {
    const doc = JSON.parse(text) as ExportIndex;
    if (doc.format !== INDEX_FORMAT || typeof doc.files !== 'object' || !doc.files || Number.isNaN(Date.parse(doc.lastModified))) throw new Error('unknown format');
    for (const [name, f] of Object.entries(doc.files)) {
      assertSafeEntryName(name);
      if (typeof f?.sha256 !== 'string' || typeof f.size !== 'number' || typeof f.mtimeMs !== 'number') throw new Error(`bad record for ${name}`);
    }
    return doc;
  } catch (err) {
    throw new PackagerError('EBUNDLE', `The export index is not valid: ${path.join(dir, EXPORT_INDEX)}: ${(err as Error).message}`, {
      file: path.join(dir, EXPORT_INDEX),
      hint: 'export into a new, empty directory',
    });
  }
}

/** Writes `site` under `dir` (incrementally when `dir` holds an earlier export). */
export async function exportSite(site: MirrorSite, dir: string, o: ExportOptions = {}): Promise<ExportResult> {
  const logger = o.logger ?? silentLogger;
  const root = path.resolve(dir);
  o.signal?.throwIfAborted();
  await mkdir(root, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new PackagerError('EIO', `Cannot create the export directory: ${root}: ${err.code ?? err.message}`, { file: root }, { cause: err });
  });
  // A run killed while writing its first index leaves only that index's temp file.
  await removeStaleTemps(root, new Set([EXPORT_INDEX]));
  const old = await readExportIndex(root);
  if (!old) {
    const present = (await readdir(root)).filter((n) => n !== EXPORT_INDEX);
    if (present.length) {
      throw new PackagerError('EUSAGE', `The export directory is not empty and holds no earlier export: ${root}`, {
        file: root,
        found: present.slice(0, 5).join(', '),
        hint: 'export into a new or empty directory (files an export did not write are never overwritten)',
      });
    }
  }

  const files = [...site.files.values(), ...site.json.values()].sort((a, b) => compareBytes(a.path, b.path));
  const targets = new Map<string, SiteFile>();
  for (const f of files) {
    const rel = sitePathToFile(f.path);
    try {
      assertSafeEntryName(rel);
    } catch {
      throw new PackagerError('EBUNDLE', `A bundle path would land outside the export directory: ${JSON.stringify(f.path)}`, { file: root, hint: 'the bundle is not sound: run `bin/package verify` on it' });
    }
    targets.set(rel, f);
  }

  // Temp files of a killed run sit beside the files it was writing (a
  // complete index never lists them): remove them, or they stay forever.
  const byDir = new Map<string, Set<string>>();
  for (const rel of [...targets.keys(), ...Object.keys(old?.files ?? {})]) {
    const d = path.join(root, ...path.posix.dirname(rel).split('/'));
    let names = byDir.get(d);
    if (!names) byDir.set(d, (names = new Set()));
    names.add(path.posix.basename(rel));
  }
  // ...but never through a link planted inside DIR
  const realRoot = await realpath(root);
  for (const [d, names] of byDir) {
    if ((await realpath(d).catch(() => undefined)) === path.join(realRoot, path.relative(root, d))) await removeStaleTemps(d, names);
  }

  const lastModified = site.lastModified;
  // Mark DIR as an export under way, listing every file this run may write, so
  // an interrupted run is recognised (and cleaned up) by the next one.
  const pending: Record<string, ExportedFile> = { ...(old?.files ?? {}) };
  for (const rel of targets.keys()) pending[rel] ??= { sha256: '', size: -1, mtimeMs: -1 };
  await writeIndex(root, { format: INDEX_FORMAT, complete: false, lastModified: lastModified.toISOString(), files: pending });

  const result: ExportResult = { dir: root, files: targets.size, written: 0, unchanged: 0, removed: 0, bytesWritten: 0 };
  const done: Record<string, ExportedFile> = {};
  // Directories are created one level at a time and each must be a real
  // directory: a link planted inside DIR must not send a single write (not
  // even a mkdir) elsewhere.
  const safeDirs = new Map<string, Promise<void>>();
  const ensureDir = (d: string): Promise<void> => {
    if (d === root) return Promise.resolve();
    let p = safeDirs.get(d);
    if (!p) {
      p = ensureDir(path.dirname(d)).then(async () => {
        let st = await lstat(d).catch(() => undefined);
        if (!st) {
          await mkdir(d).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          st = await lstat(d);
        }
        if (st.isSymbolicLink()) {
          throw new PackagerError('EBUNDLE', `Refusing to write through a link inside the export directory: ${d}`, { file: d, hint: 'remove the link, or export into a new directory' });
        }
        if (!st.isDirectory()) throw new PackagerError('EBUNDLE', `A file is in the way of an exported directory: ${d}`, { file: d, hint: 'remove it, or export into a new directory' });
      });
      safeDirs.set(d, p);
    }
    return p;
  };

  const limit = pLimit(o.concurrency ?? 4);
  let failure: unknown;
  await Promise.all(
    [...targets].map(([rel, f]) =>
      limit(async () => {
        if (failure) return;
        try {
          o.signal?.throwIfAborted();
          const dest = path.join(root, ...rel.split('/'));
          await ensureDir(path.dirname(dest));
          const wanted = await site.digest(f);
          const id = `export:${rel}`;
          o.onProgress?.({ type: 'start', id, name: rel, total: f.size });
          const st = await lstat(dest).catch(() => undefined);
          if (st?.isDirectory()) throw new PackagerError('EBUNDLE', `A directory is in the way of an exported file: ${dest}`, { file: dest, hint: 'remove it, or export into a new directory' });
          if (st?.isFile() && st.size === f.size) {
            const prev = old?.files[rel];
            const same = prev && prev.sha256 === wanted && prev.size === st.size && prev.mtimeMs === st.mtimeMs ? true : (await hashFile(dest)) === wanted;
            if (same) {
              done[rel] = { sha256: wanted, size: st.size, mtimeMs: st.mtimeMs };
              result.unchanged++;
              o.onProgress?.({ type: 'done', id, bytes: f.size, cached: true });
              return;
            }
          }
          await writeOne(site, f, dest, wanted, lastModified, (bytes) => o.onProgress?.({ type: 'bytes', id, bytes }), o.signal);
          const after = await lstat(dest);
          done[rel] = { sha256: wanted, size: after.size, mtimeMs: after.mtimeMs };
          result.written++;
          result.bytesWritten += f.size;
          o.onProgress?.({ type: 'done', id, bytes: f.size, cached: false });
        } catch (err) {
          failure ??= err;
        }
      }),
    ),
  );
  if (failure) {
    // keep the pending index (complete: false): the next run picks up from here
    throw wrapError(failure, root);
  }

  // Files an earlier export wrote that this bundle no longer has.
  for (const rel of Object.keys(pending).sort(compareBytes)) {
    if (targets.has(rel)) continue;
    const dest = path.join(root, ...rel.split('/'));
    const st = await lstat(dest).catch(() => undefined);
    if (st?.isFile()) {
      await rm(dest, { force: true });
      result.removed++;
      logger.debug(`Removed ${rel} (no longer in the bundle)`);
    }
    await pruneEmptyDirs(root, path.dirname(dest));
  }
  await writeIndex(root, { format: INDEX_FORMAT, complete: true, lastModified: lastModified.toISOString(), files: sortRecord(done) });
  return result;
}

async function writeOne(site: MirrorSite, f: SiteFile, dest: string, wanted: string, mtime: Date, onBytes: (total: number) => void, signal?: AbortSignal): Promise<void> {
  const tmp = tempPathFor(dest);
  const hash = createHash('sha256');
  let bytes = 0;
  let writeFailed = false;
  try {
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
    out.on('error', () => (writeFailed = true));
    if (f.size === 0) {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } else {
      const body = await site.body(f, 0, f.size - 1);
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          onBytes(bytes);
          cb(null, chunk);
        },
      });
      if (Buffer.isBuffer(body)) {
        tap.end(body);
        await pipeline(tap, out, { signal });
      } else {
        await pipeline(body, tap, out, { signal });
      }
    }
    const got = hash.digest('hex');
    if (got !== wanted || bytes !== f.size) {
      throw new PackagerError('EINTEGRITY', `The bundle's bytes do not match its index: ${f.path}`, {
        wanted: `sha256 ${wanted}, ${f.size} bytes`,
        found: `sha256 ${got}, ${bytes} bytes`,
        hint: 'the bundle is corrupt: run `bin/package verify` on it and rebuild it',
      });
    }
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await utimes(tmp, mtime, mtime);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    // A failure on the reading side is the bundle's fault (an entry that
    // inflates past its size, a truncated zip), not the disk's.
    const e = err as NodeJS.ErrnoException;
    if (!writeFailed && !isPackagerError(err) && e?.name !== 'AbortError' && e?.syscall === undefined) {
      throw new PackagerError('EBUNDLE', `Cannot read ${f.path} from the bundle: ${e?.message ?? String(err)}`, {
        hint: 'the bundle is corrupt: run `bin/package verify` on it and rebuild it',
      }, { cause: err });
    }
    throw err;
  }
}

async function hashFile(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const h = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) h.update(chunk);
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

async function pruneEmptyDirs(root: string, from: string): Promise<void> {
  for (let d = from; d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}

async function writeIndex(root: string, index: ExportIndex): Promise<void> {
  await writeFileAtomic(path.join(root, EXPORT_INDEX), `${JSON.stringify(index, null, 1)}\n`);
}

function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(r).sort((a, b) => compareBytes(a[0], b[0])));
}

function wrapError(err: unknown, root: string): unknown {
  if (isPackagerError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError') return new PackagerError('EIO', `Export interrupted: ${root}`, { file: root, hint: 'run the export again: it continues where it stopped' }, { cause: err });
  if (e?.code === 'ENOSPC') return new PackagerError('ENOSPC', `No space left on the device while exporting to ${root}`, { file: root, hint: 'free disk space and run the export again' }, { cause: err });
  // not a file system error: reading the bundle failed (an entry that inflates past its size...)
  if (e?.syscall === undefined && !/^E[A-Z]+$/.test(e?.code ?? '')) {
    return new PackagerError('EBUNDLE', `Cannot read the bundle while exporting to ${root}: ${e?.message ?? String(err)}`, { file: root, hint: 'the bundle is corrupt: run `bin/package verify` on it and rebuild it' }, { cause: err });
  }
  return new PackagerError('EIO', `Export failed: ${root}: ${e?.message ?? String(err)}`, { file: root }, { cause: err });
}
