import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../../src/core/errors.js';
import { solve, verifyClosed } from '../../../src/resolve/conda/solver.js';
import type { SolverRecord } from '../../../src/resolve/conda/select.js';
import { fixtureSource } from './fixture-source.js';

const fns = (rs: SolverRecord[]) => rs.map((r) => r.fn);

async function solveFns(specs: string[], channels?: string[], stack?: string) {
  return fns(await solve(specs, await fixtureSource(channels, stack)));
}

async function failure(specs: string[], channels?: string[]): Promise<PackagerError> {
  try {
    await solve(specs, await fixtureSource(channels));
  } catch (err) {
    if (err instanceof PackagerError) return err;
    throw err;
  }
  throw new Error('expected the solve to fail');
}

describe('conda solver on the fixture channels', () => {
  it('meets a diamond where both sides accept only one base version', async () => {
    expect(await solveFns(['dia-app'])).toEqual(['dia-app-1.0-0.tar.bz2', 'dia-base-2.0-0.tar.bz2', 'dia-left-1.0-0.tar.bz2', 'dia-right-1.0-0.tar.bz2']);
  });

  it('backtracks from the newest bt-a when a later package rules its bt-c out', async () => {
    expect(await solveFns(['bt-a', 'bt-b'])).toEqual(['bt-a-1.0-0.tar.bz2', 'bt-b-1.0-0.tar.bz2', 'bt-c-1.1-0.tar.bz2', 'bt-x-1.2-0.tar.bz2']);
    expect(await solveFns(['bt-top'])).toEqual(['bt-a-1.0-0.tar.bz2', 'bt-b-1.0-0.tar.bz2', 'bt-c-1.1-0.tar.bz2', 'bt-top-1.0-0.tar.bz2', 'bt-x-1.2-0.tar.bz2']);
  });

  it('honours constrains of selected records without installing what they name', async () => {
    expect(await solveFns(['con-x'])).toEqual(['con-x-1.0-0.tar.bz2']);
    expect(await solveFns(['con-x', 'con-y'])).toEqual(['con-x-1.0-0.tar.bz2', 'con-y-1.0-0.tar.bz2']);
    // con-y is chosen first (2.0), then con-x's constrains forces a step back
    expect(await solveFns(['con-y', 'con-x'])).toEqual(['con-x-1.0-0.tar.bz2', 'con-y-1.0-0.tar.bz2']);
    expect(await solveFns(['con-z'])).toEqual(['con-x-1.0-0.tar.bz2', 'con-y-1.0-0.tar.bz2', 'con-z-1.0-0.tar.bz2']);
  });

  it('de-prioritises track_features for dependencies but not the version of a requested package', async () => {
    expect(await solveFns(['tf-app'])).toEqual(['tf-app-1.0-0.tar.bz2', 'tf-blas-1.0-openblas_0.tar.bz2', 'tf-lib-1.0-0.tar.bz2']);
    expect(await solveFns(['tf-lib'])).toEqual(['tf-lib-2.0-debug_0.tar.bz2']);
    expect(await solveFns(['tf-blas'])).toEqual(['tf-blas-1.0-openblas_0.tar.bz2']);
  });

  it('prefers the .conda file of a build listed in both formats', async () => {
    expect(await solveFns(['tw-pkg', 'tw-old'])).toEqual(['tw-old-1.0-0.tar.bz2', 'tw-pkg-1.0-0.conda']);
  });

  it('mixes noarch and linux-64 records and prefers arch builds only on a tie', async () => {
    const pure = await solve(['mix-pure'], await fixtureSource());
    expect(pure.map((r) => `${r.subdir}/${r.fn}`)).toEqual(['noarch/mix-pure-1.0-pyh_0.tar.bz2', 'linux-64/mix-py-3.11.0-0.tar.bz2']);
    expect(pure[0]!.url).toMatch(/fixtures\/conda\/channel-a\/noarch\/mix-pure-1.0-pyh_0.tar.bz2$/);
    expect(await solveFns(['mix-both'])).toEqual(['mix-both-1.0-0.tar.bz2']);
    expect(await solveFns(['mix-nb'])).toEqual(['mix-nb-1.0-pyh_1.tar.bz2']);
  });

  it('orders versions like conda: dev after pre-release, epochs first, then newest timestamp', async () => {
    expect(await solveFns(['vo-pkg'])).toEqual(['vo-pkg-1.1.dev1-0.tar.bz2']);
    expect(await solveFns(['vo-pkg<1.1.dev0'])).toEqual(['vo-pkg-1.1a1-0.tar.bz2']);
    expect(await solveFns(['vo-pkg=1.0'])).toEqual(['vo-pkg-1.0.1-0.tar.bz2']);
    expect(await solveFns(['vo-pkg==1.0'])).toEqual(['vo-pkg-1.0-0.tar.bz2']);
    expect(await solveFns(['ep-pkg'])).toEqual(['ep-pkg-1!0.1-0.tar.bz2']);
    expect(await solveFns(['ts-pkg'])).toEqual(['ts-pkg-1.0-b_0.tar.bz2']);
  });

  it('satisfies __glibc from the stack and never picks a CUDA build', async () => {
    expect(await solveFns(['vp-lib'], undefined, 'cflinuxfs4')).toEqual(['vp-lib-1.0-old_0.tar.bz2']);
    expect(await solveFns(['vp-lib'], undefined, 'cflinuxfs5')).toEqual(['vp-lib-1.0-new_1.tar.bz2']);
    expect(await solveFns(['vp-gpu'])).toEqual(['vp-gpu-0.9-cpu_0.tar.bz2']);
    const err = await failure(['vp-gpu=1.0']);
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toContain('vp-gpu 1.0 requires __cuda >=11.8, which the target stack does not provide');
  });

  it('ranks channels first, and a channel:: spec picks another', async () => {
    expect(await solveFns(['cp-pkg'], ['channel-a', 'channel-b'])).toEqual(['cp-pkg-1.0-0.tar.bz2']);
    const r = await solve(['cp-only-b'], await fixtureSource(['channel-a', 'channel-b']));
    expect(r.map((x) => `${x.channel.names[0]}:${x.fn}`)).toEqual(['channel-b:cp-only-b-1.0-0.tar.bz2', 'channel-a:cp-pkg-1.0-0.tar.bz2']);
    expect(await solveFns(['channel-b::cp-pkg'], ['channel-a', 'channel-b'])).toEqual(['cp-pkg-2.0-0.tar.bz2']);
    expect(await solveFns(['cp-pkg'], ['channel-b', 'channel-a'])).toEqual(['cp-pkg-2.0-0.tar.bz2']);
  });

  it('explains an unsatisfiable chain down to the missing provider', async () => {
    const err = await failure(['un-alpha']);
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe(
      'Cannot resolve the conda specs: un-alpha (spec) -> un-alpha 1.0 requires un-gamma >=3 -> un-gamma 3.0 requires un-delta >=1, which no configured channel provides',
    );
    expect(err.details.found).toMatch(/channel-a \(linux-64, noarch\)/);
  });

  it('names both sides of a version conflict, whatever the order of the specs', async () => {
    const err = await failure(['un-p', 'un-q>=1']);
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe('Cannot resolve the conda specs: no record of un-p fits: un-p 1.0 requires un-q <1, which conflicts with un-q>=1 (spec)');
    const err2 = await failure(['un-q>=1', 'un-p']);
    expect(err2.message).toBe(err.message);
    const err3 = await failure(['dia-app', 'dia-base=3']);
    expect(err3.message).toMatch(/dia-base>=1,<3|dia-base >=1,<3/);
  });

  it('reports an unknown package as ENOTFOUND and an absent version as ENOMATCH', async () => {
    const nf = await failure(['no-such-pkg']);
    expect(nf.code).toBe('ENOTFOUND');
    expect(nf.message).toBe('Package not found in the configured channels: no-such-pkg');
    const nm = await failure(['dia-base>=9']);
    expect(nm.code).toBe('ENOMATCH');
    expect(nm.details.found).toContain('dia-base versions 3.0, 2.0, 1.0');
  });

  it('rejects malformed specs as input errors', async () => {
    const err = await failure(['dia-base >=']);
    expect(err.code).toBe('EINPUT');
  });
});

describe('verifyClosed', () => {
  it('accepts a closed set and names each gap and who needs it', async () => {
    const src = await fixtureSource();
    const dia = await solve(['dia-app'], src);
    expect(() => verifyClosed(dia, [], 'env.txt')).not.toThrow();
    const withoutBase = dia.filter((r) => r.name !== 'dia-base');
    try {
      verifyClosed(withoutBase, [], 'env.txt');
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as PackagerError).code).toBe('ERESOLVE');
      expect((err as PackagerError).message).toBe('The environment in env.txt is not complete: dia-left 1.0 requires dia-base >=1,<3, which env.txt does not list');
      expect((err as PackagerError).details.chains).toHaveLength(2);
    }
  });

  it('checks constrains against the records present', async () => {
    const src = await fixtureSource();
    const x = (await src.records('con-x'))[0]!;
    const y2 = (await src.records('con-y')).find((r) => r.version === '2.0')!;
    expect(() => verifyClosed([x, y2], [], 'env.txt')).toThrow(/con-x 1.0 constrains con-y <2, but env.txt has con-y 2.0/);
  });
});
