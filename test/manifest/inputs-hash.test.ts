import { describe, expect, it } from 'vitest';
import { canonicalJson, parseManifest, resolveInputsSha256 } from '../../src/manifest/index.js';
import { MANIFEST_ALL_SECTIONS } from './manifest-text.js';

const BASE = MANIFEST_ALL_SECTIONS;

const enc = (s: string) => new TextEncoder().encode(s);
const files = [
  { path: 'requirements.txt', bytes: enc('flask==3.0.0\n') },
  { path: 'conda-requirements.txt', bytes: enc('zlib=1.2.11=h7b6447c_3\n') },
];
const hash = (text: string, f = files) => resolveInputsSha256(parseManifest(text, 'manifest.yml').manifest, f);

describe('resolveInputsSha256', () => {
  it('is a sha256 hex digest, stable across calls and file order', () => {
    const h = hash(BASE);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(BASE, [...files].reverse())).toBe(h);
  });

  it('changes when a named file changes by one byte', () => {
    const changed = [files[0]!, { path: 'conda-requirements.txt', bytes: enc('zlib=1.2.11=h7b6447c_4\n') }];
    expect(hash(BASE, changed)).not.toBe(hash(BASE));
  });

  it('changes when a section changes, but not for comments, key order or spelled-out defaults', () => {
    const h = hash(BASE);
    expect(hash(BASE.replace('numpy=1.26.4', 'numpy=1.26.3'))).not.toBe(h);
    expect(hash(BASE.replace('py311_24.1.2-0', 'latest'))).not.toBe(h);
    expect(hash(BASE.replace('[cflinuxfs4]', '[cflinuxfs4, cflinuxfs3]'))).not.toBe(h);
    expect(hash('# a comment\n' + BASE)).toBe(h);
    expect(hash(BASE.replace('  requirements: ["requests==2.31.0"]\n', '  python_version: "3.11"\n  index_url: https://pypi.org/simple\n  requirements: ["requests==2.31.0"]\n'))).toBe(h);
    expect(hash(BASE + 'pre_package: scripts/build.sh\n')).toBe(h);
  });

  it('changes when a file is added or renamed', () => {
    expect(hash(BASE, [...files, { path: 'environment.yml', bytes: enc('') }])).not.toBe(hash(BASE));
    expect(hash(BASE, [{ ...files[0]!, path: 'reqs.txt' }, files[1]!])).not.toBe(hash(BASE));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined, x: null }], c: 'é' } })).toBe('{"a":{"c":"é","d":[2,{"x":null,"z":1}]},"b":1}');
  });
});
