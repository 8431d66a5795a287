import { describe, expect, it } from 'vitest';
import { sbomDocument, sbomJson, uuidV5, type SbomArtifact, type SbomInput } from '../../src/bundle/sbom.js';
import { cyclonedx15Errors } from './cyclonedx-schema.js';

type Doc = Record<string, any>;

const ZLIB: SbomArtifact = {
  kind: 'conda',
  name: 'zlib',
  version: '1.2.11',
  build: 'h7b6447c_3',
  channel: 'https://repo.anaconda.com/pkgs/main',
  subdir: 'linux-64',
  filename: 'zlib-1.2.11-h7b6447c_3.conda',
  url: 'https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  sha256: 'A'.repeat(64),
  md5: 'b'.repeat(32),
  size: 107_000,
  license: 'zlib',
  path: 'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  cf_stacks: ['cflinuxfs4'],
  depends: ['libgcc-ng >=7.3.0'],
};
const LIBGCC: SbomArtifact = {
  ...ZLIB,
  name: 'libgcc-ng',
  version: '9.1.0',
  build: 'hdf63c60_0',
  filename: 'libgcc-ng-9.1.0-hdf63c60_0.conda',
  url: 'https://repo.anaconda.com/pkgs/main/linux-64/libgcc-ng-9.1.0-hdf63c60_0.conda',
  sha256: 'c'.repeat(64),
  license: 'GPL-3.0-only WITH GCC-exception-3.1',
  path: 'conda/pkgs-main/linux-64/libgcc-ng-9.1.0-hdf63c60_0.conda',
  depends: ['__glibc >=2.17'],
};
const ANYIO: SbomArtifact = {
  kind: 'wheel',
  name: 'anyio',
  version: '4.3.0',
  filename: 'anyio-4.3.0-py3-none-any.whl',
  url: 'https://files.pythonhosted.org/packages/aa/anyio-4.3.0-py3-none-any.whl',
  sha256: 'd'.repeat(64),
  size: 85_000,
  license: 'MIT',
  path: 'pypi/files/anyio-4.3.0-py3-none-any.whl',
  cf_stacks: ['cflinuxfs4'],
  depends: ['idna>=2.8', 'sniffio>=1.1', 'exceptiongroup>=1.0.2; python_version < "3.11"'],
};
const IDNA: SbomArtifact = { ...ANYIO, name: 'IDNA', version: '3.20', filename: 'idna-3.20-py3-none-any.whl', url: 'https://files.pythonhosted.org/packages/bb/idna-3.20-py3-none-any.whl', sha256: 'e'.repeat(64), license: 'BSD-3-Clause', path: 'pypi/files/idna-3.20-py3-none-any.whl', depends: [] };
const INSTALLER: SbomArtifact = {
  kind: 'installer',
  name: 'miniforge3',
  version: '24.7.1-0',
  filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
  url: 'https://user:secret@mirror.example.invalid/miniforge/Miniforge3-24.7.1-0-Linux-x86_64.sh?token=abc123',
  sha256: 'f'.repeat(64),
  size: 80_000_000,
  path: 'dependencies/0123456789abcdef0123456789abcdef/Miniforge3-24.7.1-0-Linux-x86_64.sh',
  cf_stacks: ['cflinuxfs4'],
};
const TOOL: SbomArtifact = {
  kind: 'dependency',
  name: 'tool',
  version: '1.0.0',
  filename: 'tool-1.0.0-linux.tgz',
  url: 'https://downloads.example.invalid/tool/tool-1.0.0-linux.tgz',
  sha256: '1'.repeat(64),
  size: 300,
  path: 'dependencies/fedcba9876543210fedcba9876543210/tool-1.0.0-linux.tgz',
  cf_stacks: ['cflinuxfs4'],
};

function input(artifacts: SbomArtifact[], o: Partial<SbomInput> = {}): SbomInput {
  return {
    buildpack: { language: 'python', version: '1.2.3', stack: 'cflinuxfs4' },
    tool: { name: 'conda-offline-buildpack', version: '0.1.0' },
    artifacts,
    ...o,
  };
}

describe('sbomDocument', () => {
  it('is a CycloneDX 1.5 document the official JSON schema accepts', () => {
    const doc = sbomDocument(input([ZLIB, LIBGCC, ANYIO, IDNA, INSTALLER, TOOL], { buildpack: { language: 'python', version: '1.2.3', profile: 'minimal+custom', excluded: ['python', 'pip'] } }));
    expect(cyclonedx15Errors(doc)).toEqual([]);
    expect(doc).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 });
    expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('the schema check can fail: a document with an unknown hash algorithm is rejected', () => {
    const doc = sbomDocument(input([ZLIB])) as Doc;
    doc.components[0].hashes[0].alg = 'SHA-257';
    expect(cyclonedx15Errors(doc).join('\n')).toContain('/components/0/hashes/0/alg');
  });

  it('describes each artifact with purl, hashes, license, redacted download URL and its path in the zip', () => {
    const doc = sbomDocument(input([ZLIB, ANYIO, INSTALLER, TOOL])) as Doc;
    const byName = new Map<string, Doc>(doc.components.map((c: Doc) => [c.name, c]));
    expect(byName.get('zlib')).toEqual({
      type: 'library',
      'bom-ref': ZLIB.path,
      name: 'zlib',
      version: '1.2.11',
      licenses: [{ license: { id: 'Zlib' } }],
      purl: 'pkg:conda/zlib@1.2.11?build=h7b6447c_3&channel=pkgs%2Fmain&subdir=linux-64&type=conda',
      hashes: [
        { alg: 'SHA-256', content: 'a'.repeat(64) },
        { alg: 'MD5', content: 'b'.repeat(32) },
      ],
      externalReferences: [{ type: 'distribution', url: ZLIB.url }],
      properties: [
        { name: 'buildpack:kind', value: 'conda' },
        { name: 'buildpack:path', value: ZLIB.path },
        { name: 'buildpack:size', value: '107000' },
        { name: 'buildpack:cf_stacks', value: 'cflinuxfs4' },
      ],
    });
    expect(byName.get('anyio')!.purl).toBe('pkg:pypi/anyio@4.3.0?file_name=anyio-4.3.0-py3-none-any.whl');
    expect(byName.get('anyio')!.licenses).toEqual([{ license: { id: 'MIT' } }]);
    expect(byName.get('miniforge3')).toMatchObject({
      type: 'application',
      externalReferences: [{ type: 'distribution', url: 'https://-redacted-:-redacted-@mirror.example.invalid/miniforge/Miniforge3-24.7.1-0-Linux-x86_64.sh?token=-redacted-' }],
    });
    expect(byName.get('miniforge3')!.purl).toMatch(/^pkg:generic\/miniforge3@24\.7\.1-0\?checksum=sha256%3Af{64}&download_url=https%3A%2F%2F-redacted-/);
    expect(byName.get('miniforge3')).not.toHaveProperty('licenses');
    expect(byName.get('tool')!.purl).toBe(`pkg:generic/tool@1.0.0?checksum=sha256%3A${'1'.repeat(64)}&download_url=https%3A%2F%2Fdownloads.example.invalid%2Ftool%2Ftool-1.0.0-linux.tgz`);
    const text = JSON.stringify(doc);
    for (const secret of ['secret', 'abc123', 'user:']) expect(text).not.toContain(secret);
  });

  it('links the buildpack to every component and each package to the bundled packages it depends on', () => {
    const doc = sbomDocument(input([ANYIO, IDNA, ZLIB, LIBGCC])) as Doc;
    expect(doc.dependencies).toEqual([
      { ref: 'python_buildpack@1.2.3', dependsOn: [LIBGCC.path, ZLIB.path, ANYIO.path, IDNA.path] },
      // idna matched through PEP 503 normalisation (IDNA); sniffio and exceptiongroup are not bundled; __glibc is virtual
      { ref: ZLIB.path, dependsOn: [LIBGCC.path] },
      { ref: ANYIO.path, dependsOn: [IDNA.path] },
    ]);
    expect(doc.metadata.component['bom-ref']).toBe('python_buildpack@1.2.3');
  });

  it('never links packages for different stacks', () => {
    const fs3Idna = { ...IDNA, cf_stacks: ['cflinuxfs3'] };
    const doc = sbomDocument(input([ANYIO, fs3Idna])) as Doc;
    expect(doc.dependencies).toHaveLength(1);
  });

  it('lists a file shipped for several stacks once, with every stack', () => {
    const doc = sbomDocument(input([TOOL, { ...TOOL, cf_stacks: ['cflinuxfs3'] }], { buildpack: { language: 'python', version: '1.2.3' } })) as Doc;
    expect(doc.components).toHaveLength(1);
    expect(doc.components[0].properties).toContainEqual({ name: 'buildpack:cf_stacks', value: 'cflinuxfs3,cflinuxfs4' });
    expect(doc.metadata.component.properties).toContainEqual({ name: 'buildpack:stack', value: 'any' });
  });

  it('gives the same bytes for the same inputs in any order, and a new serialNumber when the content changes', () => {
    const a = sbomJson(input([ZLIB, ANYIO, INSTALLER, TOOL]));
    const b = sbomJson(input([TOOL, INSTALLER, ANYIO, ZLIB]));
    expect(b).toBe(a);
    const c = JSON.parse(sbomJson(input([ZLIB, ANYIO, INSTALLER, { ...TOOL, sha256: '2'.repeat(64) }])));
    expect(c.serialNumber).not.toBe(JSON.parse(a).serialNumber);
    expect(JSON.parse(a).metadata).not.toHaveProperty('timestamp');
  });

  it('writes metadata.timestamp only when given one (SOURCE_DATE_EPOCH)', () => {
    const doc = sbomDocument(input([TOOL], { timestamp: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) })) as Doc;
    expect(doc.metadata.timestamp).toBe('2024-01-02T03:04:05Z');
    expect(cyclonedx15Errors(doc)).toEqual([]);
  });
});

describe('uuidV5', () => {
  it('matches RFC 4122 test vector for the DNS namespace (python uuid.uuid5)', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'))"
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
});
