// Real pip (python3 -m pip, isolated from this machine's pip config) installs
// from the mirror into fresh venvs: served from the zip (PEP 691 JSON, PEP 658
// metadata), from an export served by the mirror, and from an export served by
// Debian's nginx (PEP 503 HTML).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSite, openSite, startMirrorServer, type AccessLogEntry, type MirrorSite } from '../../src/mirror/index.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';
import { NGINX, startExportNginx } from './nginx.js';

const run = promisify(execFile);

let work: string;
let bundle: MirrorBundle;
let site: MirrorSite;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-pip-'));
  bundle = await buildMirrorBundle(work);
  site = await openSite(bundle.zip);
});
afterAll(async () => {
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

function pipEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_') && !/_proxy$/i.test(k)));
  return { ...env, PIP_CONFIG_FILE: '/dev/null' };
}

/** Installs `packages` from `indexUrl` into a new venv; returns name -> installed version. */
async function pipInstall(indexUrl: string, packages: string[]): Promise<Record<string, string>> {
  const dir = await tempDir('mirror-venv-');
  const env = pipEnv();
  const venv = path.join(dir, 'venv');
  await run('python3', ['-m', 'venv', '--without-pip', venv], { env });
  const python = path.join(venv, 'bin/python');
  await run('python3', ['-m', 'pip', '--python', python, 'install', '--disable-pip-version-check', '--no-cache-dir', '--no-input', '--index-url', indexUrl, ...packages], { env, maxBuffer: 16 << 20 });
  const names = packages.map((p) => p.replace(/[=<>!~].*$/, ''));
  const { stdout } = await run(python, ['-c', 'import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))', ...names], { env });
  return JSON.parse(stdout) as Record<string, string>;
}

describe('pip installs from the mirror', () => {
  it('served from the zip: JSON index, PEP 658 metadata, newest wheels', async () => {
    const access: AccessLogEntry[] = [];
    const m = await startMirrorServer(site, { port: 0, onAccess: (e) => access.push(e) });
    try {
      expect(await pipInstall(`${m.url}pypi/simple`, ['simplewheel', 'has.script'])).toEqual({ simplewheel: '2.0', 'has.script': '1.0' });
    } finally {
      await m.close();
    }
    const got = access.map((e) => `${e.status} ${e.target}`);
    expect(got).toContain('200 /pypi/simple/simplewheel/');
    expect(got).toContain('200 /pypi/simple/has-script/');
    expect(got).toContain(`200 ${bundle.paths.metadata}`);
    expect(got).toContain(`200 ${bundle.paths.wheel}`);
  });

  it('served from an export by the mirror', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const fromDir = await openSite(dir);
    const m = await startMirrorServer(fromDir, { port: 0 });
    try {
      expect(await pipInstall(`${m.url}pypi/simple/`, ['simplewheel==1.0', 'has-script'])).toEqual({ simplewheel: '1.0', 'has-script': '1.0' });
    } finally {
      await m.close();
      await fromDir.close();
    }
  });

  it.skipIf(!NGINX)('served from an export by nginx with the shipped configuration (PEP 691 JSON, PEP 658 metadata)', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const prefix = await tempDir();
    const nginx = await startExportNginx(dir, prefix);
    try {
      expect(await pipInstall(`${nginx.url}pypi/simple`, ['simplewheel', 'has.script'])).toEqual({ simplewheel: '2.0', 'has.script': '1.0' });
    } finally {
      await nginx.stop();
    }
    // pip fetched the metadata sidecar: it read the JSON page, which advertises it
    const log = await readFile(path.join(prefix, 'access.log'), 'utf8');
    expect(log).toContain(`"GET ${bundle.paths.metadata} HTTP/1.1" 200`);
    expect(log).toContain('"GET /pypi/simple/simplewheel/ HTTP/1.1" 200');
  });
  if (!NGINX) console.log('skipping pip against nginx: nginx is not installed (apt-get install -y nginx-light)');
});
