// `bin/package summary`: libbuildpack's release-notes markdown reproduced byte for
// byte (its own test fixtures and expected strings, packager/summary_test.go),
// the two real upstream manifests pinned, and the locked packages a lock adds.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, summaryJson, summaryMarkdown } from '../../src/cli/summary-command.js';
import { parseManifest } from '../../src/manifest/manifest.js';
import { serializeLock } from '../../src/manifest/lock.js';
import type { Lock, LockEntry } from '../../src/manifest/types.js';
import { UPSTREAM } from '../helpers/paths.js';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const parse = (text: string) => parseManifest(text, '/virtual/manifest.yml').manifest;
async function upstream(name: string) {
  const file = path.join(UPSTREAM, name);
  return parseManifest(await readFile(file, 'utf8'), file).manifest;
}

// libbuildpack packager/fixtures/good/manifest.yml
const GOOD = `---
language: ruby
pre_package: ./hi.sh
default_versions:
- name: ruby
  version: 1.2.3
dependencies:
- name: ruby
  version: 1.2.3
  sha256: b11329c3fd6dbe9dddcb8dd90f18a4bf441858a6b5bfaccae5f91e5c7d2b3596
  uri: https://www.ietf.org/rfc/rfc2324.txt
  cf_stacks:
  - cflinuxfs2
- name: ruby
  version: 1.2.3
  sha256: 646b43b5d718913d6211e2c18b2b3b667cf6eaa76a2493e55b1de5ca04c2578e
  uri: https://www.ietf.org/rfc/rfc2549.txt
  cf_stacks:
  - cflinuxfs3
include_files:
- manifest.yml
- VERSION
- bin/filename
- hi.txt
`;

// libbuildpack packager/fixtures/sub_dependencies/manifest.yml
const SUB_DEPENDENCIES = `---
language: php
dependencies:
- name: php
  version: 1.6.1
  uri: https://buildpacks.cloudfoundry.org/dependencies/php/php-5.6.31-linux-x64-2ed515dd.tgz
  md5: 2ed515dd61fd09206b8f38edf9de6fee
  cf_stacks:
  - cflinuxfs2
  dependencies:
  - name: gearman
  - name: zlib
  - name: geoip
    version: 1.5.3
- name: nginx
  version: 1.7.3
  uri: https://buildpacks.cloudfoundry.org/dependencies/nginx/nginx-1.13.3-linux-x64-53917f43.tgz
  md5: 53917f43684d6ec825ca469ab586c0d2
  cf_stacks:
  - cflinuxfs2
`;

const SHA = (c: string) => c.repeat(64);
const entry = (e: Partial<LockEntry> & Pick<LockEntry, 'kind' | 'name' | 'version' | 'filename' | 'size'>): LockEntry => ({
  uri: `https://files.example.invalid/${e.filename}`,
  sha256: SHA('a'),
  depends: [],
  cf_stacks: ['cflinuxfs4'],
  ...e,
});

const LOCK: Lock = {
  lock_version: 1,
  inputs_sha256: SHA('f'),
  artifacts: [
    entry({ kind: 'installer', name: 'miniforge3', flavor: 'Miniforge3', version: '24.7.1-0', filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh', size: 0, size_approximate: true }),
    entry({ kind: 'installer', name: 'miniconda3', flavor: 'Miniconda3', version: 'py311_24.1.2-0', filename: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh', size: 150_365_798, size_approximate: true }),
    entry({ kind: 'conda', name: 'zlib', version: '1.2.11', build: 'h7b6447c_3', subdir: 'linux-64', channel: 'https://repo.anaconda.com/pkgs/main', filename: 'zlib-1.2.11-h7b6447c_3.conda', size: 107_839 }),
    entry({ kind: 'conda', name: 'numpy', version: '1.26.4', build: 'py311h64a7726_0', subdir: 'linux-64', channel: 'https://conda.anaconda.org/conda-forge', filename: 'numpy-1.26.4-py311h64a7726_0.conda', size: 8_065_890 }),
    entry({ kind: 'conda', name: 'python', version: '3.11.9', build: 'hb806964_0_cpython', subdir: 'linux-64', channel: 'https://conda.anaconda.org/conda-forge', filename: 'python-3.11.9-hb806964_0_cpython.conda', size: 30_884_925 }),
    entry({ kind: 'conda', name: 'python', version: '3.11.10', build: 'hc5c86c4_3_cpython', subdir: 'linux-64', channel: 'https://conda.anaconda.org/conda-forge', filename: 'python-3.11.10-hc5c86c4_3_cpython.conda', size: 30_543_977 }),
    entry({ kind: 'wheel', name: 'Sniffio', version: '1.3.1', filename: 'sniffio-1.3.1-py3-none-any.whl', size: 10_235 }),
    entry({ kind: 'wheel', name: 'idna', version: '3.20', filename: 'idna-3.20-py3-none-any.whl', size: 71_000 }),
    entry({ kind: 'sdist', name: 'simple', version: '1.0', filename: 'simple-1.0.tar.gz', size: 1_234 }),
  ],
};

describe('summaryMarkdown: libbuildpack compatibility (summary_test.go)', () => {
  it('Renders tables of dependencies', () => {
    expect(summaryMarkdown(parse(GOOD), undefined)).toBe(`
Packaged binaries:

| name | version | cf_stacks |
|-|-|-|
| ruby | 1.2.3 | cflinuxfs2 |
| ruby | 1.2.3 | cflinuxfs3 |

Default binary versions:

| name | version |
|-|-|
| ruby | 1.2.3 |
`);
  });

  it('Renders tables of dependencies (including modules)', () => {
    expect(summaryMarkdown(parse(SUB_DEPENDENCIES), undefined)).toBe(`
Packaged binaries:

| name | version | cf_stacks | modules |
|-|-|-|-|
| nginx | 1.7.3 | cflinuxfs2 |  |
| php | 1.6.1 | cflinuxfs2 | gearman, geoip, zlib |
`);
  });

  it('Produces no output for a manifest without dependencies', () => {
    expect(summaryMarkdown(parse('---\nlanguage: binary\ndependencies: []\n'), undefined)).toBe('');
  });

  it('prints a Packaging profiles section with sorted profile names and descriptions', () => {
    const m = parse(`${GOOD}packaging_profiles:
  no-profiler:
    description: Core and agents only. No profilers.
    exclude: []
  minimal:
    description: Core deps only. No agents or profilers.
    exclude: [ruby]
`);
    expect(summaryMarkdown(m, undefined)).toContain(`
Packaging profiles:

  minimal      Core deps only. No agents or profilers.
  no-profiler  Core and agents only. No profilers.
`);
  });

  it('orders versions as Masterminds semver does, text when they do not parse', () => {
    const sorted = ['3.10.0', '1.0', '3.9.1', '3.10.0-rc.1', '3.10.0-rc.2', '3.10.0-beta'].sort(compareVersions);
    expect(sorted).toEqual(['1.0', '3.9.1', '3.10.0-beta', '3.10.0-rc.1', '3.10.0-rc.2', '3.10.0']);
    expect(['py39_25.7.0-2', 'py311_24.1.2-0'].sort(compareVersions)).toEqual(['py311_24.1.2-0', 'py39_25.7.0-2']);
  });
});

describe('summaryMarkdown: the real upstream manifests', () => {
  it('cloudfoundry/python-buildpack manifest.yml (1.9.5)', async () => {
    expect(summaryMarkdown(await upstream('cf-python-buildpack-manifest.yml'), undefined)).toMatchInlineSnapshot(`
      "
      Packaged binaries:

      | name | version | cf_stacks |
      |-|-|-|
      | flit-core | 3.12.0 | cflinuxfs4 |
      | flit-core | 3.12.0 | cflinuxfs5 |
      | libffi | 3.2.1 | cflinuxfs3, cflinuxfs4, cflinuxfs5 |
      | libmemcache | 1.0.18 | cflinuxfs3, cflinuxfs4, cflinuxfs5 |
      | miniconda3-py39 | 25.7.0 | cflinuxfs3, cflinuxfs4 |
      | miniforge | 24.7.1 | cflinuxfs3, cflinuxfs4 |
      | pip | 25.2 | cflinuxfs3 |
      | pip | 26.2.1 | cflinuxfs4 |
      | pip | 26.2.1 | cflinuxfs5 |
      | pipenv | 2024.4.1 | cflinuxfs3 |
      | pipenv | 2026.6.2 | cflinuxfs5 |
      | pipenv | 2026.7.1 | cflinuxfs4 |
      | pipenv | 2026.7.1 | cflinuxfs5 |
      | poetry-core | 2.4.1 | cflinuxfs4 |
      | poetry-core | 2.4.1 | cflinuxfs5 |
      | python | 3.10.19 | cflinuxfs3 |
      | python | 3.10.21 | cflinuxfs4 |
      | python | 3.10.21 | cflinuxfs5 |
      | python | 3.11.14 | cflinuxfs3 |
      | python | 3.11.16 | cflinuxfs4 |
      | python | 3.11.16 | cflinuxfs5 |
      | python | 3.12.14 | cflinuxfs4 |
      | python | 3.12.14 | cflinuxfs5 |
      | python | 3.13.9 | cflinuxfs3 |
      | python | 3.13.15 | cflinuxfs4 |
      | python | 3.13.15 | cflinuxfs5 |
      | python | 3.14.2 | cflinuxfs3 |
      | python | 3.14.7 | cflinuxfs4 |
      | python | 3.14.7 | cflinuxfs5 |
      | setuptools | 84.0.0 | cflinuxfs4 |
      | setuptools | 84.0.0 | cflinuxfs5 |

      Default binary versions:

      | name | version |
      |-|-|
      | python | 3.10.x |
      "
    `);
  });

  it('cloudfoundry/python-buildpack manifest.yml of 2017 (url_to_dependency_map, md5)', async () => {
    expect(summaryMarkdown(await upstream('cf-python-buildpack-manifest-url_to_dependency_map-2017.yml'), undefined)).toMatchInlineSnapshot(`
      "
      Packaged binaries:

      | name | version | cf_stacks |
      |-|-|-|
      | libffi | 3.2.1 | cflinuxfs2 |
      | libmemcache | 1.0.18 | cflinuxfs2 |
      | python | 2.7.12 | cflinuxfs2 |
      | python | 2.7.13 | cflinuxfs2 |
      | python | 3.3.5 | cflinuxfs2 |
      | python | 3.3.6 | cflinuxfs2 |
      | python | 3.4.5 | cflinuxfs2 |
      | python | 3.4.6 | cflinuxfs2 |
      | python | 3.5.2 | cflinuxfs2 |
      | python | 3.5.3 | cflinuxfs2 |
      | python | 3.6.0 | cflinuxfs2 |
      | python | 3.6.1 | cflinuxfs2 |

      Default binary versions:

      | name | version |
      |-|-|
      | python | 2.7.13 |
      "
    `);
  });
});

describe('summaryMarkdown: with a lock', () => {
  const m = parse(`---
language: python
default_versions:
- name: tool
  version: 1.0.x
dependencies:
- name: tool
  version: 1.0.2
  sha256: ${SHA('1')}
  uri: https://downloads.example.invalid/tool-1.0.2.tgz
  cf_stacks: [cflinuxfs4]
miniconda:
- flavor: Miniforge3
  version: 24.7.1-0
  cf_stacks: [cflinuxfs4]
conda:
  channels: [conda-forge]
packaging_profiles:
  no-tool:
    description: Without the tool
    exclude: [tool]
`);

  it('lists resolved installers among the packaged binaries, then conda packages per channel and Python packages with sizes', () => {
    expect(summaryMarkdown(m, LOCK)).toMatchInlineSnapshot(`
      "
      Packaged binaries:

      | name | version | cf_stacks |
      |-|-|-|
      | miniconda3 | py311_24.1.2-0 | cflinuxfs4 |
      | miniforge3 | 24.7.1-0 | cflinuxfs4 |
      | tool | 1.0.2 | cflinuxfs4 |

      Default binary versions:

      | name | version |
      |-|-|
      | tool | 1.0.x |

      Packaging profiles:

        no-tool      Without the tool

      Conda packages from conda-forge (3 files, 66.3 MiB):

      | name | version | build | subdir | cf_stacks | size |
      |-|-|-|-|-|-|
      | numpy | 1.26.4 | py311h64a7726_0 | linux-64 | cflinuxfs4 | 7.7 MiB |
      | python | 3.11.9 | hb806964_0_cpython | linux-64 | cflinuxfs4 | 29.5 MiB |
      | python | 3.11.10 | hc5c86c4_3_cpython | linux-64 | cflinuxfs4 | 29.1 MiB |

      Conda packages from pkgs/main (1 file, 105.3 KiB):

      | name | version | build | subdir | cf_stacks | size |
      |-|-|-|-|-|-|
      | zlib | 1.2.11 | h7b6447c_3 | linux-64 | cflinuxfs4 | 105.3 KiB |

      Python packages (3 files, 80.5 KiB):

      | name | version | file | cf_stacks | size |
      |-|-|-|-|-|
      | idna | 3.20 | idna-3.20-py3-none-any.whl | cflinuxfs4 | 69.3 KiB |
      | simple | 1.0 | simple-1.0.tar.gz | cflinuxfs4 | 1.2 KiB |
      | Sniffio | 1.3.1 | sniffio-1.3.1-py3-none-any.whl | cflinuxfs4 | 10.0 KiB |
      "
    `);
  });

  it('has the same content as JSON', () => {
    const json = summaryJson(m, LOCK, '/bp/manifest.lock.yml');
    expect(json.packaged_binaries.map((b) => `${b.name} ${b.version} ${b.from}`)).toEqual([
      'miniconda3 py311_24.1.2-0 lock',
      'miniforge3 24.7.1-0 lock',
      'tool 1.0.2 manifest',
    ]);
    expect(json.packaging_profiles).toEqual([{ name: 'no-tool', description: 'Without the tool', exclude: ['tool'] }]);
    expect(json.lock!.conda.map((g) => [g.channel, g.count, g.bytes])).toEqual([
      ['conda-forge', 3, 8_065_890 + 30_884_925 + 30_543_977],
      ['pkgs/main', 1, 107_839],
    ]);
    expect(json.lock!.python.packages.map((p) => `${p.kind} ${p.name}`)).toEqual(['wheel idna', 'sdist simple', 'wheel Sniffio']);
  });
});

describe('bin/package summary', () => {
  it('prints the markdown on stdout, or one JSON object with --json, reading the lock beside the manifest', async () => {
    const dir = await tempDir();
    const text = `---
language: python
dependencies: []
conda:
  channels: [conda-forge]
`;
    await writeFile(path.join(dir, 'manifest.yml'), text);
    const noLock = await runCliInProcess('package', ['summary'], { cwd: dir });
    expect(noLock.code).toBe(0);
    expect(noLock.stdout).toBe('');
    expect(noLock.stderr).toContain('manifest.lock.yml: run `bin/package resolve` to list the installers, conda packages and wheels');

    await writeFile(path.join(dir, 'manifest.lock.yml'), serializeLock(LOCK));
    const md = await runCliInProcess('package', ['summary', '--manifest', path.join(dir, 'manifest.yml')]);
    expect(md.code).toBe(0);
    expect(md.stdout).toBe(summaryMarkdown(parse(text), LOCK));
    const json = await runCliInProcess('package', ['summary', '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify(summaryJson(parse(text), LOCK, path.join(dir, 'manifest.lock.yml')))));
  });

  it('exits 1 naming the manifest it could not find', async () => {
    const r = await runCliInProcess('package', ['summary', '--manifest', '/nonexistent/manifest.yml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Could not find manifest.yml: /nonexistent/manifest.yml');
  });
});
