import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestFileOffThread } from '../../src/fetch/digest-pool.js';
import { digestFile } from '../../src/fetch/digests.js';
import { tempDir } from '../helpers/tmp.js';

const hex = (b: Buffer, algo: string) => createHash(algo).update(b).digest('hex');

describe('digest workers', () => {
  it('give the digests node:crypto and zlib give, for files read in several chunks, many at once', async () => {
    const dir = await tempDir();
    const sizes = [0, 1, (1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 7];
    const files = await Promise.all(
      sizes.map(async (n, i) => {
        const data = randomBytes(n);
        const file = path.join(dir, `f${i}`);
        await writeFile(file, data);
        return { file, data };
      }),
    );
    const got = await Promise.all(files.map((f, i) => digestFileOffThread(f.file, { md5: i % 2 === 0 })));
    got.forEach((d, i) => {
      const { data } = files[i]!;
      expect(d).toEqual({ size: data.length, sha256: hex(data, 'sha256'), crc32: crc32(data), ...(i % 2 === 0 ? { md5: hex(data, 'md5') } : {}) });
      expect(d).toEqual(digestFile(files[i]!.file, i % 2 === 0 ? 'md5' : 'sha256'));
    });
  });

  it('reject with the file system error code and path', async () => {
    const missing = path.join(await tempDir(), 'nope');
    await expect(digestFileOffThread(missing, { md5: false })).rejects.toMatchObject({ code: 'ENOENT', path: missing });
  });
});
