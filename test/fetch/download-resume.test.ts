import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../src/core/artifact.js';
import { MemoryLogger } from '../../src/core/log.js';
import { fetchArtifact } from '../../src/fetch/index.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { deadOwnersPartial, FAST, listFiles, origin, partialOf, ZLIB, zlibArtifact } from './support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ETAG = `"${createHash('sha1').update(await readFile(ZLIB.file)).digest('hex')}"`;
let buildDir: string;
let childJs: string;

// The child is our real fetch code bundled to plain JS (Node 20 cannot run .ts);
// node_modules is linked beside it so undici, ssri and p-limit resolve.
beforeAll(async () => {
  const { build } = await import('rolldown');
  buildDir = await mkdtemp(path.join(os.tmpdir(), 'fetch-child-'));
  childJs = path.join(buildDir, 'fetch-in-child.mjs');
  await build({
    input: path.join(HERE, 'child/fetch-in-child.ts'),
    platform: 'node',
    external: [/^node:/, 'undici', 'ssri', 'p-limit'],
    logLevel: 'silent',
    output: { file: childJs, format: 'esm' },
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(buildDir, 'node_modules'));
});

afterAll(async () => {
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

async function sizeOf(file: string | undefined): Promise<number> {
  return file === undefined ? 0 : stat(file).then((s) => s.size, () => 0);
}

async function until(cond: () => Promise<boolean>, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts a download in a child process and kill -9s it once `cond` holds. */
async function killDownloadWhen(a: Artifact, cacheDir: string, cond: () => Promise<boolean>, what: string): Promise<void> {
  const child = spawn(process.execPath, [childJs, JSON.stringify({ artifact: a, cacheDir })], { stdio: 'ignore' });
  try {
    await until(cond, what, child);
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
  expect(child.signalCode).toBe('SIGKILL');
}

/** Starts a download in a child process and kill -9s it once `bytes` have reached the partial file. */
async function killMidDownload(a: Artifact, cacheDir: string, bytes: number): Promise<number> {
  const partial = () => partialOf(cacheDir, ZLIB.sha256);
  await killDownloadWhen(a, cacheDir, async () => (await sizeOf(await partial())) >= bytes, `${bytes} bytes in the partial file`);
  return sizeOf(await partial());
}

const slow = { slow: { chunk: 4096, intervalMs: 25 } };

describe('resuming interrupted downloads', () => {
  it('leaves no final entry after kill -9, then resumes the partial with Range + If-Range', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [slow] } });
    const cacheDir = await tempDir();
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const have = await killMidDownload(a, cacheDir, 16_384);
    expect(have).toBeLessThan(ZLIB.size);
    expect(await listFiles(path.join(cacheDir, 'content-v2'))).toEqual([]);
    const partial = path.basename((await partialOf(cacheDir, ZLIB.sha256))!);
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([partial, `${partial}.json`]);

    const logger = new MemoryLogger();
    const f = await fetchArtifact(a, { cacheDir, logger, ...FAST });
    expect(f).toMatchObject({ sha256: ZLIB.sha256, size: ZLIB.size, fromCache: false });
    expect((await readFile(f.path)).equals(await readFile(ZLIB.file))).toBe(true);
    const reqs = o.requestsFor(ZLIB.urlPath);
    expect(reqs.map((r) => [r.headers.range, r.headers['if-range'], r.status])).toEqual([
      [undefined, undefined, 200],
      [`bytes=${have}-`, ETAG, 206],
    ]);
    expect(logger.lines).toContainEqual({ level: 'debug', message: `Resuming zlib 1.2.11 at byte ${have}` });
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('keeps the partial when the run is aborted, and the next run resumes it', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [slow] } });
    const cacheDir = await tempDir();
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const ac = new AbortController();
    const run = fetchArtifact(a, {
      cacheDir,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'bytes' && e.bytes >= 16_384) ac.abort(new Error('interrupted by the user'));
      },
      ...FAST,
    });
    await expect(run).rejects.toThrow('interrupted by the user');
    const have = await sizeOf(await partialOf(cacheDir, ZLIB.sha256));
    expect(have).toBeGreaterThan(0);
    await fetchArtifact(a, { cacheDir, ...FAST });
    expect(o.requestsFor(ZLIB.urlPath).map((r) => r.headers.range)).toEqual([undefined, `bytes=${have}-`]);
  });

  it('restarts cleanly after kill -9 when the origin ignores ranges', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [slow] }, ranges: false });
    const cacheDir = await tempDir();
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const have = await killMidDownload(a, cacheDir, 16_384);
    const f = await fetchArtifact(a, { cacheDir, ...FAST });
    expect((await readFile(f.path)).equals(await readFile(ZLIB.file))).toBe(true);
    const reqs = o.requestsFor(ZLIB.urlPath);
    expect(reqs.map((r) => [r.headers.range, r.status])).toEqual([
      [undefined, 200],
      [`bytes=${have}-`, 200],
    ]);
  });

  it('restarts within a run when a retry gets 200 instead of 206', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [{ reset: 40_000 }] }, ranges: false });
    const cacheDir = await tempDir();
    const f = await fetchArtifact(zlibArtifact(o.url + ZLIB.urlPath), { cacheDir, ...FAST });
    expect(f.sha256).toBe(ZLIB.sha256);
    expect(o.requestsFor(ZLIB.urlPath).map((r) => r.status)).toEqual([200, 200]);
  });

  it('does not resume without a validator to put in If-Range', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const cacheDir = await tempDir();
    const tmp = path.join(cacheDir, 'tmp');
    await writeFile(deadOwnersPartial(await mkdirp(tmp), ZLIB.sha256), (await readFile(ZLIB.file)).subarray(0, 5000));
    await fetchArtifact(zlibArtifact(o.url + ZLIB.urlPath), { cacheDir, ...FAST });
    expect(o.requests.map((r) => [r.headers.range, r.status])).toEqual([[undefined, 200]]);
  });

  it('starts over once when a resumed file does not verify', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const cacheDir = await tempDir();
    const partial = deadOwnersPartial(await mkdirp(path.join(cacheDir, 'tmp')), ZLIB.sha256);
    await writeFile(partial, Buffer.alloc(5000, 0x55));
    await writeFile(`${partial}.json`, JSON.stringify({ validator: ETAG }));
    const logger = new MemoryLogger();
    const f = await fetchArtifact(zlibArtifact(o.url + ZLIB.urlPath), { cacheDir, logger, ...FAST });
    expect(f.sha256).toBe(ZLIB.sha256);
    expect(o.requests.map((r) => [r.headers.range, r.status])).toEqual([
      ['bytes=5000-', 206],
      [undefined, 200],
    ]);
    expect(logger.text()).toContain('Resumed download of zlib 1.2.11 did not verify; downloading it again from the start');
  });

  it('never leaves old partial bytes beside the validator of a new full answer (kill -9 before its first byte, then after it)', async () => {
    // the origin's file changed: If-Range does not match, so it answers 200 (headers, then nothing)
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [{ stall: true }, slow] } });
    const cacheDir = await tempDir();
    const old = deadOwnersPartial(await mkdirp(path.join(cacheDir, 'tmp')), ZLIB.sha256);
    await writeFile(old, Buffer.alloc(50_000, 0x55));
    await writeFile(`${old}.json`, JSON.stringify({ validator: '"an-older-version"' }));
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const partial = () => partialOf(cacheDir, ZLIB.sha256);
    // the old bytes go at once: a resume could otherwise splice them onto the new version
    // an empty partial that is there: a partial being renamed away between readdir and stat is not "removed"
    const emptied = async () => {
      const p = await partial();
      return p !== undefined && (await stat(p).then((s) => s.size === 0, () => false));
    };
    await killDownloadWhen(a, cacheDir, emptied, 'the old bytes removed');
    expect(await sizeOf(await partial())).toBe(0);
    // the new validator is written with the first new bytes, never beside old ones
    // read while the child writes it: a file caught half-written (truncated, not yet filled) is "not yet"
    const validatorIs = async (v: string) => {
      const text = await readFile(`${await partial()}.json`, 'utf8').catch(() => '{}');
      try {
        return (JSON.parse(text) as { validator?: string }).validator === v;
      } catch {
        return false;
      }
    };
    await killDownloadWhen(a, cacheDir, async () => (await validatorIs(ETAG)) && (await sizeOf(await partial())) > 0, 'the new validator and bytes on file');
    const kept = await readFile((await partial())!);
    expect(kept.equals((await readFile(ZLIB.file)).subarray(0, kept.length))).toBe(true);
    // nothing to resume after the first kill: the second run started at byte 0
    expect(o.requests.map((r) => [r.headers.range, r.headers['if-range']])).toEqual([
      ['bytes=50000-', '"an-older-version"'],
      [undefined, undefined],
    ]);
  });

  it('uses a partial that already holds every byte when the origin answers 416', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const cacheDir = await tempDir();
    const partial = deadOwnersPartial(await mkdirp(path.join(cacheDir, 'tmp')), ZLIB.sha256);
    await writeFile(partial, await readFile(ZLIB.file));
    await writeFile(`${partial}.json`, JSON.stringify({ validator: ETAG }));
    const f = await fetchArtifact(zlibArtifact(o.url + ZLIB.urlPath), { cacheDir, ...FAST });
    expect(f.sha256).toBe(ZLIB.sha256);
    expect(o.requests.map((r) => [r.headers.range, r.status])).toEqual([[`bytes=${ZLIB.size}-`, 416]]);
  });

  it('never takes over the partial of a download another live process is writing', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [slow] } });
    const cacheDir = await tempDir();
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const child = spawn(process.execPath, [childJs, JSON.stringify({ artifact: a, cacheDir })], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = once(child, 'exit');
    await until(async () => (await sizeOf(await partialOf(cacheDir, ZLIB.sha256))) >= 16_384, 'the child writing its partial', child);
    // this process lists tmp/ now, with the child's partial in it
    const mine = await fetchArtifact(a, { cacheDir, ...FAST });
    const [code] = await exited;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sha256: ZLIB.sha256, fromCache: false });
    expect(mine).toMatchObject({ sha256: ZLIB.sha256 });
    expect(o.requestsFor(ZLIB.urlPath).map((r) => r.headers.range)).toEqual([undefined, undefined]);
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('gives a second live writer of the same file a partial of its own, and never takes over a live one', async () => {
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file }, faults: { [ZLIB.urlPath]: [slow, slow] } });
    const cacheDir = await tempDir();
    const a = zlibArtifact(o.url + ZLIB.urlPath);
    const [x, y] = await Promise.all([fetchArtifact(a, { cacheDir, ...FAST }), fetchArtifact(a, { cacheDir, ...FAST })]);
    expect(x.sha256).toBe(ZLIB.sha256);
    expect(y.sha256).toBe(ZLIB.sha256);
    expect(o.requests).toHaveLength(2);
    expect(await listFiles(path.join(cacheDir, 'tmp'))).toEqual([]);
  });
});

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}
