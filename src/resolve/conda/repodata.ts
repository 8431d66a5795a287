// Streaming index over a conda `repodata.json` (https://docs.conda.io/projects/conda-build/en/latest/concepts/generating-index.html,
// CEP-15 for info.base_url). A conda-forge linux-64 repodata.json is 200-300 MB:
// JSON.parse of the whole file would need several GiB. Instead one pass over the
// bytes notes, for every record of `packages` / `packages.conda`, its package
// name and the byte range of `"<filename>": {...}`; a record is parsed only when
// the solver asks for its name (positional reads, merged when close together).
// Reads local files only; fetching is index.ts's job.

import { open, rm, type FileHandle } from 'node:fs/promises';
import { closeSync, createReadStream, createWriteStream, openSync, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DOWNLOAD_LIMITS, overLimitError } from '../../core/download-limits.js';
import { PackagerError } from '../../core/errors.js';

/** Which map of repodata.json a record came from. */
export type PackageFormat = 'tar.bz2' | 'conda';

/** One repodata record, verbatim, plus the keys the solver reads often. */
export interface RepodataRecord {
  /** The map key: the file name conda downloads (`zlib-1.2.11-h7b6447c_3.conda`). */
  fn: string;
  format: PackageFormat;
  /** The record exactly as repodata.json has it. */
  record: Record<string, unknown>;
  name: string;
  version: string;
  build: string;
  build_number: number;
  depends: string[];
  constrains: string[];
  track_features: string[];
  /** Milliseconds (conda-index writes ms; old seconds values are scaled like conda does). */
  timestamp: number;
  subdir: string;
  md5?: string;
  sha256?: string;
  size?: number;
  noarch?: string;
}

/** What one pass over the bytes found. Offsets are absolute byte positions. */
export interface ScanResult {
  /** Top-level key -> [start, end) of its value (whitespace included). */
  topLevel: Map<string, [number, number]>;
  /** Package name -> flat triples [keyStart, valueEnd, format(0 = tar.bz2, 1 = conda)]. */
  byName: Map<string, number[]>;
  /** Records whose value had no string `name`: [keyStart, keyEnd, valueEnd, format]. */
  unnamed: number[];
  /** Number of records seen. */
  count: number;
}

const Q = 0x22; // "
const BS = 0x5c; // \
/** Longest key or package name the scanner keeps (a real one is a few dozen bytes); a hostile one could exceed what a string can hold. */
const MAX_CAPTURED_BYTES = 64 * 1024;
/** Largest record (a real one is a few KB): the solver parses each as one string. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const enum Role {
  None,
  TopKey,
  FileKey,
  RecordKey,
  NameValue,
}


/**
 * A byte-level scanner for repodata.json: push() chunks in order, then end().
 * It tracks just enough JSON structure (depth, object/array, key/value
 * position, strings with escapes) to find the package maps; it does not
 * validate the JSON: a broken record fails when it is parsed.
 */
export class RepodataScanner {
  private pos = 0;
  private depth = 0;
  private readonly isObj: boolean[] = [];
  private expectKey = false;
  private started = false;
  private inString = false;
  private bsRun = 0;
  private role: Role = Role.None;
  private capture: Buffer[] = [];
  private captured = 0;
  private topKey = '';
  private topValueStart = -1;
  private inMap = 0; // 0 none, 1 packages, 2 packages.conda
  private recKeyStart = 0;
  private recKeyEnd = 0;
  private recKeyIsName = false;
  private recName: string | undefined;
  private closed = false;
  readonly result: ScanResult = { topLevel: new Map(), byName: new Map(), unnamed: [], count: 0 };

  /** Feeds the next chunk of the file. */
  push(buf: Uint8Array): void {
    const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const len = b.length;
    let i = 0;
    while (i < len) {
      if (this.inString) {
        i = this.scanString(b, i);
        continue;
      }
      const c = b[i]!;
      switch (c) {
        case 0x20:
        case 0x0a:
        case 0x0d:
        case 0x09:
          break;
        case Q:
          this.openString(this.pos + i);
          i = this.scanString(b, i + 1);
          continue;
        case 0x3a: // :
          this.expectKey = false;
          if (this.depth === 1) this.topValueStart = this.pos + i + 1;
          break;
        case 0x2c: // ,
          if (this.depth === 1) this.endTopValue(this.pos + i);
          this.expectKey = this.isObj[this.depth - 1] === true;
          break;
        case 0x7b: // {
          if (!this.started) this.started = true;
          else if (this.closed) throw badJson('data after the end of the top-level object', this.pos + i);
          this.depth++;
          this.isObj.push(true);
          this.expectKey = true;
          if (this.depth === 2) this.inMap = this.topKey === 'packages' ? 1 : this.topKey === 'packages.conda' ? 2 : 0;
          else if (this.depth === 3 && this.inMap) this.recName = undefined;
          break;
        case 0x5b: // [
          if (!this.started) throw badJson('the top level is not an object', this.pos + i);
          this.depth++;
          this.isObj.push(false);
          this.expectKey = false;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth === 0) throw badJson('unbalanced closing bracket', this.pos + i);
          if (this.depth === 3 && this.inMap) this.endRecord(this.pos + i + 1);
          else if (this.depth === 2) this.inMap = 0;
          else if (this.depth === 1) {
            this.endTopValue(this.pos + i);
            this.closed = true;
          }
          this.depth--;
          this.isObj.pop();
          this.expectKey = false;
          break;
        default:
          if (!this.started) throw badJson('the top level is not an object', this.pos + i);
      }
      i++;
    }
    this.pos += len;
  }

  /** Finishes the scan; throws EBADINDEX when the document was cut short. */
  end(): ScanResult {
    if (!this.started) throw badJson('empty document', this.pos);
    if (this.inString || this.depth !== 0 || !this.closed) throw badJson('truncated document (unclosed object or string)', this.pos);
    return this.result;
  }

  private openString(at: number): void {
    this.inString = true;
    this.bsRun = 0;
    this.capture = [];
    this.captured = 0;
    const d = this.depth;
    if (this.expectKey) {
      if (d === 1) this.role = Role.TopKey;
      else if (d === 2 && this.inMap) {
        this.role = Role.FileKey;
        this.recKeyStart = at;
      } else if (d === 3 && this.inMap) this.role = Role.RecordKey;
      else this.role = Role.None;
    } else {
      this.role = d === 3 && this.inMap && this.recKeyIsName ? Role.NameValue : Role.None;
    }
  }

  /** Scans string content from `i`; returns the index after the closing quote, or len. */
  private scanString(b: Buffer, i: number): number {
    const start = i;
    let j = i;
    for (;;) {
      const q = b.indexOf(Q, j);
      if (q === -1) {
        // string continues in the next chunk: remember a trailing backslash run
        let k = b.length - 1;
        while (k >= start && b[k] === BS) k--;
        const run = b.length - 1 - k;
        this.bsRun = k < start ? this.bsRun + run : run;
        if (this.role !== Role.None && this.role !== Role.FileKey) {
          this.captured += b.length - start;
          if (this.captured > MAX_CAPTURED_BYTES) throw badJson(`a key or package name longer than ${MAX_CAPTURED_BYTES} bytes`, this.pos + start);
          this.capture.push(Buffer.from(b.subarray(start)));
        }
        return b.length;
      }
      let k = q - 1;
      while (k >= start && b[k] === BS) k--;
      let run = q - 1 - k;
      if (k < start) run += this.bsRun;
      if (run % 2 === 0) {
        this.closeString(b, start, q);
        return q + 1;
      }
      j = q + 1;
    }
  }

  /** The string ends at b[q]; its content is the captured parts (if it began in an earlier chunk) + b[start, q). */
  private closeString(b: Buffer, start: number, q: number): void {
    this.inString = false;
    const role = this.role;
    this.role = Role.None;
    if (role === Role.None) return;
    if (role === Role.FileKey) {
      this.recKeyEnd = this.pos + q + 1;
      return;
    }
    // hot path: the whole string lies in this chunk, no copies
    let buf = b;
    let s = start;
    let e = q;
    if (this.capture.length > 0) {
      this.capture.push(b.subarray(start, q));
      buf = Buffer.concat(this.capture);
      s = 0;
      e = buf.length;
      this.capture = [];
    }
    if (role === Role.RecordKey) {
      this.recKeyIsName = e - s === 4 && buf[s] === 0x6e && buf[s + 1] === 0x61 && buf[s + 2] === 0x6d && buf[s + 3] === 0x65;
    } else if (role === Role.TopKey) this.topKey = decodeJsonString(buf, s, e);
    else if (role === Role.NameValue) {
      this.recName = decodeJsonString(buf, s, e);
      this.recKeyIsName = false;
    }
  }

  private endRecord(valueEnd: number): void {
    if (valueEnd - this.recKeyStart > MAX_RECORD_BYTES) throw badJson(`a record larger than ${MAX_RECORD_BYTES / (1024 * 1024)} MiB`, this.recKeyStart);
    const fmt = this.inMap === 2 ? 1 : 0;
    this.result.count++;
    this.recKeyIsName = false;
    if (this.recName === undefined) {
      this.result.unnamed.push(this.recKeyStart, this.recKeyEnd, valueEnd, fmt);
      return;
    }
    let list = this.result.byName.get(this.recName);
    if (!list) this.result.byName.set(this.recName, (list = []));
    list.push(this.recKeyStart, valueEnd, fmt);
    this.recName = undefined;
  }

  private endTopValue(end: number): void {
    if (this.topValueStart >= 0 && this.topKey) this.result.topLevel.set(this.topKey, [this.topValueStart, end]);
    this.topValueStart = -1;
  }
}

function decodeJsonString(b: Buffer, start: number, end: number): string {
  const text = b.toString('utf8', start, end);
  return text.includes('\\') ? (JSON.parse(`"${text}"`) as string) : text;
}

function badJson(what: string, at: number): PackagerError {
  return new PackagerError('EBADINDEX', `Malformed repodata.json: ${what} at byte ${at}`, {
    hint: 'the channel served a broken or partial repodata.json; retry, or check the channel URL',
  });
}

const MAX_RECORD_DEPTH = 16;

/** Deepest nesting of arrays/objects in `v` (iterative: the value may be hostile). */
function nestingDepth(v: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_RECORD_DEPTH) return max;
    for (const child of Array.isArray(x) ? x : Object.values(x)) stack.push([child, d + 1]);
  }
  return max;
}

/** Turns a parsed repodata value into the solver's record shape (keeps the original verbatim). */
export function toRepodataRecord(fn: string, format: PackageFormat, value: unknown, defaultSubdir: string): RepodataRecord {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new PackagerError('EBADINDEX', `Malformed repodata record: ${fn} is not an object`, { key: fn });
  }
  const r = value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  const list = (k: string): string[] => {
    const v = r[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new PackagerError('EBADINDEX', `Malformed repodata record: ${fn}: ${k} is not a list of strings`, { key: `${fn}.${k}` });
    }
    return v as string[];
  };
  const name = str('name');
  const version = str('version');
  const build = str('build');
  if (!name || !version || build === undefined) {
    throw new PackagerError('EBADINDEX', `Malformed repodata record: ${fn} lacks name, version or build`, { key: fn });
  }
  // The record goes into the lock verbatim: real ones are a few levels deep,
  // and a hostile one nested thousands deep would overflow every writer's stack.
  if (nestingDepth(r) > MAX_RECORD_DEPTH) {
    throw new PackagerError('EBADINDEX', `Malformed repodata record: ${fn} is nested more than ${MAX_RECORD_DEPTH} levels deep`, { key: fn });
  }
  // A record is listed in the repodata of its own subdir; one that claims
  // another would be packaged (and looked for by conda) in the wrong place.
  const ownSubdir = str('subdir');
  if (ownSubdir !== undefined && ownSubdir !== defaultSubdir) {
    throw new PackagerError('EBADINDEX', `Malformed repodata record: ${fn} says subdir ${JSON.stringify(ownSubdir)} but is listed in ${defaultSubdir}`, {
      key: `${fn}.subdir`,
      wanted: defaultSubdir,
      found: ownSubdir,
    });
  }
  let ts = typeof r.timestamp === 'number' ? r.timestamp : 0;
  // conda: timestamps above 253402300799 (year 9999 in seconds) are milliseconds
  if (ts > 0 && ts < 253402300799) ts *= 1000;
  const tf = r.track_features;
  const out: RepodataRecord = {
    fn,
    format,
    record: r,
    name,
    version,
    build,
    build_number: typeof r.build_number === 'number' ? r.build_number : 0,
    depends: list('depends'),
    constrains: list('constrains'),
    track_features: (typeof tf === 'string' ? tf.replace(/,/g, ' ').split(' ') : Array.isArray(tf) ? tf.filter((x): x is string => typeof x === 'string') : []).map((s) => s.trim()).filter(Boolean),
    timestamp: ts,
    subdir: ownSubdir ?? defaultSubdir,
  };
  const md5 = str('md5');
  const sha256 = str('sha256');
  if (md5) out.md5 = md5;
  if (sha256) out.sha256 = sha256;
  if (typeof r.size === 'number') out.size = r.size;
  if (typeof r.noarch === 'string') out.noarch = r.noarch;
  else if (r.noarch === true) out.noarch = 'generic';
  return out;
}

/** A scanned repodata.json on disk: names are known, records are read on demand. */
export class RepodataIndex {
  /** `info` object (subdir, base_url, ...), or {} when absent. */
  readonly info: Record<string, unknown>;
  readonly repodataVersion: number;
  /** File names listed under `removed` (hidden from the solver). */
  readonly removed: ReadonlySet<string>;
  /** Number of records in both maps together. */
  readonly count: number;

  private constructor(
    readonly path: string,
    /** What messages call the document: its (redacted) URL, else the path. */
    readonly label: string,
    private readonly fh: FileHandle,
    private readonly scan: ScanResult,
    top: { info: Record<string, unknown>; repodataVersion: number; removed: string[] },
    private readonly defaultSubdir: string,
  ) {
    this.info = top.info;
    this.repodataVersion = top.repodataVersion;
    this.removed = new Set(top.removed);
    this.count = scan.count;
  }

  /**
   * Scans `path` (one streaming pass) and returns its index. `subdir` is used
   * when records lack one. `url` (redacted) is what errors name when the file
   * is a downloaded copy: a cache path means nothing to the user.
   */
  static async open(path: string, subdir: string, url?: string): Promise<RepodataIndex> {
    const label = url ?? path;
    const scanner = new RepodataScanner();
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
    } catch (err) {
      if (err instanceof PackagerError) throw withSource(err, path, url);
      throw new PackagerError('EIO', `Cannot read repodata: ${path}`, { file: path }, { cause: err });
    }
    let scan: ScanResult;
    try {
      scan = scanner.end();
    } catch (err) {
      throw withSource(err as PackagerError, path, url);
    }
    const fh = await open(path, 'r');
    try {
      const readTop = async (key: string): Promise<unknown> => {
        const range = scan.topLevel.get(key);
        if (!range) return undefined;
        const [s, e] = range;
        if (e - s > 64 << 20) return undefined; // a huge `removed` list is not worth the memory
        const buf = Buffer.alloc(e - s);
        await fh.read(buf, 0, buf.length, s);
        try {
          return JSON.parse(buf.toString('utf8'));
        } catch {
          throw new PackagerError('EBADINDEX', `Malformed repodata.json: top-level "${key}" is not valid JSON: ${label}`, { ...where(path, url), key });
        }
      };
      // The scanner indexes records only inside objects: a list or a string here
      // would otherwise read as an empty channel ("package not found").
      for (const key of ['packages', 'packages.conda']) {
        const range = scan.topLevel.get(key);
        if (!range) continue;
        const head = Buffer.alloc(Math.min(16, range[1] - range[0]));
        await fh.read(head, 0, head.length, range[0]);
        const start = head.toString('latin1').trimStart();
        if (!start.startsWith('{') && !start.startsWith('null')) {
          throw new PackagerError('EBADINDEX', `Malformed repodata.json: top-level "${key}" is not an object: ${label}`, { ...where(path, url), key });
        }
      }
      const info = (await readTop('info')) as Record<string, unknown> | undefined;
      const version = await readTop('repodata_version');
      const removed = await readTop('removed');
      for (let i = 0; i < scan.unnamed.length; i += 4) {
        // rare: a record without a string name; conda would use the file name's name part
        const [ks, ke, ve, fmt] = scan.unnamed.slice(i, i + 4) as [number, number, number, number];
        const kb = Buffer.alloc(ke - ks);
        await fh.read(kb, 0, kb.length, ks);
        const fn = JSON.parse(kb.toString('utf8')) as string;
        const name = fn.replace(/\.(tar\.bz2|conda)$/, '').split('-').slice(0, -2).join('-');
        let list = scan.byName.get(name);
        if (!list) scan.byName.set(name, (list = []));
        list.push(ks, ve, fmt);
      }
      return new RepodataIndex(
        path,
        label,
        fh,
        scan,
        {
          info: info && typeof info === 'object' && !Array.isArray(info) ? info : {},
          repodataVersion: typeof version === 'number' ? version : 1,
          removed: Array.isArray(removed) ? removed.filter((x): x is string => typeof x === 'string') : [],
        },
        subdir,
      );
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Every package name, sorted. */
  names(): string[] {
    return [...this.scan.byName.keys()].sort();
  }

  has(name: string): boolean {
    return this.scan.byName.has(name);
  }

  /**
   * The records of one package, parsed now. A `.tar.bz2` whose `.conda` twin
   * (same name-version-build) is listed too is dropped, as conda does
   * (conda/core/subdir_data.py); so are files listed in `removed`.
   * `keepTwins` returns every record (for @EXPLICIT URLs, which name a file).
   */
  async records(name: string, options: { keepTwins?: boolean } = {}): Promise<RepodataRecord[]> {
    const list = this.scan.byName.get(name);
    if (!list) return [];
    const items: { start: number; end: number; fmt: number }[] = [];
    for (let i = 0; i < list.length; i += 3) items.push({ start: list[i]!, end: list[i + 1]!, fmt: list[i + 2]! });
    items.sort((a, b) => a.start - b.start);
    const out: RepodataRecord[] = [];
    const subdir = typeof this.info.subdir === 'string' ? this.info.subdir : this.defaultSubdir;
    // merge reads of records that sit close together (same-name records are mostly adjacent)
    let g = 0;
    while (g < items.length) {
      let h = g + 1;
      while (h < items.length && items[h]!.start - items[h - 1]!.end < 65536 && items[h]!.end - items[g]!.start < 16 << 20) h++;
      const from = items[g]!.start;
      const buf = Buffer.alloc(items[h - 1]!.end - from);
      await this.fh.read(buf, 0, buf.length, from);
      for (let k = g; k < h; k++) {
        const it = items[k]!;
        const text = buf.toString('utf8', it.start - from, it.end - from);
        let obj: Record<string, unknown>;
        try {
          obj = JSON.parse(`{${text}}`) as Record<string, unknown>;
        } catch {
          throw new PackagerError('EBADINDEX', `Malformed repodata.json: the record at byte ${it.start} is not valid JSON: ${this.label}`, where(this.path, this.label === this.path ? undefined : this.label));
        }
        for (const [fn, value] of Object.entries(obj)) {
          try {
            out.push(toRepodataRecord(fn, it.fmt === 1 ? 'conda' : 'tar.bz2', value, subdir));
          } catch (err) {
            if (!(err instanceof PackagerError)) throw err;
            throw withSource(err, this.path, this.label === this.path ? undefined : this.label);
          }
        }
      }
      g = h;
    }
    const condaStems = new Set(out.filter((r) => r.format === 'conda').map((r) => r.fn.slice(0, -'.conda'.length)));
    if (options.keepTwins) return out;
    return out.filter((r) => !this.removed.has(r.fn) && !(r.format === 'tar.bz2' && condaStems.has(r.fn.slice(0, -'.tar.bz2'.length))));
  }

  /** Releases the file handle. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

function where(file: string, url: string | undefined): { file: string } | { url: string } {
  return url ? { url } : { file };
}

/** The error with the document it is about appended: the URL it came from, else the file. */
function withSource(err: PackagerError, file: string, url: string | undefined): PackagerError {
  return new PackagerError(err.code, `${err.message}: ${url ?? file}`, { ...err.details, ...where(file, url) }, { cause: err });
}

/** Counts decoded bytes; throws ESIZE once more than `maxBytes` came out. */
export function decodedSizeGuard(maxBytes: number, url: string, key: 'documentBytes' | 'repodataBytes'): (n: number) => void {
  let decoded = 0;
  return (n) => {
    decoded += n;
    if (decoded > maxBytes) throw overLimitError({ url, limit: maxBytes, key, decoded: true });
  };
}

/**
 * Decompresses a `repodata.json.zst` or `.json.bz2` into `dest` as a stream
 * (fzstd / unbzip2-stream: Node 20's zlib has neither codec), refusing more
 * than `maxBytes` of output (ESIZE) as it goes: a few KB of zstd can decode
 * to gigabytes. `url` (redacted) names the download in errors instead of its
 * cache path.
 */
export async function decompressRepodata(
  src: string,
  dest: string,
  codec: 'zst' | 'bz2',
  url?: string,
  maxBytes = DOWNLOAD_LIMITS.repodataBytes.default,
): Promise<void> {
  // Throws from inside fzstd's output callback: it emits every block of an input chunk in one call.
  const count = decodedSizeGuard(maxBytes, url ?? src, 'repodataBytes');
  try {
    if (codec === 'zst') {
      // Each decoded block is written as fzstd emits it: a bomb's blocks never pile up in memory.
      const { Decompress } = await import('fzstd');
      const fd = openSync(dest, 'w');
      try {
        const dec = new Decompress((chunk) => {
          count(chunk.length);
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
        });
        for await (const chunk of createReadStream(src)) dec.push(chunk as Buffer);
        dec.push(new Uint8Array(0), true);
      } finally {
        closeSync(fd);
      }
    } else {
      const { default: bz2 } = await import('unbzip2-stream');
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          try {
            count(chunk.length);
            cb(null, chunk);
          } catch (e) {
            cb(e as Error);
          }
        },
      });
      await pipeline(createReadStream(src), bz2(), limit, createWriteStream(dest));
    }
  } catch (err) {
    await rm(dest, { force: true });
    if (err instanceof PackagerError) throw err;
    throw new PackagerError('EBADINDEX', `Cannot decompress repodata (${codec}): ${url ?? src}`, { ...where(src, url), hint: 'the channel served a corrupt compressed repodata; retry' }, { cause: err });
  }
}
