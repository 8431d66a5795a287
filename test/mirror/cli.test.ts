// bin/mirror as a user runs it (the compiled launcher): the URL on stdout,
// one access-log line per request on stderr, exit 0 after SIGTERM once the
// in-flight download is done, usage errors exit 1, export prints its DIR.
// Needs `npm run build` (npm test builds first); skipped with a message otherwise.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxConf } from '../../src/mirror/nginx-conf.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';
import { request } from './http.js';

const run = promisify(execFile);
const MIRROR = path.join(ROOT, 'bin/mirror');
const BUILT = existsSync(path.join(ROOT, 'dist/cli/mirror-main.js'));
if (!BUILT) console.log('skipping bin/mirror tests: run `npm run build` first');

let work: string;
let bundle: MirrorBundle;

beforeAll(async () => {
  if (!BUILT) return;
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-cli-'));
  bundle = await buildMirrorBundle(work, { bigInstallerBytes: 8 * 1024 * 1024 });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [MIRROR, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    void exit.then((code) => reject(new Error(`bin/mirror exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err, exit };
}

describe.skipIf(!BUILT)('bin/mirror', () => {
  it('serve prints the URL, logs each request, and exits 0 on SIGTERM after finishing the in-flight download', async () => {
    const s = await serve([bundle.zip, '--port', '0']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await request(`${s.url}healthz`)).body.toString()).toBe('ok\n');
    const u = new URL(s.url);
    const sock = net.connect(Number(u.port), u.hostname);
    sock.write(`GET ${bundle.paths.bigInstaller} HTTP/1.1\r\nHost: x\r\n\r\n`);
    sock.pause();
    await new Promise((r) => setTimeout(r, 100));
    s.child.kill('SIGTERM');
    let bytes = 0;
    sock.on('data', (c: Buffer) => (bytes += c.length));
    sock.resume();
    await new Promise((r) => sock.on('close', r));
    expect(await s.exit).toBe(0);
    expect(bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(s.stderr()).toMatch(/^127\.0\.0\.1 GET \/healthz 200 3 [\d.]+ms$/m);
    expect(s.stderr()).toMatch(new RegExp(`^127\\.0\\.0\\.1 GET ${bundle.paths.bigInstaller!.replace(/\./g, '\\.')} 200 ${8 * 1024 * 1024} `, 'm'));
    expect(s.stderr()).toContain(`pip install --index-url ${s.url}pypi/simple`);
  });

  it('serve exits 1 naming the problem when the port is taken', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await run(process.execPath, [MIRROR, 'serve', bundle.zip, '--port', String(port)]).catch((e: { code: number; stderr: string; stdout: string }) => e);
      expect(err).toMatchObject({ code: 1, stdout: '' });
      expect((err as { stderr: string }).stderr).toContain(`error: Port ${port} on 127.0.0.1 is already in use`);
      expect((err as { stderr: string }).stderr).toContain('hint: choose another --port');
    } finally {
      blocker.close();
    }
  });

  it('rejects bad arguments with exit 1', async () => {
    for (const args of [['serve'], ['serve', 'x.zip', '--port', '99999'], ['serve', path.join(work, 'missing.zip')], ['export', 'x.zip'], ['nope']]) {
      const err = await run(process.execPath, [MIRROR, ...args]).catch((e: { code: number }) => e);
      expect((err as { code: number }).code, args.join(' ')).toBe(1);
    }
  });

  it('export prints the directory and is incremental', async () => {
    const dir = path.join(await tempDir(), 'site');
    const first = await run(process.execPath, [MIRROR, 'export', bundle.zip, dir]);
    expect(first.stdout).toBe(`${dir}\n`);
    expect(first.stderr).toMatch(/Exported \d+ files to .*: \d+ written .*, 0 unchanged, 0 removed/);
    const again = await run(process.execPath, [MIRROR, 'export', '--json', bundle.zip, dir]);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, written: 0, removed: 0 });
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['conda', 'pypi', 'miniconda', 'index.html', 'healthz']));
  });

  it('export --nginx-conf writes the nginx configuration for the directory; a bad --nginx-listen exits 1 before any export', async () => {
    const dir = path.join(await tempDir(), 'site');
    const conf = path.join(await tempDir(), 'conf.d', 'mirror.conf');
    const r = await run(process.execPath, [MIRROR, 'export', '--json', '--nginx-conf', conf, '--nginx-listen', '127.0.0.1:8081', bundle.zip, dir]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, dir, nginxConf: conf });
    expect(await readFile(conf, 'utf8')).toBe(nginxConf({ root: dir, listen: '127.0.0.1:8081' }));
    const other = path.join(await tempDir(), 'site');
    const err = await run(process.execPath, [MIRROR, 'export', '--nginx-conf', conf, '--nginx-listen', '80; evil', bundle.zip, other]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain("Not a value for nginx's listen");
    expect(existsSync(other)).toBe(false);
  });

  it('export refuses a zip with an entry escaping the directory and writes nothing', async () => {
    const dir = await tempDir();
    const evil = path.join(dir, 'evil.zip');
    await run('python3', ['-c', "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('manifest.yml', 'x')\n    z.writestr('../escaped.txt', 'owned')", evil]);
    const out = path.join(dir, 'out');
    const err = await run(process.execPath, [MIRROR, 'export', evil, out]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain('escape its root');
    expect(existsSync(path.join(dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
