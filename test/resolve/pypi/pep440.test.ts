import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  filterVersions,
  formatVersion,
  matchesSpecifier,
  parseSpecifier,
  parseSpecifierSet,
  parseVersion,
  publicVersion,
  baseVersion,
  setContains,
  specifierAllowsPrereleases,
  tryParseVersion,
} from '../../../src/resolve/pypi/pep440.js';

// Tables below are taken from pypa/packaging's own test-suite (tests/test_version.py
// and tests/test_specifiers.py at tag 24.0, the semantics pip 23-25 vendor);
// the test code is ours.

// Must be in ascending order.
const VERSIONS = [
  '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456',
  '1.0b2.post345', '1.0b2-346', '1.0c1.dev456', '1.0c1', '1.0rc2', '1.0c3', '1.0', '1.0.post456.dev34', '1.0.post456',
  '1.1.dev1', '1.2+123abc', '1.2+123abc456', '1.2+abc', '1.2+abc123', '1.2+abc123def', '1.2+1234.abc', '1.2+123456',
  '1.2.r32+123456', '1.2.rev33+123456',
  '1!1.0.dev456', '1!1.0a1', '1!1.0a2.dev456', '1!1.0a12.dev456', '1!1.0a12', '1!1.0b1.dev456', '1!1.0b2',
  '1!1.0b2.post345.dev456', '1!1.0b2.post345', '1!1.0b2-346', '1!1.0c1.dev456', '1!1.0c1', '1!1.0rc2', '1!1.0c3', '1!1.0',
  '1!1.0.post456.dev34', '1!1.0.post456', '1!1.1.dev1', '1!1.2+123abc', '1!1.2+123abc456', '1!1.2+abc', '1!1.2+abc123',
  '1!1.2+abc123def', '1!1.2+1234.abc', '1!1.2+123456', '1!1.2.r32+123456', '1!1.2.rev33+123456',
];

const NORMALIZED: [string, string][] = [
  ['1.0dev', '1.0.dev0'], ['1.0.dev', '1.0.dev0'], ['1.0dev1', '1.0.dev1'], ['1.0-dev', '1.0.dev0'], ['1.0-dev1', '1.0.dev1'],
  ['1.0DEV', '1.0.dev0'], ['1.0.DEV1', '1.0.dev1'], ['1.0-DEV1', '1.0.dev1'],
  ['1.0a', '1.0a0'], ['1.0.a', '1.0a0'], ['1.0.a1', '1.0a1'], ['1.0-a', '1.0a0'], ['1.0-a1', '1.0a1'], ['1.0alpha', '1.0a0'],
  ['1.0.alpha1', '1.0a1'], ['1.0-ALPHA1', '1.0a1'], ['1.0A', '1.0a0'],
  ['1.0b', '1.0b0'], ['1.0.b1', '1.0b1'], ['1.0beta', '1.0b0'], ['1.0-BETA1', '1.0b1'],
  ['1.0c', '1.0rc0'], ['1.0.c1', '1.0rc1'], ['1.0rc', '1.0rc0'], ['1.0-rc1', '1.0rc1'], ['1.0C', '1.0rc0'], ['1.0.RC1', '1.0rc1'],
  ['1.0post', '1.0.post0'], ['1.0.post', '1.0.post0'], ['1.0post1', '1.0.post1'], ['1.0-post1', '1.0.post1'], ['1.0POST', '1.0.post0'],
  ['1.0r', '1.0.post0'], ['1.0rev', '1.0.post0'], ['1.0.r1', '1.0.post1'], ['1.0.rev1', '1.0.post1'], ['1.0-5', '1.0.post5'],
  ['1.0-r5', '1.0.post5'], ['1.0-rev5', '1.0.post5'],
  ['1.0+AbC', '1.0+abc'], ['1.01', '1.1'], ['1.0a05', '1.0a5'], ['1.0b07', '1.0b7'], ['1.0c056', '1.0rc56'], ['1.0rc09', '1.0rc9'],
  ['1.0.post000', '1.0.post0'], ['1.1.dev09000', '1.1.dev9000'], ['00!1.2', '1.2'], ['0100!0.0', '100!0.0'],
  ['v1.0', '1.0'], ['   v1.0\t\n', '1.0'], ['0!1.0.4+8.0', '1.0.4+8.0'], ['7!1.0b2.post345.dev456', '7!1.0b2.post345.dev456'],
];

describe('PEP 440 versions', () => {
  it('orders the packaging test-suite versions exactly', () => {
    const parsed = VERSIONS.map(parseVersion);
    for (let i = 0; i < parsed.length; i++) {
      for (let j = 0; j < parsed.length; j++) {
        expect(Math.sign(compareVersions(parsed[i]!, parsed[j]!)), `${VERSIONS[i]} vs ${VERSIONS[j]}`).toBe(Math.sign(i - j));
      }
    }
  });

  it.each(NORMALIZED)('normalises %j to %s', (input, expected) => {
    expect(formatVersion(parseVersion(input))).toBe(expected);
  });

  it.each(['french toast', '1.0+a+', '1.0++', '1.0+_foobar', '1.0+foo&asd', '1.0+1+1', '', '1..0'])('rejects %j', (v) => {
    expect(tryParseVersion(v)).toBeUndefined();
  });

  it('treats rc and c as the same pre-release and ignores trailing zeros', () => {
    expect(compareVersions(parseVersion('1.0rc1'), parseVersion('1.0c1'))).toBe(0);
    expect(compareVersions(parseVersion('1.0'), parseVersion('1.0.0.0'))).toBe(0);
    expect(compareVersions(parseVersion('1.0+1'), parseVersion('1.0'))).toBeGreaterThan(0);
  });

  it('compares numbers beyond 2^53 exactly', () => {
    expect(compareVersions(parseVersion('1.9007199254740993'), parseVersion('1.9007199254740992'))).toBeGreaterThan(0);
  });

  it('gives public and base versions', () => {
    expect(publicVersion(parseVersion('1!1.0a1.post5.dev6+deadbeef'))).toBe('1!1.0a1.post5.dev6');
    expect(baseVersion(parseVersion('1!1.0a1.post5.dev6+deadbeef'))).toBe('1!1.0');
    expect(baseVersion(parseVersion('1.0rc4'))).toBe('1.0');
  });
});

const SPEC_TRUE: [string, string][] = [
  ['2.0', '==2'], ['2.0', '==2.0'], ['2.0', '==2.0.0'], ['2.0+deadbeef', '==2'], ['2.0+deadbeef', '==2.0'], ['2.0+deadbeef', '==2.0.0'],
  ['2.0+deadbeef', '==2+deadbeef'], ['2.0+deadbeef', '==2.0+deadbeef'], ['2.0+deadbeef', '==2.0.0+deadbeef'], ['2.0+deadbeef.0', '==2.0.0+deadbeef.00'],
  ['2.dev1', '==2.*'], ['2a1', '==2.*'], ['2a1.post1', '==2.*'], ['2b1', '==2.*'], ['2b1.dev1', '==2.*'], ['2c1', '==2.*'],
  ['2c1.post1.dev1', '==2.*'], ['2c1.post1.dev1', '==2.0.*'], ['2rc1', '==2.*'], ['2rc1', '==2.0.*'], ['2', '==2.*'], ['2', '==2.0.*'],
  ['2', '==0!2.*'], ['0!2', '==2.*'], ['2.0', '==2.*'], ['2.0.0', '==2.*'], ['2.1+local.version', '==2.1.*'],
  ['2.1', '!=2'], ['2.1', '!=2.0'], ['2.0.1', '!=2'], ['2.0.1', '!=2.0'], ['2.0.1', '!=2.0.0'], ['2.0', '!=2.0+deadbeef'],
  ['2.0', '!=3.*'], ['2.1', '!=2.0.*'],
  ['2.0', '>=2'], ['2.0', '>=2.0'], ['2.0', '>=2.0.0'], ['2.0.post1', '>=2'], ['2.0.post1.dev1', '>=2'], ['3', '>=2'],
  ['2.0', '<=2'], ['2.0', '<=2.0'], ['2.0', '<=2.0.0'], ['2.0.dev1', '<=2'], ['2.0a1', '<=2'], ['2.0a1.dev1', '<=2'], ['2.0b1', '<=2'],
  ['2.0b1.post1', '<=2'], ['2.0c1', '<=2'], ['2.0c1.post1.dev1', '<=2'], ['2.0rc1', '<=2'], ['1', '<=2'],
  ['3', '>2'], ['2.1', '>2.0'], ['2.0.1', '>2'], ['2.1.post1', '>2'], ['2.1+local.version', '>2'],
  ['1', '<2'], ['2.0', '<2.1'], ['2.0.dev0', '<2.1'],
  ['1', '~=1.0'], ['1.0.1', '~=1.0'], ['1.1', '~=1.0'], ['1.9999999', '~=1.0'], ['1.1', '~=1.0a1'], ['2022.01.01', '~=2022.01.01'],
  ['2!1.0', '~=2!1.0'], ['2!1.0', '==2!1.*'], ['2!1.0', '==2!1.0'], ['2!1.0', '!=1.0'], ['2!1.0.0', '==2!1.0.0.0.*'], ['2!1.0.0', '==2!1.0.*'],
  ['2!1.0.0', '==2!1.*'], ['1.0', '!=2!1.0'], ['1.0', '<=2!0.1'], ['2!1.0', '>=2.0'], ['1.0', '<2!0.1'], ['2!1.0', '>2.0'], ['2.0.5', '>2.0dev'],
  ['1.0', '===1.0'], ['1.0.dev0', '===1.0.dev0'],
];

const SPEC_FALSE: [string, string][] = [
  ['2.1', '==2'], ['2.1', '==2.0'], ['2.1', '==2.0.0'], ['2.0', '==2.0+deadbeef'], ['2.0', '==3.*'], ['2.1', '==2.0.*'],
  ['2.0', '!=2'], ['2.0', '!=2.0'], ['2.0', '!=2.0.0'], ['2.0+deadbeef', '!=2'], ['2.0+deadbeef', '!=2.0'], ['2.0+deadbeef', '!=2.0.0'],
  ['2.0+deadbeef', '!=2+deadbeef'], ['2.0+deadbeef', '!=2.0+deadbeef'], ['2.0+deadbeef', '!=2.0.0+deadbeef'], ['2.0+deadbeef.0', '!=2.0.0+deadbeef.00'],
  ['2.dev1', '!=2.*'], ['2a1', '!=2.*'], ['2a1.post1', '!=2.*'], ['2b1', '!=2.*'], ['2b1.dev1', '!=2.*'], ['2c1', '!=2.*'],
  ['2c1.post1.dev1', '!=2.*'], ['2c1.post1.dev1', '!=2.0.*'], ['2rc1', '!=2.*'], ['2rc1', '!=2.0.*'], ['2', '!=2.*'], ['2', '!=2.0.*'],
  ['2.0', '!=2.*'], ['2.0.0', '!=2.*'],
  ['2.0.dev1', '>=2'], ['2.0a1', '>=2'], ['2.0a1.dev1', '>=2'], ['2.0b1', '>=2'], ['2.0b1.post1', '>=2'], ['2.0c1', '>=2'],
  ['2.0c1.post1.dev1', '>=2'], ['2.0rc1', '>=2'], ['1', '>=2'],
  ['2.0.post1', '<=2'], ['2.0.post1.dev1', '<=2'], ['3', '<=2'],
  ['1', '>2'], ['2.0.dev1', '>2'], ['2.0a1', '>2'], ['2.0a1.post1', '>2'], ['2.0b1', '>2'], ['2.0b1.dev1', '>2'], ['2.0c1', '>2'],
  ['2.0c1.post1.dev1', '>2'], ['2.0rc1', '>2'], ['2.0', '>2'], ['2.0.post1', '>2'], ['2.0.post1.dev1', '>2'], ['2.0+local.version', '>2'],
  ['2.0.dev1', '<2'], ['2.0a1', '<2'], ['2.0a1.post1', '<2'], ['2.0b1', '<2'], ['2.0b2.dev1', '<2'], ['2.0c1', '<2'],
  ['2.0c1.post1.dev1', '<2'], ['2.0rc1', '<2'], ['2.0', '<2'], ['2.post1', '<2'], ['2.post1.dev1', '<2'], ['3', '<2'],
  ['2.0', '~=1.0'], ['1.1.0', '~=1.0.0'], ['1.1.post1', '~=1.0.0'],
  ['1.0', '~=2!1.0'], ['2!1.0', '~=1.0'], ['2!1.0', '==1.0'], ['1.0', '==2!1.0'], ['2!1.0', '==1.0.0.*'], ['1.0', '==2!1.0.0.*'],
  ['2!1.0', '==1.*'], ['1.0', '==2!1.*'], ['2!1.0', '!=2!1.0'],
  ['1.0.0', '===1.0'], ['1.0.dev0', '===1.0'],
];

describe('PEP 440 specifiers', () => {
  it.each(SPEC_TRUE)('%s is in %s', (v, s) => {
    expect(matchesSpecifier(parseVersion(v), parseSpecifier(s))).toBe(true);
  });
  it.each(SPEC_FALSE)('%s is not in %s', (v, s) => {
    expect(matchesSpecifier(parseVersion(v), parseSpecifier(s))).toBe(false);
  });

  it.each(['~=2.0', '==2.1.*', '==2.1.0.3', '!=2.2.*', '!=2.2.0.5', '<=5', '>=7.9a1', '<1.0.dev1', '>2.0.post1', '===lolwat', '< 2'])(
    'accepts %j',
    (s) => {
      expect(() => parseSpecifier(s)).not.toThrow();
    },
  );

  it.each([
    '2.0', '=>2.0', '==', '~=1.0+5', '>=1.0+deadbeef', '<=1.0+abc123', '>1.0+watwat', '<1.0+1.0', '~=1.0.*', '>=1.0.*', '<=1.0.*',
    '>1.0.*', '<1.0.*', '==1.0.*+5', '!=1.0.*+deadbeef', '==2.0a1.*', '!=2.0a1.*', '==2.0.post1.*', '!=2.0.post1.*', '==2.0.dev1.*',
    '!=2.0.dev1.*', '==1.0+5.*', '!=1.0+deadbeef.*', '==1.0.*.5', '~=1', '===1.0 2',
  ])('rejects %j', (s) => {
    expect(() => parseSpecifier(s)).toThrow(/Invalid specifier/);
  });

  // Specifier(s).prereleases of packaging 26.2 (pip 26.2.1's vendored copy), checked on this machine.
  it.each([
    ['==1.0', false], ['>=1.0', false], ['<=1.0', false], ['~=1.0', false], ['<1.0', false], ['>1.0', false], ['<1.0.dev1', true],
    ['>1.0.dev1', true], ['==1.0.*', false], ['==1.0.dev1', true], ['>=1.0.dev1', true], ['<=1.0.dev1', true], ['~=1.0.dev1', true],
    ['!=1.0a1', false], ['<2.0b1', true], ['>1.0rc1', true], ['===1.0a1', true], ['===lolwat', false],
  ] as const)('detects whether %s opts in to pre-releases (%s)', (s, expected) => {
    expect(specifierAllowsPrereleases(parseSpecifier(s))).toBe(expected);
  });

  it('ignores the local segment for ordered comparisons', () => {
    const v = parseVersion('1.0.0+local');
    expect(setContains(parseSpecifierSet('==1.0.0'), v)).toBe(true);
    expect(setContains(parseSpecifierSet('!=1.0.0'), v)).toBe(false);
    expect(setContains(parseSpecifierSet('<=1.0.0'), v)).toBe(true);
    expect(setContains(parseSpecifierSet('>=1.0.0'), v)).toBe(true);
    expect(setContains(parseSpecifierSet('<1.0.0'), v)).toBe(false);
    expect(setContains(parseSpecifierSet('>1.0.0'), v)).toBe(false);
  });

  it('combines ~= sets', () => {
    const set = parseSpecifierSet('~=1.18.0,~=1.18');
    expect(setContains(set, parseVersion('1.19.5'))).toBe(false);
    expect(setContains(set, parseVersion('1.18.0'))).toBe(true);
  });
});

// SpecifierSet(spec).filter(input, prereleases=pre) of packaging 26.2 (pip 26.2.1), checked on this machine.
describe('pre-release filtering (pip 26: packaging 26)', () => {
  const f = (spec: string, input: string[], pre?: boolean) => filterVersions(parseSpecifierSet(spec), input, parseVersion, pre);
  it.each([
    ['', undefined, ['1.0', '2.0a1'], ['1.0']],
    ['>=1.0.dev1', undefined, ['1.0', '2.0a1'], ['1.0', '2.0a1']],
    ['', undefined, ['1.0a1'], ['1.0a1']],
    ['', false, ['1.0a1'], []],
    ['>=1.0.dev1', false, ['1.0', '2.0a1'], ['1.0']],
    ['', true, ['1.0', '2.0a1'], ['1.0', '2.0a1']],
    ['>=1.2.3', undefined, ['1.2', '1.3', '1.5a1'], ['1.3']],
    ['>=1.2.3', true, ['1.3', '1.5a1'], ['1.3', '1.5a1']],
    // pip 26: any set falls back to pre-releases when no final release matches (pip 23-25: [] for both).
    ['>=1.2.3', undefined, ['1.2', '1.5a1'], ['1.5a1']],
    ['!=1.0a1', undefined, ['1.0a2'], ['1.0a2']],
    ['!=1.0', undefined, ['1.0', '2.0b1'], ['2.0b1']],
    ['>=1.5,<3', undefined, ['1.0', '2.0b1', '3.0'], ['2.0b1']],
    ['>=1.5', undefined, ['1.0', '2.0b1', '3.0'], ['3.0']],
    // pip >= 25: < and > naming a pre-release opt in (pip 23-24: ['1.0'] for both).
    ['>1.0rc1', undefined, ['1.0', '2.0b1'], ['1.0', '2.0b1']],
    ['<2.0b2', undefined, ['1.0', '2.0b1'], ['1.0', '2.0b1']],
  ] as const)('%j (pre=%s) keeps %j -> %j', (spec, pre, input, expected) => {
    expect(f(spec, [...input], pre)).toEqual(expected);
  });
});
