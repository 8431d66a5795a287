// A complete cached bundle for tests: the minimal fixture buildpack, its two
// manifest dependencies (bytes written here), a Miniforge "installer", two real
// conda packages and two real wheels from fixtures/upstream, and a lock naming them.
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ShippedFile } from '../../src/bundle/conda-channel.js';
import type { BundlePlanInput } from '../../src/bundle/plan.js';
import type { Dependency, Lock, LockEntry, Manifest } from '../../src/manifest/types.js';
import { FIXTURES, UPSTREAM } from '../helpers/paths.js';
import { lockEntry, manifestFromYaml } from './manifest-fixture.js';

export const MINIMAL_ROOT = path.join(FIXTURES, 'buildpacks/minimal');
export const SECRETS = ['secret', 'abc123', 'tk-PRIVATE-9'];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function shipped(p: string): Promise<ShippedFile> {
  const bytes = await readFile(p);
  return { path: p, sha256: sha(bytes), size: bytes.length };
}

/** Writes dependency bytes into `dir` and returns a plan input for a cached cflinuxfs4 (or any-stack) zip. */
export async function cachedBundleInput(dir: string, o: { stack?: string; root?: string } = {}): Promise<BundlePlanInput> {
  const fs4Bytes = Buffer.from('tool 1.0.0 for cflinuxfs4\n');
  const fs3Bytes = Buffer.from('tool 1.0.0 for cflinuxfs3\n');
  const installerBytes = Buffer.from('#!/bin/sh\n# pretend Miniforge installer\nexit 0\n');
  await writeFile(path.join(dir, 'tool-fs4.tgz'), fs4Bytes);
  await writeFile(path.join(dir, 'tool-fs3.tgz'), fs3Bytes);
  await writeFile(path.join(dir, 'Miniforge3.sh'), installerBytes);
  await chmod(path.join(dir, 'Miniforge3.sh'), 0o755);

  const root = o.root ?? MINIMAL_ROOT;
  const text = (await readFile(path.join(MINIMAL_ROOT, 'manifest.yml'), 'utf8'))
    .replace('0'.repeat(64), sha(fs4Bytes))
    .replace('1'.repeat(64), sha(fs3Bytes))
    .concat(
      [
        'conda:',
        '  channels: [https://conda.anaconda.org/t/tk-PRIVATE-9/private, https://repo.anaconda.com/pkgs/main]',
        '  subdirs: [linux-64, noarch]',
        'pip:',
        '  index_url: https://pypi.org/simple',
        '',
      ].join('\n'),
    );
  const manifest: Manifest = manifestFromYaml(text, path.join(root, 'manifest.yml'));

  const fmt = path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64');
  const recipes = path.join(UPSTREAM, 'conda/conda/test-recipes/noarch');
  const fmtRepodata = JSON.parse(await readFile(path.join(fmt, 'repodata.json'), 'utf8'));
  const recRepodata = JSON.parse(await readFile(path.join(recipes, 'repodata.json'), 'utf8'));
  const zlib = fmtRepodata['packages.conda']['zlib-1.2.11-h7b6447c_3.conda'];
  const rc = recRepodata['packages.conda']['run_constrained-1.0-0.conda'];
  const wheels = path.join(UPSTREAM, 'pypi/wheels');
  const sw = await shipped(path.join(wheels, 'simplewheel-2.0-1-py2.py3-none-any.whl'));
  const hs = await shipped(path.join(wheels, 'has.script-1.0-py2.py3-none-any.whl'));
  const inst = await shipped(path.join(dir, 'Miniforge3.sh'));

  const artifacts: [LockEntry, ShippedFile][] = [
    [
      lockEntry({
        kind: 'installer', name: 'Miniforge3', flavor: 'Miniforge3', version: '24.7.1-0', filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
        uri: 'https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh',
        sha256: inst.sha256, size: inst.size, cf_stacks: ['cflinuxfs4', 'cflinuxfs3'],
      }),
      inst,
    ],
    [
      lockEntry({
        kind: 'conda', name: 'zlib', version: '1.2.11', build: 'h7b6447c_3', build_number: 3, subdir: 'linux-64',
        channel: 'https://repo.anaconda.com/pkgs/main', filename: 'zlib-1.2.11-h7b6447c_3.conda',
        uri: 'https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda', sha256: zlib.sha256, md5: zlib.md5, size: zlib.size,
        depends: zlib.depends, record: zlib,
      }),
      await shipped(path.join(fmt, 'zlib-1.2.11-h7b6447c_3.conda')),
    ],
    [
      lockEntry({
        kind: 'conda', name: 'run_constrained', version: '1.0', build: '0', subdir: 'noarch',
        channel: 'https://conda.anaconda.org/t/-redacted-/private', filename: 'run_constrained-1.0-0.conda',
        uri: 'https://conda.anaconda.org/t/-redacted-/private/noarch/run_constrained-1.0-0.conda', sha256: rc.sha256, md5: rc.md5, size: rc.size,
        record: rc,
      }),
      await shipped(path.join(recipes, 'run_constrained-1.0-0.conda')),
    ],
    [
      lockEntry({ kind: 'wheel', name: 'simplewheel', version: '2.0', filename: 'simplewheel-2.0-1-py2.py3-none-any.whl', uri: 'https://files.pythonhosted.org/packages/aa/simplewheel-2.0-1-py2.py3-none-any.whl', sha256: sw.sha256, size: sw.size }),
      sw,
    ],
    [
      lockEntry({ kind: 'wheel', name: 'has.script', version: '1.0', filename: 'has.script-1.0-py2.py3-none-any.whl', uri: 'https://files.pythonhosted.org/packages/bb/has.script-1.0-py2.py3-none-any.whl', sha256: hs.sha256, size: hs.size, requires_python: '>=3.6' }),
      hs,
    ],
  ];
  const lock: Lock = { lock_version: 1, inputs_sha256: 'f'.repeat(64), artifacts: artifacts.map(([e]) => e) };
  const depFiles = new Map<Dependency, ShippedFile>([
    [manifest.dependencies[0]!, await shipped(path.join(dir, 'tool-fs4.tgz'))],
    [manifest.dependencies[1]!, await shipped(path.join(dir, 'tool-fs3.tgz'))],
  ]);
  return { root, manifest, version: '1.2.3', stack: 'stack' in o ? o.stack : 'cflinuxfs4', cached: true, lock, dependencyFiles: depFiles, artifactFiles: new Map(artifacts) };
}
