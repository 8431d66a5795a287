import path from 'node:path';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { dependencyZipPath } from '../../src/bundle/layout.js';
import { packagedManifestYaml, type DependencyFile } from '../../src/bundle/packaged-manifest.js';
import { checkPackagingTarget, loadManifest, parseManifest } from '../../src/manifest/index.js';
import type { Dependency, Lock, Manifest } from '../../src/manifest/types.js';
import { FIXTURES, UPSTREAM } from '../helpers/paths.js';
import { lockEntry, manifestFromFile, manifestFromYaml } from './manifest-fixture.js';

const MINIMAL = path.join(FIXTURES, 'buildpacks/minimal/manifest.yml');
type Doc = Record<string, any>;

function cachedFiles(m: Manifest, stack?: string): Map<Dependency, DependencyFile> {
  return new Map(m.dependencies.filter((d) => !stack || d.cf_stacks.includes(stack)).map((d) => [d, dependencyZipPath(d.uri)]));
}

const lock: Lock = {
  lock_version: 1,
  inputs_sha256: 'f'.repeat(64),
  artifacts: [
    lockEntry({
      kind: 'installer',
      name: 'Miniforge3',
      flavor: 'Miniforge3',
      version: '24.7.1-0',
      filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
      uri: 'https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh',
      sha256: 'b'.repeat(64),
      size: 10,
      cf_stacks: ['cflinuxfs4'],
    }),
    lockEntry({
      kind: 'installer',
      name: 'Miniconda3',
      flavor: 'Miniconda3',
      version: 'py311_24.1.2-0',
      filename: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
      uri: 'https://repo.anaconda.com/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
      sha256: 'c'.repeat(64),
      size: 11,
      cf_stacks: ['cflinuxfs3'],
    }),
    lockEntry({
      kind: 'conda',
      name: 'zlib',
      version: '1.2.11',
      build: 'h7b6447c_3',
      subdir: 'linux-64',
      channel: 'https://conda.anaconda.org/t/-redacted-/private',
      filename: 'zlib-1.2.11-h7b6447c_3.conda',
      uri: 'https://conda.anaconda.org/t/-redacted-/private/linux-64/zlib-1.2.11-h7b6447c_3.conda',
      sha256: 'd'.repeat(64),
      size: 12,
      record: { name: 'zlib', depends: ['libgcc-ng >=7.3.0'] },
      depends: ['libgcc-ng >=7.3.0'],
    }),
  ],
};

describe('packagedManifestYaml', () => {
  it('for a stack: adds `stack:` after language, drops other-stack dependencies and cf_stacks, keeps every other key in order', async () => {
    const m = await manifestFromFile(MINIMAL);
    const text = packagedManifestYaml(m, { stack: 'cflinuxfs4', cached: false, files: new Map() });
    const doc = yaml.load(text) as Doc;
    expect(Object.keys(doc)).toEqual([
      'language', 'stack', 'default_versions', 'dependency_deprecation_dates', 'url_to_dependency_map', 'dependencies', 'include_files', 'pre_package',
    ]);
    expect(doc.stack).toBe('cflinuxfs4');
    expect(doc.dependencies).toHaveLength(1);
    expect(doc.dependencies[0].cf_stacks).toBeUndefined();
    expect(doc.dependencies[0].file).toBeUndefined();
    expect(doc.url_to_dependency_map).toEqual([{ match: 'tool-(\\d+\\.\\d+\\.\\d+)', name: 'tool', version: '$1' }]);
  });

  it('for any stack: no `stack:`, every dependency with its cf_stacks', async () => {
    const m = await manifestFromFile(MINIMAL);
    const doc = yaml.load(packagedManifestYaml(m, { cached: false, files: new Map() })) as Doc;
    expect(doc.stack).toBeUndefined();
    expect(doc.dependencies.map((d: Doc) => d.cf_stacks)).toEqual([['cflinuxfs4'], ['cflinuxfs3']]);
  });

  it('cached: sets file: dependencies/<md5 of the uri as written>/<basename> and writes no credentials', async () => {
    const m = await manifestFromFile(MINIMAL);
    const text = packagedManifestYaml(m, { stack: 'cflinuxfs4', cached: true, files: cachedFiles(m, 'cflinuxfs4') });
    const doc = yaml.load(text) as Doc;
    expect(doc.dependencies[0].file).toBe(dependencyZipPath(m.dependencies[0]!.uri));
    expect(doc.dependencies[0].file).toMatch(/^dependencies\/[0-9a-f]{32}\/tool-1\.0\.0-linux\.tgz$/);
    expect(doc.dependencies[0].uri).toBe('https://-redacted-:-redacted-@downloads.example.invalid/tool/tool-1.0.0-linux.tgz?token=-redacted-');
    expect(text).not.toContain('secret');
    expect(text).not.toContain('abc123');
  });

  it('redacts credentials anywhere in the document (channel and index URLs too)', () => {
    const m = manifestFromYaml(
      [
        'language: python',
        'conda:',
        '  channels: [https://conda.anaconda.org/t/tk-SECRET1/private]',
        'pip:',
        '  index_url: https://bob:SECRET2@pypi.example/simple',
        'dependencies: []',
      ].join('\n'),
    );
    const text = packagedManifestYaml(m, { cached: true, files: new Map() });
    expect(text).not.toMatch(/SECRET/);
    expect(text).toContain('https://conda.anaconda.org/t/-redacted-/private');
  });

  it('uncached: no file: keys (even one left in the source)', async () => {
    const m = manifestFromYaml('language: x\ndependencies:\n- {name: a, version: "1", uri: "https://h/a.tgz", sha256: "' + 'a'.repeat(64) + '", cf_stacks: [s], file: old/a.tgz}\n');
    const doc = yaml.load(packagedManifestYaml(m, { cached: false, files: new Map() })) as Doc;
    expect(doc.dependencies[0].file).toBeUndefined();
  });

  it('turns installers into ordinary dependencies and lists the lock under locked_artifacts', async () => {
    const m = await manifestFromFile(MINIMAL);
    const lockFiles = new Map([[lock.artifacts[2]!, 'conda/private/linux-64/zlib-1.2.11-h7b6447c_3.conda']]);
    const doc = yaml.load(packagedManifestYaml(m, { stack: 'cflinuxfs4', cached: true, files: cachedFiles(m, 'cflinuxfs4'), lock, lockFiles })) as Doc;
    expect(doc.dependencies.map((d: Doc) => d.name)).toEqual(['tool', 'miniforge3']);
    expect(doc.dependencies[1]).toEqual({
      name: 'miniforge3',
      version: '24.7.1-0',
      uri: lock.artifacts[0]!.uri,
      sha256: 'b'.repeat(64),
      file: dependencyZipPath(lock.artifacts[0]!.uri),
    });
    expect(Object.keys(doc).indexOf('locked_artifacts')).toBe(Object.keys(doc).indexOf('dependencies') + 1);
    expect(doc.locked_artifacts.map((a: Doc) => [a.kind, a.name, a.file])).toEqual([
      ['installer', 'Miniforge3', dependencyZipPath(lock.artifacts[0]!.uri)],
      ['conda', 'zlib', 'conda/private/linux-64/zlib-1.2.11-h7b6447c_3.conda'],
    ]);
    expect(doc.locked_artifacts[1].record).toBeUndefined(); // CC caps manifest.yml at 1 MiB: no repodata records
  });

  it('any stack: installers keep their cf_stacks', async () => {
    const m = await manifestFromFile(MINIMAL);
    const doc = yaml.load(packagedManifestYaml(m, { cached: false, files: new Map(), lock })) as Doc;
    expect(doc.dependencies.filter((d: Doc) => d.name.startsWith('mini')).map((d: Doc) => [d.name, d.cf_stacks])).toEqual([
      ['miniforge3', ['cflinuxfs4']],
      ['miniconda3', ['cflinuxfs3']],
    ]);
  });

  it('refuses to write a cached manifest with a dependency that has no file', async () => {
    const m = await manifestFromFile(MINIMAL);
    expect(() => packagedManifestYaml(m, { stack: 'cflinuxfs4', cached: true, files: new Map() })).toThrow(expect.objectContaining({ code: 'EINTERNAL' }));
  });

  it('adds the sha256 of the bytes to a legacy md5-only dependency', () => {
    const m = manifestFromYaml('language: x\ndependencies:\n- {name: a, version: "1", uri: "https://h/a.tgz", md5: "' + 'a'.repeat(32) + '", cf_stacks: [s]}\n');
    const doc = yaml.load(packagedManifestYaml(m, { cached: true, files: new Map([[m.dependencies[0]!, { file: 'dependencies/x/a.tgz', sha256: 'e'.repeat(64) }]]) })) as Doc;
    expect(doc.dependencies[0]).toMatchObject({ md5: 'a'.repeat(32), sha256: 'e'.repeat(64), file: 'dependencies/x/a.tgz' });
  });

  it('packages the real python-buildpack manifest (loaded by the real loader) so that it reads as already packaged', async () => {
    const file = path.join(UPSTREAM, 'cf-python-buildpack-manifest.yml');
    const { manifest } = await loadManifest(file);
    const fs4 = manifest.dependencies.filter((d) => d.cf_stacks.includes('cflinuxfs4'));
    const text = packagedManifestYaml(manifest, { stack: 'cflinuxfs4', cached: true, files: cachedFiles(manifest, 'cflinuxfs4') });
    const doc = yaml.load(text) as Doc;
    expect(doc.dependencies).toHaveLength(fs4.length);
    expect(doc.dependencies.every((d: Doc) => d.cf_stacks === undefined && /^dependencies\/[0-9a-f]{32}\//.test(d.file))).toBe(true);
    const source = yaml.load(await readFile(file, 'utf8')) as Doc;
    expect(Object.keys(doc).filter((k) => k !== 'stack')).toEqual(Object.keys(source));
    // Dates stay `YYYY-MM-DD` values (quoted: strings for every YAML reader), versions stay strings.
    expect(text).toMatch(/date: '2026-10-04'/);
    const reread = parseManifest(text, '/unzipped/manifest.yml').manifest;
    expect(reread.stack).toBe('cflinuxfs4');
    expect(() => checkPackagingTarget(reread, { stack: 'cflinuxfs4' })).toThrow(/already packaged/);
  });
});
