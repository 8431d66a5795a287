// environments: and apps: in manifest.yml: the old top-level sections are the
// one-element case (`default`), and a manifest without environments hashes and
// locks exactly as before.
import { describe, expect, it } from 'vitest';
import { entryEnvironments, parseLock, parseManifest, resolveInputsSha256, serializeLock, type LockEntry } from '../../src/manifest/index.js';
import { thrownPackagerError } from '../helpers/errors.js';
import { MANIFEST_ALL_SECTIONS } from './manifest-text.js';

const OLD = MANIFEST_ALL_SECTIONS;

const parse = (text: string) => parseManifest(text, 'manifest.yml');

describe('environments in the manifest', () => {
  it('reads the top-level conda:/pip: sections as the one environment `default`', () => {
    const { manifest } = parse(OLD);
    expect(manifest.environments.map((e) => e.name)).toEqual(['default']);
    expect(manifest.environments[0]!.conda).toBe(manifest.conda);
    expect(manifest.environments[0]!.pip).toBe(manifest.pip);
    expect(manifest.apps).toEqual([]);
  });

  it('keeps the inputs hash of a manifest without environments as the version before them computed it', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const files = [
      { path: 'requirements.txt', bytes: enc('flask==3.0.0\n') },
      { path: 'conda-requirements.txt', bytes: enc('zlib=1.2.11=h7b6447c_3\n') },
    ];
    // computed by main at ed443cc (before environments existed)
    expect(resolveInputsSha256(parse(OLD).manifest, files)).toBe('ead8f6a7673b27a9f2a7541a783e5a76d7b468b063cdd64181cebfce6891c876');
    const withEnv = parse(`${OLD}environments:\n  web:\n    pip: { requirements: ["flask==3.0.0"] }\n`).manifest;
    expect(resolveInputsSha256(withEnv, files)).not.toBe('ead8f6a7673b27a9f2a7541a783e5a76d7b468b063cdd64181cebfce6891c876');
  });

  it('reads each environment with its own sections; where packages come from is inherited from the top level', () => {
    const { manifest } = parse(`language: python
conda:
  channel_alias: http://127.0.0.1:9
  channels: [conda-forge]
pip:
  index_url: http://127.0.0.1:9/simple
  python_version: "3.11"
environments:
  legacy-ml:
    pip: { requirements: ["numpy==1.26.4"] }
  web:
    pip: { python_version: "3.12", files: [apps/web/requirements.txt] }
  analytics:
    conda: { specs: ["python=3.11", "pandas=2.2"] }
`);
    // `default` only says where packages come from: with other environments it is left out
    expect(manifest.environments.map((e) => e.name)).toEqual(['legacy-ml', 'web', 'analytics']);
    const [ml, web, analytics] = manifest.environments;
    expect(ml!.pip).toMatchObject({ index_url: 'http://127.0.0.1:9/simple', python_version: '3.11', requirements: ['numpy==1.26.4'], files: [] });
    expect(web!.pip).toMatchObject({ python_version: '3.12', files: ['apps/web/requirements.txt'] });
    expect(analytics!.conda).toEqual({ channels: ['conda-forge'], channel_alias: 'http://127.0.0.1:9', subdirs: ['linux-64', 'noarch'], specs: ['python=3.11', 'pandas=2.2'], files: [] });
    expect(analytics!.pip).toBeUndefined();
  });

  it('keeps `default` beside other environments when it asks for packages', () => {
    const { manifest } = parse(`${OLD}environments:\n  web:\n    pip: { requirements: ["flask==3.0.0"] }\napps: [apps/a]\n`);
    expect(manifest.environments.map((e) => e.name)).toEqual(['default', 'web']);
    expect(manifest.apps).toEqual(['apps/a']);
  });

  it('reports every bad environment at once, with key paths', () => {
    const err = thrownPackagerError(
      () =>
        parse(`language: python
pip: { requirements: [a] }
environments:
  default:
    pip: { requirements: [b] }
  "bad name":
    pip: { requirements: [c] }
  empty: {}
  typo:
    pip: { python_version: "three" }
apps: [../outside]
`),
    );
    expect(err.code).toBe('EMANIFEST');
    const problems = (err.details.problems as string[]).join('\n');
    expect(problems).toContain('environments.default');
    expect(problems).toContain('is taken by the top-level conda:/pip: sections');
    expect(problems).toContain('environment name "bad name" is not a plain name');
    expect(problems).toContain('environment empty has neither a conda: nor a pip: section');
    expect(problems).toContain('environments.typo.pip.python_version');
    expect(problems).toContain('an app directory must lie inside the buildpack');
  });
});

describe('environments in the lock', () => {
  const entry = (environments?: string[]): LockEntry => ({
    kind: 'wheel',
    name: 'bt-lib',
    version: '1.0',
    filename: 'bt_lib-1.0-py3-none-any.whl',
    uri: 'https://example.test/bt_lib-1.0-py3-none-any.whl',
    sha256: 'a'.repeat(64),
    size: 1,
    depends: [],
    cf_stacks: ['cflinuxfs4'],
    ...(environments ? { environments } : {}),
  });
  const lock = (e: LockEntry) => ({ lock_version: 1 as const, inputs_sha256: 'b'.repeat(64), artifacts: [e] });

  it('writes no environments key when only `default` needs an artifact (a lock as before)', () => {
    expect(serializeLock(lock(entry(['default'])))).toBe(serializeLock(lock(entry())));
    expect(serializeLock(lock(entry(['default'])))).not.toContain('environments');
  });

  it('records, sorted and once, the environments that need an artifact, and reads them back', () => {
    const text = serializeLock(lock(entry(['web', 'legacy-ml', 'web'])));
    expect(text).toContain('    environments:\n      - legacy-ml\n      - web\n');
    const back = parseLock(text, 'manifest.lock.yml').artifacts[0]!;
    expect(entryEnvironments(back)).toEqual(['legacy-ml', 'web']);
    expect(entryEnvironments(parseLock(serializeLock(lock(entry())), 'manifest.lock.yml').artifacts[0]!)).toEqual(['default']);
  });
});
