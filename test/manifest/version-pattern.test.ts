import { describe, expect, it } from 'vitest';
import { highestMatching, versionMatches } from '../../src/manifest/index.js';

describe('versionMatches (default_versions patterns)', () => {
  it.each([
    ['2.7.13', '2.7.13', true],
    ['2.7.13', '2.7.1', false],
    ['3.10.x', '3.10.21', true],
    ['3.10.x', '3.1.0', false],
    ['3.10.x', '3.11.0', false],
    ['3.x', '3.14.7', true],
    ['3.*', '3.9.1', true],
    ['3.x', '2.7.13', false],
    ['x', 'py312_24.5.0-0', true],
    ['py312_24.5.0-0', 'py312_24.5.0-0', true],
    ['3.10', '3.10.21', false],
    // libbuildpack (Masterminds semver) reads a short version zero-padded: 1.0 is 1.0.0
    ['1.0.x', '1.0', true],
    ['1.x', '1', true],
    ['1.0.x', '1', true],
    ['1.1.x', '1', false],
    ['1.0.x', '1.1', false],
  ])('%s matches %s: %s', (pattern, version, want) => {
    expect(versionMatches(pattern, version)).toBe(want);
  });

  it('picks the highest match numerically, not as text', () => {
    expect(highestMatching('3.x', ['3.9.18', '3.10.2', '3.10.19', '2.7.18'])).toBe('3.10.19');
    expect(highestMatching('4.x', ['3.9.18'])).toBeUndefined();
  });
});
