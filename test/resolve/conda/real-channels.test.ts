// The solver on real channel excerpts (pkgs/main 2018, pkgs/r 2018, the old
// `free` channel: fixtures/upstream/conda/snapshots-2018/) against answers real
// conda 23.7.4 gave on the whole channels (conda-23.7.4-answers.json): the R
// set the old backjumping search gave up on, old-style `features` (nomkl), and
// the md5-only `free` channel. Runs without conda; conda-oracle.test.ts
// re-asks conda itself when CONDA_CLIENT is set.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackInfo, type StackInfo } from '../../../src/core/stacks.js';
import { IndexedRecordSource, type SubdirIndex } from '../../../src/resolve/conda/record-source.js';
import { RepodataIndex } from '../../../src/resolve/conda/repodata.js';
import { virtualPackages } from '../../../src/resolve/conda/select.js';
import { solve } from '../../../src/resolve/conda/solver.js';
import { UPSTREAM } from '../../helpers/paths.js';

const SNAP = path.join(UPSTREAM, 'conda/snapshots-2018');
interface Case {
  excerpt: string;
  channels: string[];
  specs: string[];
  conda: string[];
}
const ANSWERS = JSON.parse(readFileSync(path.join(SNAP, 'conda-23.7.4-answers.json'), 'utf8')) as { cases: Case[] };

let root = '';
const opened: RepodataIndex[] = [];
beforeAll(async () => {
  // one extraction for the whole file (tempDir() dirs go after each test)
  root = await mkdtemp(path.join(os.tmpdir(), 'excerpts-'));
  execFileSync('tar', ['-xJf', path.join(SNAP, 'excerpts.tar.xz'), '-C', root]);
});
afterAll(async () => {
  while (opened.length) await opened.pop()!.close();
  await rm(root, { recursive: true, force: true });
});

/** The real excerpt channels of one case, linux-64 + noarch, in channel order. */
async function excerptSource(excerpt: string, channels: string[]): Promise<IndexedRecordSource> {
  const subdirs: SubdirIndex[] = [];
  for (const [channelIndex, name] of channels.entries()) {
    const dir = path.join(root, excerpt, name);
    for (const subdir of ['linux-64', 'noarch']) {
      const file = path.join(dir, subdir, 'repodata.json');
      const index = await RepodataIndex.open(file, subdir);
      opened.push(index);
      subdirs.push({ channel: { url: `file://${dir}`, names: [name] }, channelIndex, subdir, repodataUrl: `file://${file}`, index });
    }
  }
  return new IndexedRecordSource(subdirs, virtualPackages([stackInfo('cflinuxfs4') as StackInfo]));
}

const dist = (r: { name: string; version: string; build: string }) => `${r.name}-${r.version}-${r.build}`;
const find = (specs: string) => ANSWERS.cases.find((c) => c.specs.join(' ') === specs)!;

describe('the solver on real 2018 channels, against conda 23.7.4', () => {
  for (const c of ANSWERS.cases) {
    it(`${c.specs.join(' ')} on ${c.channels.join(' + ')}: conda's ${c.conda.length} packages`, async () => {
      const chosen = await solve(c.specs, await excerptSource(c.excerpt, c.channels));
      expect(chosen.map(dist).sort()).toEqual(c.conda);
    }, 60_000);
  }

  it('solves the R set with r/mro variants that the backjumping search gave up on', async () => {
    const c = find('r-base=3.4.3 r-caret');
    const chosen = await solve(c.specs, await excerptSource(c.excerpt, c.channels));
    expect(chosen.find((r) => r.name === '_r-mutex')!.build).toMatch(/^anacondar/);
    expect(chosen.some((r) => r.name === 'mro-base')).toBe(false);
  }, 60_000);

  it('follows old-style features: with nomkl, the nomkl numpy build and no MKL', async () => {
    const c = find('nomkl numpy');
    const chosen = await solve(c.specs, await excerptSource('free-nomkl', ['free2017']));
    const numpy = chosen.find((r) => r.name === 'numpy')!;
    expect(numpy.features).toBe('nomkl');
    expect(chosen.some((r) => r.name === 'mkl')).toBe(false);
    // and without nomkl the MKL build, as conda picks
    const plain = await solve(['numpy'], await excerptSource('free-nomkl', ['free2017']));
    expect(plain.some((r) => r.name === 'mkl')).toBe(true);
  }, 60_000);

  it('reads the md5-only free channel (no sha256 in its records) and picks python 3.6 for pandas, as conda', async () => {
    const chosen = await solve(['pandas'], await excerptSource('free-nomkl', ['free2017']));
    expect(chosen.every((r) => r.md5 && !r.sha256)).toBe(true);
    expect(chosen.find((r) => r.name === 'python')!.version).toBe('3.6.2');
  }, 60_000);

  it('gives up with ERESOLVE when the conflict budget runs out', async () => {
    const c = find('r-base=3.4.3 r-caret');
    await expect(solve(c.specs, await excerptSource(c.excerpt, c.channels), { maxConflicts: 1 })).rejects.toMatchObject({ code: 'ERESOLVE', message: expect.stringMatching(/gave up after 1 conflicts/) });
  }, 60_000);
});
