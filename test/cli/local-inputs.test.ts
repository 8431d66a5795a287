// Local inputs of the manifest (a conda package file in `conda.files`, a wheel in a
// `pip.find_links` directory) are locked relative to the manifest: the lock, the zip's
// manifest.yml and its SBOM never name the build machine's path, and another checkout
// of the same buildpack packages from the same lock with a cold cache.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPSTREAM, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

let origin: Origin;
beforeEach(async () => {
  origin = await startDemoWorld();
});
afterEach(async () => origin.close());

const CONDA_PKG = 'run_constrained-1.0-0.conda';
const WHEEL = 'has.script-1.0-py2.py3-none-any.whl';

async function checkout(): Promise<string> {
  const dir = path.join(await tempDir('local-inputs-'), 'buildpack');
  await mkdir(dir);
  const manifest = await writeDemoBuildpack(dir, origin.url);
  await mkdir(path.join(dir, 'local'));
  await cp(path.join(UPSTREAM, 'conda/conda/test-recipes/noarch', CONDA_PKG), path.join(dir, 'local', CONDA_PKG));
  await mkdir(path.join(dir, 'wheelhouse'));
  await cp(path.join(UPSTREAM, 'pypi/wheels', WHEEL), path.join(dir, 'wheelhouse', WHEEL));
  const text = (await readFile(manifest, 'utf8'))
    .replace('  - apps/conda-pip/environment.yml\n', `  - apps/conda-pip/environment.yml\n  - local/${CONDA_PKG}\n`)
    .replace('pip:\n', 'pip:\n  find_links:\n  - wheelhouse\n  requirements:\n  - has.script==1.0\n');
  await writeFile(manifest, text);
  return dir;
}

const pack = (dir: string, cache: string, zip: string) =>
  runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', cache, '--output', zip], { cwd: dir, env: { PACKAGER_RETRY_DELAY_MS: '10' } });

describe('local inputs in the lock', () => {
  it('are locked relative to the manifest, no packaged file names the build path, and another checkout packages with a cold cache', async () => {
    const a = await checkout();
    const zipA = path.join(a, '..', 'a.zip');
    const r = await pack(a, path.join(a, '..', 'cache-a'), zipA);
    expect(r.code, r.stderr).toBe(0);
    const lock = await readFile(path.join(a, 'manifest.lock.yml'), 'utf8');
    expect(lock).toContain(`uri: ./local/${CONDA_PKG}\n`);
    expect(lock).toContain(`uri: ./wheelhouse/${WHEEL}\n`);
    const parent = path.dirname(a);
    expect(lock).not.toContain(parent);
    for (const f of ['manifest.yml', 'sbom.cdx.json', 'lock.tsv', 'index.tsv']) {
      let text = '';
      try {
        text = execFileSync('unzip', ['-p', zipA, f], { encoding: 'utf8' });
      } catch {
        continue; // not in this zip
      }
      expect(text, f).not.toContain(parent);
    }
    expect(execFileSync('unzip', ['-l', zipA], { encoding: 'utf8' })).toContain(CONDA_PKG);

    // another checkout (the lock committed with it), a cold cache
    const b = path.join(await tempDir('local-inputs-b-'), 'elsewhere');
    await cp(a, b, { recursive: true });
    const zipB = path.join(b, '..', 'b.zip');
    const again = await pack(b, path.join(b, '..', 'cache-b'), zipB);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('inputs unchanged');
    expect(execFileSync('unzip', ['-l', zipB], { encoding: 'utf8' })).toContain(WHEEL);
  }, 120_000);
});
