import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BATCH, HashSession, MAX_IN_FLIGHT, hashFileInPool, leastLoaded } from '../../src/fetch/hash-pool.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const sha = (b: Buffer, algo = 'sha256') => createHash(algo).update(b).digest('hex');

async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

describe('hash pool', () => {
  it('gives the same sha256, md5 and CRC-32 as node:crypto and zlib for a stream fed in odd-sized chunks', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 12345);
    const s = new HashSession({ sha256: true, md5: true, crc32: true });
    for (let at = 0, step = 1; at < data.length; at += step, step = (step * 7 + 13) % 300_000) {
      s.update(data.subarray(at, Math.min(data.length, at + step)));
    }
    expect(await s.finish()).toEqual({ size: data.length, sha256: sha(data), md5: sha(data, 'md5'), crc32: crc32(data) });
  });

  it('copies what it is fed: the caller may overwrite its buffer at once', async () => {
    const s = new HashSession({ sha256: true });
    const buf = Buffer.alloc(100_000, 1);
    s.update(buf);
    buf.fill(2);
    expect((await s.finish()).sha256).toBe(sha(Buffer.alloc(100_000, 1)));
  });

  it('hashes a file read by the worker, and byte ranges of it applied in call order', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'f.bin');
    const data = randomBytes(5 * 1024 * 1024 + 7);
    await writeFile(file, data);
    expect(await hashFileInPool(file, { sha256: true, crc32: true })).toEqual({ size: data.length, sha256: sha(data), crc32: crc32(data) });

    // ranges asked for without waiting, then bytes from memory: one stream, in that order
    const s = new HashSession({ sha256: true });
    const a = s.fromFile(file, 0, 1_000_000);
    const b = s.fromFile(file, 1_000_000, 4_000_000);
    await Promise.all([a, b]);
    s.update(data.subarray(4_000_000));
    expect((await s.finish()).sha256).toBe(sha(data));
  });

  it('copies file ranges into another file and hashes the bytes on the way, one stream across the pieces', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src.bin');
    const dst = path.join(dir, 'dst.bin');
    const data = randomBytes(5 * 1024 * 1024 + 7);
    await writeFile(src, data);
    const from = await open(src, 'r');
    const to = await open(dst, 'w');
    try {
      const s = new HashSession({ sha256: true, crc32: true });
      // three pieces, the middle one larger than the worker's 1 MiB buffer, landing after a 100-byte gap
      for (const [at, n] of [[0, 1000], [1000, 3_000_000], [3_001_000, data.length - 3_001_000]] as const) {
        await s.copyRange(from.fd, at, to.fd, 100 + at, n);
      }
      expect(await s.finish()).toEqual({ size: data.length, sha256: sha(data), crc32: crc32(data) });
    } finally {
      await from.close();
      await to.close();
    }
    expect(sha(await readFile(dst))).toBe(sha(Buffer.concat([Buffer.alloc(100), data])));
  });

  it('fails a copy whose source ends early, saying it was the source and how far it got', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'short.bin');
    await writeFile(src, randomBytes(10_000));
    const from = await open(src, 'r');
    const to = await open(path.join(dir, 'dst.bin'), 'w');
    try {
      const s = new HashSession({ sha256: true, crc32: true });
      await expect(s.copyRange(from.fd, 0, to.fd, 0, 20_000)).rejects.toMatchObject({ code: 'ESHORT', side: 'src', bytes: 10_000 });
      await expect(s.finish()).rejects.toThrow();
    } finally {
      await from.close();
      await to.close();
    }
  });

  it('gives work to the least loaded worker, passing over one an exclusive session holds unless every one is held', () => {
    const w = (name: string, open: number, heldBy?: number) => ({ name, open, heldBy });
    expect(leastLoaded([w('a', 3), w('b', 1), w('c', 2)]).name).toBe('b');
    expect(leastLoaded([w('a', 3), w('b', 0, 7), w('c', 2)]).name).toBe('c');
    expect(leastLoaded([w('a', 3, 1), w('b', 1, 2)]).name).toBe('b');
  });

  it('an exclusive session hashes like any other while other work goes on beside it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'f.bin');
    const data = randomBytes(3 << 20);
    await writeFile(file, data);
    const held = new HashSession({ sha256: true, exclusive: true });
    const reading = held.fromFile(file);
    expect(await hashFileInPool(file, { sha256: true, crc32: true })).toMatchObject({ sha256: sha(data), crc32: crc32(data) });
    await reading;
    held.update(data);
    expect((await held.finish()).sha256).toBe(sha(Buffer.concat([data, data])));
  });

  it('writes a sink\'s sidecar as it opens the sink, before any byte, and removes it once a finish asks', async () => {
    const dir = await tempDir();
    const sink = path.join(dir, 'f.partial');
    const side = path.join(dir, 'f.partial.json');
    const data = randomBytes(BATCH + 1000);
    const s = new HashSession({ sha256: true });
    s.writeTo(sink, { append: false, sidecar: { file: side, text: '{"validator":"v1"}' } });
    s.update(data.subarray(0, BATCH)); // a full batch: sent now, opening the sink
    await waitFor(async () => (await readFile(sink).catch(() => Buffer.alloc(0))).length === BATCH);
    expect(await readFile(side, 'utf8')).toBe('{"validator":"v1"}');
    s.update(data.subarray(BATCH));
    expect((await s.finish({ dropSidecar: true })).sha256).toBe(sha(data));
    expect((await readFile(sink)).equals(data)).toBe(true);
    expect(existsSync(side)).toBe(false);
  });

  it('keeps the sidecar when the finish does not drop it, and never writes one a finish in the same message drops', async () => {
    const dir = await tempDir();
    const side = path.join(dir, 'f.partial.json');
    const kept = new HashSession({ sha256: true });
    kept.writeTo(path.join(dir, 'a.partial'), { append: false, sidecar: { file: side, text: 'v2' } });
    kept.update(Buffer.from('cut short'));
    await kept.finish();
    expect(await readFile(side, 'utf8')).toBe('v2');

    // a small body: opened, written and finished in one message; an old sidecar goes too
    const whole = new HashSession({ sha256: true });
    whole.writeTo(path.join(dir, 'b.partial'), { append: false, sidecar: { file: side, text: 'v3' } });
    whole.update(Buffer.from('all of it'));
    await whole.finish({ dropSidecar: true });
    expect(existsSync(side)).toBe(false);
    expect(await readFile(path.join(dir, 'b.partial'), 'utf8')).toBe('all of it');
  });

  it('removes an old sidecar when the new one has no text, and fails the session naming a sidecar it cannot write', async () => {
    const dir = await tempDir();
    const side = path.join(dir, 'old.json');
    await writeFile(side, 'stale');
    const s = new HashSession({ sha256: true });
    s.writeTo(path.join(dir, 'c.partial'), { append: false, sidecar: { file: side } });
    s.update(Buffer.from('x'));
    await s.finish();
    expect(existsSync(side)).toBe(false);

    const bad = new HashSession({ sha256: true });
    const nowhere = path.join(dir, 'missing-dir', 'v.json');
    bad.writeTo(path.join(dir, 'd.partial'), { append: false, sidecar: { file: nowhere, text: 'v' } });
    bad.update(Buffer.from('x'));
    await expect(bad.finish()).rejects.toMatchObject({ code: 'ENOENT', path: nowhere });
  });

  it('rejects with the file system error code for a missing file', async () => {
    const dir = await tempDir();
    await expect(hashFileInPool(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
  });

  it('asks the feeder to wait once MAX_IN_FLIGHT bytes wait for the worker, and lets it go on when drained', async () => {
    const s = new HashSession({ sha256: true });
    const chunk = Buffer.alloc(64 << 10, 3);
    let fed = 0;
    while (s.update(chunk)) fed += chunk.length;
    fed += chunk.length;
    // bounded: what is in flight plus one batch still being gathered
    expect(fed).toBeLessThanOrEqual(MAX_IN_FLIGHT + BATCH);
    await s.drained();
    expect(s.update(chunk)).toBe(true);
    expect((await s.finish()).size).toBe(fed + chunk.length);
  });

  it('never keeps the process alive: a session left unfinished still lets node exit', async () => {
    const mod = path.join(ROOT, 'dist/fetch/hash-pool.js');
    // one on the pool and one on a worker of its own (the zip's hash)
    const script = `import(${JSON.stringify(mod)}).then(({ HashSession }) => { for (const ownThread of [false, true]) new HashSession({ sha256: true, ownThread }).update(Buffer.alloc(1 << 20)); console.log('fed'); });`;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('fed');
  });

  it('aborting a session wakes everything that waits on it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'f.bin');
    await writeFile(file, randomBytes(8 << 20));
    const s = new HashSession({ sha256: true });
    const pending = s.fromFile(file);
    s.abort();
    await expect(pending).rejects.toThrow(/aborted/);
    await expect(s.finish()).rejects.toThrow();
  });
});
