// Which installer bin/supply runs (bin/lib/conda.sh conda_choose_installer), on
// names.tsv rows like the packager writes: the operator's BP_CONDA_INSTALLER,
// then a Miniconda whose python matches the app's pin, then Miniforge3 before
// Miniconda3, highest version first; cf_stacks honoured.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript } from './run-script.js';

const ROWS = [
  ['miniconda3', 'py39_25.7.0-2', 'dependencies/a/Miniconda3-py39_25.7.0-2-Linux-x86_64.sh', 'aa', '1', 'https://repo.anaconda.com/miniconda/Miniconda3-py39_25.7.0-2-Linux-x86_64.sh', 'cflinuxfs4'],
  ['miniconda3', 'py312_24.5.0-0', 'dependencies/b/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh', 'bb', '1', 'https://repo.anaconda.com/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh', 'cflinuxfs4,cflinuxfs3'],
  ['miniforge3', '24.7.1-0', 'dependencies/c/Miniforge3-24.7.1-0-Linux-x86_64.sh', 'cc', '1', 'https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh', 'cflinuxfs4'],
  ['miniforge3', '24.11.3-0', 'dependencies/d/Miniforge3-24.11.3-0-Linux-x86_64.sh', 'dd', '1', 'https://github.com/conda-forge/miniforge/releases/download/24.11.3-0/Miniforge3-24.11.3-0-Linux-x86_64.sh', 'cflinuxfs3'],
  ['python', '3.11.7', 'dependencies/e/python.tgz', 'ee', '1', 'https://x/python.tgz', ''],
];

async function choose(wantPython: string, env: NodeJS.ProcessEnv = {}, rows = ROWS) {
  const bp = await tempDir('choice-bp-');
  await mkdir(path.join(bp, 'dependencies'));
  await writeFile(path.join(bp, 'dependencies/names.tsv'), rows.map((r) => r.join('\t')).join('\n') + '\n');
  const script = `set -euo pipefail
source ${ROOT}/bin/lib/common.sh; source ${ROOT}/bin/lib/app.sh; source ${ROOT}/bin/lib/conda.sh
bundle_init ${bp}
conda_choose_installer "$1"
echo "$INSTALLER_FLAVOR $INSTALLER_VERSION"`;
  return runScript('bash', ['--norc', '-c', script, 'choose', wantPython], { env: { PATH: process.env.PATH, CF_STACK: 'cflinuxfs4', ...env } });
}

describe('conda_choose_installer', () => {
  it('prefers Miniforge3, highest version for the stack, when the app pins no python', async () => {
    expect((await choose('')).stdout).toBe('Miniforge3 24.7.1-0\n');
  });
  it('takes the Miniconda whose base python is the pinned one', async () => {
    expect((await choose('3.12')).stdout).toBe('Miniconda3 py312_24.5.0-0\n');
    expect((await choose('3.9.18')).stdout).toBe('Miniconda3 py39_25.7.0-2\n');
    expect((await choose('3.10')).stdout).toBe('Miniforge3 24.7.1-0\n');
  });
  it('obeys BP_CONDA_INSTALLER, with or without a version', async () => {
    // newest conda first: 25.7.0 beats 24.5.0 whatever the python tag
    expect((await choose('', { BP_CONDA_INSTALLER: 'miniconda3' })).stdout).toBe('Miniconda3 py39_25.7.0-2\n');
    expect((await choose('3.9', { BP_CONDA_INSTALLER: 'miniconda3@py312_24.5.0-0' })).stdout).toBe('Miniconda3 py312_24.5.0-0\n');
    const r = await choose('', { BP_CONDA_INSTALLER: 'miniforge3@1.0' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: Miniforge3 1.0 installer\n');
  });
  it('reports a bundle without any installer for the stack', async () => {
    const r = await choose('', {}, ROWS.filter((row) => row[0] === 'python'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: miniconda3 or miniforge3 installer\n');
  });
});
