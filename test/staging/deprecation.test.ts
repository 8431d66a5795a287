// bin/lib/deprecation.sh: Cloud Foundry's end-of-life and newer-patch warnings
// at staging, the bash functions checked against the packager's rules (same
// table through both), then a real packaged zip staged with a fixed BP_TODAY.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deprecationCovers } from '../../src/bundle/deprecations.js';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { ROOT, FIXTURES } from '../helpers/paths.js';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript } from './run-script.js';
import { stageApp } from './stage-app.js';

const LIB = path.join(ROOT, 'bin/lib');

/** Runs `script` with the staging libraries sourced, BP_DIR=bpDir. */
async function bash(script: string, bpDir: string, env: NodeJS.ProcessEnv = {}) {
  const prelude = `set -euo pipefail; source "${LIB}/common.sh"; source "${LIB}/conda.sh"; source "${LIB}/deprecation.sh"; BP_DIR="${bpDir}"; BP_CACHED=yes; `;
  return runScript('bash', ['--norc', '-c', prelude + script], { env: { PATH: process.env.PATH, ...env } });
}

describe('deprecation_covers (bash) agrees with the packager', () => {
  const cases: [string, string, string][] = [
    ['3.10.x', '', '3.10.21'],
    ['3.10.x', '', '3.1.0'],
    ['3.10.x', '', '3.100.1'],
    ['3.x', '', '3.14.0'],
    ['3.*', '', '4.0.0'],
    ['2.7', '', '2.7.18'],
    ['2.7', '', '2.70.1'],
    ['2.7', '', '2.7'],
    ['py311_24.1.2-0', '', 'py311_24.1.2-0'],
    ['py311_24.1.2-0', '', 'py311_24.1.2-1'],
    ['never', '2.7.\\d+', '2.7.13'],
    ['never', '2.7.\\d+', '12.7.1'],
    ['3.3', '3.3.\\d+', '3.3.6'],
    // a short version reads zero-padded, as libbuildpack's semver does (1.0 is 1.0.0)
    ['1.0.x', '', '1.0'],
    ['1.x', '', '1'],
    ['1.1.x', '', '1'],
    ['1.0.x', '', '1.1'],
  ];
  it('on every case of the table', async () => {
    const dir = await tempDir();
    const script = cases
      .map(([line, match, v], i) => `if deprecation_covers '${line}' '${match}' '${v}'; then echo "${i} yes"; else echo "${i} no"; fi`)
      .join('\n');
    const r = await bash(script, dir);
    expect(r.stderr).toBe('');
    const bashSays = r.stdout.trim().split('\n');
    const tsSays = cases.map(([line, match, v], i) => `${i} ${deprecationCovers({ version_line: line, ...(match ? { match } : {}) }, v) ? 'yes' : 'no'}`);
    expect(bashSays).toEqual(tsSays);
    expect(tsSays.filter((s) => s.endsWith('yes'))).toHaveLength(9);
  });
});

describe('deprecation_warn_eol', () => {
  async function bpWith(tsv: string): Promise<string> {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'deprecations.tsv'), tsv);
    return dir;
  }
  const TSV = 'python\t3.10.x\t2026-10-04\thttps://www.python.org/dev/peps/pep-0619/\t\npython\t3.11.x\t2027-10-24\t\t\nminiconda3\tpy39_25.7.0-2\t2026-01-01\t\t\n';

  it("prints libbuildpack's warning (and the link) from 30 days before the date on", async () => {
    const dir = await bpWith(TSV);
    const at = (today: string) => bash('deprecation_warn_eol python 3.10.21', dir, { BP_TODAY: today });
    expect((await at('2026-09-03')).stdout).toBe('');
    expect((await at('2026-09-04')).stdout).toBe(
      '       **WARNING** python 3.10.x will no longer be available in new buildpacks released after 2026-10-04.\n       See: https://www.python.org/dev/peps/pep-0619/\n',
    );
    expect((await at('2027-01-01')).stdout).toContain('python 3.10.x will no longer be available');
    expect((await bash('deprecation_warn_eol python 3.11.9', dir, { BP_TODAY: '2027-01-01' })).stdout).toBe('');
    expect((await bash('deprecation_warn_eol miniconda3 py39_25.7.0-2', dir, { BP_TODAY: '2026-05-01' })).stdout).toBe(
      '       **WARNING** miniconda3 py39_25.7.0-2 will no longer be available in new buildpacks released after 2026-01-01.\n',
    );
  });

  it('is silent without deprecations.tsv, and a bad BP_TODAY means today', async () => {
    const empty = await tempDir();
    expect((await bash('deprecation_warn_eol python 3.10.1', empty, { BP_TODAY: '2099-01-01' })).stdout).toBe('');
    const dir = await bpWith('python\t3.10.x\t2000-01-01\t\t\n');
    const r = await bash('deprecation_warn_eol python 3.10.1', dir, { BP_TODAY: 'not-a-date' });
    expect(r.stdout).toContain('released after 2000-01-01.');
  });
});

describe('deprecation_warn_newer_patch + bundled_conda_versions', () => {
  it("names the newest bundled patch of the pinned line, in libbuildpack's words", async () => {
    const dir = await tempDir();
    const sub = path.join(dir, 'conda/conda-forge/linux-64');
    await mkdir(sub, { recursive: true });
    for (const f of ['python-3.11.9-hb806964_0_cpython.conda', 'python-3.11.10-hc5c86c4_3_cpython.conda', 'python-3.12.4-h194c7f8_0_cpython.conda', 'python-dateutil-2.9.0-pyhd8ed1ab_0.conda']) {
      await writeFile(path.join(sub, f), '');
    }
    const r = await bash(
      'CONDA_CHANNEL_DIRS=(conda-forge); mapfile -t v < <(bundled_conda_versions python); printf "%s\\n" "${v[@]}" | sort -V; deprecation_warn_newer_patch python 3.11.9 "${v[@]}"; deprecation_warn_newer_patch python 3.11.10 "${v[@]}"; deprecation_warn_newer_patch python 3.12.4 "${v[@]}"',
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      '3.11.9\n3.11.10\n3.12.4\n' +
        '       **WARNING** A newer version of python is available in this buildpack. Please adjust your app to use version 3.11.10 instead of version 3.11.9 as soon as possible. Old versions of python are only provided to assist in migrating to newer versions.\n',
    );
  });
});

describe('staging a packaged zip', () => {
  it('warns for the installer and the python that reach their end of life, on a fixed BP_TODAY', async () => {
    const world = await startDemoWorld();
    const dir = await tempDir();
    let zip: string;
    try {
      const manifest = await writeDemoBuildpack(path.join(dir, 'src'), world.url);
      execFileSync('bash', ['-c', `cat >> "${manifest}" <<'EOF'
dependency_deprecation_dates:
- name: miniconda3
  version_line: py311_24.1.2-0
  date: 2030-02-01
  link: https://example.invalid/miniconda-eol
- name: python
  version_line: 3.11.x
  date: 2029-10-24
EOF`]);
      const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(dir, 'cache')], { cwd: path.join(dir, 'src'), env: { BP_TODAY: '2030-01-15' } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('warning: miniconda3 py311_24.1.2-0 will no longer be available in new buildpacks released after 2030-02-01 (in 17 days;');
      zip = r.stdout.trim();
    } finally {
      await world.close();
    }
    const bp = path.join(dir, 'bp');
    execFileSync('unzip', ['-q', zip, '-d', bp]);
    const staged = await stageApp(bp, path.join(FIXTURES, 'apps/pip-only'), { env: { BP_TODAY: '2030-01-15', CF_STACK: 'cflinuxfs4' } });
    expect(staged.supply.code, staged.log).toBe(0);
    expect(staged.log).toContain(
      '-----> Installing Miniconda3 py311_24.1.2-0\n       **WARNING** miniconda3 py311_24.1.2-0 will no longer be available in new buildpacks released after 2030-02-01.\n       See: https://example.invalid/miniconda-eol\n',
    );
    expect(staged.log).toContain('       **WARNING** python 3.11.x will no longer be available in new buildpacks released after 2029-10-24.\n');
  });
});
