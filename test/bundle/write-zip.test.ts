import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPackagerError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/log.js';
import { writeZip, zipTimestamp, type ZipEntry } from '../../src/bundle/write-zip.js';
import { crc32 } from 'node:zlib';
import { tempDir } from '../helpers/tmp.js';
import { UPSTREAM } from '../helpers/paths.js';
import { pythonNames, unzipTest, zipinfoRows, allEntries } from './zip-tools.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function sampleEntries(dir: string): Promise<ZipEntry[]> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await writeFile(path.join(dir, 'bin', 'compile'), '#!/bin/bash\necho compile\n');
  await chmod(path.join(dir, 'bin', 'compile'), 0o700); // odd umask: still 0755 in the zip
  await writeFile(path.join(dir, 'README.txt'), 'hello '.repeat(500));
  await writeFile(path.join(dir, 'installer.sh'), '#!/bin/sh\nexit 0\n');
  await chmod(path.join(dir, 'installer.sh'), 0o755);
  return [
    { name: 'bin/compile', source: { path: path.join(dir, 'bin', 'compile') } },
    { name: 'manifest.yml', source: { data: 'language: python\n' } },
    { name: 'README.txt', source: { path: path.join(dir, 'README.txt') } },
    { name: 'dependencies/0123/Miniforge3-24.7.1-0-Linux-x86_64.sh', source: { path: path.join(dir, 'installer.sh') } },
    { name: 'bin/lib/redact.sh', source: { data: 'redact() { :; }\n' } },
    {
      name: 'pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl',
      source: { path: path.join(UPSTREAM, 'pypi/wheels/simplewheel-2.0-1-py2.py3-none-any.whl') },
    },
    {
      name: 'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
      source: { path: path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda') },
      sha256: 'f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b',
      size: 105917,
    },
    {
      name: 'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2',
      source: { path: path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2') },
      sha256: '1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa',
    },
    { name: 'VERSION', source: { data: '1.0.0\n' } },
  ];
}

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('writeZip', () => {
  it('keeps entry order when a STORED file of 512 KiB-1 MiB follows small entries that are still buffered', async () => {
    // the large chunk once bypassed the write buffer and landed before the small entries gathered in it
    const dir = await tempDir('zip-order-');
    const big = path.join(dir, 'big.whl');
    const bytes = Buffer.alloc(700 << 10, 7);
    await writeFile(big, bytes);
    const out = path.join(dir, 'out.zip');
    await writeZip(
      [
        { name: 'a.txt', source: { data: 'small entry, buffered\n' } },
        { name: 'b.whl', source: { path: big } },
      ],
      out,
    );
    expect(await unzipTest(out)).toContain('No errors detected');
    expect((await allEntries(out)).get('b.whl')!.equals(bytes)).toBe(true);
  });

  it('writes a zip that unzip -t accepts, entries sorted, no directory entries', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    const result = await writeZip(await sampleEntries(dir), out, { env: {} });
    expect(await unzipTest(out)).toContain('No errors detected');
    const names = await pythonNames(out);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('bin/compile');
    expect(names.some((n) => n.endsWith('/'))).toBe(false);
    const bytes = await readFile(out);
    expect(result).toEqual({ path: out, size: bytes.length, sha256: sha(bytes) });
  });

  it('stores already-compressed files and installers, deflates the rest, keeps exec bits', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    await writeZip(await sampleEntries(dir), out, { env: {} });
    const rows = new Map((await zipinfoRows(out)).map((r) => [r.name, r]));
    expect(rows.get('pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl')!.method).toBe('stor');
    expect(rows.get('conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda')!.method).toBe('stor');
    expect(rows.get('conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2')!.method).toBe('stor');
    expect(rows.get('dependencies/0123/Miniforge3-24.7.1-0-Linux-x86_64.sh')!.method).toBe('stor');
    expect(rows.get('README.txt')!.method).toMatch(/^def/);
    expect(rows.get('bin/lib/redact.sh')!.method).toMatch(/^def/);
    expect(rows.get('bin/compile')!.mode).toBe('-rwxr-xr-x');
    expect(rows.get('dependencies/0123/Miniforge3-24.7.1-0-Linux-x86_64.sh')!.mode).toBe('-rwxr-xr-x');
    expect(rows.get('README.txt')!.mode).toBe('-rw-r--r--');
    expect(rows.get('manifest.yml')!.mode).toBe('-rw-r--r--');
    expect(rows.get('README.txt')!.date).toBe('19800101.000000');
  });

  it('round-trips every byte (python zipfile reads back what went in)', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    const entries = await sampleEntries(dir);
    await writeZip(entries, out, { env: {} });
    const got = await allEntries(out);
    for (const e of entries) {
      const want = 'path' in e.source ? await readFile(e.source.path) : Buffer.from(e.source.data);
      expect(sha(got.get(e.name)!), e.name).toBe(sha(want));
    }
  });

  it('gives byte-identical zips for the same inputs, whatever the input order, mtimes or TZ', async () => {
    const dir = await tempDir();
    const entries = await sampleEntries(dir);
    process.env.TZ = 'UTC';
    const utcOffset = new Date(2000, 0, 1).getTimezoneOffset();
    const a = await writeZip(entries, path.join(dir, 'a.zip'), { env: {} });

    await utimes(path.join(dir, 'README.txt'), new Date('2021-05-05T12:00:00Z'), new Date('2021-05-05T12:00:00Z'));
    process.env.TZ = 'Asia/Tokyo';
    expect(new Date(2000, 0, 1).getTimezoneOffset()).not.toBe(utcOffset); // the TZ switch really happened
    const b = await writeZip([...entries].reverse(), path.join(dir, 'b.zip'), { env: {} });
    expect(b.sha256).toBe(a.sha256);
    expect(Buffer.compare(await readFile(a.path), await readFile(b.path))).toBe(0);
  });

  it('honours SOURCE_DATE_EPOCH for entry timestamps, in UTC', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    process.env.TZ = 'Asia/Tokyo';
    // 2024-01-02T03:04:06Z
    await writeZip([{ name: 'a.txt', source: { data: 'a' } }], out, { env: { SOURCE_DATE_EPOCH: '1704164646' } });
    expect((await zipinfoRows(out))[0]!.date).toBe('20240102.030406');
    expect(() => zipTimestamp({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(/SOURCE_DATE_EPOCH/);
    expect(zipTimestamp({ SOURCE_DATE_EPOCH: '0' }).toISOString()).toBe('1980-01-01T00:00:00.000Z');
  });

  it('fails with EINTEGRITY (Wanted/Found) on a bit-rotted file and leaves nothing behind', async () => {
    const dir = await tempDir();
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const out = path.join(outDir, 'bp.zip');
    const entries = await sampleEntries(dir);
    const rotten = path.join(dir, 'rotten.whl');
    await writeFile(rotten, Buffer.alloc(200_000, 7));
    entries.push({ name: 'pypi/files/rotten.whl', source: { path: rotten }, sha256: sha(Buffer.alloc(200_000, 8)) });
    const err = await writeZip(entries, out, { env: {} }).catch((e: unknown) => e);
    expect(isPackagerError(err, 'EINTEGRITY'), String(err)).toBe(true);
    const details = (err as { details: Record<string, string> }).details;
    expect(details.wanted).toBe(`sha256 ${sha(Buffer.alloc(200_000, 8))}`);
    expect(details.found).toBe(`sha256 ${sha(Buffer.alloc(200_000, 7))}`);
    expect((err as Error).message).toContain('pypi/files/rotten.whl');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('fails with ESIZE when the size differs and with EIO when a file vanished, leaving nothing', async () => {
    const dir = await tempDir();
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const out = path.join(outDir, 'bp.zip');
    const short = await writeZip([{ name: 'a', source: { data: 'abc' }, size: 4 }], out, { env: {} }).catch((e: unknown) => e);
    expect(isPackagerError(short, 'ESIZE')).toBe(true);
    const gone = await writeZip([{ name: 'a', source: { path: path.join(dir, 'nope') } }], out, { env: {} }).catch((e: unknown) => e);
    expect(isPackagerError(gone, 'EIO')).toBe(true);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('keeps an existing zip untouched when a rebuild fails', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    const good = await writeZip([{ name: 'a', source: { data: 'good' } }], out, { env: {} });
    await expect(writeZip([{ name: 'a', source: { data: 'bad' }, sha256: '0'.repeat(64) }], out, { env: {} })).rejects.toMatchObject({ code: 'EINTEGRITY' });
    expect(sha(await readFile(out))).toBe(good.sha256);
    expect((await readdir(dir)).sort()).toEqual(['bp.zip']);
  });

  it('replaces a previous zip at the output path, while a reader of the old one keeps reading its bytes', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    const old = await writeZip([{ name: 'a', source: { data: 'old' } }], out, { env: {} });
    const reader = await open(out, 'r');
    try {
      const next = await writeZip([{ name: 'a', source: { data: 'new' } }], out, { env: {} });
      expect(next.sha256).not.toBe(old.sha256);
      expect(sha(await readFile(out))).toBe(next.sha256);
      expect(sha(await reader.readFile())).toBe(old.sha256);
    } finally {
      await reader.close();
    }
    expect(await readdir(dir)).toEqual(['bp.zip']);
  });

  it('reports a directory at the output path as EIO, keeps it, and leaves no temp file', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    await mkdir(path.join(out, 'inside'), { recursive: true });
    const err = await writeZip([{ name: 'a', source: { data: 'x' } }], out, { env: {} }).catch((e: unknown) => e);
    expect(isPackagerError(err, 'EIO')).toBe(true);
    expect((err as Error).message).toContain(out);
    expect(await readdir(out)).toEqual(['inside']);
    expect(await readdir(dir)).toEqual(['bp.zip']);
  });

  it('replaces a symlink at the output path with the zip, leaving its target alone', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    await writeFile(path.join(dir, 'target'), 'not a zip');
    await symlink('target', out);
    await writeZip([{ name: 'a', source: { data: 'x' } }], out, { env: {} });
    expect((await lstat(out)).isFile()).toBe(true);
    expect(await readFile(path.join(dir, 'target'), 'utf8')).toBe('not a zip');
    expect(await unzipTest(out)).toContain('No errors detected');
  });

  it('rejects duplicate and unsafe entry names', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    for (const names of [['a', 'a'], ['../evil'], ['/etc/passwd'], ['a//b'], ['a\\b']]) {
      const err = await writeZip(names.map((n) => ({ name: n, source: { data: 'x' } })), out, { env: {} }).catch((e: unknown) => e);
      expect(isPackagerError(err, 'EBUNDLE'), names.join(',')).toBe(true);
    }
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('streams a large file in chunks and reports progress per entry', async () => {
    const dir = await tempDir();
    const big = path.join(dir, 'big.tar.gz');
    const data = Buffer.alloc(5 * 1024 * 1024, 1);
    await writeFile(big, data);
    const events: ProgressEvent[] = [];
    await writeZip([{ name: 'dependencies/x/big.tar.gz', source: { path: big }, sha256: sha(data) }], path.join(dir, 'bp.zip'), {
      env: {},
      onProgress: (e) => events.push(e),
    });
    const chunks = events.filter((e) => e.type === 'bytes');
    expect(chunks.length).toBeGreaterThanOrEqual(5); // 1 MiB reads
    expect(events[0]).toMatchObject({ type: 'start', total: data.length });
    expect(events.at(-1)).toMatchObject({ type: 'done', bytes: data.length });
  });

  it('stops on abort (Ctrl-C) mid-entry and leaves no temp file', async () => {
    const dir = await tempDir();
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const big = path.join(dir, 'big.tar.gz');
    await writeFile(big, Buffer.alloc(4 * 1024 * 1024, 3));
    const ac = new AbortController();
    const err = await writeZip([{ name: 'a.txt', source: { data: 'a' } }, { name: 'b/big.tar.gz', source: { path: big } }], path.join(outDir, 'bp.zip'), {
      env: {},
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'bytes') ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('takes the CRC-32 an entry carries (fetch verified the file) instead of hashing the file again', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'pkg.tar.bz2');
    const data = Buffer.alloc(300_000, 5);
    await writeFile(file, data);
    // a deliberately wrong CRC proves the given one is what goes into the zip
    const out = path.join(dir, 'bp.zip');
    await writeZip([{ name: 'conda/x/pkg.tar.bz2', source: { path: file }, sha256: sha(data), size: data.length, crc32: (crc32(data) ^ 1) >>> 0 }], out, { env: {} });
    const err = (await unzipTest(out).catch((e: unknown) => e)) as { stdout?: string };
    expect(err.stdout).toMatch(/bad CRC/);
  });

  it('writes STORED files of every size (empty, one byte, chunk boundaries) byte for byte', async () => {
    const dir = await tempDir();
    const sizes = [0, 1, 65_535, 65_536, 1 << 20, (1 << 20) + 1, 17 * (1 << 20) + 3];
    const entries: ZipEntry[] = [];
    for (const n of sizes) {
      const f = path.join(dir, `f${n}.tgz`);
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i += 4096) b[i] = (i / 4096) & 0xff;
      await writeFile(f, b);
      entries.push({ name: `dependencies/${n}/f.tgz`, source: { path: f }, sha256: sha(b), size: n });
    }
    const out = path.join(dir, 'bp.zip');
    const result = await writeZip(entries, out, { env: {} });
    expect(await unzipTest(out)).toContain('No errors detected');
    expect(result.sha256).toBe(sha(await readFile(out)));
    const got = await allEntries(out);
    for (const e of entries) expect(sha(got.get(e.name)!), e.name).toBe(e.sha256);
  });
  it('gives the same bytes whether its files come with their digests or are hashed as they are written', async () => {
    const dir = await tempDir();
    const entries: ZipEntry[] = [];
    for (const [i, n] of [3 << 20, 10_000, (5 << 20) + 1, 1, (2 << 20) + 4097, 0].entries()) {
      const f = path.join(dir, `f${i}.tgz`);
      const b = Buffer.alloc(n);
      for (let j = 0; j < n; j += 1000) b[j] = (i * 31 + j / 1000) & 0xff;
      await writeFile(f, b);
      entries.push({ name: `dependencies/${i}/f${i}.tgz`, source: { path: f }, sha256: sha(b), size: n });
    }
    const hashed = await writeZip(entries, path.join(dir, 'hashed.zip'), { env: {} });
    const withDigests: ZipEntry[] = [];
    for (const e of entries) withDigests.push({ ...e, crc32: crc32(await readFile((e.source as { path: string }).path)) });
    const trusted = await writeZip(withDigests, path.join(dir, 'trusted.zip'), { env: {} });
    expect(hashed.sha256).toBe(trusted.sha256);
    expect(hashed.sha256).toBe(sha(await readFile(path.join(dir, 'hashed.zip'))));
    expect(await unzipTest(path.join(dir, 'hashed.zip'))).toContain('No errors detected');
  });

  it('refuses a multi-piece file whose last byte is wrong once it has been copied, and leaves nothing behind', async () => {
    const dir = await tempDir();
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const good = Buffer.alloc(5 << 20, 9);
    const rotten = Buffer.from(good);
    rotten[rotten.length - 1] = 8;
    const file = path.join(dir, 'installer.sh');
    await writeFile(file, rotten);
    const other = path.join(dir, 'other.tgz');
    await writeFile(other, Buffer.alloc(3 << 20, 1));
    const err = await writeZip(
      [
        { name: 'dependencies/a/installer.sh', source: { path: file }, sha256: sha(good), size: good.length },
        { name: 'dependencies/b/other.tgz', source: { path: other }, sha256: sha(Buffer.alloc(3 << 20, 1)) },
      ],
      path.join(outDir, 'bp.zip'),
      { env: {} },
    ).catch((e: unknown) => e);
    expect(isPackagerError(err, 'EINTEGRITY'), String(err)).toBe(true);
    expect((err as { details: Record<string, string> }).details).toMatchObject({ wanted: `sha256 ${sha(good)}`, found: `sha256 ${sha(rotten)}`, file, entry: 'dependencies/a/installer.sh' });
    expect(await readdir(outDir)).toEqual([]);
  });
});
