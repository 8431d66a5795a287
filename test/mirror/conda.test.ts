// Real conda (CONDA_CLIENT, docs/TESTING.md; conda 23.7.4 here)
// against the mirror's http channel: a dry-run solve and a real install of a
// tiny noarch package, and an install from the export served by nginx with
// the shipped configuration. Never --offline (conda's offline mode ignores http
// channels); conda runs hermetically (own HOME, empty condarc, temp package
// cache). Skipped with a message when CONDA_CLIENT is unset.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSite, openSite, startMirrorServer, type AccessLogEntry, type MirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { CONDA_CLIENT, isolatedCondaEnv, warnIfNoCondaClient } from '../helpers/conda-client.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle } from './fixture.js';
import { NGINX, startExportNginx } from './nginx.js';

const CONDA = CONDA_CLIENT;
warnIfNoCondaClient('real conda against the mirror is');

const run = promisify(execFile);

let work: string;
let site: MirrorSite;
let mirror: MirrorServer;
const access: AccessLogEntry[] = [];

beforeAll(async () => {
  if (!CONDA) return;
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-conda-'));
  site = await openSite((await buildMirrorBundle(work)).zip);
  mirror = await startMirrorServer(site, { port: 0, onAccess: (e) => access.push(e) });
});
afterAll(async () => {
  await mirror?.close();
  await site?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function conda(args: string[]): Promise<Record<string, unknown>> {
  const home = await tempDir('mirror-conda-home-');
  await writeFile(path.join(home, 'condarc'), '');
  const env = isolatedCondaEnv(home);
  let stdout: string;
  try {
    ({ stdout } = await run(CONDA!, args, { env, maxBuffer: 16 << 20 }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  // with --json, conda streams progress documents separated by NUL before the result
  const docs = stdout.split('\0').map((d) => d.trim()).filter(Boolean);
  return JSON.parse(docs[docs.length - 1] ?? '{}') as Record<string, unknown>;
}

describe.skipIf(!CONDA)('real conda against the served channel', () => {
  it('solves from the http channel (dry run), picking the newest build', async () => {
    const prefix = path.join(await tempDir(), 'env');
    const doc = await conda(['create', '--dry-run', '--json', '--override-channels', '-c', `${mirror.url}conda/conda-forge`, '-p', prefix, 'run_exports_versions']);
    const actions = doc.actions as { FETCH?: { fn: string; url: string }[] } | undefined;
    expect(doc.exception_name).toBeUndefined();
    expect(actions?.FETCH?.map((f) => f.fn)).toEqual(['run_exports_versions-2.0-h39de5ba_0.tar.bz2']);
    expect(actions?.FETCH?.[0]?.url).toBe(`${mirror.url}conda/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2`);
    expect(access.some((e) => e.target === '/conda/conda-forge/noarch/repodata.json' && e.status === 200)).toBe(true);
  });

  it('installs a tiny noarch package downloaded from the mirror', async () => {
    const prefix = path.join(await tempDir(), 'env');
    const doc = await conda(['create', '--yes', '--json', '--override-channels', '-c', `${mirror.url}conda/conda-forge`, '-p', prefix, 'run_exports_versions=1.0']);
    expect(doc.exception_name).toBeUndefined();
    expect(doc.success).toBe(true);
    expect(existsSync(path.join(prefix, 'conda-meta/run_exports_versions-1.0-he35c369_0.json'))).toBe(true);
    expect(access.some((e) => e.target === '/conda/conda-forge/noarch/run_exports_versions-1.0-he35c369_0.tar.bz2' && e.status === 200)).toBe(true);
  });

  it.skipIf(!NGINX)('installs from the export served by nginx with the shipped configuration', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const nginx = await startExportNginx(dir, await tempDir());
    try {
      const prefix = path.join(await tempDir(), 'env');
      const doc = await conda(['create', '--yes', '--json', '--override-channels', '-c', `${nginx.url}conda/conda-forge`, '-p', prefix, 'run_exports_versions']);
      expect(doc.exception_name).toBeUndefined();
      expect(existsSync(path.join(prefix, 'conda-meta/run_exports_versions-2.0-h39de5ba_0.json'))).toBe(true);
    } finally {
      await nginx.stop();
    }
  });
});
