// Every download is bounded (issue 21 item 3): a document by its kind's size
// limit counted in decoded bytes (so gzip and brotli bombs stop early) and by a
// whole-time deadline (so a body that drips forever ends), a file by its
// published size or else the file limit. Real loopback servers throughout.
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DOWNLOAD_LIMITS, MemoryLogger, sriFromHex } from '../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../src/fetch/index.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, listFiles, origin, rejection } from './support.js';

const MiB = 1024 * 1024;

/** `members` gzip members of `mib` MiB of spaces each: gunzip reads them as one stream. */
function gzipBomb(mib: number, members: number): Buffer {
  const one = gzipSync(Buffer.alloc(mib * MiB, 0x20), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => one));
}

/** Writes `chunk` until the client goes away (no Content-Length: the body never says where it ends). */
function endless(res: ServerResponse, chunk: Buffer, everyMs = 0): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(chunk);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** The largest file under `dir`, in bytes (0 when empty). */
async function largestFile(dir: string): Promise<number> {
  let max = 0;
  for (const f of await listFiles(dir)) max = Math.max(max, (await stat(path.join(dir, f))).size);
  return max;
}

describe('download limits', () => {
  it('has the documented defaults', () => {
    expect(Object.fromEntries(Object.entries(DOWNLOAD_LIMITS).map(([k, v]) => [k, [v.default, v.env]]))).toEqual({
      documentBytes: [64 * MiB, 'PACKAGER_MAX_DOCUMENT_BYTES'],
      repodataBytes: [1024 * MiB, 'PACKAGER_MAX_REPODATA_BYTES'],
      fileBytes: [4096 * MiB, 'PACKAGER_MAX_FILE_BYTES'],
      documentTimeoutMs: [600_000, 'PACKAGER_DOCUMENT_TIMEOUT_MS'],
    });
  });

  it.each([
    ['gzip', gzipBomb(128, 8)],
    ['br', brotliCompressSync(Buffer.alloc(256 * MiB, 0x20))],
  ])('refuses a %s page that decodes past the 64 MiB document limit, naming the URL, the limit and its variable, and keeps nothing', async (encoding, body) => {
    expect(body.length).toBeLessThan(2.3 * MiB);
    const o = await origin({
      routes: { '/simple/x/': (_req, res) => res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding, 'content-length': body.length }).end(body) },
    });
    const cacheDir = await tempDir();
    const err = await rejection(fetchDocument(`${o.url}/simple/x/`, { cacheDir, ...FAST, retries: 0 }));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toContain(`${o.url}/simple/x/`);
    expect(err.message).toMatch(/larger than the 64 MiB limit once decompressed \(PACKAGER_MAX_DOCUMENT_BYTES\)/);
    expect(err.details?.hint).toMatch(/raise PACKAGER_MAX_DOCUMENT_BYTES/);
    expect(await largestFile(cacheDir)).toBe(0);
  });

  it('counts what a repodata document decodes to against the repodata limit, not the document one', async () => {
    const body = gzipBomb(8, 2);
    const o = await origin({ routes: { '/c/repodata.json': (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(body) } });
    const cacheDir = await tempDir();
    const limits = { documentBytes: 1 * MiB, repodataBytes: 20 * MiB };
    const doc = await fetchDocument(`${o.url}/c/repodata.json`, { cacheDir, ...FAST, limits, kind: 'repodata' });
    expect((await stat(doc.path)).size).toBe(16 * MiB);
    const err = await rejection(fetchDocument(`${o.url}/c/repodata.json`, { cacheDir, ...FAST, limits: { repodataBytes: 10 * MiB }, kind: 'repodata', forceDownload: true }));
    expect(err.message).toMatch(/10 MiB limit once decompressed \(PACKAGER_MAX_REPODATA_BYTES\)/);
  });

  it('cuts a page that never ends at the limit', async () => {
    const o = await origin({ routes: { '/simple/x/': (_req, res) => endless(res, Buffer.alloc(64 * 1024, 0x61)) } });
    const cacheDir = await tempDir();
    const err = await rejection(fetchDocument(`${o.url}/simple/x/`, { cacheDir, ...FAST, retries: 0, limits: { documentBytes: 4 * MiB } }));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toMatch(/larger than the 4 MiB limit \(PACKAGER_MAX_DOCUMENT_BYTES\)/);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('ends a page that drips forever at the whole-document deadline, though no silence reaches the idle timeout', async () => {
    const o = await origin({ routes: { '/simple/x/': (_req, res) => endless(res, Buffer.from('<'), 50) } });
    const cacheDir = await tempDir();
    const started = Date.now();
    const err = await rejection(fetchDocument(`${o.url}/simple/x/`, { cacheDir, ...FAST, bodyTimeoutMs: 1000, limits: { documentTimeoutMs: 1500 } }));
    expect(Date.now() - started).toBeLessThan(6000);
    expect(err.code).toBe('ETIMEOUT');
    expect(err.message).toContain(`${o.url}/simple/x/`);
    expect(err.message).toMatch(/not complete after 1\.5s \(PACKAGER_DOCUMENT_TIMEOUT_MS\)/);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('cuts a file at its published size and keeps no partial for a resume', async () => {
    const o = await origin({ routes: { '/pkgs/x-1.0-0.conda': (_req, res) => endless(res, Buffer.alloc(64 * 1024)) } });
    const cacheDir = await tempDir();
    const a = { kind: 'conda' as const, name: 'x', version: '1.0', url: `${o.url}/pkgs/x-1.0-0.conda`, integrity: sriFromHex('0'.repeat(64)), size: 100_000 };
    const err = await rejection(fetchArtifact(a, { cacheDir, ...FAST, retries: 0, logger: new MemoryLogger() }));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toMatch(/sent more than the 100000 bytes published/);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('cuts a file without a published size at the file limit', async () => {
    const o = await origin({ routes: { '/files/x-1.0.tar.gz': (_req, res) => endless(res, Buffer.alloc(64 * 1024)) } });
    const cacheDir = await tempDir();
    const err = await rejection(fetchDocument(`${o.url}/files/x-1.0.tar.gz`, { cacheDir, ...FAST, retries: 0, kind: 'file', limits: { fileBytes: 2 * MiB } }));
    expect(err.message).toMatch(/larger than the 2 MiB limit \(PACKAGER_MAX_FILE_BYTES\)/);
    expect(await listFiles(cacheDir)).toEqual([]);
  });

  it('stops copying a local file at its published size (a device never ends)', async () => {
    const cacheDir = await tempDir();
    const a = { kind: 'dependency' as const, name: 'x', version: '1', url: 'file:///dev/zero', integrity: sriFromHex('0'.repeat(64)), size: 1000 };
    const err = await rejection(fetchArtifact(a, { cacheDir, ...FAST, retries: 0 }));
    expect(err.code).toBe('ESIZE');
    expect(err.message).toMatch(/more than the 1000 bytes published/);
  });
});
