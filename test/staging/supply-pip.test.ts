// bin/supply + bin/finalize for pip apps with a hand-built cached bundle, under
// `unshare -n`: the real pip, isolated from the machine's pip configuration,
// installing only from file://<bp>/pypi/simple.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/paths.js';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { digestsOf, makeBundle, UPSTREAM_WHEELS } from './bundle-dir.js';
import { HOST_PYTHON_VERSION, runScript } from './run-script.js';
import { runInApp, stageApp, type Staged } from './stage-app.js';

const PIP_ONLY = path.join(FIXTURES, 'apps/pip-only');

let bp: string;
let kept: string; // stagings several tests read
beforeAll(async () => {
  bp = await suiteDir('pip-bp-');
  kept = await suiteDir('pip-kept-');
  await makeBundle(bp);
});
afterAll(async () => {
  for (const d of [bp, kept]) await rm(d, { recursive: true, force: true });
});

describe('supply: pip-only app from a cached bundle', () => {
  // the sample app staged once: the first test reads it, the last moves its deps dir
  let pipOnly: Promise<Staged> | undefined;
  const stagePipOnly = () => (pipOnly ??= stageApp(bp, PIP_ONLY, { keepIn: kept }));

  it('stages the pip-only sample app with no network and the app runs', async () => {
    const s = await stagePipOnly();
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('-----> Installing Miniconda3 py311_24.1.2-0\n');
    expect(s.supply.stdout).toContain('-----> Running pip install\n');
    expect(s.supply.stdout).toContain(`       Looking in indexes: file://${bp}/pypi/simple\n`);
    expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
    // the machine's pip.conf / PIP_FIND_LINKS / extra-index-url never reached pip
    expect(s.log).not.toMatch(/\/opt\/(wheels|pypi)/);
    expect(s.finalize?.code).toBe(0);
    expect(await readFile(path.join(s.deps, '0/config.yml'), 'utf8')).toBe(
      `---\nname: python\nversion: 0.1.0\nconfig:\n  installer: Miniconda3 py311_24.1.2-0\n  conda_prefix: conda\n` +
        `  python_version: ${HOST_PYTHON_VERSION}\n  cached_buildpack: true\n  conda_source: none\n`,
    );
    const run = await runInApp(s, 'sh smoke.sh && command -v python');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      `pip-only ok: python ${HOST_PYTHON_VERSION.split('.').slice(0, 2).join('.')}, wheel 0.40.0\n${s.deps}/0/conda/bin/python\n`,
    );
  });

  it('fails with DEPENDENCY_MISSING_IN_BUNDLE naming a wheel file removed from the bundle', async () => {
    const dir = await tempDir('pip-bp-broken-');
    await makeBundle(dir);
    await rm(path.join(dir, 'pypi/files/simplewheel-1.0-py2.py3-none-any.whl'));
    const s = await stageApp(dir, PIP_ONLY);
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain(
      'DEPENDENCY_MISSING_IN_BUNDLE: pip file simplewheel-1.0-py2.py3-none-any.whl (linked from pypi/simple but absent)\n',
    );
    expect(s.supply.stderr).toContain('python_buildpack v0.1.0 (cached) has no copy of it');
  });

  it('names a project the bundle lacks before installing anything', async () => {
    const dir = await tempDir('pip-bp-broken-');
    await makeBundle(dir, { wheels: ['wheel-0.40.0-py3-none-any.whl'] });
    const s = await stageApp(dir, PIP_ONLY, { files: { 'requirements.txt': 'wheel==0.40.0\nsimplewheel==1.0\nSome_Missing.Pkg>=2\n' } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toMatchInlineSnapshot(`
      "DEPENDENCY_MISSING_IN_BUNDLE: pip package simplewheel (from requirements.txt)
      DEPENDENCY_MISSING_IN_BUNDLE: pip package Some_Missing.Pkg (from requirements.txt)
             python_buildpack v0.1.0 (cached) has no copy of them, and staging never falls back to the network.
             Hint: add them to the manifest (conda: or pip:), re-package with \`bin/package offline\`, update the buildpack and push again.
      "
    `);
    expect(s.supply.stdout).not.toContain('Installing Miniconda3');
  });

  it("names a project app's build backend the bundle lacks as a build requirement, with what the operator does about it", async () => {
    // a bundle packaged without the app under apps: has no setuptools for pip's isolated build environment
    const s = await stageApp(bp, undefined, {
      files: { 'setup.py': 'from setuptools import setup\nsetup(name="proj", version="1.0", py_modules=["proj"])\n', 'proj.py': '' },
    });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package setuptools>=40.8.0 (a build requirement: [build-system] requires of a project pip builds)\n');
    expect(s.supply.stderr).toContain('list the app under `apps:` in the manifest, and the packager bundles its [build-system] requires (for a setup.py: setuptools and wheel)');
  });

  it('refuses a wheel whose bytes differ from the sha256 on its index page', async () => {
    const dir = await tempDir('pip-bp-tampered-');
    await makeBundle(dir);
    const whl = path.join(dir, 'pypi/files/simplewheel-1.0-py2.py3-none-any.whl');
    await writeFile(whl, await readFile(path.join(UPSTREAM_WHEELS, 'simplewheel-2.0-1-py2.py3-none-any.whl')));
    const s = await stageApp(dir, PIP_ONLY);
    expect(s.supply.code).toBe(1);
    expect(s.log).toContain('THESE PACKAGES DO NOT MATCH THE HASHES');
    expect(s.supply.stderr).toContain('does not match the sha256 its index page records');
  });

  it('passes --pre when the lock chose a pre-release, so a pip older than 26 accepts it', async () => {
    // The resolver follows pip 26: pkg-prerelease>=0.5 gets 1.0a1, the only release; pip 23 wants --pre for it.
    const dir = await tempDir('pip-bp-pre-');
    await makeBundle(dir, { wheels: ['pkg_prerelease-1.0a1-py3-none-any.whl'] });
    const s = await stageApp(dir, PIP_ONLY, { files: { 'requirements.txt': 'pkg-prerelease>=0.5\n' } });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('The buildpack lock chose pre-releases (pkg_prerelease-1.0a1-py3-none-any.whl): passing --pre so this pip accepts them\n');
    expect(s.supply.stdout).toMatch(/Successfully installed pkg[-_]prerelease-1\.0a1/);
  });

  it('strips index options, answers a direct URL from the bundle and honours PIP_OPTS it can', async () => {
    // no index page for simplewheel: only the direct URL, answered through index.tsv, can install it
    const dir = await tempDir('pip-bp-direct-');
    await makeBundle(dir);
    await rm(path.join(dir, 'pypi/simple/simplewheel'), { recursive: true });
    const s = await stageApp(dir, undefined, {
      files: {
        'requirements.txt':
          '--index-url https://pypi.org/simple\n--extra-index-url https://u:secret@private.example/simple\n' +
          'simplewheel @ https://files.pythonhosted.org/packages/ab/cd/simplewheel-1.0-py2.py3-none-any.whl\n-r more.txt\n',
        'more.txt': 'wheel==0.40.0\n',
      },
      env: { PIP_OPTS: '--no-deps --index-url https://evil.example/simple --prefer-binary' },
    });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('**WARNING** PIP_OPTS: ignoring --index-url https://evil.example/simple');
    expect(s.supply.stdout).toContain('Ignoring `--index-url https://pypi.org/simple` in requirements.txt');
    expect(s.supply.stdout).toContain('Ignoring `--extra-index-url https://-redacted-:-redacted-@private.example/simple`');
    expect(s.log).not.toContain('secret');
    expect(s.supply.stdout).toContain(`Processing ${dir}/pypi/files/simplewheel-1.0-py2.py3-none-any.whl (from -r`);
    expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
  });

  it('installs only from vendor/ when the app vendors its wheels, as CF python buildpack does', async () => {
    const w = 'pkg_prerelease-1.0a1-py3-none-any.whl';
    const app = await tempDir('vendor-app-');
    await writeFile(path.join(app, 'requirements.txt'), 'pkg-prerelease==1.0a1\n');
    await mkdir(path.join(app, 'vendor'));
    await copyFile(path.join(UPSTREAM_WHEELS, w), path.join(app, 'vendor', w));
    const s = await stageApp(bp, app);
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('-----> Running pip install (vendored)');
    expect(s.supply.stdout).toContain('Successfully installed pkg-prerelease-1.0a1');
    // the bundle has wheel 0.40.0, but a vendored app installs from vendor/ only
    await writeFile(path.join(app, 'requirements.txt'), 'pkg-prerelease==1.0a1\nwheel==0.40.0\n');
    const incomplete = await stageApp(bp, app);
    expect(incomplete.supply.code).toBe(1);
    expect(incomplete.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package wheel==0.40.0\n');
    expect(incomplete.supply.stderr).toContain('Running pip install failed. You need to include all dependencies in the vendor directory.');
  });

  it('keeps the base python when runtime.txt asks for it, and names a python the bundle lacks', async () => {
    const [maj, min] = HOST_PYTHON_VERSION.split('.');
    const ok = await stageApp(bp, PIP_ONLY, { files: { 'runtime.txt': `python-${maj}.${min}.x\n` } });
    expect(ok.supply.code).toBe(0);
    expect(ok.supply.stdout).not.toContain('Creating conda environment');
    const other = `${maj}.${Number(min) + 1}.0`;
    const bad = await stageApp(bp, PIP_ONLY, { files: { 'runtime.txt': `python-${other}\n` } });
    expect(bad.supply.code).toBe(1);
    expect(bad.supply.stdout).toContain(`-----> Creating conda environment with python ${other} (from runtime.txt)`);
    expect(bad.supply.stderr).toContain(`DEPENDENCY_MISSING_IN_BUNDLE: conda package python ${other} (from runtime.txt)\n`);
  });

  it('stages with bin/compile into BUILD_DIR/.cloudfoundry, and the app finds its python without DEPS_DIR', async () => {
    const build = await tempDir('compile-build-');
    const cache = await tempDir('compile-cache-');
    const home = await tempDir('compile-home-');
    const { cp } = await import('node:fs/promises');
    await cp(PIP_ONLY, build, { recursive: true });
    const { stagingEnv } = await import('./run-script.js');
    const r = await runScript(path.join(bp, 'bin/compile'), [build, cache], { env: stagingEnv(home), offline: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-----> Finalizing the Python (conda/pip) environment');
    const run = await runInApp({ build }, 'sh smoke.sh');
    expect(run.stdout).toMatch(/^pip-only ok/);
  });

  it('runs after the deps dir moves (profile.d rewrites the staged prefix once)', async () => {
    const s = await stagePipOnly();
    expect(s.supply.code).toBe(0);
    const moved = await tempDir('moved-deps-');
    await runScript('cp', ['-a', `${s.deps}/.`, moved]);
    await rm(s.deps, { recursive: true, force: true });
    const run = await runInApp({ build: s.build, deps: moved }, 'pip --version && sh smoke.sh');
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`${moved}/0/conda/lib/python`);
    expect(run.stdout).toMatch(/pip-only ok/);
    const pipScript = await readFile(path.join(moved, '0/conda/bin/pip'), 'utf8');
    expect(pipScript.split('\n')[0]).toBe(`#!${moved}/0/conda/bin/python`);
  });

  it('verifies the installer against names.tsv before running it', async () => {
    const dir = await tempDir('pip-bp-installer-');
    const b = await makeBundle(dir);
    const row = b.index.find((r) => r.path.endsWith('.sh'))!;
    await writeFile(path.join(dir, row.path), '#!/bin/sh\necho pwned\n');
    const s = await stageApp(dir, PIP_ONLY);
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain(`**ERROR** sha256 mismatch in the buildpack bundle for miniconda3 py311_24.1.2-0 installer: ${row.path}`);
    expect(s.log).not.toContain('pwned');
    expect((await digestsOf(path.join(dir, row.path))).sha256).not.toBe(row.sha256);
  });
});
