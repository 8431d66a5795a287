// Reads core metadata out of a downloaded distribution without unpacking it:
// a wheel's `<name>-<version>.dist-info/METADATA` by zip random access (yauzl),
// an sdist's top-level `PKG-INFO` (and setuptools' `*.egg-info/requires.txt`)
// by streaming the gzip'd tar through a small ustar/pax/GNU reader that stops
// as soon as it has what it needs. Used by index.ts only.
// Specs: https://packaging.python.org/en/latest/specifications/binary-distribution-format/
// https://packaging.python.org/en/latest/specifications/source-distribution-format/
// tar: POSIX.1-2001 pax / ustar (https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html)
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import { PackagerError } from '../../core/index.js';
import { normalizeProjectName } from '../../core/project-name.js';

const MAX_METADATA_BYTES = 16 * 1024 * 1024;

function badArchive(file: string, why: string, cause?: unknown): PackagerError {
  return new PackagerError('EBADINDEX', `Cannot read metadata from ${file}: ${why}`, {
    hint: 'The file on the index is damaged or not a Python distribution; report it to the index operator.',
  }, cause ? { cause } : undefined);
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(err) : resolve(zip!))));
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > MAX_METADATA_BYTES) return reject(new Error(`${entry.fileName} is too large`));
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Lists a zip's entries and reads the ones `want` picks (by name). */
async function readZipEntries(path: string, want: (name: string) => boolean): Promise<Map<string, string>> {
  const zip = await openZip(path);
  const found = new Map<string, string>();
  try {
    const entries: yauzl.Entry[] = await new Promise((resolve, reject) => {
      const list: yauzl.Entry[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        list.push(e);
        zip.readEntry();
      });
      zip.on('end', () => resolve(list));
      zip.on('error', reject);
      zip.readEntry();
    });
    for (const e of entries) if (want(e.fileName)) found.set(e.fileName, (await readEntry(zip, e)).toString('utf8'));
  } finally {
    zip.close();
  }
  return found;
}

/** METADATA of a wheel: the `.dist-info` directory whose name matches the project. */
export async function readWheelMetadata(path: string, filename: string, projectKey: string): Promise<string> {
  let entries: Map<string, string>;
  try {
    entries = await readZipEntries(path, (n) => /^[^/]+\.dist-info\/METADATA$/.test(n));
  } catch (err) {
    throw badArchive(filename, `not a readable zip (${(err as Error).message})`, err);
  }
  const names = [...entries.keys()];
  const match = names.find((n) => normalizeProjectName(n.split('/')[0]!.replace(/\.dist-info$/, '').split('-')[0]!) === projectKey) ?? (names.length === 1 ? names[0] : undefined);
  if (!match) throw badArchive(filename, 'no <name>-<version>.dist-info/METADATA inside');
  return entries.get(match)!;
}

export interface SdistMetadata {
  pkgInfo?: string;
  /** setuptools `*.egg-info/requires.txt`, when present. */
  eggRequires?: string;
}

const WANT_SDIST = (name: string): 'pkg-info' | 'requires' | undefined => {
  const parts = name.replace(/^\.\//, '').split('/');
  if (parts.length === 2 && parts[1] === 'PKG-INFO') return 'pkg-info';
  if (parts.length === 3 && parts[1]!.endsWith('.egg-info') && parts[2] === 'requires.txt') return 'requires';
  // some sdists keep the egg-info under src/
  if (parts.length === 4 && parts[1] === 'src' && parts[2]!.endsWith('.egg-info') && parts[3] === 'requires.txt') return 'requires';
  return undefined;
};

/** PKG-INFO (and egg-info requires.txt) of an sdist: .tar.gz / .tgz streamed, .zip by random access. */
export async function readSdistMetadata(path: string, filename: string): Promise<SdistMetadata> {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.zip')) {
    const entries = await readZipEntries(path, (n) => WANT_SDIST(n) !== undefined).catch((err: unknown) => {
      throw badArchive(filename, `not a readable zip (${(err as Error).message})`, err);
    });
    const out: SdistMetadata = {};
    for (const [n, text] of entries) {
      const kind = WANT_SDIST(n);
      if (kind === 'pkg-info' && out.pkgInfo === undefined) out.pkgInfo = text;
      if (kind === 'requires' && out.eggRequires === undefined) out.eggRequires = text;
    }
    return out;
  }
  if (!lower.endsWith('.tar.gz') && !lower.endsWith('.tgz')) throw badArchive(filename, 'only .tar.gz and .zip sdists can be read');
  try {
    return await readTarGz(path);
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    throw badArchive(filename, (err as Error).message, err);
  }
}

function octal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes above 8 GiB: high bit set in the first byte.
  if (buf[start]! & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + buf[i]!;
    return n;
  }
  const s = buf.toString('latin1', start, start + len).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!len) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

async function readTarGz(path: string): Promise<SdistMetadata> {
  const out: SdistMetadata = {};
  const stream = createReadStream(path).pipe(createGunzip());
  let buf: Buffer = Buffer.alloc(0);
  // What the reader is in the middle of.
  let skip = 0; // bytes of an uninteresting body (plus padding) still to drop
  let collect: { kind: 'pkg-info' | 'requires' | 'pax' | 'longname'; size: number; padded: number } | undefined;
  let nextName: string | undefined; // from a pax `path` or GNU long name
  let done = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buf.length);
          buf = buf.subarray(n);
          skip -= n;
          if (skip > 0) break;
        }
        if (collect) {
          if (buf.length < collect.padded) break;
          const data = buf.subarray(0, collect.size);
          buf = buf.subarray(collect.padded);
          if (collect.kind === 'pax') nextName = parsePax(data).get('path') ?? nextName;
          else if (collect.kind === 'longname') nextName = cstr(data, 0, data.length);
          else if (collect.kind === 'pkg-info') out.pkgInfo = data.toString('utf8');
          else out.eggRequires = data.toString('utf8');
          collect = undefined;
          if (out.pkgInfo !== undefined && out.eggRequires !== undefined) done = true;
          if (done) break;
          continue;
        }
        if (buf.length < 512) break;
        const header = buf.subarray(0, 512);
        buf = buf.subarray(512);
        if (header.every((b) => b === 0)) {
          done = true; // end-of-archive marker
          break;
        }
        const type = String.fromCharCode(header[156]!) || '0';
        const size = octal(header, 124, 12);
        const padded = Math.ceil(size / 512) * 512;
        let name = cstr(header, 0, 100);
        if (header.toString('latin1', 257, 262) === 'ustar') {
          const prefix = cstr(header, 345, 155);
          if (prefix) name = `${prefix}/${name}`;
        }
        if (type === 'x') {
          collect = { kind: 'pax', size, padded };
          continue;
        }
        if (type === 'L') {
          collect = { kind: 'longname', size, padded };
          continue;
        }
        if (nextName !== undefined) {
          name = nextName;
          nextName = undefined;
        }
        const want = type === '0' || type === '\0' ? WANT_SDIST(name) : undefined;
        const have = want === 'pkg-info' ? out.pkgInfo : want === 'requires' ? out.eggRequires : 'skip';
        if (want && have === undefined && size <= MAX_METADATA_BYTES) collect = { kind: want, size, padded };
        else skip = padded;
      }
      if (done) break;
    }
  } finally {
    stream.destroy();
  }
  return out;
}
