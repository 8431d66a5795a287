// Real curl against the mirror: ranges and resumed downloads, ETag and date
// revalidation, HEAD, and path traversal attempts sent verbatim (--path-as-is).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSite, startMirrorServer, type MirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
let bundle: MirrorBundle;
let site: MirrorSite;
let mirror: MirrorServer;
let base: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-curl-'));
  bundle = await buildMirrorBundle(work);
  site = await openSite(bundle.zip);
  mirror = await startMirrorServer(site, { port: 0 });
  base = mirror.url.slice(0, -1);
});
afterAll(async () => {
  await mirror?.close();
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

/** curl with no config file; returns status, headers (lower-case) and the body file's bytes. */
async function curl(args: string[], url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const dir = await tempDir('mirror-curl-out-');
  const out = path.join(dir, 'body');
  const { stdout } = await run('curl', ['-q', '-sS', '-D', '-', '-o', out, ...args, url]);
  const blocks = stdout.split(/\r\n\r\n/).filter((b) => b.startsWith('HTTP/'));
  const last = blocks[blocks.length - 1]!.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of last.slice(1)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  const body = await readFile(out).catch(() => Buffer.alloc(0));
  return { status: Number(last[0]!.split(' ')[1]), headers, body };
}

describe('curl', () => {
  it('gets a byte range (-r) of a stored file', async () => {
    const full = await curl([], base + bundle.paths.bigWheel);
    const r = await curl(['-r', '1000-1999'], base + bundle.paths.bigWheel);
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-1999/${full.body.length}`);
    expect(r.body.equals(full.body.subarray(1000, 2000))).toBe(true);
  });

  it('resumes a partial download (-C -) to the exact file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'wheel.whl');
    const full = await curl([], base + bundle.paths.bigWheel);
    await writeFile(file, full.body.subarray(0, 123457));
    await run('curl', ['-q', '-sS', '-C', '-', '-o', file, base + bundle.paths.bigWheel]);
    expect(sha(await readFile(file))).toBe(bundle.sha256.get(bundle.paths.bigWheel));
  });

  it('revalidates with --etag-compare and -z, getting 304 and no body', async () => {
    const dir = await tempDir();
    const etags = path.join(dir, 'etag.txt');
    const first = await curl(['--etag-save', etags], base + bundle.paths.condaPackage);
    expect(first.status).toBe(200);
    expect((await readFile(etags, 'utf8')).trim()).toBe(`"${bundle.sha256.get(bundle.paths.condaPackage)}"`);
    const again = await curl(['--etag-compare', etags], base + bundle.paths.condaPackage);
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const since = await curl(['-z', first.headers['last-modified']!], base + bundle.paths.condaPackage);
    expect(since.status).toBe(304);
  });

  it('answers HEAD (-I) with the length and validators of GET', async () => {
    const r = await curl(['-I'], `${base}/conda/conda-forge/noarch/repodata.json`);
    expect(r.status).toBe(200);
    expect(r.headers).toMatchObject({ 'content-type': 'application/json', etag: expect.stringMatching(/^"[0-9a-f]{64}"$/), 'accept-ranges': 'bytes' });
    expect(Number(r.headers['content-length'])).toBe(site.get('/conda/conda-forge/noarch/repodata.json')!.size);
  });

  const attempts = [
    '/../../../../etc/passwd',
    '/pypi/files/../../manifest.yml',
    '/pypi/simple/../../dependencies/index.tsv',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/pypi/files/%2e%2e/%2e%2e/manifest.yml',
    '/pypi/files/..%2f..%2fmanifest.yml',
    '/pypi/files/..%5c..%5cmanifest.yml',
    '/pypi/files/%2fetc%2fpasswd',
    '/pypi/files/x.whl%00.html',
    '//etc/passwd',
    '/./manifest.yml',
  ];
  it.each(attempts)('refuses %s sent verbatim with 400', async (p) => {
    const r = await curl(['--path-as-is'], base + p);
    expect(r.status).toBe(400);
    expect(r.body.toString()).not.toMatch(/root:|language:/);
  });

  it('finds nothing outside the served tree with plain paths', async () => {
    for (const p of ['/manifest.yml', '/VERSION', '/bin/compile', '/dependencies/index.tsv', '/dependencies/names.tsv', '/conda/channels.tsv', '/etc/passwd']) {
      expect((await curl(['--path-as-is'], base + p)).status, p).toBe(404);
    }
  });
});
