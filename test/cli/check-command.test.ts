// bin/package check: would an app stage from this buildpack? Against a real
// zip packaged from two environments (bt-lib 1.0 and 2.0 side by side) and
// against the manifest's lock, with no network: apps that fit print what they
// would install (exit 0); apps that do not get every problem at once (exit 4).
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { suiteDir } from '../helpers/tmp.js';

const FILES = path.join(ROOT, 'fixtures/pypi/files');
let dir: string;
let zip: string;
let manifest: string;
/** The demo origin's address while packaging: complete environments name its package URLs. */
let originUrl: string;

beforeAll(async () => {
  dir = await suiteDir('check-');
  const origin = await startDemoWorld({ pypi: { 'bt-lib': ['bt_lib-1.0-py3-none-any.whl', 'bt_lib-2.0-py3-none-any.whl'].map((f) => path.join(FILES, f)) } });
  originUrl = origin.url;
  try {
    manifest = await writeDemoBuildpack(path.join(dir, 'src'), origin.url);
    await appendFile(manifest, 'environments:\n  a:\n    pip: { requirements: ["bt-lib==1.0"] }\n  b:\n    pip: { requirements: ["bt-lib==2.0"] }\n');
    zip = path.join(dir, 'bp.zip');
    const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(dir, 'cache'), '--output', zip], { cwd: path.join(dir, 'src') });
    if (r.code !== 0) throw new Error(r.stderr);
  } finally {
    // from here on nothing may need the network: the origin is gone
    await origin.close();
  }
}, 60_000);
afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
});

async function app(name: string, files: Record<string, string>): Promise<string> {
  const d = path.join(dir, 'apps', name);
  await mkdir(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(d, f), text);
  return d;
}

describe('bin/package check', () => {
  it('prints what an app that fits would install, against the zip and against the lock', async () => {
    const ok = await app('ok', { 'requirements.txt': 'bt-lib>=2\nwheel\n' });
    for (const against of [['--zip', zip], ['--manifest', manifest]]) {
      const r = await runCliInProcess('package', ['check', ok, ...against]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${ok} would stage from `);
      expect(r.stdout).toContain('with Python 3.11 (');
      expect(r.stdout).toContain('  wheel  bt-lib 2.0 (bt_lib-2.0-py3-none-any.whl)\n');
      expect(r.stdout).toContain('  wheel  wheel 0.40.0 (wheel-0.40.0-py3-none-any.whl)\n');
    }
  });

  it('resolves a conda app against the zip\'s own channel, environment.yml pip section included', async () => {
    const r = await runCliInProcess('package', ['check', path.join(ROOT, 'fixtures/apps/conda-pip'), '--zip', zip, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.install.map((p: { kind: string; name: string; version: string }) => `${p.kind} ${p.name} ${p.version}`)).toEqual(['conda run_exports_versions 2.0', 'wheel simplewheel 1.0']);
  });

  it("checks the build backend of an app that is a project: listed when the bundle has it, a problem when not", async () => {
    const proj = await app('proj', { 'pyproject.toml': '[build-system]\nrequires = ["wheel"]\nbuild-backend = "wheel.backend"\n' });
    const r = await runCliInProcess('package', ['check', proj, '--zip', zip]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  build  wheel 0.40.0 (wheel-0.40.0-py3-none-any.whl)\n');
    // a setup.py needs setuptools>=40.8.0 and wheel; this zip has no setuptools
    const legacy = await app('legacy', { 'setup.py': 'from setuptools import setup\nsetup()\n' });
    for (const against of [['--zip', zip], ['--manifest', manifest]]) {
      const bad = await runCliInProcess('package', ['check', legacy, ...against]);
      expect(bad.code).toBe(4);
      expect(bad.stdout).toContain("The build backend of the app's project (setuptools' legacy default: setuptools>=40.8.0, wheel): ");
      expect(bad.stdout).toMatch(/setuptools/);
    }
  });

  it('names every missing package and the missing Python at once (exit 4)', async () => {
    const bad = await app('bad', { 'requirements.txt': 'bt-lib==1.0\nflask\nnope-x>=1\n', 'runtime.txt': 'python-3.12.x\n' });
    const r = await runCliInProcess('package', ['check', bad, '--zip', zip]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe(
      `${bad} would not stage from ${zip}:\n` +
        '  environment bad needs Python 3.12, and the bundle carries no Python 3.12\n' +
        '  pip package flask (requirements.txt line 2) is not in the bundle\n' +
        '  pip package nope-x (requirements.txt line 3) is not in the bundle\n',
    );
  });

  it('reports a version the bundle does not carry with what it does carry', async () => {
    const newer = await app('newer', { 'requirements.txt': 'bt-lib==3.0\n' });
    const r = await runCliInProcess('package', ['check', newer, '--zip', zip, '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).problems).toEqual(['No version of bt-lib satisfies bt-lib==3.0 (requirements.txt line 1); the index has: 1.0, 2.0']);
  });

  // A complete environment names upstream package URLs; check maps each to the
  // bundle's copy of its channel (channels.tsv) and checks its hash, with the
  // origin long gone.
  describe('a complete conda environment (@EXPLICIT, conda-lock.yml)', () => {
    const V2 = 'run_exports_versions-2.0-h39de5ba_0.tar.bz2';
    const V2_MD5 = 'ba68433ef44982170d4e2f2f9bf89338';
    const V2_SHA256 = '33877cbe447e8c7a026fbcb7e299b37208ad4bc70cf8328fb4cf552af01ada76';
    const condaLock = (url: string, md5: string) =>
      'version: 1\nmetadata:\n  channels:\n  - url: conda-forge\n    used_env_vars: []\n  platforms:\n  - linux-64\npackage:\n' +
      `- name: run_exports_versions\n  version: '2.0'\n  manager: conda\n  platform: linux-64\n  dependencies: {}\n  url: ${url}\n  hash:\n    md5: ${md5}\n    sha256: ${V2_SHA256}\n  category: main\n  optional: false\n`;

    it('maps the package URLs of an @EXPLICIT file and of conda-lock.yml to the bundle\'s copies (exit 0)', async () => {
      const url = `${originUrl}/conda-forge/noarch/${V2}`;
      const apps = [
        await app('explicit-ok', { 'conda-linux-64.lock': `# platform: linux-64\n@EXPLICIT\n${url}#${V2_MD5}\n` }),
        await app('conda-lock-ok', { 'conda-lock.yml': condaLock(url, V2_MD5) }),
      ];
      for (const a of apps) {
        for (const against of [['--zip', zip], ['--manifest', manifest]]) {
          const r = await runCliInProcess('package', ['check', a, ...against, '--json']);
          expect(r.code, r.stdout + r.stderr).toBe(0);
          const out = JSON.parse(r.stdout);
          expect(out.install).toEqual([{ kind: 'conda', name: 'run_exports_versions', version: '2.0', filename: V2 }]);
        }
      }
    });

    it('refuses a package the bundle has with another hash, and one from a channel it has no copy of (exit 4)', async () => {
      const bad = await app('explicit-bad', {
        'conda-linux-64.lock':
          '@EXPLICIT\n' +
          `${originUrl}/conda-forge/noarch/${V2}#ffffffffffffffffffffffffffffffff\n`,
      });
      const r = await runCliInProcess('package', ['check', bad, '--zip', zip, '--json']);
      expect(r.code, r.stderr).toBe(4);
      const problems = JSON.parse(r.stdout).problems.join('\n');
      expect(problems).toBe(`md5 of ${V2} in conda-linux-64.lock line 2 does not match the channel's repodata`);
      const lockBad = await app('conda-lock-bad', { 'conda-lock.yml': condaLock('https://conda.anaconda.org/bioconda/noarch/' + V2, V2_MD5) });
      const r2 = await runCliInProcess('package', ['check', lockBad, '--zip', zip]);
      expect(r2.code, r2.stderr).toBe(4);
      expect(r2.stdout).toContain('The bundle has no copy of the channel of ' + V2);
      expect(r2.stdout).toContain('https://conda.anaconda.org/bioconda');
    });
  });
});
