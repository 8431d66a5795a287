// Packaged by the real packager, staged with no network (real pip): a channel named
// through channel_alias is bundled under the name the manifest writes, so an app's
// environment.yml naming it stages; a uv.lock in pip.files is bundled exactly, and
// the same lock as the app's pip file installs from the zip.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM, WHEELS, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { packageAndUnzip } from './package-zip.js';
import { suiteDir } from '../helpers/tmp.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

const CONDA_NOARCH = path.join(UPSTREAM, 'conda/conda-index/packages/noarch');
const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

let dir: string;
let bp: string;
let uvLock: string;

beforeAll(async () => {
  dir = await suiteDir('e2e-inputs-');
  const origin = await startDemoWorld();
  try {
    // the demo channel again, under an alias with a path: <origin>/conda/mychan
    origin.setFile('/conda/mychan/noarch/repodata.json', path.join(CONDA_NOARCH, 'repodata.json'));
    origin.setFile('/conda/mychan/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2', path.join(CONDA_NOARCH, 'run_exports_versions-2.0-h39de5ba_0.tar.bz2'));
    origin.setFile('/conda/mychan/noarch/run_exports_versions-1.0-he35c369_0.tar.bz2', path.join(CONDA_NOARCH, 'run_exports_versions-1.0-he35c369_0.tar.bz2'));
    origin.setFile('/conda/mychan/linux-64/repodata.json', Buffer.from(JSON.stringify({ info: { subdir: 'linux-64' }, packages: {}, 'packages.conda': {}, removed: [], repodata_version: 1 })));
    const src = path.join(dir, 'src');
    const manifest = await writeDemoBuildpack(src, origin.url);
    uvLock =
      'version = 1\nrevision = 3\nrequires-python = ">=3.8"\n\n' +
      '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n    { name = "simplewheel" },\n    { name = "wheel" },\n]\n\n' +
      `[[package]]\nname = "simplewheel"\nversion = "1.0"\nsource = { registry = "https://pypi.org/simple" }\nwheels = [\n    { url = "https://files.pythonhosted.org/simplewheel-1.0-py2.py3-none-any.whl", hash = "sha256:${await sha256(WHEELS.simplewheel[0]!)}" },\n]\n\n` +
      `[[package]]\nname = "wheel"\nversion = "0.40.0"\nsource = { registry = "https://pypi.org/simple" }\nwheels = [\n    { url = "https://files.pythonhosted.org/wheel-0.40.0-py3-none-any.whl", hash = "sha256:${await sha256(WHEELS.wheel[0]!)}" },\n]\n`;
    await writeFile(path.join(src, 'uv.lock'), uvLock);
    const text = (await readFile(manifest, 'utf8'))
      .replace(`channel_alias: ${origin.url}\n  channels:\n  - conda-forge\n`, `channel_alias: ${origin.url}/conda\n  channels:\n  - mychan\n`)
      .replace('  files:\n  - apps/conda-pip/environment.yml\n', '  specs:\n  - run_exports_versions>=1.0\n')
      .replace('  files:\n  - apps/pip-only/requirements.txt\n', '  files:\n  - uv.lock\n');
    expect(text).toContain('  - mychan\n');
    expect(text).toContain('  - uv.lock\n');
    await writeFile(manifest, text);
    ({ bp } = await packageAndUnzip(src, dir));
  } finally {
    await origin.close();
  }
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a channel named through channel_alias, packaged and staged', () => {
  it('is bundled as conda/mychan, and an environment.yml naming mychan stages from it', async () => {
    expect(existsSync(path.join(bp, 'conda/mychan/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2'))).toBe(true);
    expect(existsSync(path.join(bp, 'conda/conda-mychan'))).toBe(false);
    const s = await stageApp(bp, undefined, { files: { 'environment.yml': 'channels:\n  - mychan\ndependencies:\n  - run_exports_versions>=1.0\n' } });
    expect(s.supply.code, s.log).toBe(0);
    expect(s.supply.stdout).not.toContain('is not in this buildpack');
    expect(await runInApp(s, 'ls "$CONDA_PREFIX/conda-meta"')).toMatchObject({ stdout: expect.stringContaining('run_exports_versions-2.0-h39de5ba_0.json') });
  });
});

describe('a uv.lock in pip.files, packaged and staged', () => {
  it('bundles exactly the locked files, and the same uv.lock as the app installs them', async () => {
    const files = execFileSync('ls', [path.join(bp, 'pypi/files')], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(files).toEqual(['simplewheel-1.0-py2.py3-none-any.whl', 'wheel-0.40.0-py3-none-any.whl']);
    const s = await stageApp(bp, undefined, { files: { 'uv.lock': uvLock } });
    expect(s.supply.code, s.log).toBe(0);
    expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
  });
});
