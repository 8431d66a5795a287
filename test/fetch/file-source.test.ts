import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/log.js';
import { fetchArtifact } from '../../src/fetch/index.js';
import { filePathOf } from '../../src/fetch/file-source.js';
import { tempDir } from '../helpers/tmp.js';
import { listFiles, rejection, ZLIB, zlibArtifact } from './support.js';

describe('file:// sources', () => {
  it('reads a local file, verifies it and caches it', async () => {
    const cacheDir = await tempDir();
    const logger = new MemoryLogger();
    const url = pathToFileURL(ZLIB.file).href;
    const f = await fetchArtifact(zlibArtifact(url), { cacheDir, logger });
    expect(f).toMatchObject({ sha256: ZLIB.sha256, size: ZLIB.size, fromCache: false });
    expect(f.path).toBe(path.join(cacheDir, 'content-v2/sha256', ZLIB.sha256));
    expect((await readFile(f.path)).equals(await readFile(ZLIB.file))).toBe(true);
    expect(logger.lines).toEqual([{ level: 'info', message: `Downloading zlib 1.2.11 from ${url}` }]);
    expect((await fetchArtifact(zlibArtifact(url), { cacheDir })).fromCache).toBe(true);
  });

  it('rejects a local file whose checksum differs with EINTEGRITY and caches nothing', async () => {
    const cacheDir = await tempDir();
    const other = path.join(path.dirname(ZLIB.file), 'zlib-1.2.11-h7b6447c_3.conda');
    const err = await rejection(fetchArtifact(zlibArtifact(pathToFileURL(other).href, { size: undefined }), { cacheDir }));
    expect(err.code).toBe('EINTEGRITY');
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('reports a missing local file as EIO naming the URI', async () => {
    const cacheDir = await tempDir();
    const url = pathToFileURL(path.join(cacheDir, 'absent.tar.bz2')).href;
    const err = await rejection(fetchArtifact(zlibArtifact(url), { cacheDir }));
    expect(err.code).toBe('EIO');
    expect(err.message).toBe(`Cannot read zlib 1.2.11 from ${url}: no such file (ENOENT)`);
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('ignores userinfo in a file URI and refuses a remote host', () => {
    expect(filePathOf('file://u:p@/srv/x.tgz')).toBe('/srv/x.tgz');
    expect(() => filePathOf('file://otherhost/srv/x.tgz')).toThrow(expect.objectContaining({ code: 'EINPUT' }));
  });
});
