// One zip for a whole foundation, proven by staging: a manifest lists apps
// that pin conflicting versions of one project; `bin/package offline` packs
// the union; each app then stages from that one zip inside a network namespace
// with no network, with the real pip (isolated from this machine's pip
// configuration), and gets exactly the version it pins.
// Two cases: committed fixture wheels (bt-lib 1.0 / 2.0, runs in CI) and real
// numpy 1.26.4 / 2.4.6 wheels from the local index /opt/pypi (served on
// 127.0.0.1; skipped, saying so, where it is absent).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { runBin } from '../helpers/run-cli.js';
import { NET_ISOLATION, suiteDir } from '../staging/run-script.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

const OPT_PYPI = '/opt/pypi/files';
const NUMPY = ['numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl'];
const numpyPresent = NUMPY.every((f) => existsSync(path.join(OPT_PYPI, f)));
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
 * Packages a buildpack whose manifest lists `apps` (name -> requirements.txt)
 * against the demo origin with `wheels` on its index; returns the unzipped
 * buildpack and the app directories.
 */
async function foundationBuildpack(wheels: Record<string, string[]>, apps: Record<string, string>): Promise<{ bp: string; apps: Record<string, string>; zip: string }> {
  const dir = await suiteDir('foundation-');
  dirs.push(dir);
  const origin = await startDemoWorld({ pypi: wheels });
  const src = path.join(dir, 'src');
  const appDirs: Record<string, string> = {};
  try {
    const manifest = await writeDemoBuildpack(src, origin.url);
    for (const [name, requirements] of Object.entries(apps)) {
      appDirs[name] = path.join(src, 'apps', name);
      await mkdir(appDirs[name]!, { recursive: true });
      await writeFile(path.join(appDirs[name]!, 'requirements.txt'), requirements);
    }
    await appendFile(manifest, `apps: [${Object.keys(apps).map((a) => `apps/${a}`).join(', ')}]\n`);
    const zip = path.join(dir, 'foundation.zip');
    const r = await runBin('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(dir, 'cache'), '--output', zip], { cwd: src });
    if (r.code !== 0) throw new Error(`packaging failed:\n${r.stderr}`);
  } finally {
    await origin.close();
  }
  const bp = path.join(dir, 'bp');
  execFileSync('unzip', ['-q', path.join(dir, 'foundation.zip'), '-d', bp]);
  return { bp, apps: appDirs, zip: path.join(dir, 'foundation.zip') };
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
      { 'bt-lib': ['bt_lib-1.0-py3-none-any.whl', 'bt_lib-2.0-py3-none-any.whl'].map((w) => path.join(files, w)) },
      { 'app-old': 'bt-lib==1.0\n', 'app-new': 'bt-lib>=2\n' },
    );
    const probe = 'import importlib.metadata as m; print(m.version("bt-lib"))';
    expect(await stageAndProbe(f.bp, f.apps['app-old']!, probe)).toBe('1.0');
    expect(await stageAndProbe(f.bp, f.apps['app-new']!, probe)).toBe('2.0');
    const r = await runBin('package', ['verify', f.zip]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 180_000);

  it.skipIf(!numpyPresent)('stages numpy 1.26.4 for one app and numpy 2.4.6 for another from the same zip (real wheels of /opt/pypi)', async () => {
    const f = await foundationBuildpack({ numpy: NUMPY.map((w) => path.join(OPT_PYPI, w)) }, { 'ml-legacy': 'numpy==1.26.4\n', 'ml-new': 'numpy>=2,<3\n' });
    const probe = 'import numpy; print(numpy.__version__, numpy.arange(4).sum())';
    expect(await stageAndProbe(f.bp, f.apps['ml-legacy']!, probe)).toBe('1.26.4 6');
    expect(await stageAndProbe(f.bp, f.apps['ml-new']!, probe)).toBe('2.4.6 6');
  }, 300_000);
});
