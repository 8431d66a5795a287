// Local conda packages named in `conda.files` (a path or file:// URL to a
// .tar.bz2 or .conda built by conda-build / bdist_conda). The repodata record is
// info/index.json from inside the package plus md5/sha256/size of the file, as
// conda-index writes it. Formats: .tar.bz2 = bzip2 tar (v1); .conda = zip
// holding info-<stem>.tar.zst + pkg-<stem>.tar.zst (v2,
// https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/packages.html#conda-file-format).
// Reads local files only; Node 20's zlib has neither bzip2 nor zstd, hence
// unbzip2-stream and fzstd (both streaming, pure JS).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import tarStream from 'tar-stream';
import yauzl from 'yauzl';
import { PackagerError } from '../../core/errors.js';
import { fileKind } from '../../core/regular-file.js';

/** A local package file and the repodata record made from it. */
export interface LocalPackage {
  /** Absolute path of the file. */
  path: string;
  /** file:// URL of the file. */
  url: string;
  /** Canonical file name `<name>-<version>-<build>.<ext>` (the key in the bundled repodata). */
  fn: string;
  format: 'conda' | 'tar.bz2';
  /** info/index.json + md5, sha256, size. */
  record: Record<string, unknown>;
  md5: string;
  sha256: string;
  size: number;
}

function notAPackage(file: string, why: string, cause?: unknown): PackagerError {
  return new PackagerError('EINPUT', `Not a readable conda package (${why}): ${file}`, {
    file,
    hint: 'name a .conda or .tar.bz2 built by conda-build (it must contain info/index.json)',
  }, cause === undefined ? undefined : { cause });
}

/** Resolves `conda.files` text (relative path, absolute path or file:// URL) to an absolute path. */
export function localPackagePath(ref: string, baseDir: string): string {
  if (/^file:\/\//i.test(ref)) return fileURLToPath(ref);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    throw new PackagerError('EINPUT', `Local conda packages must be a path or file:// URL: ${ref}`, { found: ref, hint: 'download the package first, or publish it in a channel listed in conda.channels' });
  }
  return path.resolve(baseDir, ref);
}

async function digests(file: string): Promise<{ md5: string; sha256: string; size: number }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { md5: md5.digest('hex'), sha256: sha.digest('hex'), size };
}

/** Reads `info/index.json` out of an uncompressed tar stream, stopping as soon as it is found. */
async function indexJsonFromTar(tar: Readable): Promise<Buffer | undefined> {
  const ex = tarStream.extract();
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex);
  try {
    for await (const entry of ex) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (name === 'info/index.json') {
        const parts: Buffer[] = [];
        for await (const c of entry) parts.push(c as Buffer);
        return Buffer.concat(parts);
      }
      entry.resume();
    }
    return undefined;
  } finally {
    tar.unpipe(ex);
    tar.destroy();
    ex.destroy();
  }
}

function zstdStream(): Transform {
  let dec: { push(chunk: Uint8Array, final?: boolean): void } | undefined;
  const ready = import('fzstd').then(({ Decompress }) => {
    dec = new Decompress((chunk) => t.push(Buffer.from(chunk)));
  });
  const t: Transform = new Transform({
    transform(chunk: Buffer, _e, cb) {
      ready
        .then(() => {
          dec!.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          cb();
        })
        .catch((e: Error) => cb(e));
    },
    flush(cb) {
      ready
        .then(() => {
          dec!.push(new Uint8Array(0), true);
          cb();
        })
        .catch((e: Error) => cb(e));
    },
  });
  return t;
}

async function indexFromTarBz2(file: string): Promise<Buffer | undefined> {
  const { default: bz2 } = await import('unbzip2-stream');
  const src = createReadStream(file);
  // unbzip2-stream is a classic `through` stream: bridge it into a streams3 PassThrough
  const dec = bz2();
  const out = new PassThrough();
  src.on('error', (e) => out.destroy(e));
  dec.on('error', (e: Error) => out.destroy(e));
  src.pipe(dec).pipe(out);
  try {
    return await indexJsonFromTar(out);
  } finally {
    src.destroy();
    dec.destroy();
  }
}

async function indexFromConda(file: string): Promise<Buffer | undefined> {
  const zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) => (err ? reject(err) : resolve(z!))),
  );
  try {
    const entry = await new Promise<import('yauzl').Entry | undefined>((resolve, reject) => {
      zip.on('entry', (e: import('yauzl').Entry) => {
        if (/^info-.*\.tar\.zst$/.test(e.fileName)) resolve(e);
        else zip.readEntry();
      });
      zip.on('end', () => resolve(undefined));
      zip.on('error', reject);
      zip.readEntry();
    });
    if (!entry) return undefined;
    const raw = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s!))));
    const dec = zstdStream();
    raw.on('error', (e) => dec.destroy(e));
    raw.pipe(dec);
    return await indexJsonFromTar(dec);
  } finally {
    zip.close();
  }
}

/** Reads a local package: its info/index.json, md5, sha256 and size. */
export async function readLocalPackage(ref: string, baseDir: string): Promise<LocalPackage> {
  const file = localPackagePath(ref, baseDir);
  const format = file.endsWith('.conda') ? 'conda' : file.endsWith('.tar.bz2') ? 'tar.bz2' : undefined;
  if (!format) throw notAPackage(file, 'the name must end in .conda or .tar.bz2');
  const st = await stat(file).catch((err: unknown) => {
    throw new PackagerError('EINPUT', `Local conda package not found: ${file}`, { file, hint: 'check the path in conda.files (relative paths are relative to the manifest)' }, { cause: err });
  });
  if (!st.isFile()) {
    throw new PackagerError('EINPUT', `Local conda package is ${fileKind(st)}, not a regular file: ${file}`, { file, hint: 'name a .conda or .tar.bz2 file in conda.files' });
  }
  let json: Buffer | undefined;
  try {
    json = format === 'conda' ? await indexFromConda(file) : await indexFromTarBz2(file);
  } catch (err) {
    throw notAPackage(file, `cannot read the ${format === 'conda' ? 'zip/zstd' : 'bzip2 tar'} archive: ${(err as Error).message}`, err);
  }
  if (!json) throw notAPackage(file, 'no info/index.json inside');
  let index: Record<string, unknown>;
  try {
    index = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw notAPackage(file, 'info/index.json is not valid JSON', err);
  }
  for (const k of ['name', 'version', 'build', 'subdir']) {
    if (typeof index[k] !== 'string') throw notAPackage(file, `info/index.json has no "${k}"`);
  }
  const d = await digests(file);
  return {
    path: file,
    url: pathToFileURL(file).toString(),
    fn: `${index.name as string}-${index.version as string}-${index.build as string}.${format}`,
    format,
    record: { ...index, md5: d.md5, sha256: d.sha256, size: d.size },
    ...d,
  };
}
