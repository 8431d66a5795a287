// Test helper: turns a real repodata.json into CEP-16 sharded repodata, the
// way a channel publishing shards lays it out: repodata_shards.msgpack.zst
// (name -> sha256 of the shard file) and shards/<sha256>.msgpack.zst, each a
// zstd frame of msgpack with md5/sha256 as bytes. Node 20 has no zstd
// compressor, so frames are written with raw (stored) blocks, which every
// zstd decoder reads.
import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';

/** A zstd frame holding `data` in raw blocks (RFC 8878 3.1.1). */
export function zstdStored(data: Uint8Array): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0])]; // magic; single segment, 4-byte content size
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  parts.push(size);
  const BLOCK = 128 * 1024;
  for (let off = 0; off < data.length || off === 0; off += BLOCK) {
    const chunk = data.subarray(off, Math.min(off + BLOCK, data.length));
    const last = off + BLOCK >= data.length ? 1 : 0;
    const h = (chunk.length << 3) | last; // block type 0 = raw
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), Buffer.from(chunk));
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

const toBytes = (hex: unknown): unknown => (typeof hex === 'string' && /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex') : hex);

/** URL path -> bytes of a sharded subdir made from `repodata` (served under `prefix`, e.g. `/ch/linux-64`). */
export function shardedSubdir(repodata: Record<string, unknown>, prefix: string): { files: Record<string, Uint8Array>; names: string[] } {
  const byName = new Map<string, { packages: Record<string, unknown>; 'packages.conda': Record<string, unknown>; removed: string[] }>();
  for (const key of ['packages', 'packages.conda'] as const) {
    for (const [fn, rec] of Object.entries((repodata[key] ?? {}) as Record<string, Record<string, unknown>>)) {
      const name = String(rec.name);
      if (!byName.has(name)) byName.set(name, { packages: {}, 'packages.conda': {}, removed: [] });
      byName.get(name)![key][fn] = { ...rec, md5: toBytes(rec.md5), sha256: toBytes(rec.sha256) };
    }
  }
  const files: Record<string, Uint8Array> = {};
  const shards: Record<string, Uint8Array> = {};
  for (const [name, shard] of byName) {
    const bytes = zstdStored(encode(shard, { ignoreUndefined: true }));
    const hash = createHash('sha256').update(bytes).digest();
    shards[name] = hash;
    files[`${prefix}/shards/${hash.toString('hex')}.msgpack.zst`] = bytes;
  }
  const info = { ...((repodata.info ?? {}) as object), base_url: '', shards_base_url: './shards/' };
  files[`${prefix}/repodata_shards.msgpack.zst`] = zstdStored(encode({ version: 1, info, shards }));
  return { files, names: [...byName.keys()] };
}
