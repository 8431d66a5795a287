import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../src/core/artifact.js';
import { sriFromHex } from '../../src/core/integrity.js';
import { MemoryLogger } from '../../src/core/log.js';
import { ContentCache, fetchArtifacts } from '../../src/fetch/index.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, origin, rejection, ZLIB, ZLIB_CONDA, zlibArtifact } from './support.js';

/** `n` distinct small files `/f/<i>.bin`, each served slowly so downloads overlap. */
function files(n: number): { files: Record<string, Uint8Array>; artifacts: (base: string) => Artifact[] } {
  const bodies = Array.from({ length: n }, (_, i) => Buffer.alloc(4096, i + 1));
  return {
    files: Object.fromEntries(bodies.map((b, i) => [`/f/${i}.bin`, b])),
    artifacts: (base) =>
      bodies.map((b, i) => ({
        kind: 'dependency' as const,
        name: `dep${i}`,
        version: '1.0',
        url: `${base}/f/${i}.bin`,
        integrity: sriFromHex(createHash('sha256').update(b).digest('hex')),
        size: b.length,
      })),
  };
}

const slowly = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`/f/${i}.bin`, [{ slow: { chunk: 1024, intervalMs: 50 } }]]));

describe('fetchArtifacts', () => {
  it('never has more than `concurrency` requests in flight, and reaches it', async () => {
    const set = files(9);
    const o = await origin({ files: set.files, faults: slowly(9) });
    const cacheDir = await tempDir();
    const out = await fetchArtifacts(set.artifacts(o.url), { cacheDir, concurrency: 3, ...FAST });
    expect(out).toHaveLength(9);
    expect(o.requests).toHaveLength(9);
    expect(o.stats.maxInFlight).toBe(3);
  });

  it('defaults to 8 in flight', async () => {
    const set = files(12);
    const o = await origin({ files: set.files, faults: slowly(12) });
    await fetchArtifacts(set.artifacts(o.url), { cacheDir: await tempDir(), ...FAST });
    expect(o.stats.maxInFlight).toBe(8);
  });

  it('returns results in input order, whatever order downloads finish in', async () => {
    const set = files(4);
    // the first file is the slowest, the last the fastest
    const faults = Object.fromEntries([0, 1, 2, 3].map((i) => [`/f/${i}.bin`, [{ slow: { chunk: 512, intervalMs: 40 - i * 10 } }]]));
    const o = await origin({ files: set.files, faults });
    const arts = set.artifacts(o.url);
    const out = await fetchArtifacts(arts, { cacheDir: await tempDir(), concurrency: 4, ...FAST });
    const cache = new ContentCache(out[0]!.path.split('/content-v2/')[0]!);
    expect(out.map((f) => f.path)).toEqual(arts.map((a) => cache.pathFor(a.integrity)));
  });

  it('fetches artifacts that share a checksum once', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file, '/mirror/z.tar.bz2': ZLIB.file } });
    const out = await fetchArtifacts(
      [zlibArtifact(o.url + ZLIB.urlPath), zlibArtifact(o.url + '/mirror/z.tar.bz2'), zlibArtifact(o.url + ZLIB.urlPath)],
      { cacheDir: await tempDir(), ...FAST },
    );
    expect(o.requests).toHaveLength(1);
    expect(new Set(out.map((f) => f.path)).size).toBe(1);
  });

  it('stops starting downloads after the first failure, lets in-flight ones land in the cache, then throws it', async () => {
    const set = files(6);
    const o = await origin({ files: set.files, faults: { '/f/1.bin': [{ slow: { chunk: 512, intervalMs: 30 } }] } });
    const arts = set.artifacts(o.url);
    arts[0] = { ...arts[0]!, url: `${o.url}/missing.bin` };
    const cacheDir = await tempDir();
    const logger = new MemoryLogger();
    const err = await rejection(fetchArtifacts(arts, { cacheDir, concurrency: 2, logger, ...FAST }));
    expect(err.code).toBe('EHTTP');
    expect(err.message).toBe(`Cannot download dep0 1.0 from ${o.url}/missing.bin: HTTP 404 Not Found`);
    expect(o.requests.map((r) => r.path).sort()).toEqual(['/f/1.bin', '/missing.bin']);
    const cache = new ContentCache(cacheDir);
    expect(await cache.verify(arts[1]!.integrity)).toMatchObject({ status: 'ok' });
    // the next run only needs what is still missing
    const again = await fetchArtifacts(arts.slice(1), { cacheDir, concurrency: 2, ...FAST });
    expect(again.map((f) => f.fromCache)).toEqual([true, false, false, false, false]);
  });

  it('mixes cache hits and downloads of different packages', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file, [ZLIB_CONDA.urlPath]: ZLIB_CONDA.file } });
    const cacheDir = await tempDir();
    const conda: Artifact = {
      kind: 'conda',
      name: 'zlib',
      version: '1.2.11',
      url: o.url + ZLIB_CONDA.urlPath,
      integrity: sriFromHex(ZLIB_CONDA.sha256),
      size: ZLIB_CONDA.size,
    };
    await fetchArtifacts([zlibArtifact(o.url + ZLIB.urlPath)], { cacheDir, ...FAST });
    const out = await fetchArtifacts([zlibArtifact(o.url + ZLIB.urlPath), conda], { cacheDir, ...FAST });
    expect(out.map((f) => [f.sha256, f.fromCache])).toEqual([
      [ZLIB.sha256, true],
      [ZLIB_CONDA.sha256, false],
    ]);
    expect(o.requests.map((r) => r.path)).toEqual([ZLIB.urlPath, ZLIB_CONDA.urlPath]);
  });
  it('returns every file with its digests (sha256, CRC-32, size; md5 when keyed by md5), downloaded or cached, and re-fetches a corrupt hit', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file, '/md5/z.tar.bz2': ZLIB.file, [ZLIB_CONDA.urlPath]: ZLIB_CONDA.file } });
    const cacheDir = await tempDir();
    const bySha = zlibArtifact(o.url + ZLIB.urlPath);
    const byMd5 = zlibArtifact(o.url + '/md5/z.tar.bz2', { integrity: sriFromHex(ZLIB.md5, 'md5'), size: undefined });
    const conda: Artifact = { kind: 'conda', name: 'zlib', version: '1.2.11', url: o.url + ZLIB_CONDA.urlPath, integrity: sriFromHex(ZLIB_CONDA.sha256), size: ZLIB_CONDA.size };
    const zlib = await readFile(ZLIB.file);
    const expected = [
      { sha256: ZLIB.sha256, size: ZLIB.size, crc32: crc32(zlib) },
      { sha256: ZLIB.sha256, md5: ZLIB.md5, size: ZLIB.size, crc32: crc32(zlib) },
      { sha256: ZLIB_CONDA.sha256, size: ZLIB_CONDA.size, crc32: crc32(await readFile(ZLIB_CONDA.file)) },
    ];
    const first = await fetchArtifacts([bySha, byMd5, conda], { cacheDir, ...FAST });
    expect(first).toMatchObject(expected.map((e) => ({ ...e, fromCache: false })));
    expect(first[0]!.md5).toBeUndefined();
    const b = await readFile(first[2]!.path);
    b[1000] ^= 1;
    await writeFile(first[2]!.path, b);
    const second = await fetchArtifacts([bySha, byMd5, conda], { cacheDir, ...FAST });
    expect(second).toMatchObject(expected.map((e, i) => ({ ...e, fromCache: i < 2 })));
    expect(o.requests.map((r) => r.path).slice(3)).toEqual([ZLIB_CONDA.urlPath]);
  });
});
