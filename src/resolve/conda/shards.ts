// Sharded repodata (CEP-16, https://github.com/conda/ceps/blob/main/cep-0016.md):
// `<subdir>/repodata_shards.msgpack.zst` maps each package name to the sha256
// of its shard, `<shards_base_url><hex>.msgpack.zst`, which holds that name's
// `packages` / `packages.conda` / `removed` as in repodata.json, with md5 and
// sha256 as bytes. Only the shards of the names the solver asks for are
// fetched (through the injected fetcher), so a few packages from a 300 MB
// channel cost a few kilobytes.

import { readFile } from 'node:fs/promises';
import { decode } from '@msgpack/msgpack';
import { Decompress } from 'fzstd';
import { DOWNLOAD_LIMITS } from '../../core/download-limits.js';
import { PackagerError } from '../../core/errors.js';
import { checkNetworkReference } from '../../core/network-reference.js';
import { redactUrl } from '../../core/redact.js';
import { decodedSizeGuard, toRepodataRecord, type PackageFormat, type RepodataRecord } from './repodata.js';

export const SHARD_INDEX_FILE = 'repodata_shards.msgpack.zst';

/** What the record source needs of one channel subdir's repodata, whole or sharded. */
export interface SubdirRecords {
  readonly info: Record<string, unknown>;
  readonly count: number;
  has(name: string): boolean;
  records(name: string, options?: { keepTwins?: boolean }): Promise<RepodataRecord[]>;
  close(): Promise<void>;
}

function bad(what: string, url: string): PackagerError {
  return new PackagerError('EBADINDEX', `Malformed sharded repodata: ${what}: ${url}`, {
    url,
    hint: 'the channel served a broken repodata_shards.msgpack.zst or shard; retry, or check the channel URL',
  });
}

/** Decodes a zstd msgpack document, refusing more than `maxBytes` decoded (a few KB of zstd can decode to GB). */
function unpack(bytes: Uint8Array, url: string, maxBytes: number): unknown {
  try {
    const parts: Uint8Array[] = [];
    const count = decodedSizeGuard(maxBytes, url, 'documentBytes');
    const dec = new Decompress((block) => {
      count(block.length);
      parts.push(block.slice());
    });
    dec.push(bytes, true);
    return decode(Buffer.concat(parts));
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    throw new PackagerError('EBADINDEX', `Cannot decode sharded repodata (zstd + msgpack): ${url}`, { url, hint: 'the channel served a corrupt file; retry' }, { cause: err });
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A record with its byte-valued digests turned back into hex, as repodata.json has them. */
function plainRecord(value: unknown): unknown {
  if (!isMap(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = v instanceof Uint8Array ? hex(v) : v;
  return out;
}

/** One subdir's shard index: names known up front, each name's records fetched on first use. */
export class ShardedIndex implements SubdirRecords {
  readonly info: Record<string, unknown>;
  private readonly shards: Map<string, string>;
  private readonly loaded = new Map<string, Promise<RepodataRecord[]>>();

  private constructor(
    indexUrl: string,
    /** Redacted index URL, for messages. */
    private readonly label: string,
    index: Record<string, unknown>,
    private readonly subdir: string,
    private readonly fetchShard: (url: string) => Promise<string>,
    private readonly maxBytes: number,
  ) {
    const info = isMap(index.info) ? index.info : {};
    this.shards = new Map();
    if (!isMap(index.shards)) throw bad('no `shards` map', label);
    for (const [name, h] of Object.entries(index.shards)) {
      if (!(h instanceof Uint8Array) || h.length !== 32) throw bad(`the shard hash of ${name} is not 32 bytes`, label);
      this.shards.set(name, hex(h));
    }
    // base_url and shards_base_url are relative to the index (CEP-16); "" means its directory
    const dir = new URL('.', indexUrl).toString();
    const baseUrl = typeof info.base_url === 'string' && info.base_url !== '' ? info.base_url : undefined;
    this.info = { ...info, ...(baseUrl ? { base_url: new URL(baseUrl, dir).toString() } : { base_url: undefined }) };
    this.shardsBase = new URL(typeof info.shards_base_url === 'string' ? info.shards_base_url : '', dir).toString().replace(/\/?$/, '/');
    checkNetworkReference(indexUrl, this.shardsBase, {
      what: 'The shard index',
      found: `${redactUrl(this.shardsBase)} (info.shards_base_url)`,
      hint: 'a channel served over http(s) may only place its shards at http(s) URLs',
    });
  }

  private readonly shardsBase: string;

  /** Opens a downloaded shard index; `fetchShard` downloads a shard URL into a local file. */
  static async open(
    file: string,
    indexUrl: string,
    label: string,
    subdir: string,
    fetchShard: (url: string) => Promise<string>,
    maxBytes = DOWNLOAD_LIMITS.documentBytes.default,
  ): Promise<ShardedIndex> {
    const doc = unpack(await readFile(file), label, maxBytes);
    if (!isMap(doc)) throw bad('not a map', label);
    if (doc.version !== undefined && doc.version !== 1) throw bad(`unsupported version ${String(doc.version)}`, label);
    return new ShardedIndex(indexUrl, label, doc, subdir, fetchShard, maxBytes);
  }

  get count(): number {
    return this.shards.size;
  }

  has(name: string): boolean {
    return this.shards.has(name);
  }

  records(name: string, options: { keepTwins?: boolean } = {}): Promise<RepodataRecord[]> {
    let p = this.loaded.get(name);
    if (!p) {
      p = this.load(name);
      this.loaded.set(name, p);
    }
    // a .tar.bz2 with a .conda twin is dropped, as for repodata.json (RepodataIndex.records)
    return p.then((all) => {
      if (options.keepTwins) return all;
      const condaStems = new Set(all.filter((r) => r.format === 'conda').map((r) => r.fn.slice(0, -'.conda'.length)));
      return all.filter((r) => !(r.format === 'tar.bz2' && condaStems.has(r.fn.slice(0, -'.tar.bz2'.length))));
    });
  }

  private async load(name: string): Promise<RepodataRecord[]> {
    const h = this.shards.get(name);
    if (!h) return [];
    const url = `${this.shardsBase}${h}.msgpack.zst`;
    const shown = this.label.replace(/[^/]*$/, `${h}.msgpack.zst`);
    const doc = unpack(await readFile(await this.fetchShard(url)), shown, this.maxBytes);
    if (!isMap(doc)) throw bad('a shard is not a map', shown);
    const removed = new Set(Array.isArray(doc.removed) ? doc.removed.filter((x): x is string => typeof x === 'string') : []);
    const out: RepodataRecord[] = [];
    for (const [key, format] of [['packages', 'tar.bz2'], ['packages.conda', 'conda']] as [string, PackageFormat][]) {
      const map = doc[key];
      if (map === undefined || map === null) continue;
      if (!isMap(map)) throw bad(`"${key}" is not a map`, shown);
      for (const [fn, value] of Object.entries(map)) {
        if (removed.has(fn)) continue;
        const rec = toRepodataRecord(fn, format, plainRecord(value), this.subdir);
        if (rec.name !== name) throw bad(`the shard of ${name} lists ${rec.name} (${fn})`, shown);
        out.push(rec);
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}
