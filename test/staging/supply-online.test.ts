// Staging with an uncached (online) buildpack: everything comes from the
// upstream URLs in lock.tsv (served here by loopback origins), pinned and
// verified: installer and conda packages by sha256/md5 before use, wheels by
// pip against the #sha256 of the find-links page supply writes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../fixtures/origin/origin.mjs';
import { FIXTURES } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { appendLock, CONDA_INDEX_NOARCH, digestsOf, makeBundle, makeInstaller, UPSTREAM_WHEELS } from './bundle-dir.js';
import { runInApp, stageApp } from './stage-app.js';

const INSTALLER = 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh';
const V1 = 'run_exports_versions-1.0-he35c369_0.tar.bz2';
const V2 = 'run_exports_versions-2.0-h39de5ba_0.tar.bz2';
const WHEELS = ['wheel-0.40.0-py3-none-any.whl', 'simplewheel-1.0-py2.py3-none-any.whl', 'colander-0.9.9-py2.py3-none-any.whl'];

let origins: Origin[] = [];
afterEach(async () => {
  for (const o of origins) await o.close();
  origins = [];
});

/** An online buildpack whose lock.tsv points at a loopback origin serving real files. */
async function onlineBundle(files: Record<string, string | Uint8Array> = {}) {
  const installer = await makeInstaller(await tempDir('online-inst-'), { flavor: 'Miniconda3' });
  const served: Record<string, string | Uint8Array> = {
    [`/miniconda/${INSTALLER}`]: installer,
    [`/conda-forge/noarch/${V1}`]: path.join(CONDA_INDEX_NOARCH, V1),
    [`/conda-forge/noarch/${V2}`]: path.join(CONDA_INDEX_NOARCH, V2),
    ...Object.fromEntries(WHEELS.map((w) => [`/packages/ab/${w}`, path.join(UPSTREAM_WHEELS, w)])),
    ...files,
  };
  const origin = await startOrigin({ files: served });
  origins.push(origin);
  const dir = await tempDir('online-bp-');
  await makeBundle(dir, { cached: false, installers: [] });
  const inst = await digestsOf(installer);
  const rows: string[][] = [['installer', 'miniconda3', 'py311_24.1.2-0', INSTALLER, `${origin.url}/miniconda/${INSTALLER}`, inst.sha256, inst.md5, '', '']];
  for (const fn of [V1, V2]) {
    const d = await digestsOf(path.join(CONDA_INDEX_NOARCH, fn));
    const version = fn.split('-')[1]!;
    rows.push(['conda', 'run_exports_versions', version, fn, `${origin.url}/conda-forge/noarch/${fn}`, d.sha256, d.md5, `${origin.url}/conda-forge`, 'noarch']);
  }
  for (const w of WHEELS) {
    const d = await digestsOf(path.join(UPSTREAM_WHEELS, w));
    rows.push(['wheel', w.split('-')[0]!, w.split('-')[1]!, w, `${origin.url}/packages/ab/${w}`, d.sha256, '', '', '']);
  }
  await appendLock(dir, rows);
  return { dir, origin };
}

describe('supply with an uncached buildpack', () => {
  it('stages the pip-only app from the lock URLs, downloading only what pip selects, and reuses the download next time', async () => {
    const { dir, origin } = await onlineBundle();
    const s = await stageApp(dir, path.join(FIXTURES, 'apps/pip-only'), { offline: false });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('Uncached buildpack: dependencies are downloaded from the upstream URLs of its lock, and verified');
    expect(s.supply.stdout).toContain(`       Download [${origin.url}/miniconda/${INSTALLER}]\n`);
    expect(s.supply.stdout).toContain('-----> Running pip install (pinned by the buildpack lock)');
    expect(origin.requestsFor(`/miniconda/${INSTALLER}`)).toHaveLength(1);
    expect(origin.requestsFor('/packages/ab/simplewheel-1.0-py2.py3-none-any.whl')).toHaveLength(1);
    expect(origin.requestsFor('/packages/ab/colander-0.9.9-py2.py3-none-any.whl')).toHaveLength(0);
    expect((await runInApp(s, 'sh smoke.sh')).stdout).toMatch(/^pip-only ok/);
    expect(await readFile(path.join(s.deps, '0/config.yml'), 'utf8')).toContain('  cached_buildpack: false\n');

    const again = await stageApp(dir, path.join(FIXTURES, 'apps/pip-only'), { offline: false, cache: s.cache });
    expect(again.supply.code).toBe(0);
    expect(again.supply.stdout).toContain(`       Using cached ${INSTALLER}\n`);
    expect(origin.requestsFor(`/miniconda/${INSTALLER}`)).toHaveLength(1);
  });

  it('stages the conda+pip app: the lock conda packages verified, one build per name (the highest)', async () => {
    const { dir, origin } = await onlineBundle();
    const s = await stageApp(dir, path.join(FIXTURES, 'apps/conda-pip'), { offline: false });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(origin.requestsFor(`/conda-forge/noarch/${V2}`)).toHaveLength(1);
    expect(origin.requestsFor(`/conda-forge/noarch/${V1}`)).toHaveLength(0);
    const run = await runInApp(s, 'sh smoke.sh');
    expect(run.stdout).toMatch(/^conda-pip ok/);
  });

  it('refuses an installer whose bytes differ from the lock sha256, and never runs it', async () => {
    const { dir, origin } = await onlineBundle({ [`/miniconda/${INSTALLER}`]: Buffer.from('#!/bin/sh\necho pwned\n') });
    const s = await stageApp(dir, path.join(FIXTURES, 'apps/pip-only'), { offline: false });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain(`**ERROR** sha256 mismatch for ${origin.url}/miniconda/${INSTALLER}`);
    expect(s.log).not.toContain('pwned');
  });

  it('lets pip refuse a wheel whose bytes differ from the lock sha256', async () => {
    const other = await readFile(path.join(UPSTREAM_WHEELS, 'simplewheel-2.0-1-py2.py3-none-any.whl'));
    const { dir } = await onlineBundle({ '/packages/ab/simplewheel-1.0-py2.py3-none-any.whl': other });
    const s = await stageApp(dir, path.join(FIXTURES, 'apps/pip-only'), { offline: false });
    expect(s.supply.code).toBe(1);
    expect(s.log).toContain('THESE PACKAGES DO NOT MATCH THE HASHES');
  });

  it('fails clearly when the uncached buildpack has no lock.tsv', async () => {
    const dir = await tempDir('online-nolock-');
    await makeBundle(dir, { cached: false, installers: [] });
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'lock.tsv'));
    const s = await stageApp(dir, path.join(FIXTURES, 'apps/pip-only'), { offline: false });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain('**ERROR** this uncached buildpack has no lock.tsv, so it cannot pin what it downloads');
  });
});
