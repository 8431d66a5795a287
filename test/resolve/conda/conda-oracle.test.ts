// Real conda (23.7.4, classic solver) as the oracle: the same specs on the
// same fixture channels must give the same files. Needs CONDA_CLIENT
// (docs/TESTING.md); skipped with a message otherwise. conda runs hermetically: its own HOME,
// empty condarc, temp package cache, file:// channels only, glibc 2.35 (cflinuxfs4).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { solve } from '../../../src/resolve/conda/solver.js';
import { CONDA_CLIENT, warnIfNoCondaClient } from '../../helpers/conda-client.js';
import { FIXTURES } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { fixtureSource } from './fixture-source.js';

const CONDA = CONDA_CLIENT;
warnIfNoCondaClient('the real-conda oracle comparisons are');

const run = promisify(execFile);

/** The files conda would install, or the exception name when it cannot solve. */
async function condaSolve(specs: string[], channels: string[]): Promise<string[] | string> {
  const home = await tempDir('conda-oracle-');
  writeFileSync(path.join(home, 'condarc'), '');
  const args = ['create', '--dry-run', '--json', '--override-channels', ...channels.flatMap((c) => ['-c', `file://${path.join(FIXTURES, 'conda', c)}`]), '-p', path.join(home, 'env'), ...specs];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, CONDARC: path.join(home, 'condarc'), CONDA_PKGS_DIRS: path.join(home, 'pkgs'), CONDA_OVERRIDE_GLIBC: '2.35', CONDA_OVERRIDE_CUDA: '' };
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

describe.skipIf(!CONDA)('the solver agrees with real conda 23.7.4', () => {
  for (const [specs, channels = ['channel-a']] of scenarios) {
    it(`${specs.join(' ')} on ${channels.join(' + ')}`, async () => {
      const [theirs, ours] = await Promise.all([condaSolve(specs, channels), ourSolve(specs, channels)]);
      expect(ours).toEqual(theirs);
    }, 60_000);
  }
});
