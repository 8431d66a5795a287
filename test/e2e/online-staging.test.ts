// An uncached (online) zip carries no dependencies but still pins them: the
// packager writes lock.tsv, and staging downloads each artifact from its
// upstream URL and verifies it. Here "upstream" is the loopback demo origin.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { FIXTURES } from '../helpers/paths.js';
import { packageAndUnzip } from './package-zip.js';
import { suiteDir } from '../helpers/tmp.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

let dir: string;
let bp: string;
let origin: Origin;

beforeAll(async () => {
  dir = await suiteDir('e2e-online-');
  origin = await startDemoWorld();
  const src = path.join(dir, 'src');
  await writeDemoBuildpack(src, origin.url);
  ({ bp } = await packageAndUnzip(src, dir, { mode: 'online' }));
}, 120_000);

afterAll(async () => {
  await origin?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('online zip -> staging from pinned upstream URLs', () => {
  it('carries lock.tsv and no dependency files', () => {
    const names = execFileSync('find', [bp, '-type', 'f'], { encoding: 'utf8' });
    expect(names).toContain('/lock.tsv');
    expect(names).not.toContain('/dependencies/');
    expect(names).not.toContain('/pypi/files/');
  });

  it('stages the conda + pip app by downloading and verifying every locked artifact', async () => {
    const before = origin.requests.length;
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/conda-pip'), { offline: false });
    expect(s.supply.code, s.log).toBe(0);
    const fetched = origin.requests.slice(before).map((r) => r.path);
    expect(fetched).toContain('/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh');
    expect(fetched).toContain('/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2');
    const smoke = await runInApp(s, 'sh ./smoke.sh');
    expect(smoke.stdout + smoke.stderr).toContain('conda-pip ok');
  });

  it('refuses an artifact whose upstream bytes changed since the lock was made', async () => {
    origin.setFaults('/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh', [{ wrongBytes: true }, { wrongBytes: true }, { wrongBytes: true }, { wrongBytes: true }]);
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/pip-only'), { offline: false });
    expect(s.supply.code).not.toBe(0);
    expect(s.log).toContain('sha256 mismatch');
  });
});
