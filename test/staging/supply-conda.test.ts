// bin/supply for conda apps from a hand-built cached bundle, under `unshare -n`:
// environment.yml (+ pip section), @EXPLICIT files and conda-lock.yml answered
// from the bundle's file:// channel. Every case runs with the installer's
// stand-in conda; the same cases run again with a REAL conda client when
// CONDA_CLIENT points at one (conda 23.7.4 here), and are skipped, visibly, otherwise.
import { stat, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONDA_CLIENT, warnIfNoCondaClient } from '../helpers/conda-client.js';
import { FIXTURES } from '../helpers/paths.js';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { CONDA_INDEX_NOARCH, digestsOf, makeBundle } from './bundle-dir.js';
import { runInApp, stageApp, type Staged } from './stage-app.js';

const CONDA_PIP = path.join(FIXTURES, 'apps/conda-pip');
warnIfNoCondaClient('the real-conda staging cases are');

const V1 = 'run_exports_versions-1.0-he35c369_0.tar.bz2';
const V2 = 'run_exports_versions-2.0-h39de5ba_0.tar.bz2';

let bp: string;
let kept: string; // stagings several tests read
beforeAll(async () => {
  bp = await suiteDir('conda-bp-');
  kept = await suiteDir('conda-kept-');
  await makeBundle(bp);
});
afterAll(async () => {
  for (const d of [bp, kept]) await rm(d, { recursive: true, force: true });
});

const clients: Array<{ label: string; env: NodeJS.ProcessEnv; skip: boolean }> = [
  { label: 'stand-in conda', env: {}, skip: false },
  { label: `real conda (${CONDA_CLIENT ?? 'CONDA_CLIENT unset'})`, env: CONDA_CLIENT ? { CONDA_CLIENT } : {}, skip: !CONDA_CLIENT },
];

for (const client of clients) {
  describe.skipIf(client.skip)(`supply: conda apps with the ${client.label}`, () => {
    // the first staging, which the CACHE_DIR test stages a second time over
    let firstStaging: Promise<Staged> | undefined;
    const stageFirst = () => (firstStaging ??= stageApp(bp, CONDA_PIP, { env: client.env, keepIn: kept }));

    it('stages the conda+pip sample app with no network: solver picks 2.0, pip section installed, variables exported', async () => {
      const s = await stageFirst();
      expect(s.supply.stderr).toBe('');
      expect(s.supply.code).toBe(0);
      expect(s.supply.stdout).toContain('-----> Installing conda packages from environment.yml\n');
      expect(s.supply.stdout).toContain('-----> Running pip install\n');
      expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0/);
      expect(s.log).not.toMatch(/https?:\/\/(conda\.anaconda|repo\.anaconda)/);
      const run = await runInApp(s, 'sh smoke.sh');
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('conda-pip ok: run_exports_versions 2.0 linked, simplewheel imported, hello from environment.yml\n');
      const meta = JSON.parse(
        await (await import('node:fs/promises')).readFile(path.join(s.deps, '0/conda/conda-meta/run_exports_versions-2.0-h39de5ba_0.json'), 'utf8'),
      );
      expect(meta.url).toBe(`file://${bp}/conda/conda-forge/noarch/${V2}`);
    });

    it('reuses CACHE_DIR on a second staging', async () => {
      const first = await stageFirst();
      expect(first.supply.code).toBe(0);
      expect(first.supply.stdout).not.toContain('Using cached conda packages');
      const cached = path.join(first.cache, 'conda/pkgs', V2);
      const before = await stat(cached);
      const second = await stageApp(bp, CONDA_PIP, { env: client.env, cache: first.cache });
      expect(second.supply.code).toBe(0);
      expect(second.supply.stdout).toContain('       Using cached conda packages: 1 in conda/pkgs\n');
      const after = await stat(cached);
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect((await runInApp(second, 'sh smoke.sh')).stdout).toMatch(/^conda-pip ok/);
    });

    it('names conda specs the bundle cannot satisfy, from the solver', async () => {
      // the name exists (so the pre-check passes) but no version does: only the solver can tell
      const s = await stageApp(bp, undefined, {
        env: client.env,
        files: { 'environment.yml': 'channels: [conda-forge]\ndependencies:\n  - run_exports_versions>=3\n' },
      });
      expect(s.supply.code).toBe(1);
      // conda prints the spec its own way (run_exports_versions[version='>=3']), the stand-in as written
      expect(s.supply.stderr).toMatch(
        /^DEPENDENCY_MISSING_IN_BUNDLE: conda package run_exports_versions(>=3|\[version='>=3'\]) \(environment\.yml\)\n/m,
      );
    });

    it('answers an @EXPLICIT list of upstream URLs from the bundle by subdir/filename + md5', async () => {
      const { md5 } = await digestsOf(path.join(CONDA_INDEX_NOARCH, V1));
      const explicit =
        '# platform: linux-64\n@EXPLICIT\n' +
        // another spelling of the channel than the bundle's index.tsv: found by noarch/<file>
        `https://repo.anaconda.com/pkgs/main/noarch/${V1}#${md5}\n`;
      const s = await stageApp(bp, undefined, { env: client.env, files: { 'conda-requirements.txt': explicit } });
      expect(s.supply.stderr).toBe('');
      expect(s.supply.code).toBe(0);
      expect(s.supply.stdout).toContain('-----> Installing conda packages from conda-requirements.txt\n');
      const run = await runInApp(s, 'ls "$CONDA_PREFIX/conda-meta"');
      expect(run.stdout).toContain('run_exports_versions-1.0-he35c369_0.json');
    });

    it('stops staging when a linked conda package differs from the sha256 in index.tsv', async () => {
      const dir = await tempDir('conda-bp-tampered-');
      await makeBundle(dir);
      // swap 2.0's bytes for 1.0's, repodata edited to match (conda itself checks nothing for
      // file:// channels): a valid package, but not the one index.tsv vouches for
      const { readFile } = await import('node:fs/promises');
      await writeFile(path.join(dir, 'conda/conda-forge/noarch', V2), await readFile(path.join(CONDA_INDEX_NOARCH, V1)));
      const repodataPath = path.join(dir, 'conda/conda-forge/noarch/repodata.json');
      const repodata = JSON.parse(await readFile(repodataPath, 'utf8'));
      const d1 = await digestsOf(path.join(CONDA_INDEX_NOARCH, V1));
      Object.assign(repodata.packages[V2], { md5: d1.md5, sha256: d1.sha256, size: d1.size });
      await writeFile(repodataPath, JSON.stringify(repodata));
      const s = await stageApp(dir, CONDA_PIP, { env: client.env });
      expect(s.supply.code).toBe(1);
      expect(s.supply.stderr).toContain(`**ERROR** sha256 mismatch in the buildpack bundle for conda package ${V2}: conda/conda-forge/noarch/${V2}`);
      expect(s.supply.stderr).toContain("conda installed a package whose bytes differ from the buildpack's index; staging stopped");
    });

    it('installs conda-lock.yml conda and pip packages from the bundle, verified by their lock hashes', async () => {
      const c = await digestsOf(path.join(CONDA_INDEX_NOARCH, V2));
      const w = await digestsOf(path.join(bp, 'pypi/files/simplewheel-1.0-py2.py3-none-any.whl'));
      const lock = `version: 1
metadata:
  channels:
  - url: conda-forge
    used_env_vars: []
  platforms:
  - linux-64
package:
- name: run_exports_versions
  version: '2.0'
  manager: conda
  platform: linux-64
  dependencies: {}
  url: https://conda.anaconda.org/conda-forge/noarch/${V2}
  hash:
    md5: ${c.md5}
    sha256: ${c.sha256}
  category: main
  optional: false
- name: run_exports_versions
  version: '1.0'
  manager: conda
  platform: osx-64
  dependencies: {}
  url: https://conda.anaconda.org/conda-forge/noarch/${V1}
  hash:
    md5: 00000000000000000000000000000000
  category: main
  optional: false
- name: simplewheel
  version: '1.0'
  manager: pip
  platform: linux-64
  dependencies: {}
  url: https://files.pythonhosted.org/packages/xx/yy/simplewheel-1.0-py2.py3-none-any.whl
  hash:
    sha256: ${w.sha256}
  category: main
  optional: false
`;
      const s = await stageApp(bp, undefined, { env: client.env, files: { 'conda-lock.yml': lock } });
      expect(s.supply.stderr).toBe('');
      expect(s.supply.code).toBe(0);
      expect(s.supply.stdout).toContain('-----> Installing pip packages from conda-lock.yml\n');
      const run = await runInApp(s, 'ls "$CONDA_PREFIX/conda-meta" && python -c "import simplewheel; print(\'imported\')"');
      expect(run.stdout).toContain('run_exports_versions-2.0-h39de5ba_0.json');
      expect(run.stdout).not.toContain('run_exports_versions-1.0');
      expect(run.stdout).toContain('imported');
    });
  });
}

describe('supply: conda dependencies the bundle lacks (checked before conda runs)', () => {
  it('names every missing conda and pip dependency at once, before installing anything', async () => {
    const s = await stageApp(bp, undefined, {
      files: {
        'environment.yml':
          'name: x\nchannels:\n  - conda-forge\n  - bioconda\ndependencies:\n  - run_exports_versions\n  - numpy=1.26\n' +
          '  - pip\n  - pip:\n    - simplewheel==1.0\n    - requests>=2\n',
      },
    });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stdout).toContain('Channel bioconda is not in this buildpack; its packages can only come from the bundled channels');
    expect(s.supply.stdout).not.toContain('Installing Miniconda3');
    expect(s.supply.stderr).toMatchInlineSnapshot(`
      "DEPENDENCY_MISSING_IN_BUNDLE: conda package numpy=1.26 (from environment.yml)
      DEPENDENCY_MISSING_IN_BUNDLE: pip package requests (from the pip section of the environment file)
             python_buildpack v0.1.0 (cached) has no copy of them, and staging never falls back to the network.
             Hint: add them to the manifest (conda: or pip:), re-package with \`bin/package offline\`, update the buildpack and push again.
      "
    `);
  });

  it('names each @EXPLICIT line the bundle cannot answer, with the reason', async () => {
    const explicit =
      '@EXPLICIT\n' +
      `https://conda.anaconda.org/conda-forge/noarch/${V2}#ffffffffffffffffffffffffffffffff\n` +
      'https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.11-h516909a_1010.tar.bz2#339cc5584e6d26bc73a875ba900028c3\n' +
      'https://user:pw@private.example/t/tk-1/ch/noarch/secret-1.0-0.conda\n';
    const s = await stageApp(bp, undefined, { files: { 'conda-linux-64.lock': explicit } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).not.toMatch(/user:pw|tk-1/);
    const { md5 } = await digestsOf(path.join(CONDA_INDEX_NOARCH, V2));
    expect(s.supply.stderr).toContain(
      `DEPENDENCY_MISSING_IN_BUNDLE: https://conda.anaconda.org/conda-forge/noarch/${V2} (the bundle's noarch/${V2} has md5 ${md5}, the list pins ffffffffffffffffffffffffffffffff; from conda-linux-64.lock)\n`,
    );
    expect(s.supply.stderr).toContain(
      'DEPENDENCY_MISSING_IN_BUNDLE: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.2.11-h516909a_1010.tar.bz2 (no linux-64/zlib-1.2.11-h516909a_1010.tar.bz2 in any bundled channel; from conda-linux-64.lock)\n',
    );
    expect(s.supply.stderr).toContain(
      'DEPENDENCY_MISSING_IN_BUNDLE: https://-redacted-:-redacted-@private.example/t/-redacted-/ch/noarch/secret-1.0-0.conda (no noarch/secret-1.0-0.conda',
    );
  });

});
