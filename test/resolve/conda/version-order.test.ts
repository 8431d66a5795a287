// Cases from conda's own suite (tests/models/test_version.py @ 23.7.4) and the
// VersionOrder docstring; the test code is ours.
import { describe, expect, it } from 'vitest';
import { VersionOrder, VersionSpec, compareVersions, treeify, buildNumberMatcher } from '../../../src/resolve/conda/version-order.js';

const vo = (s: string) => VersionOrder.parse(s);

describe('VersionOrder', () => {
  const parsed: [string, unknown[]][] = [
    ['0.4', [[0], [0], [4]]],
    ['0.4.0', [[0], [0], [4], [0]]],
    ['0.4.1a.vc11', [[0], [0], [4], [1, 'a'], [0, 'vc', 11]]],
    ['0.4.1.rc', [[0], [0], [4], [1], [0, 'rc']]],
    ['0.4.1.vc11', [[0], [0], [4], [1], [0, 'vc', 11]]],
    ['0.4.1', [[0], [0], [4], [1]]],
    ['0.5*', [[0], [0], [5, '*']]],
    ['0.5a1', [[0], [0], [5, 'a', 1]]],
    ['0.5b3', [[0], [0], [5, 'b', 3]]],
    ['0.5C1', [[0], [0], [5, 'c', 1]]],
    ['0.5z', [[0], [0], [5, 'z']]],
    ['0.5za', [[0], [0], [5, 'za']]],
    ['0.5', [[0], [0], [5]]],
    ['0.5_5', [[0], [0], [5], [5]]],
    ['0.5-5', [[0], [0], [5], [5]]],
    ['0.9.6', [[0], [0], [9], [6]]],
    ['0.960923', [[0], [0], [960923]]],
    ['1.0', [[0], [1], [0]]],
    ['1.0.4a3', [[0], [1], [0], [4, 'a', 3]]],
    ['1.0.4b1', [[0], [1], [0], [4, 'b', 1]]],
    ['1.0.4', [[0], [1], [0], [4]]],
    ['1.1dev1', [[0], [1], [1, 'DEV', 1]]],
    ['1.1_', [[0], [1], [1, '_']]],
    ['1.1a1', [[0], [1], [1, 'a', 1]]],
    ['1.1.dev1', [[0], [1], [1], [0, 'DEV', 1]]],
    ['1.1.a1', [[0], [1], [1], [0, 'a', 1]]],
    ['1.1', [[0], [1], [1]]],
    ['1.1.post1', [[0], [1], [1], [0, Infinity, 1]]],
    ['1.1.1dev1', [[0], [1], [1], [1, 'DEV', 1]]],
    ['1.1.1rc1', [[0], [1], [1], [1, 'rc', 1]]],
    ['1.1.1', [[0], [1], [1], [1]]],
    ['1.1.1post1', [[0], [1], [1], [1, Infinity, 1]]],
    ['1.1post1', [[0], [1], [1, Infinity, 1]]],
    ['2g6', [[0], [2, 'g', 6]]],
    ['2.0b1pr0', [[0], [2], [0, 'b', 1, 'pr', 0]]],
    ['2.2be.ta29', [[0], [2], [2, 'be'], [0, 'ta', 29]]],
    ['2.2be5ta29', [[0], [2], [2, 'be', 5, 'ta', 29]]],
    ['2.2beta29', [[0], [2], [2, 'beta', 29]]],
    ['2.2.0.1', [[0], [2], [2], [0], [1]]],
    ['3.1.1.6', [[0], [3], [1], [1], [6]]],
    ['3.2.p.r0', [[0], [3], [2], [0, 'p'], [0, 'r', 0]]],
    ['3.2.pr0', [[0], [3], [2], [0, 'pr', 0]]],
    ['3.2.pr.1', [[0], [3], [2], [0, 'pr'], [1]]],
    ['5.5.kw', [[0], [5], [5], [0, 'kw']]],
    ['11g', [[0], [11, 'g']]],
    ['14.3.1', [[0], [14], [3], [1]]],
    ['14.3.1.post26.g9d75ca2', [[0], [14], [3], [1], [0, Infinity, 26], [0, 'g', 9, 'd', 75, 'ca', 2]]],
    ['1996.07.12', [[0], [1996], [7], [12]]],
    ['1!0.4.1', [[1], [0], [4], [1]]],
    ['1!3.1.1.6', [[1], [3], [1], [1], [6]]],
    ['2!0.4.1', [[2], [0], [4], [1]]],
  ];

  it('splits versions into components exactly as conda does', () => {
    for (const [s, expected] of parsed) {
      expect(vo(s).version, s).toEqual(expected);
      expect(vo(s).norm).toBe(s.toLowerCase().replace(/-/g, '_'));
    }
  });

  it('sorts conda\'s reference list into the order it is written in', () => {
    const shuffled = [...parsed].reverse().map(([s]) => s);
    shuffled.sort(compareVersions);
    // equal neighbours may swap places; compare by equality class
    const want = parsed.map(([s]) => s);
    for (let i = 0; i < want.length; i++) expect(vo(shuffled[i]!).equals(vo(want[i]!)), `${shuffled[i]} vs ${want[i]}`).toBe(true);
  });

  it('orders the docstring chain from notes/conda.md section 5', () => {
    const chain =
      '0.4 < 0.4.0 < 0.4.1.rc == 0.4.1.RC < 0.4.1 < 0.5a1 < 0.5b3 < 0.5C1 < 0.5 < 0.9.6 < 0.960923 < 1.0 < 1.1dev1 < 1.1_ < 1.1a1 < 1.1.0dev1 == 1.1.dev1 < 1.1.a1 < 1.1.0rc1 < 1.1.0 == 1.1 < 1.1.0post1 == 1.1.post1 < 1.1post1 < 1996.07.12 < 1!0.4.1 < 1!3.1.1.6 < 2!0.4.1';
    const toks = chain.split(' ');
    for (let i = 1; i < toks.length - 1; i += 2) {
      const a = vo(toks[i - 1]!);
      const b = vo(toks[i + 1]!);
      const rel = toks[i];
      // 0.4 vs 0.4.0 is listed with '<' in the docstring but compares equal (fill value 0)
      if (toks[i - 1] === '0.4' && toks[i + 1] === '0.4.0') {
        expect(a.compare(b)).toBe(0);
        continue;
      }
      if (rel === '<') expect(a.compare(b), `${toks[i - 1]} < ${toks[i + 1]}`).toBeLessThan(0);
      else expect(a.compare(b), `${toks[i - 1]} == ${toks[i + 1]}`).toBe(0);
    }
  });

  it('pads trailing zeros, ignores case and keeps letters in phase', () => {
    expect(vo('  0.4.rc  ').equals(vo('0.4.RC'))).toBe(true);
    expect(vo('0.4').equals(vo('0.4.0'))).toBe(true);
    expect(vo('1.0').equals(vo('1.0.0'))).toBe(true);
    expect(vo('0.4').equals(vo('0.4.1'))).toBe(false);
    expect(vo('0.4.a1').equals(vo('0.4.0a1'))).toBe(true);
    expect(vo('0.4.a1').equals(vo('0.4.1a1'))).toBe(false);
    expect(compareVersions('2023.7.22', '3.0')).toBeGreaterThan(0);
  });

  it('rejects malformed versions', () => {
    for (const bad of ['', '  ', '3.5&1', '5.5++', '5.5..mw', '!', 'a!1.0', 'a!b!1.0', '1.2+', '+1.2', '1-2_3']) {
      expect(() => vo(bad), JSON.stringify(bad)).toThrow(/Invalid conda version/);
    }
  });

  it('implements startswith like conda', () => {
    expect(vo('0.4.1').startsWith(vo('0'))).toBe(true);
    expect(vo('0.4.1').startsWith(vo('0.4'))).toBe(true);
    expect(vo('0.4.1p1').startsWith(vo('0.4'))).toBe(true);
    expect(vo('0.4.1p1').startsWith(vo('0.4.1p'))).toBe(true);
    expect(vo('0.4.1p1').startsWith(vo('0.4.1q1'))).toBe(false);
    expect(vo('0.4').startsWith(vo('0.4.1'))).toBe(false);
    expect(vo('0.4.1+1.3').startsWith(vo('0.4.1'))).toBe(true);
    expect(vo('0.4.1+1.3').startsWith(vo('0.4.1+1'))).toBe(true);
    expect(vo('0.4.1').startsWith(vo('0.4.1+1.3'))).toBe(false);
    expect(vo('0.4.1+1').startsWith(vo('0.4.1+1.3'))).toBe(false);
  });

  it('sorts openssl-style versions with the trailing underscore first', () => {
    const openssl = ['1.0.1dev', '1.0.1_', '1.0.1a', '1.0.1b', '1.0.1c', '1.0.1d', '1.0.1r', '1.0.1rc', '1.0.1rc1', '1.0.1rc2', '1.0.1s', '1.0.1', '1.0.1post.a', '1.0.1post.b', '1.0.1post.z', '1.0.1post.za', '1.0.2'];
    const shuffled = [...openssl].sort().reverse();
    expect(shuffled.sort(compareVersions)).toEqual(openssl);
  });

  it('sorts the PEP 440 list conda keeps in its tests', () => {
    const base = ['1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456', '1.0b2.post345', '1.0c1.dev456', '1.0c1', '1.0c3', '1.0rc2', '1.0.dev456', '1.0', '1.0.post456.dev34', '1.0.post456', '1.1.dev1', '1.2.r32+123456', '1.2.rev33+123456', '1.2+abc', '1.2+abc123def', '1.2+abc123', '1.2+123abc', '1.2+123abc456', '1.2+1234.abc', '1.2+123456'];
    const all = [...base, ...base.map((v) => `1!${v}`)];
    expect([...all].reverse().sort(compareVersions)).toEqual(all);
    expect(['0.3.3', '0.3.0.dev'].sort(compareVersions)).toEqual(['0.3.0.dev', '0.3.3']);
  });
});

describe('VersionSpec', () => {
  const ev = (version: string, spec: string) => VersionSpec.parse(spec).match(version);

  it('evaluates relations, fuzzy and glob specs (conda test_ver_eval)', () => {
    expect(ev('1.7.0', '==1.7')).toBe(true);
    expect(ev('1.7.0', '<=1.7')).toBe(true);
    expect(ev('1.7.0', '<1.7')).toBe(false);
    expect(ev('1.7.0', '>=1.7')).toBe(true);
    expect(ev('1.7.0', '>1.7')).toBe(false);
    expect(ev('1.6.7', '>=1.7')).toBe(false);
    expect(ev('2013a', '>2013b')).toBe(false);
    expect(ev('2013k', '>2013b')).toBe(true);
    expect(ev('3.0.0', '>2013b')).toBe(false);
    expect(ev('1.0.0', '>1.0.0a')).toBe(true);
    expect(ev('1.0.0', '>1.0.0*')).toBe(true);
    expect(ev('1.0', '1.0*')).toBe(true);
    expect(ev('1.0.0', '1.0*')).toBe(true);
    expect(ev('1.0', '1.0.0*')).toBe(true);
    expect(ev('1.0.1', '1.0.0*')).toBe(false);
    expect(ev('2013a', '2013a*')).toBe(true);
    expect(ev('2013a', '2013b*')).toBe(false);
    expect(ev('2013ab', '2013a*')).toBe(true);
    expect(ev('1.3.4', '1.2.4*')).toBe(false);
    expect(ev('1.2.3+4.5.6', '1.2.3*')).toBe(true);
    expect(ev('1.2.3+4.5.6', '1.2.3+4*')).toBe(true);
    expect(ev('1.2.3+4.5.6', '1.2.3+5*')).toBe(false);
    expect(ev('1.2.3+4.5.6', '1.2.4+5*')).toBe(false);
  });

  it('matches 1.7.1 against conda\'s test_match table and keeps the spec text', () => {
    const table: [string, boolean][] = [
      ['1.7.*', true], ['1.7.1', true], ['1.7.0', false], ['1.7', false], ['1.5.*', false], ['>=1.5', true],
      ['!=1.5', true], ['!=1.7.1', false], ['==1.7.1', true], ['==1.7', false], ['==1.7.2', false], ['==1.7.1.0', true],
      ['1.7.*|1.8.*', true], ['>1.7,<1.8', true], ['>1.7.1,<1.8', false], ['^1.7.1$', true], ['^1\\.7\\.1$', true],
      ['^1\\.7\\.[0-9]+$', true], ['^1\\.8.*$', false], ['^1\\.[5-8]\\.1$', true], ['^[^1].*$', false],
      ['^[0-9+]+\\.[0-9+]+\\.[0-9]+$', true], ['^$', false], ['^.*$', true], ['1.7.*|^0.*$', true], ['1.6.*|^0.*$', false],
      ['1.6.*|^0.*$|1.7.1', true], ['^0.*$|1.7.1', true], ['1.6.*|^.*\\.7\\.1$|0.7.1', true], ['*', true], ['1.*.1', true],
      ['1.5.*|>1.7,<1.8', true], ['1.5.*|>1.7,<1.7.1', false],
    ];
    for (const [spec, want] of table) {
      const s = VersionSpec.parse(spec);
      expect(s.spec, spec).toBe(spec);
      expect(s.match('1.7.1'), spec).toBe(want);
    }
  });

  it('normalises the spec text like conda', () => {
    expect(VersionSpec.parse('( (1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1').spec).toBe('1.5|1.6|1.7,1.8,1.9|2.0|2.1');
    expect(VersionSpec.parse('1.7.1*').spec).toBe('1.7.1.*');
    expect(VersionSpec.parse('1.7.1').isExact).toBe(true);
    expect(VersionSpec.parse('1.7.1*').isExact).toBe(false);
    expect(VersionSpec.parse('1.7.1*,1.8.1.*').spec).toBe('1.7.1.*,1.8.1.*');
  });

  it('binds , tighter than |', () => {
    expect(treeify('1.2.3,4.5.6|<=7.8.9')).toEqual(['|', [',', '1.2.3', '4.5.6'], '<=7.8.9']);
    expect(treeify('(1.2.3|4.5.6),<=7.8.9')).toEqual([',', ['|', '1.2.3', '4.5.6'], '<=7.8.9']);
    expect(treeify('1.5|(1.6|1.7),1.8,1.9|2.0|2.1')).toEqual(['|', '1.5', [',', ['|', '1.6', '1.7'], '1.8', '1.9'], '2.0', '2.1']);
  });

  it('handles .* with != and = and in compound specs', () => {
    expect(ev('3.3.1', '=3.3')).toBe(true);
    expect(ev('3.3', '=3.3')).toBe(true);
    expect(ev('3.4', '=3.3')).toBe(false);
    expect(ev('3.3.1', '3.3.*')).toBe(true);
    expect(ev('3.4', '3.3.*')).toBe(false);
    expect(ev('3.3.1', '=3.3.*')).toBe(true);
    expect(ev('3.3.1', '!=3.3.*')).toBe(false);
    expect(ev('3.4.1', '!=3.3.*')).toBe(true);
    expect(ev('3.3.1', '!=3.3')).toBe(true);
    expect(ev('3.3.0.0', '!=3.3')).toBe(false);
    expect(ev('3.3.0.0', '!=3.3.*')).toBe(false);
    const compound = '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*';
    expect(ev('2.6.8', compound)).toBe(false);
    expect(ev('2.7.2', compound)).toBe(true);
    expect(ev('3.3', compound)).toBe(false);
    expect(ev('3.3.4', compound)).toBe(false);
    expect(ev('3.4', compound)).toBe(true);
    expect(ev('3.4a', compound)).toBe(true);
  });

  it('implements the ~= compatible release operator', () => {
    expect(ev('1.11.0', '~=1.10')).toBe(true);
    expect(ev('1.11.0', '~=1.10.0')).toBe(false);
    expect(ev('3.4.0', '~=3.3.2')).toBe(false);
    expect(ev('3.3.1', '~=3.3.2')).toBe(false);
    expect(ev('3.3.2.0', '~=3.3.2')).toBe(true);
    expect(ev('3.3.3', '~=3.3.2')).toBe(true);
    expect(ev('2.2.0', '~=3.3.2|==2.2')).toBe(true);
    expect(ev('3.3.3', '~=3.3.2|==2.2')).toBe(true);
    expect(ev('2.2.1', '~=3.3.2|==2.2')).toBe(false);
  });

  it('compares python-style openssl pins', () => {
    expect(ev('1.0.1_', '>=1.0.1_')).toBe(true);
    expect(ev('1.0.1_', '>=1.0.1')).toBe(false);
    expect(ev('1.1.1w', '>=1.1.1q,<1.1.2a')).toBe(true);
    expect(ev('3.9.18', '>=3.9,<3.10.0a0')).toBe(true);
    expect(ev('3.10.0', '>=3.9,<3.10.0a0')).toBe(false);
  });

  it('rejects malformed specs', () => {
    for (const bad of ['(1.5', '1.5)', '1.5||1.6', '^1.5', '><2.4.5', '!!2.4.5', '!', '~', '^', '1.2+', '+1.2', '+1.2+', '++', 'c +, 0/|0 *', 'a[version=)|(', 'a=)(=b', '==', '=', '>=', '<=', '~=3.3.2.*', '===3.3.2']) {
      expect(() => VersionSpec.parse(bad), bad).toThrow(/Invalid conda version/);
    }
  });

  // found by the MatchSpec fuzz property (seed 20261123, 5,000 runs): `a *\` threw a bare SyntaxError
  it('reads every character of an inner glob but * literally', () => {
    expect(VersionSpec.parse('*\\').match('1.0')).toBe(false);
    expect(VersionSpec.parse('1.*[').match('1.2[')).toBe(true);
    expect(VersionSpec.parse('1.*.1').match('1.22.1')).toBe(true);
    expect(VersionSpec.parse('1.*.1').match('1.22x1')).toBe(false);
  });
});

describe('buildNumberMatcher', () => {
  it('matches exact, relational and wildcard build numbers', () => {
    expect(buildNumberMatcher('7').match(7)).toBe(true);
    expect(buildNumberMatcher('<8').match(7)).toBe(true);
    expect(buildNumberMatcher('>7').match(7)).toBe(false);
    expect(buildNumberMatcher('>=7').match(7)).toBe(true);
    expect(buildNumberMatcher('*').match(0)).toBe(true);
    expect(buildNumberMatcher(3).match(4)).toBe(false);
  });
});
