// What resolve/conda decompresses or parses itself is bounded too (issue 21
// item 3): .zst / .bz2 repodata and shards stop at their limit in decoded
// bytes, and a hostile repodata.json cannot make the scanner build a string
// larger than a record can sensibly be (before: "Invalid string length", exit 70).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RepodataIndex, decompressRepodata } from '../../../src/resolve/conda/repodata.js';
import { ShardedIndex } from '../../../src/resolve/conda/shards.js';
import { rejectedPackagerError as failure } from '../../helpers/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const MiB = 1024 * 1024;

/**
 * A zstd frame of `mib` MiB of `byte`, built from RLE blocks (RFC 8878
 * section 3.1.1.2: a 3-byte header and one byte stand for up to 128 KiB):
 * 4 bytes on the wire per 128 KiB decoded.
 */
function zstdRleBomb(mib: number, byte = 0x20): Buffer {
  const blocks = (mib * MiB) / (128 * 1024);
  // magic, frame header descriptor (no content size, no checksum), window 128 KiB (exponent 7)
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  for (let i = 0; i < blocks; i++) {
    const header = (i === blocks - 1 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte]));
  }
  return Buffer.concat(parts);
}

describe('decompressed repodata is bounded', () => {
  it('stops a .zst repodata at the limit in decoded bytes and removes what it wrote', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'repodata.json.zst');
    const bomb = zstdRleBomb(1024);
    expect(bomb.length).toBeLessThan(40 * 1024);
    await writeFile(src, bomb);
    const dest = path.join(dir, 'repodata.json');
    const err = await failure(decompressRepodata(src, dest, 'zst', 'https://conda.example.org/c/noarch/repodata.json.zst', 8 * MiB));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toBe(
      'Refusing https://conda.example.org/c/noarch/repodata.json.zst: it is larger than the 8 MiB limit once decompressed (PACKAGER_MAX_REPODATA_BYTES)',
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('still decodes a .zst repodata within the limit', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'repodata.json.zst');
    await writeFile(src, zstdRleBomb(2));
    await decompressRepodata(src, path.join(dir, 'out'), 'zst', undefined, 2 * MiB);
    const fh = await open(path.join(dir, 'out'));
    expect((await fh.stat()).size).toBe(2 * MiB);
    await fh.close();
  });

  it('stops a .bz2 repodata at the limit', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'repodata.json.bz2');
    await writeFile(src, execFileSync('bzip2', ['-c'], { input: Buffer.alloc(3 * MiB, 0x20) }));
    const err = await failure(decompressRepodata(src, path.join(dir, 'out'), 'bz2', 'https://conda.example.org/c/noarch/repodata.json.bz2', 1 * MiB));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toMatch(/1 MiB limit once decompressed/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('stops a shard index at the document limit in decoded bytes', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'repodata_shards.msgpack.zst');
    await writeFile(file, zstdRleBomb(64));
    const url = 'https://conda.example.org/c/noarch/repodata_shards.msgpack.zst';
    const err = await failure(ShardedIndex.open(file, url, url, 'noarch', () => Promise.reject(new Error('no shard expected')), 4 * MiB));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toMatch(/larger than the 4 MiB limit once decompressed \(PACKAGER_MAX_DOCUMENT_BYTES\)/);
  });
});

describe('a hostile repodata.json cannot make the scanner build a huge string', () => {
  const url = 'https://conda.example.org/c/noarch/repodata.json';

  it('refuses a package name longer than 64 KiB', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'repodata.json');
    await writeFile(file, `{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "${'a'.repeat(24 * MiB)}", "version": "1"}}}`);
    const err = await failure(RepodataIndex.open(file, 'noarch', url));
    expect(err.code).toBe('EBADINDEX');
    expect(err.message).toMatch(/a key or package name longer than 65536 bytes at byte \d+: https:\/\/conda\.example\.org/);
  });

  it('refuses a record larger than 16 MiB', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'repodata.json');
    await writeFile(file, `{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": "1", "license": "${'a'.repeat(17 * MiB)}"}}}`);
    const err = await failure(RepodataIndex.open(file, 'noarch', url));
    expect(err.code).toBe('EBADINDEX');
    expect(err.message).toMatch(/a record larger than 16 MiB at byte \d+: https:\/\/conda\.example\.org/);
  });
});
