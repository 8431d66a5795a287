// The candidate filter as a pure function of (needs, files, target): which
// file of which version a set of requirements gets, or why none.
import { describe, expect, it } from 'vitest';
import { filterCandidates, offerFor } from '../../../src/resolve/pypi/candidates.js';
import { parseSpecifierSet } from '../../../src/resolve/pypi/pep440.js';
import { makeTarget } from '../../../src/resolve/pypi/resolver.js';
import type { IndexFile } from '../../../src/resolve/pypi/simple-index.js';
import { glibcPlatforms } from '../../../src/resolve/pypi/wheel-tags.js';

const fs4 = makeTarget({ pythonVersion: '3.11', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 35]), stacks: ['cflinuxfs4'] });
const file = (filename: string, extra: Partial<IndexFile> = {}): IndexFile => ({ filename, url: `https://files.example/${filename}`, hashes: {}, yanked: false, coreMetadata: false, ...extra });
const pick = (specs: string[], files: IndexFile[], opts: { pre?: boolean; hashes?: ReadonlySet<string> } = {}) => {
  const r = filterCandidates('demo', specs.map((s) => parseSpecifierSet(s)), files, fs4, opts);
  return 'candidates' in r ? r.candidates.map((c) => c.file.filename) : r.failure;
};

const FILES = [
  file('demo-1.0.tar.gz'),
  file('demo-1.0-py3-none-any.whl'),
  file('demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl'),
  file('demo-2.0-py3-none-any.whl'),
  file('demo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl'),
  file('demo-3.0-cp311-cp311-win_amd64.whl'),
  file('demo-3.0.tar.gz'),
  file('demo-4.0b1-py3-none-any.whl'),
  file('demo-5.0-py3-none-any.whl', { requiresPython: '>=3.12' }),
  file('demo-6.0-py3-none-any.whl', { yanked: true, yankedReason: 'oops' }),
  file('other-9.0-py3-none-any.whl'),
];

describe('filterCandidates (needs, files, target)', () => {
  it('keeps one file per version, best first: versions with a wheel newest first, then sdist-only versions', () => {
    expect(pick([], FILES)).toEqual([
      'demo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl', // the best tag, then the higher build tag
      'demo-1.0-py3-none-any.whl',
      'demo-3.0.tar.gz', // no wheel for the target: the sdist, after every version with a wheel
    ]);
  });

  it('applies the specifiers of every need together', () => {
    expect(pick(['>=1.0', '<3'], FILES)).toEqual(['demo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl', 'demo-1.0-py3-none-any.whl']);
    expect(pick(['==1.0'], FILES)).toEqual(['demo-1.0-py3-none-any.whl']);
  });

  it('takes a pre-release when a specifier names one, with --pre, or when nothing else satisfies (pip 26)', () => {
    expect(pick(['>=4.0b1'], FILES)).toEqual(['demo-4.0b1-py3-none-any.whl']);
    expect(pick(['>=3.5'], FILES, { pre: true })).toEqual(['demo-4.0b1-py3-none-any.whl']);
    // without --pre the yanked 6.0 is the final release that matches: pip then takes no pre-release, and no yanked file
    expect(pick(['>=3.5'], FILES)).toMatchObject({ why: 'yanked' });
    expect(pick(['>3', '<5'], FILES)).toEqual(['demo-4.0b1-py3-none-any.whl']);
    expect(pick(['>=2'], FILES)).toEqual(['demo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl', 'demo-3.0.tar.gz']);
  });

  it('takes a yanked release only when pinned with ==, and says so otherwise', () => {
    expect(pick(['==6.0'], FILES)).toEqual(['demo-6.0-py3-none-any.whl']);
    expect(pick(['>=6'], FILES)).toEqual({ why: 'yanked', yanked: ['6.0 (yanked: oops)'], example: 'demo==6.0' });
  });

  it('explains an empty result with the first filter that leaves nothing, in pip\'s order', () => {
    expect(pick(['>=7'], FILES)).toEqual({ why: 'no-match', available: ['1.0', '2.0', '3.0', '4.0b1', '5.0', '6.0'] });
    expect(pick(['==5.0'], FILES)).toEqual({ why: 'python', needs: ['5.0 needs Python >=3.12'] });
    expect(pick(['==3.0'], [file('demo-3.0-cp311-cp311-win_amd64.whl')])).toMatchObject({ why: 'no-wheel', newest: '3.0', seen: ['cp311-cp311-win_amd64'] });
    const allowed = new Set(['f'.repeat(64)]);
    expect(pick([], [file('demo-1.0-py3-none-any.whl', { hashes: { sha256: 'e'.repeat(64) } })], { hashes: allowed })).toMatchObject({ why: 'hash' });
  });

  it('offers what the target can install whatever the requirements: usable files, one per version, ascending', () => {
    const offer = offerFor('demo', FILES, fs4);
    expect(offer.versions.map((o) => [o.candidate.file.filename, o.yanked])).toEqual([
      ['demo-1.0-py3-none-any.whl', false],
      ['demo-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl', false],
      ['demo-3.0.tar.gz', false],
      ['demo-4.0b1-py3-none-any.whl', false],
      ['demo-6.0-py3-none-any.whl', true],
    ]);
  });
});
