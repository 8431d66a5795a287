// Real conda (23.7.4, classic solver) as the oracle: the same specs on the
// same fixture channels must give the same files. Needs CONDA_CLIENT
// (docs/TESTING.md); skipped with a message otherwise. conda runs hermetically: its own HOME,
// empty condarc, temp package cache, file:// channels only, glibc 2.35 (cflinuxfs4).
import { execFileSync, execFile as execFileCb } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackInfo, type StackInfo } from '../../../src/core/stacks.js';
import { parseEnvFile } from '../../../src/resolve/conda/env-files.js';
import { IndexedRecordSource, type SubdirIndex } from '../../../src/resolve/conda/record-source.js';
import { RepodataIndex } from '../../../src/resolve/conda/repodata.js';
import { virtualPackages } from '../../../src/resolve/conda/select.js';
import { solve } from '../../../src/resolve/conda/solver.js';
import { CONDA_CLIENT, isolatedCondaEnv, warnIfNoCondaClient } from '../../helpers/conda-client.js';
import { FIXTURES, UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { fixtureSource } from './fixture-source.js';

const CONDA = CONDA_CLIENT;
warnIfNoCondaClient('the real-conda oracle comparisons are');

const run = promisify(execFileCb);

/** The files conda would install, or the exception name when it cannot solve. */
async function condaSolve(specs: string[], channels: string[], base = path.join(FIXTURES, 'conda')): Promise<string[] | string> {
  const home = await tempDir('conda-oracle-');
  writeFileSync(path.join(home, 'condarc'), '');
  const args = ['create', '--dry-run', '--json', '--override-channels', ...channels.flatMap((c) => ['-c', `file://${path.join(base, c)}`]), '-p', path.join(home, 'env'), ...specs];
  // no current_repodata.json in these channels: going straight to repodata.json gives the same answer, 5-10x sooner
  const env = {
    ...isolatedCondaEnv(home),
    CONDA_SUBDIR: 'linux-64',
    CONDA_REPODATA_FNS: 'repodata.json',
  };
  let stdout: string;
  try {
    ({ stdout } = await run(CONDA!, args, { env, maxBuffer: 16 << 20 }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  const doc = JSON.parse(stdout) as { actions?: { LINK?: { dist_name: string }[]; FETCH?: { fn: string }[] }; exception_name?: string };
  if (!doc.actions) return doc.exception_name ?? 'failure';
  const fetch = doc.actions.FETCH ?? [];
  return (doc.actions.LINK ?? []).map((l) => fetch.find((f) => f.fn.startsWith(`${l.dist_name}.`))?.fn ?? l.dist_name).sort();
}

/** The real 2018 excerpts (fixtures/upstream/conda/snapshots-2018/excerpts.tar.xz), unpacked. */
async function excerpts(): Promise<string> {
  const dir = await tempDir('excerpts-');
  execFileSync('tar', ['-xJf', path.join(UPSTREAM, 'conda/snapshots-2018/excerpts.tar.xz'), '-C', dir]);
  return dir;
}

async function ourExcerptSolve(dir: string, specs: string[], channels: string[]): Promise<string[] | string> {
  const subdirs: SubdirIndex[] = [];
  for (const [channelIndex, name] of channels.entries()) {
    for (const subdir of ['linux-64', 'noarch']) {
      const file = path.join(dir, name, subdir, 'repodata.json');
      const index = await RepodataIndex.open(file, subdir);
      subdirs.push({ channel: { url: `file://${path.join(dir, name)}`, names: [name] }, channelIndex, subdir, repodataUrl: `file://${file}`, index });
    }
  }
  try {
    return (await solve(specs, new IndexedRecordSource(subdirs, virtualPackages([stackInfo('cflinuxfs4') as StackInfo])))).map((r) => r.fn).sort();
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ERESOLVE' ? 'UnsatisfiableError' : code === 'ENOMATCH' || code === 'ENOTFOUND' ? 'PackagesNotFoundError' : String(err);
  } finally {
    for (const s of subdirs) await s.index.close();
  }
}

async function ourSolve(specs: string[], channels: string[]): Promise<string[] | string> {
  try {
    return (await solve(specs, await fixtureSource(channels, 'cflinuxfs4'))).map((r) => r.fn).sort();
  } catch (err) {
    return (err as { code?: string }).code === 'ERESOLVE' ? 'UnsatisfiableError' : String(err);
  }
}

const scenarios: [string[], string[]?][] = [
  [['dia-app']],
  [['bt-a', 'bt-b']],
  [['bt-top']],
  [['con-y', 'con-x']],
  [['con-z']],
  [['tf-app']],
  [['tf-lib']],
  [['tw-pkg', 'tw-old']],
  [['mix-pure', 'mix-both', 'mix-nb']],
  [['vo-pkg', 'ep-pkg', 'ts-pkg']],
  [['vp-lib', 'vp-gpu']],
  [['cp-only-b'], ['channel-a', 'channel-b']],
  [['cp-pkg'], ['channel-b', 'channel-a']],
  [['un-alpha']],
];

describe.skipIf(!CONDA)('the solver agrees with real conda 23.7.4 on real 2018 channels', () => {
  const real: [string, string[], string[]][] = [
    ['free-nomkl', ['nomkl', 'numpy'], ['free2017']],
    ['free-nomkl', ['pandas'], ['free2017']],
    ['main-nomkl', ['nomkl', 'scipy'], ['main2018']],
    ['main-nomkl', ['numpy=1.9'], ['main2018']],
  ];
  for (const [excerpt, specs, channels] of real) {
    it(`${specs.join(' ')} on ${channels.join(' + ')}`, async () => {
      const dir = path.join(await excerpts(), excerpt);
      const [theirs, ours] = await Promise.all([condaSolve(specs, channels, dir), ourExcerptSolve(dir, specs, channels)]);
      expect(ours).toEqual(theirs);
    }, 300_000);
  }

  it('reads a `conda create --file` list as conda does (`python=3.6` is exactly 3.6)', async () => {
    const dir = path.join(await excerpts(), 'main-nomkl');
    for (const text of ['python=3.6.*\nnumpy>=1.14\n', 'python=3.6\nnumpy\n']) {
      const file = path.join(dir, 'spec-file.txt');
      writeFileSync(file, text);
      const input = parseEnvFile(file, text);
      const specs = input.kind === 'specs' ? input.specs.map((x) => x.spec) : [];
      const [theirs, ours] = await Promise.all([condaSolve(['--file', file], ['main2018'], dir), ourExcerptSolve(dir, specs, ['main2018'])]);
      expect(ours).toEqual(theirs);
    }
  }, 300_000);
});

describe.skipIf(!CONDA)('the solver agrees with real conda 23.7.4', () => {
  for (const [specs, channels = ['channel-a']] of scenarios) {
    it(`${specs.join(' ')} on ${channels.join(' + ')}`, async () => {
      const [theirs, ours] = await Promise.all([condaSolve(specs, channels), ourSolve(specs, channels)]);
      expect(ours).toEqual(theirs);
    }, 60_000);
  }
});
