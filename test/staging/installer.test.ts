// The stand-in Miniconda/Miniforge installer (fixtures/installers): generated
// deterministically, honours the constructor batch interface, gives a prefix
// with the real pip, and a bin/conda that is the real conda client when
// CONDA_CLIENT is set, else the documented stand-in.
import { spawnSync } from 'node:child_process';
import { chmod, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { makeInstaller } from './bundle-dir.js';
import { HOST_PYTHON_VERSION, runScript, STANDIN_ENV } from './run-script.js';

const HAS_ZSTD = spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;

async function install(installer: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const home = await tempDir('inst-home-');
  return runScript('bash', [installer, ...args], {
    env: { PATH: process.env.PATH, HOME: home, ...STANDIN_ENV, PIP_CONFIG_FILE: '/dev/null', ...env },
  });
}

describe('stand-in installer', () => {
  it('the committed installers are exactly what the generator writes', async () => {
    for (const flavor of ['Miniconda3', 'Miniforge3'] as const) {
      const fresh = await makeInstaller(await tempDir('gen-'), { flavor });
      const committed = path.join(FIXTURES, 'installers', path.basename(fresh));
      expect(Buffer.compare(await readFile(fresh), await readFile(committed))).toBe(0);
    }
  });

  it('installs with -b -p a prefix whose pip is the real pip and whose conda says what it is', async () => {
    const prefix = path.join(await tempDir('inst-'), 'conda');
    const r = await install(path.join(FIXTURES, 'installers/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh'), ['-b', '-p', prefix]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('installation finished.');
    const pip = await runScript(path.join(prefix, 'bin/pip'), ['--version'], { env: { PATH: '/usr/bin:/bin', PIP_CONFIG_FILE: '/dev/null' } });
    expect(pip.stdout).toMatch(new RegExp(`^pip \\d+\\.\\d+(\\.\\d+)? from ${prefix}/lib/python[\\d.]+/site-packages/pip \\(python`));
    const conda = await runScript(path.join(prefix, 'bin/conda'), ['--version'], { env: { PATH: '/usr/bin:/bin' } });
    expect(conda.stdout).toBe('conda 24.1.2+standin\n');
    expect(await readFile(path.join(prefix, '.standin-installer'), 'utf8')).toContain(`python_version=${HOST_PYTHON_VERSION}\n`);
    expect(await readFile(path.join(prefix, 'conda-meta/history'), 'utf8')).toBe('');
  });

  it('behaves like constructor installers on the options that matter', async () => {
    const inst = path.join(FIXTURES, 'installers/Miniforge3-24.7.1-0-Linux-x86_64.sh');
    const prefix = path.join(await tempDir('inst-'), 'mf');
    const noBatch = await install(inst, ['-p', prefix]);
    expect(noBatch.code).toBe(2);
    expect(noBatch.stderr).toContain('batch mode only (-b)');
    expect((await install(inst, ['-b', '-p', prefix])).code).toBe(0);
    const again = await install(inst, ['-b', '-p', prefix]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`ERROR: File or directory already exists: '${prefix}'`);
    expect((await install(inst, ['-b', '-u', '-p', prefix])).code).toBe(0);
  });

  it('runs the real conda client named by CONDA_CLIENT instead of the stand-in', async () => {
    const prefix = path.join(await tempDir('inst-'), 'conda');
    await install(path.join(FIXTURES, 'installers/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh'), ['-b', '-p', prefix]);
    const fake = path.join(await tempDir('fake-conda-'), 'conda');
    await writeFile(fake, '#!/bin/sh\necho "client got: $*"\n');
    await chmod(fake, 0o755);
    const r = await runScript(path.join(prefix, 'bin/conda'), ['install', '-y', 'x'], { env: { PATH: '/usr/bin:/bin', CONDA_CLIENT: fake } });
    expect(r.stdout).toBe('client got: install -y x\n');
  });

  it.skipIf(!HAS_ZSTD)('stand-in conda links a real noarch: python .conda package into site-packages', async () => {
    const prefix = path.join(await tempDir('inst-'), 'conda');
    await install(path.join(FIXTURES, 'installers/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh'), ['-b', '-p', prefix]);
    const ch = await tempDir('ch-');
    await cp(path.join(UPSTREAM, 'conda/conda/test-recipes'), ch, { recursive: true });
    const pkgs = await tempDir('pkgs-');
    const r = await runScript(
      path.join(prefix, 'bin/conda'),
      ['install', '-y', '-p', prefix, '--offline', '--override-channels', '-c', `file://${ch}`, 'sample_noarch_python'],
      { env: { PATH: process.env.PATH, CONDA_PKGS_DIRS: pkgs } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const imp = await runScript(path.join(prefix, 'bin/python'), ['-c', 'import sample; print(sample.__file__)'], { env: { PATH: '/usr/bin:/bin' } });
    expect(imp.stdout).toMatch(new RegExp(`^${prefix}/lib/python\\d+\\.\\d+/site-packages/sample\\.py\\n$`));
    const list = await runScript(path.join(prefix, 'bin/conda'), ['list', '-p', prefix, '--explicit', '--md5'], { env: { PATH: '/usr/bin:/bin' } });
    expect(list.stdout).toContain(`file://${ch}/noarch/sample_noarch_python-1.0-py_0.conda#`);
  });

  it('stand-in conda refuses what it cannot do, pointing at CONDA_CLIENT', async () => {
    const prefix = path.join(await tempDir('inst-'), 'conda');
    await install(path.join(FIXTURES, 'installers/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh'), ['-b', '-p', prefix]);
    const r = await runScript(path.join(prefix, 'bin/conda'), ['env', 'export'], { env: { PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`conda env` is beyond the stand-in (fixtures/installers/README.md); set CONDA_CLIENT to a real conda');
  });
});
