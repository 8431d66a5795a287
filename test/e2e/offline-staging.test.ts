// The product's reason to exist, end to end: resolve + package an offline zip
// from loopback origins, verify it, then stage the sample apps from it inside a
// network namespace with no interfaces (zero egress), with the real pip.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { FIXTURES } from '../helpers/paths.js';
import { warnIfNoCondaClient } from '../helpers/conda-client.js';
import { runBin } from '../helpers/run-cli.js';
import { packageAndUnzip } from './package-zip.js';
import { suiteDir } from '../helpers/tmp.js';
import { NET_ISOLATION } from '../staging/run-script.js';
import { runInApp, stageApp, type Staged } from '../staging/stage-app.js';

warnIfNoCondaClient('the real-conda end-to-end staging case is');

let dir: string;
let zip: string;
let bp: string;

beforeAll(async () => {
  dir = await suiteDir('e2e-');
  const origin = await startDemoWorld();
  try {
    const src = path.join(dir, 'src');
    await writeDemoBuildpack(src, origin.url);
    ({ zip, bp } = await packageAndUnzip(src, dir));
  } finally {
    await origin.close();
  }
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('offline zip -> air-gapped staging', () => {
  it('passes bin/package verify', async () => {
    const r = await runBin('package', ['verify', zip]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('isolates staging from the network for real', () => {
    expect(NET_ISOLATION, 'unshare -n must work here to prove zero egress').not.toBeNull();
  });

  it('stages the pip-only app with no network and runs its smoke test', async () => {
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/pip-only'));
    expect(s.supply.code, s.log).toBe(0);
    expect(s.finalize?.code).toBe(0);
    const smoke = await runInApp(s, 'sh ./smoke.sh');
    expect(smoke.stdout + smoke.stderr).toContain('pip-only ok: python 3.11, wheel 0.40.0');
  });

  // the conda + pip app's first staging, which the CACHE_DIR test stages a second time over
  let condaPip: Promise<Staged> | undefined;
  const stageCondaPip = () => (condaPip ??= stageApp(bp, path.join(FIXTURES, 'apps/conda-pip'), { keepIn: dir }));

  it('stages the conda + pip app with no network: conda solves from the bundled channel, pip from the bundled index', async () => {
    const s = await stageCondaPip();
    expect(s.supply.code, s.log).toBe(0);
    expect(s.log).toContain('run_exports_versions-2.0');
    const smoke = await runInApp(s, 'sh ./smoke.sh');
    expect(smoke.stdout + smoke.stderr).toContain('conda-pip ok: run_exports_versions 2.0 linked');
  });

  it.skipIf(!process.env.CONDA_CLIENT)('stages the conda + pip app with the REAL conda client (CONDA_CLIENT) from the packaged channel', async () => {
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/conda-pip'), { env: { CONDA_CLIENT: process.env.CONDA_CLIENT } });
    expect(s.supply.code, s.log).toBe(0);
    expect(s.log).not.toContain('+standin');
    const smoke = await runInApp(s, 'sh ./smoke.sh');
    expect(smoke.stdout + smoke.stderr).toContain('conda-pip ok: run_exports_versions 2.0 linked');
  });

  it('reuses CACHE_DIR on a second staging', async () => {
    const first = await stageCondaPip();
    expect(first.supply.code, first.log).toBe(0);
    const second = await stageApp(bp, path.join(FIXTURES, 'apps/conda-pip'), { cache: first.cache });
    expect(second.supply.code, second.log).toBe(0);
    expect(second.log).toMatch(/[Uu]sing cached|[Rr]eus/);
  });

  it('fails at once with DEPENDENCY_MISSING_IN_BUNDLE naming a wheel the bundle lacks', async () => {
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/pip-only'), {
      files: { 'requirements.txt': 'wheel==0.40.0\nidna==3.20\n' },
    });
    expect(s.supply.code).not.toBe(0);
    expect(s.log).toContain('DEPENDENCY_MISSING_IN_BUNDLE');
    expect(s.log).toContain('idna');
  });

  it('fails with DEPENDENCY_MISSING_IN_BUNDLE when a packaged wheel is removed from the bundle', async () => {
    const broken = path.join(dir, 'bp-broken');
    execFileSync('cp', ['-a', bp, broken]);
    await rm(path.join(broken, 'pypi/files/simplewheel-1.0-py2.py3-none-any.whl'));
    await writeFile(path.join(broken, 'pypi/simple/simplewheel/index.html'), '<!DOCTYPE html><html><body></body></html>\n');
    const s = await stageApp(broken, path.join(FIXTURES, 'apps/pip-only'));
    expect(s.supply.code).not.toBe(0);
    expect(s.log).toContain('DEPENDENCY_MISSING_IN_BUNDLE');
    expect(s.log).toContain('simplewheel');
  });
});
