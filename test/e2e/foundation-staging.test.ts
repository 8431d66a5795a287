// One zip for a whole foundation, proven by staging: a manifest lists apps
// that pin conflicting versions of one project; `bin/package offline` packs
// the union; each app then stages from that one zip inside a network namespace
// with no network, with the real pip (isolated from this machine's pip
// configuration), and gets exactly the version it pins.
// Cases: committed fixture wheels (bt-lib 1.0 / 2.0, runs in CI); real numpy
// 1.26.4 / 2.4.6 wheels from the local index /opt/pypi (served on 127.0.0.1;
// skipped, saying so, where it is absent); and two conda apps on two Pythons
// (the installer's base and a second interpreter of the machine bundled as a
// conda python; skipped, saying so, on a machine with a single Python).
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePythonPackages } from '../../fixtures/conda/make-python-package.mjs';
import { ROOT, startDemoWorld, writeDemoBuildpack, type DemoWorldOptions } from '../../fixtures/demo/world.mjs';
import { CONDA_CLIENT, warnIfNoCondaClient } from '../helpers/conda-client.js';
import { OTHER_PYTHON, warnIfNoOtherPython } from '../helpers/other-python.js';
import { runBin } from '../helpers/run-cli.js';
import { packageAndUnzip } from './package-zip.js';
import { suiteDir } from '../helpers/tmp.js';
import { HOST_PYTHON_VERSION, NET_ISOLATION } from '../staging/run-script.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

const OPT_PYPI = '/opt/pypi/files';
const NUMPY = ['numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl'];
const numpyPresent = NUMPY.every((f) => existsSync(path.join(OPT_PYPI, f)));
warnIfNoCondaClient('the real-conda case of the two-Python staging is');
warnIfNoOtherPython('the two-Python conda staging cases are');
if (!numpyPresent) console.warn(`foundation-staging.test: ${OPT_PYPI} has no numpy 1.26.4 / 2.4.6 wheels: the real-numpy staging case is skipped`);

/** Real pip at staging sees no pip configuration of this machine: PIP_CONFIG_FILE=/dev/null and no PIP_* variable. */
const ISOLATED_PIP: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('PIP_')).map((k) => [k, undefined])),
  PIP_CONFIG_FILE: '/dev/null',
};

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/**
 * Packages a buildpack whose manifest lists `apps` (name -> its files, e.g.
 * requirements.txt) beside the demo's own environment, against the demo origin
 * serving `world` too (more wheels, more linux-64 conda packages); returns the
 * unzipped buildpack, the app directories and the zip.
 */
async function foundationBuildpack(world: DemoWorldOptions, apps: Record<string, Record<string, string>>): Promise<{ bp: string; apps: Record<string, string>; zip: string }> {
  const dir = await suiteDir('foundation-');
  dirs.push(dir);
  const origin = await startDemoWorld(world);
  const src = path.join(dir, 'src');
  const appDirs: Record<string, string> = {};
  try {
    const manifest = await writeDemoBuildpack(src, origin.url);
    for (const [name, files] of Object.entries(apps)) {
      appDirs[name] = path.join(src, 'apps', name);
      await mkdir(appDirs[name]!, { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(path.join(appDirs[name]!, file), text);
    }
    await appendFile(manifest, `apps: [${Object.keys(apps).map((a) => `apps/${a}`).join(', ')}]\n`);
    const { bp, zip } = await packageAndUnzip(src, dir, { name: 'foundation.zip' });
    return { bp, apps: appDirs, zip };
  } finally {
    await origin.close();
  }
}

/** Stages `app` from `bp` with no network and prints what `probe` prints in the staged app. */
async function stageAndProbe(bp: string, app: string, probe: string): Promise<string> {
  const s = await stageApp(bp, app, { env: ISOLATED_PIP });
  expect(s.supply.code, s.log).toBe(0);
  expect(s.finalize?.code, s.log).toBe(0);
  // pip looked only at the bundle
  expect(s.log).not.toMatch(/\/opt\/(wheels|pypi)/);
  const run = await runInApp(s, `python -c '${probe}'`);
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe('one zip, many apps: each stages exactly what it pins', () => {
  it('runs staging without network for real', () => {
    expect(NET_ISOLATION, 'unshare -n must work here to prove zero egress').not.toBeNull();
  });

  it('stages bt-lib 1.0 for one app and bt-lib 2.0 for another from the same zip (committed fixture wheels)', async () => {
    const files = path.join(ROOT, 'fixtures/pypi/files');
    const f = await foundationBuildpack(
      { pypi: { 'bt-lib': ['bt_lib-1.0-py3-none-any.whl', 'bt_lib-2.0-py3-none-any.whl'].map((w) => path.join(files, w)) } },
      { 'app-old': { 'requirements.txt': 'bt-lib==1.0\n' }, 'app-new': { 'requirements.txt': 'bt-lib>=2\n' } },
    );
    const probe = 'import importlib.metadata as m; print(m.version("bt-lib"))';
    expect(await stageAndProbe(f.bp, f.apps['app-old']!, probe)).toBe('1.0');
    expect(await stageAndProbe(f.bp, f.apps['app-new']!, probe)).toBe('2.0');
    const r = await runBin('package', ['verify', f.zip]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 180_000);

  it.skipIf(!numpyPresent)('stages numpy 1.26.4 for one app and numpy 2.4.6 for another from the same zip (real wheels of /opt/pypi)', async () => {
    const f = await foundationBuildpack({ pypi: { numpy: NUMPY.map((w) => path.join(OPT_PYPI, w)) } },
      { 'ml-legacy': { 'requirements.txt': 'numpy==1.26.4\n' }, 'ml-new': { 'requirements.txt': 'numpy>=2,<3\n' } },
    );
    const probe = 'import numpy; print(numpy.__version__, numpy.arange(4).sum())';
    expect(await stageAndProbe(f.bp, f.apps['ml-legacy']!, probe)).toBe('1.26.4 6');
    expect(await stageAndProbe(f.bp, f.apps['ml-new']!, probe)).toBe('2.4.6 6');
  }, 300_000);
});

// A conda app pinning a Python other than the installer's base: the zip carries
// that python (and pip for it) as conda packages (a real interpreter of this
// machine, see fixtures/conda/make-python-package.mjs), staging creates conda/envs/app from it,
// and the app runs that interpreter with the conda package it pins beside it;
// from the same zip, the demo's conda app keeps the base python and its own pin.
describe.skipIf(!OTHER_PYTHON)('one zip, conda apps on two Pythons: each stages exactly what it pins', () => {
  let f: Awaited<ReturnType<typeof foundationBuildpack>>;
  let other: { version: string; filename: string };
  beforeAll(async () => {
    const pkgDir = await suiteDir('python-pkg-');
    dirs.push(pkgDir);
    const [python, pip] = await makePythonPackages(OTHER_PYTHON!, pkgDir);
    other = { version: String(python.record.version), filename: python.filename };
    const envYml = `channels: [conda-forge]\ndependencies:\n  - python=${other.version}\n  - run_exports_versions=1.0\n`;
    f = await foundationBuildpack({ condaLinux64: [python, pip] }, { 'conda-other-python': { 'environment.yml': envYml } });
  }, 180_000);

  it('the pinned python is not the base python (else this proves nothing)', () => {
    expect(other.version.split('.').slice(0, 2)).not.toEqual(HOST_PYTHON_VERSION.split('.').slice(0, 2));
  });

  const clients: Array<{ label: string; env: NodeJS.ProcessEnv; skip: boolean }> = [
    { label: 'stand-in conda', env: {}, skip: false },
    { label: `real conda (${CONDA_CLIENT ?? 'CONDA_CLIENT unset'})`, env: CONDA_CLIENT ? { CONDA_CLIENT } : {}, skip: !CONDA_CLIENT },
  ];
  for (const client of clients) {
    it.skipIf(client.skip)(`stages the pinned python from the bundle in its own env, and the base python for the other app (${client.label})`, async () => {
      const s = await stageApp(f.bp, f.apps['conda-other-python']!, { env: { ...ISOLATED_PIP, ...client.env } });
      expect(s.supply.code, s.log).toBe(0);
      expect(s.log).toContain(`Creating conda environment with python ${other.version} (from environment.yml)`);
      if (client.env.CONDA_CLIENT) expect(s.log).not.toContain('+standin');
      const run = await runInApp(s, `python -c 'import sys; print("%d.%d.%d" % sys.version_info[:3], sys.prefix)' && ls "$CONDA_PREFIX/conda-meta"`);
      expect(run.stderr).toBe('');
      const [line, ...meta] = run.stdout.trim().split('\n');
      expect(line).toBe(`${other.version} ${path.join(s.deps, '0/conda/envs/app')}`);
      expect(meta).toContain(`${other.filename.replace(/\.tar\.bz2$/, '')}.json`);
      expect(meta).toContain('run_exports_versions-1.0-he35c369_0.json');
      expect(meta.join('\n')).not.toContain('run_exports_versions-2.0');
      const rec = JSON.parse(await readFile(path.join(s.deps, '0/conda/envs/app/conda-meta', other.filename.replace(/\.tar\.bz2$/, '.json')), 'utf8'));
      expect(rec.url).toBe(`file://${f.bp}/conda/conda-forge/linux-64/${other.filename}`);

      const base = await stageApp(f.bp, path.join(ROOT, 'fixtures/apps/conda-pip'), { env: { ...ISOLATED_PIP, ...client.env } });
      expect(base.supply.code, base.log).toBe(0);
      const smoke = await runInApp(base, `sh smoke.sh && python -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'`);
      expect(smoke.stdout).toBe(`conda-pip ok: run_exports_versions 2.0 linked, simplewheel imported, hello from environment.yml\n${HOST_PYTHON_VERSION}\n`);
    }, 240_000);
  }
});
