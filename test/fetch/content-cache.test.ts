import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLogger, type ProgressEvent } from '../../src/core/log.js';
import { sriFromHex } from '../../src/core/integrity.js';
import { ContentCache, defaultCacheDir, fetchArtifact } from '../../src/fetch/index.js';
import { tempDir } from '../helpers/tmp.js';
import { deadOwnersPartial, FAST, listFiles, origin, ZLIB, zlibArtifact } from './support.js';

async function setup() {
  const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
  const cacheDir = await tempDir();
  const logger = new MemoryLogger();
  return { o, cacheDir, logger, opts: { cacheDir, logger, ...FAST }, url: o.url + ZLIB.urlPath };
}

describe('content cache', () => {
  it('serves the second fetch from the cache without a request', async () => {
    const { o, cacheDir, logger, opts, url } = await setup();
    const first = await fetchArtifact(zlibArtifact(url), opts);
    const events: ProgressEvent[] = [];
    const second = await fetchArtifact(zlibArtifact(url), { ...opts, onProgress: (e) => events.push(e) });
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
    expect(second).toEqual({ ...first, fromCache: true });
    expect(logger.lines.at(-1)).toEqual({ level: 'info', message: 'Using cached zlib 1.2.11' });
    expect(events).toEqual([
      { type: 'start', id: url, name: 'zlib 1.2.11', total: ZLIB.size },
      { type: 'done', id: url, bytes: ZLIB.size, cached: true },
    ]);
    expect(await listFiles(cacheDir)).toEqual([`content-v2/sha256/${ZLIB.sha256}`]);
  });

  it('finds a file cached from one URL when another URL names the same checksum', async () => {
    const { o, opts, url } = await setup();
    await fetchArtifact(zlibArtifact(url), opts);
    const mirror = await fetchArtifact(zlibArtifact(o.url + '/elsewhere/zlib.tar.bz2'), opts);
    expect(mirror.fromCache).toBe(true);
    expect(o.requests).toHaveLength(1);
  });

  it('detects a corrupt cache entry, removes it and fetches the file again', async () => {
    const { o, logger, opts, url } = await setup();
    const first = await fetchArtifact(zlibArtifact(url), opts);
    const bytes = await readFile(first.path);
    bytes[100] = bytes[100]! ^ 0xff; // one flipped byte, same size
    await writeFile(first.path, bytes);
    const again = await fetchArtifact(zlibArtifact(url), opts);
    expect(again.fromCache).toBe(false);
    expect(again.sha256).toBe(ZLIB.sha256);
    expect((await readFile(again.path)).equals(await readFile(ZLIB.file))).toBe(true);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message: expect.stringMatching(new RegExp(`^Cached zlib 1\\.2\\.11 is corrupt \\(wanted sha256 ${ZLIB.sha256}, found sha256 [0-9a-f]{64} \\(${ZLIB.size} bytes\\)\\); fetching it again$`)),
    });
  });

  it('detects a truncated cache entry and fetches the file again', async () => {
    const { o, opts, url } = await setup();
    const first = await fetchArtifact(zlibArtifact(url), opts);
    await truncate(first.path, 5000);
    const again = await fetchArtifact(zlibArtifact(url, { size: undefined }), opts);
    expect(again.fromCache).toBe(false);
    expect(again.size).toBe(ZLIB.size);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
  });

  it('downloads again with forceDownload and replaces the entry', async () => {
    const { o, opts, url } = await setup();
    await fetchArtifact(zlibArtifact(url), opts);
    const forced = await fetchArtifact(zlibArtifact(url), { ...opts, forceDownload: true });
    expect(forced.fromCache).toBe(false);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
    expect((await fetchArtifact(zlibArtifact(url), opts)).fromCache).toBe(true);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(2);
  });

  it('keeps the cached entry when a forced download fails', async () => {
    const { o, opts, url } = await setup();
    const first = await fetchArtifact(zlibArtifact(url), opts);
    o.setFaults(ZLIB.urlPath, [{ wrongBytes: true }]);
    await expect(fetchArtifact(zlibArtifact(url), { ...opts, forceDownload: true })).rejects.toMatchObject({ code: 'EINTEGRITY' });
    expect((await readFile(first.path)).equals(await readFile(ZLIB.file))).toBe(true);
  });

  it('verifies and files an md5-only artifact under content-v2/md5, still reporting its sha256', async () => {
    const { o, cacheDir, opts, url } = await setup();
    const a = zlibArtifact(url, { integrity: sriFromHex(ZLIB.md5, 'md5') });
    const f = await fetchArtifact(a, opts);
    expect(f.path).toBe(path.join(cacheDir, 'content-v2/md5', ZLIB.md5));
    expect(f).toMatchObject({ sha256: ZLIB.sha256, md5: ZLIB.md5, size: ZLIB.size, fromCache: false });
    expect(f.integrity).toBe(`${sriFromHex(ZLIB.sha256)} ${sriFromHex(ZLIB.md5, 'md5')}`);
    expect(await fetchArtifact(a, opts)).toMatchObject({ fromCache: true, md5: ZLIB.md5, sha256: ZLIB.sha256 });
    expect(o.requests).toHaveLength(1);
  });

  it('rejects a wrong md5 with the md5 digests in the error', async () => {
    const { opts, url } = await setup();
    const wrong = 'ffffffffffffffffffffffffffffffff';
    await expect(fetchArtifact(zlibArtifact(url, { integrity: sriFromHex(wrong, 'md5') }), opts)).rejects.toMatchObject({
      code: 'EINTEGRITY',
      details: { wanted: `md5 ${wrong}`, found: `md5 ${ZLIB.md5}` },
    });
  });

  it('exposes entry paths and verification for bundle and cli', async () => {
    const { cacheDir, opts, url } = await setup();
    const cache = new ContentCache(cacheDir);
    const sri = sriFromHex(ZLIB.sha256);
    expect(cache.verify(sri)).toEqual({ status: 'missing' });
    const f = await fetchArtifact(zlibArtifact(url), opts);
    expect(cache.pathFor(sri)).toBe(f.path);
    expect(cache.verify(sri, ZLIB.size)).toEqual({ status: 'ok', file: { ...f, fromCache: true } });
    await writeFile(f.path, 'rot');
    expect(cache.verify(sri)).toMatchObject({ status: 'corrupt', wanted: `sha256 ${ZLIB.sha256}` });
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('takes over a partial only from a dead owner that tmp/ held when the run first looked, and only once', async () => {
    const cacheDir = await tempDir();
    const tmp = path.join(cacheDir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const key = (c: string) => ContentCache.keyOf(sriFromHex(c.repeat(64)));
    const dead = deadOwnersPartial(tmp, 'a'.repeat(64));
    await writeFile(dead, 'left by a killed run');
    await writeFile(`${dead}.json`, '{"validator":"\\"v\\""}');
    const cache = new ContentCache(cacheDir);
    const a = await cache.lease(key('a'));
    expect(a.resumable).toBe(true);
    expect(await readFile(a.data, 'utf8')).toBe('left by a killed run');
    expect(await readFile(a.meta, 'utf8')).toContain('validator');
    // a live owner's partial (this lease's) is never taken over, by this process or another run
    expect((await new ContentCache(cacheDir).lease(key('a'))).resumable).toBe(false);
    // appears after the listing (another run killed since): left for the next run
    await writeFile(deadOwnersPartial(tmp, 'b'.repeat(64)), 'late');
    expect((await cache.lease(key('b'))).resumable).toBe(false);
    expect((await new ContentCache(cacheDir).lease(key('b'))).resumable).toBe(true);
    // once its owner lets go of it (a transient failure), a later run resumes it
    a.release({ discard: false });
    const again = await new ContentCache(cacheDir).lease(key('a'));
    expect(again.resumable).toBe(true);
    again.release({ discard: true });
    expect((await listFiles(tmp)).filter((n) => n.startsWith('sha256-a'))).toEqual([]);
  });

  it('moves an entry left under content-v1/ (the ab/cd fan-out) to content-v2/ and uses it without a request', async () => {
    const { o, cacheDir, opts, url } = await setup();
    const legacy = path.join(cacheDir, 'content-v1/sha256', ZLIB.sha256.slice(0, 2), ZLIB.sha256.slice(2, 4), ZLIB.sha256.slice(4));
    await mkdir(path.dirname(legacy), { recursive: true });
    await writeFile(legacy, await readFile(ZLIB.file));
    const f = await fetchArtifact(zlibArtifact(url), opts);
    expect(f).toMatchObject({ fromCache: true, sha256: ZLIB.sha256, path: path.join(cacheDir, 'content-v2/sha256', ZLIB.sha256) });
    expect(o.requests).toHaveLength(0);
    expect((await listFiles(cacheDir)).filter((p) => !p.startsWith('tmp/'))).toEqual([`content-v2/sha256/${ZLIB.sha256}`]);
  });

  it('re-downloads a corrupt entry found under content-v1/ instead of using it', async () => {
    const { o, cacheDir, opts, url } = await setup();
    const legacy = path.join(cacheDir, 'content-v1/sha256', ZLIB.sha256.slice(0, 2), ZLIB.sha256.slice(2, 4), ZLIB.sha256.slice(4));
    await mkdir(path.dirname(legacy), { recursive: true });
    await writeFile(legacy, 'not zlib');
    const f = await fetchArtifact(zlibArtifact(url), opts);
    expect(f.fromCache).toBe(false);
    expect(o.requestsFor(ZLIB.urlPath)).toHaveLength(1);
    expect(await readFile(f.path)).toEqual(await readFile(ZLIB.file));
  });

  it('rejects an artifact without a usable checksum as EINPUT', async () => {
    const { opts, url } = await setup();
    await expect(fetchArtifact(zlibArtifact(url, { integrity: 'sha512-abc' }), opts)).rejects.toMatchObject({ code: 'EINPUT' });
  });

  it('reports a cache directory that cannot be created as EIO', async () => {
    const { opts, url } = await setup();
    const notADir = path.join(await tempDir(), 'file');
    await writeFile(notADir, 'x');
    const err = await fetchArtifact(zlibArtifact(url), { ...opts, cacheDir: notADir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EIO', message: expect.stringMatching(/\(ENOTDIR\)$/) });
  });
});

describe('defaultCacheDir', () => {
  const saved = process.env.XDG_CACHE_HOME;
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  it('uses $XDG_CACHE_HOME/<name> when set', () => {
    process.env.XDG_CACHE_HOME = '/var/cache/me';
    expect(defaultCacheDir('pkg')).toBe('/var/cache/me/pkg');
  });

  it('falls back to ~/.cache/<name> (and ignores a relative XDG_CACHE_HOME, as the spec says)', () => {
    delete process.env.XDG_CACHE_HOME;
    expect(defaultCacheDir('pkg')).toBe(path.join(os.homedir(), '.cache', 'pkg'));
    process.env.XDG_CACHE_HOME = 'relative/dir';
    expect(defaultCacheDir('pkg')).toBe(path.join(os.homedir(), '.cache', 'pkg'));
  });
});
