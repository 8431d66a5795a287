// The SBOM's inputs: licenses read from real wheels' METADATA, paths taken from
// the bundle plan, and the whole document for the fixture bundle validated
// against the CycloneDX 1.5 schema.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planBundle } from '../../src/bundle/plan.js';
import { sbomDocument } from '../../src/bundle/sbom.js';
import { distLicense, sbomArtifacts } from '../../src/cli/sbom-step.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { SECRETS, cachedBundleInput } from '../bundle/bundle-fixture.js';
import { cyclonedx15Errors } from '../bundle/cyclonedx-schema.js';

const wheel = (f: string) => path.join(UPSTREAM, 'pypi/wheels', f);
type Doc = Record<string, any>;

describe('distLicense', () => {
  it.each([
    ['tqdm-4.66.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl', 'tqdm', 'MPL-2.0 AND MIT'],
    ['maturin-2.0.0-py3-none-linux_x86_64.whl', 'maturin', 'MIT OR Apache-2.0'],
    ['anyio-4.3.0-py3-none-any.whl', 'anyio', 'MIT'],
    ['colander-0.9.9-py2.py3-none-any.whl', 'colander', 'BSD-derived (http://www.repoze.org/LICENSE.txt)'],
    ['simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', 'UNKNOWN'],
    ['wheel-0.40.0-py3-none-any.whl', 'wheel', undefined],
  ])('%s -> %s', async (file, name, license) => {
    expect(await distLicense(wheel(file), { kind: 'wheel', name, filename: file })).toBe(license);
  });

  it('reads an sdist PKG-INFO, and gives up quietly on a file that is not a distribution', async () => {
    const sdist = path.join(UPSTREAM, 'pypi/sdists/simple-1.0.tar.gz');
    expect(await distLicense(sdist, { kind: 'sdist', name: 'simple', filename: 'simple-1.0.tar.gz' })).toBeTypeOf('string');
    expect(await distLicense(path.join(UPSTREAM, 'README.md'), { kind: 'wheel', name: 'x', filename: 'x-1.0-py3-none-any.whl' })).toBeUndefined();
  });
});

describe('sbomArtifacts', () => {
  it('describes every packaged file at its path in the zip, with licenses, and the document passes the schema', async () => {
    const input = await cachedBundleInput(await tempDir(), { stack: undefined });
    const plan = await planBundle(input);
    const artifacts = await sbomArtifacts({ plan, dependencies: input.dependencyFiles!, locked: input.artifactFiles! });
    const entryNames = new Set(plan.entries.map((e) => e.name));
    for (const a of artifacts) expect(entryNames, a.path).toContain(a.path);
    const byName = new Map(artifacts.map((a) => [a.name, a]));
    expect(byName.get('zlib')!.license).toBe('zlib'); // from the repodata record in the lock
    expect(byName.get('simplewheel')!.license).toBe('UNKNOWN'); // from the wheel's METADATA
    expect(byName.get('miniforge3')!.kind).toBe('installer');

    const doc = sbomDocument({ buildpack: { language: 'minimal', version: '1.2.3' }, tool: { name: 't', version: '0' }, artifacts }) as Doc;
    expect(cyclonedx15Errors(doc)).toEqual([]);
    // two manifest dependencies (one per stack), one installer, two conda packages, two wheels
    expect(doc.components).toHaveLength(7);
    expect(doc.components.find((c: Doc) => c.name === 'zlib').licenses).toEqual([{ license: { id: 'Zlib' } }]);
    expect(doc.components.find((c: Doc) => c.name === 'simplewheel')).not.toHaveProperty('licenses');
    const text = JSON.stringify(doc);
    for (const s of SECRETS) expect(text).not.toContain(s);
  });
});
