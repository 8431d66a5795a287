import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../src/core/errors.js';
import {
  checkPackagingTarget,
  dependenciesForStack,
  dependencyArtifact,
  loadManifest,
  manifestPosition,
  parseManifest,
} from '../../src/manifest/index.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const CURRENT = path.join(UPSTREAM, 'cf-python-buildpack-manifest.yml');
const LEGACY = path.join(UPSTREAM, 'cf-python-buildpack-manifest-url_to_dependency_map-2017.yml');

/** The PackagerError `fn` throws, for asserting code, message and fields. */
function caught(fn: () => unknown): PackagerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PackagerError) return err;
    throw err;
  }
  throw new Error('expected a PackagerError, nothing was thrown');
}

/** The text of `source` from a 1-based line/column on. */
function textAt(source: string, pos: { line: number; column: number }): string {
  const lines = source.split('\n');
  return [lines[pos.line - 1]!.slice(pos.column - 1), ...lines.slice(pos.line)].join('\n');
}

function fail(text: string): PackagerError {
  return caught(() => parseManifest(text, 'manifest.yml'));
}

/** The same error's essentials, for inline snapshots. */
function essentials(e: PackagerError) {
  const { file, key, line, column } = e.details;
  return { code: e.code, message: e.message, file, key, line, column };
}

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

const GOOD = `language: python
default_versions:
- name: python
  version: 3.11.x
dependencies:
- name: python
  version: 3.11.9
  uri: https://example.test/python-3.11.9.tgz
  sha256: ${SHA_A}
  cf_stacks: [cflinuxfs4]
- name: python
  version: 3.11.4
  uri: https://example.test/python-3.11.4-fs3.tgz
  sha256: ${SHA_B}
  cf_stacks:
  - cflinuxfs3
include_files: [manifest.yml, VERSION]
`;

describe('upstream manifests', () => {
  it('loads the current cloudfoundry/python-buildpack manifest with its concrete values', async () => {
    const { manifest, warnings } = await loadManifest(CURRENT);
    expect(warnings).toEqual([]);
    expect(manifest.language).toBe('python');
    expect(manifest.path).toBe(CURRENT);
    expect(manifest.dependencies).toHaveLength(31);
    expect(manifest.default_versions).toEqual([{ name: 'python', version: '3.10.x' }]);
    expect(manifest.dependency_deprecation_dates).toHaveLength(5);
    expect(manifest.dependency_deprecation_dates[0]).toEqual({
      name: 'python',
      version_line: '3.10.x',
      date: '2026-10-04',
      link: 'https://www.python.org/dev/peps/pep-0619/',
    });
    expect(manifest.include_files).toContain('bin/compile');
    expect(manifest.include_files).toHaveLength(14);
    expect(manifest.exclude_files).toBeUndefined();
    expect(manifest.pre_package).toBe('scripts/build.sh');
    expect(manifest.url_to_dependency_map).toEqual([]);
    expect(manifest.miniconda).toEqual([]);
    expect(manifest.conda).toBeUndefined();
    expect(manifest.pip).toBeUndefined();

    const miniconda = manifest.dependencies.find((d) => d.name === 'miniconda3-py39')!;
    expect(miniconda).toMatchObject({
      version: '25.7.0',
      uri: 'https://repo.anaconda.com/miniconda/Miniconda3-py39_25.7.0-2-Linux-x86_64.sh',
      sha256: '790e8ea347cf49ba250fceacdc0b022237a9150717b9e4c17f2e70abc075c05d',
      cf_stacks: ['cflinuxfs4', 'cflinuxfs3'],
      source: 'https://github.com/conda/conda/archive/25.7.0.tar.gz',
    });
    // YAML typed `version: '25.2'` as a string already; quoted sha256 with leading zeros stays text.
    expect(manifest.dependencies.find((d) => d.name === 'pip' && d.cf_stacks.includes('cflinuxfs3'))!.version).toBe('25.2');
    expect(manifest.dependencies.find((d) => d.name === 'libmemcache')!.sha256).toBe(
      '009a3476197030e30d0ce924cc044ee4851ef27324e132b29fd12d8cde071915',
    );
    // Keys the typed view does not model are still in raw, in file order.
    expect(Object.keys(manifest.raw)).toEqual([
      'language',
      'default_versions',
      'dependency_deprecation_dates',
      'dependencies',
      'include_files',
      'pre_package',
    ]);
    expect(Object.keys(miniconda.raw)).toEqual(['name', 'version', 'uri', 'sha256', 'cf_stacks', 'source', 'source_sha256']);
  });

  it('loads the 2017 compile-extensions manifest: md5, exclude_files, url_to_dependency_map, deprecation match', async () => {
    const { manifest, warnings } = await loadManifest(LEGACY);
    expect(warnings).toEqual([]);
    expect(manifest.dependencies).toHaveLength(12);
    expect(manifest.dependencies.every((d) => d.sha256 === undefined && d.md5 !== undefined)).toBe(true);
    const py2713 = manifest.dependencies.find((d) => d.name === 'python' && d.version === '2.7.13')!;
    expect(py2713.md5).toBe('5cf1a1afbac646fbcb519d1babbc35df');
    expect(py2713.cf_stacks).toEqual(['cflinuxfs2']);
    expect(manifest.url_to_dependency_map).toEqual([
      { match: 'python-(\\d+\\.\\d+\\.\\d+).tar', name: 'python', version: '$1' },
      { match: 'libmemcache', name: 'libmemcache', version: '1.0.18' },
      { match: 'libffi', name: 'libffi', version: '3.2.1' },
    ]);
    expect(manifest.dependency_deprecation_dates).toHaveLength(5);
    // `version_line: "2.7"` and the unquoted date come out as plain strings.
    expect(manifest.dependency_deprecation_dates[0]).toEqual({ name: 'python', version_line: '2.7', date: '2020-01-01', match: '2.7.\\d+' });
    expect(manifest.exclude_files).toEqual([
      '.git/',
      '.gitignore',
      '.gitmodules',
      'cf_spec/',
      'log/',
      'test/',
      'bin/package',
      'buildpack-packager/',
      'python_buildpack-*v*.zip',
    ]);
    expect(manifest.include_files).toBeUndefined();
    expect(manifest.default_versions).toEqual([{ name: 'python', version: '2.7.13' }]);
  });

  it('turns an md5-only dependency into an md5 integrity, and prefers sha256 when both exist', async () => {
    const { manifest } = await loadManifest(LEGACY);
    const libffi = manifest.dependencies.find((d) => d.name === 'libffi')!;
    expect(dependencyArtifact(libffi)).toEqual({
      kind: 'dependency',
      name: 'libffi',
      version: '3.2.1',
      url: 'https://buildpacks.cloudfoundry.org/dependencies/manual-binaries/python/libffi-3.2.1-linux-x64-5f5bf32c.tgz',
      integrity: 'md5-X1vzLM/Jv21ZzO4czNYPVA==',
    });
    const both = parseManifest(
      GOOD.replace(`  sha256: ${SHA_A}`, `  sha256: ${SHA_A}\n  md5: 5f5bf32ccfc9bf6d59ccee1cccd60f54`),
      'm.yml',
    ).manifest.dependencies[0]!;
    expect(dependencyArtifact(both).integrity).toMatch(/^sha256-/);
  });
});

describe('typing of scalars', () => {
  it('keeps versions as the text the author typed, whatever YAML typed them', () => {
    const { manifest } = parseManifest(
      `language: python
default_versions:
- {name: a, version: 1.0}
dependencies:
- {name: a, version: 1.0, uri: https://x.test/a, sha256: ${SHA_A}, cf_stacks: [s]}
- {name: b, version: 3, uri: https://x.test/b, sha256: ${SHA_A}, cf_stacks: [s]}
- {name: c, version: 2.7.13, uri: https://x.test/c, sha256: ${SHA_A}, cf_stacks: [s]}
- {name: d, version: 1.10, uri: https://x.test/d, sha256: ${SHA_A}, cf_stacks: [s]}
url_to_dependency_map:
- {match: 'a-(\\d+)', name: a, version: 1.0}
dependency_deprecation_dates:
- {name: a, version_line: 1.0, date: 2030-01-31}
pip:
  python_version: 3.10
`,
      'm.yml',
    );
    expect(manifest.dependencies.map((d) => d.version)).toEqual(['1.0', '3', '2.7.13', '1.10']);
    expect(manifest.default_versions[0]!.version).toBe('1.0');
    expect(manifest.url_to_dependency_map[0]!.version).toBe('1.0');
    expect(manifest.dependency_deprecation_dates[0]).toEqual({ name: 'a', version_line: '1.0', date: '2030-01-31' });
    expect(manifest.pip!.python_version).toBe('3.10');
    // raw carries the same strings, so rewriting the manifest cannot turn 1.0 into 1.
    expect((manifest.raw.dependencies as Record<string, unknown>[])[0]!.version).toBe('1.0');
    expect(manifest.dependencies[3]!.raw.version).toBe('1.10');
    expect((manifest.raw.pip as Record<string, unknown>).python_version).toBe('3.10');
  });

  it('fills in the resolved sections with their defaults', () => {
    const { manifest } = parseManifest(
      `language: python
miniconda:
- flavor: miniconda3
  version: py311_24.1.2-0
  cf_stacks: [cflinuxfs4]
conda:
  channels: [https://conda.anaconda.org/conda-forge]
  specs: ["numpy=1.26.4"]
pip:
  requirements: ["requests==2.31.0"]
packaging_profiles:
  minimal:
    description: no installers
    exclude: [miniconda3]
`,
      'm.yml',
    );
    expect(manifest.miniconda).toEqual([{ flavor: 'Miniconda3', version: 'py311_24.1.2-0', cf_stacks: ['cflinuxfs4'] }]);
    expect(manifest.conda).toEqual({
      channels: ['https://conda.anaconda.org/conda-forge'],
      subdirs: ['linux-64', 'noarch'],
      specs: ['numpy=1.26.4'],
      files: [],
    });
    expect(manifest.pip).toEqual({
      index_url: 'https://pypi.org/simple',
      extra_index_urls: [],
      find_links: [],
      python_version: '3.11',
      requirements: ['requests==2.31.0'],
      files: [],
    });
    expect(manifest.packaging_profiles).toEqual({ minimal: { description: 'no installers', exclude: ['miniconda3'] } });
    expect(manifest.dependencies).toEqual([]);
  });

  it('gives a packaged manifest (top-level stack:) its stack as every cf_stacks', () => {
    const { manifest } = parseManifest(
      `language: python
stack: cflinuxfs4
dependencies:
- name: a
  version: '1'
  uri: https://x.test/a
  sha256: ${SHA_A}
  file: dependencies/0fa03f02/a
`,
      'm.yml',
    );
    expect(manifest.stack).toBe('cflinuxfs4');
    expect(manifest.dependencies[0]).toMatchObject({ cf_stacks: ['cflinuxfs4'], file: 'dependencies/0fa03f02/a' });
  });
});

describe('positions', () => {
  it('knows the line and column of every key path', () => {
    const { manifest } = parseManifest(GOOD, 'manifest.yml');
    const at = (key: string) => textAt(GOOD, manifestPosition(manifest, key)!);
    expect(manifestPosition(manifest, 'language')).toEqual({ line: 1, column: 11 });
    expect(manifestPosition(manifest, 'dependencies[1]')).toEqual({ line: 11, column: 3 });
    expect(manifestPosition(manifest, 'dependencies[1].sha256')).toEqual({ line: 14, column: 11 });
    expect(at('language')).toMatch(/^python\n/);
    expect(at('dependencies[1]')).toMatch(/^name: python\n {2}version: 3.11.4/);
    expect(at('dependencies[1].sha256')).toMatch(new RegExp(`^${SHA_B}\n`));
    expect(at('dependencies[0].cf_stacks[0]')).toMatch(/^cflinuxfs4]/);
    expect(at('dependencies[1].cf_stacks')).toMatch(/^- cflinuxfs3/);
    expect(at('dependencies[1].cf_stacks[0]')).toMatch(/^cflinuxfs3\n/);
    expect(at('include_files[1]')).toMatch(/^VERSION]/);
    expect(at('default_versions[0].version')).toMatch(/^3.11.x\n/);
  });

  it('locates values in randomly formatted manifests (block, flow, comments, blank lines, indentation)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.array(
          fc.record({
            flow: fc.boolean(),
            comment: fc.boolean(),
            blank: fc.boolean(),
            version: fc.constantFrom('1.0', '3', '2.7.13', "'25.2'", '"1.10"'),
            stacks: fc.constantFrom('flow', 'same-indent', 'nested'),
            spaces: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (indent, deps) => {
          // Every item of one sequence shares one indentation, as YAML requires.
          const pad = ' '.repeat(indent);
          const lines = ['language: python', 'dependencies:'];
          deps.forEach((d, i) => {
            const sha = i.toString(16).padStart(2, '0').repeat(32);
            const sp = ' '.repeat(d.spaces);
            if (d.blank) lines.push('');
            if (d.comment) lines.push(`${pad}# dependency ${i}`);
            if (d.flow) {
              lines.push(`${pad}- {name: dep${i},${sp}version: ${d.version}, uri: 'https://x.test/${i}', sha256:${sp}${sha}, cf_stacks: [${sp}s${i}]}`);
              return;
            }
            lines.push(`${pad}-${sp}name: dep${i}  # the name`);
            const body = pad + ' '.repeat(1 + d.spaces);
            lines.push(`${body}version: ${d.version}`);
            if (d.comment) lines.push(`${body}# checksum next`);
            lines.push(`${body}sha256:${sp}${sha}`);
            lines.push(`${body}uri: https://x.test/${i}`);
            if (d.stacks === 'flow') lines.push(`${body}cf_stacks: [ s${i} ]`);
            else if (d.stacks === 'same-indent') lines.push(`${body}cf_stacks:`, `${body}- s${i}`);
            else lines.push(`${body}cf_stacks:`, '', `${body}  # stacks`, `${body}  -${sp}s${i}`);
          });
          const text = lines.join('\n') + '\n';
          const { manifest } = parseManifest(text, 'm.yml');
          expect(manifest.dependencies).toHaveLength(deps.length);
          manifest.dependencies.forEach((d, i) => {
            expect(textAt(text, manifestPosition(manifest, `dependencies[${i}].sha256`)!).startsWith(d.sha256!)).toBe(true);
            expect(textAt(text, manifestPosition(manifest, `dependencies[${i}].name`)!).startsWith(`dep${i}`)).toBe(true);
            expect(textAt(text, manifestPosition(manifest, `dependencies[${i}].cf_stacks[0]`)!).startsWith(`s${i}`)).toBe(true);
            expect(textAt(text, manifestPosition(manifest, `dependencies[${i}].version`)!).replace(/^['"]/, '').startsWith(d.version)).toBe(true);
            expect(textAt(text, manifestPosition(manifest, `dependencies[${i}]`)!)).toMatch(/^(\{name|name)/);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('points at the right spot through comments, blank lines, flow style and CRLF line ends', () => {
    const text = [
      '# leading comment',
      '',
      'language: python   # trailing',
      'dependencies:',
      '',
      '  # a comment between items',
      '  - {name: a, version: "1", uri: https://x.test/a, sha256: nothex, cf_stacks: [s]}',
      '',
    ].join('\r\n');
    const e = fail(text);
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 60,
        "file": "manifest.yml",
        "key": "dependencies[0].sha256",
        "line": 7,
        "message": "manifest.yml: dependencies[0].sha256 (line 7, column 60): not a sha256 digest (64 hexadecimal characters): nothex",
      }
    `);
    // Column 60 really is where `nothex` starts on line 7.
    expect(text.split('\r\n')[6]!.slice(59, 65)).toBe('nothex');
  });
});

describe('manifest errors', () => {
  it('reports a YAML syntax error with js-yaml line and column', () => {
    const e = fail('language: python\ndependencies:\n- name: a\n   version: 1\n');
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 11,
        "file": "manifest.yml",
        "key": undefined,
        "line": 4,
        "message": "Invalid YAML in manifest.yml (line 4, column 11): bad indentation of a mapping entry",
      }
    `);
    expect(e.hint).toMatch(/indentation/);
  });

  it('reports a duplicated key as a YAML error', () => {
    const e = fail('language: python\nlanguage: ruby\n');
    expect(e.message).toMatchInlineSnapshot(`"Invalid YAML in manifest.yml (line 2, column 1): duplicated mapping key"`);
  });

  it('rejects a document that is not a mapping', () => {
    expect(fail('- a\n- b\n').message).toMatchInlineSnapshot(
      `"manifest.yml: the manifest must be a YAML mapping (language:, dependencies:, ...), but it is a list"`,
    );
    expect(fail('').message).toMatch(/but it is empty/);
  });

  it('requires language', () => {
    const e = fail(`dependencies: []\n`);
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 1,
        "file": "manifest.yml",
        "key": "language",
        "line": 1,
        "message": "manifest.yml: language (line 1, column 1): missing required key",
      }
    `);
    expect(e.hint).toMatch(/language: python/);
  });

  it('rejects a dependency without uri, pointing at the entry', () => {
    const e = fail(GOOD.replace('  uri: https://example.test/python-3.11.4-fs3.tgz\n', ''));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 3,
        "file": "manifest.yml",
        "key": "dependencies[1].uri",
        "line": 11,
        "message": "manifest.yml: dependencies[1].uri (line 11, column 3): dependency python 3.11.4 has no uri",
      }
    `);
  });

  it('rejects a dependency without any checksum', () => {
    const e = fail(GOOD.replace(`  sha256: ${SHA_B}\n`, ''));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 3,
        "file": "manifest.yml",
        "key": "dependencies[1]",
        "line": 11,
        "message": "manifest.yml: dependencies[1] (line 11, column 3): dependency python 3.11.4 has no checksum: add sha256 (or the legacy md5)",
      }
    `);
  });

  it('rejects a sha256 that is not 64 hex characters, with wanted/found', () => {
    const e = fail(GOOD.replace(`sha256: ${SHA_B}`, `sha256: ${SHA_B.slice(0, 63)}`));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 11,
        "file": "manifest.yml",
        "key": "dependencies[1].sha256",
        "line": 14,
        "message": "manifest.yml: dependencies[1].sha256 (line 14, column 11): not a sha256 digest (64 hexadecimal characters): bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      }
    `);
    expect(e.details.wanted).toBe('64 hexadecimal characters');
    expect(e.details.found).toBe('63 characters');
  });

  it('rejects an md5 that is not 32 hex characters', () => {
    const e = fail(GOOD.replace(`  sha256: ${SHA_B}`, '  md5: 5f5bf32ccfc9bf6d59ccee1cccd60fzz'));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 8,
        "file": "manifest.yml",
        "key": "dependencies[1].md5",
        "line": 14,
        "message": "manifest.yml: dependencies[1].md5 (line 14, column 8): not an md5 digest (32 hexadecimal characters): 5f5bf32ccfc9bf6d59ccee1cccd60fzz",
      }
    `);
    expect(e.details.found).toBe('32 characters, not all hexadecimal');
  });

  it('rejects cf_stacks that is not a list', () => {
    const e = fail(GOOD.replace('cf_stacks: [cflinuxfs4]', 'cf_stacks: cflinuxfs4'));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 14,
        "file": "manifest.yml",
        "key": "dependencies[0].cf_stacks",
        "line": 10,
        "message": "manifest.yml: dependencies[0].cf_stacks (line 10, column 14): cf_stacks must be a list of stack names, got a string: cflinuxfs4",
      }
    `);
    expect(e.hint).toBe('Write it as a list: `cf_stacks: [cflinuxfs4]`.');
  });

  it('rejects default_versions that point at no dependency (Ruby gem wording)', () => {
    const e = fail(GOOD.replace('version: 3.11.x', 'version: 3.12.x'));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 3,
        "file": "manifest.yml",
        "key": "default_versions[0]",
        "line": 3,
        "message": "manifest.yml: default_versions[0] (line 3, column 3): a 'default_versions' entry for python 3.12.x was specified by the buildpack manifest, but no 'dependencies' entry for python 3.12.x was found in the buildpack manifest.",
      }
    `);
    expect(e.details.found).toBe('python 3.11.9, 3.11.4');
  });

  it('rejects a second default for the same name (Ruby gem wording)', () => {
    const e = fail(GOOD.replace('  version: 3.11.x\n', '  version: 3.11.x\n- name: python\n  version: 3.11.9\n'));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 3,
        "file": "manifest.yml",
        "key": "default_versions[1]",
        "line": 5,
        "message": "manifest.yml: default_versions[1] (line 5, column 3): python had more than one 'default_versions' entry in the buildpack manifest.",
      }
    `);
  });

  it('rejects wrong types anywhere, naming the expected and actual type', () => {
    expect(essentials(fail('language: python\ndependencies: python-3.11.tgz\n'))).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 15,
        "file": "manifest.yml",
        "key": "dependencies",
        "line": 2,
        "message": "manifest.yml: dependencies (line 2, column 15): expected a list, got a string: python-3.11.tgz",
      }
    `);
    expect(fail('language: [python]\n').message).toMatchInlineSnapshot(
      `"manifest.yml: language (line 1, column 11): expected a string, got a list: ["python"]"`,
    );
    expect(fail('language: python\nconda:\n  channels: [a]\n  specs: {numpy: 1}\n').message).toMatchInlineSnapshot(
      `"manifest.yml: conda.specs (line 4, column 10): expected a list, got a mapping: {"numpy":1}"`,
    );
    expect(fail('language: python\ninclude_files: [VERSION, [bin]]\n').message).toMatchInlineSnapshot(
      `"manifest.yml: include_files[1] (line 2, column 26): expected a string, got a list: ["bin"]"`,
    );
    expect(fail('language: python\ndependency_deprecation_dates:\n- {name: p, version_line: "2", date: soon}\n').message).toMatchInlineSnapshot(
      `"manifest.yml: dependency_deprecation_dates[0].date (line 3, column 38): expected a date (YYYY-MM-DD), got: soon"`,
    );
  });

  it('reports every problem at once, the first in the message and all in details.problems', () => {
    const e = fail(`dependencies:\n- name: a\n  version: 1\n  cf_stacks: s\n`);
    expect(e.message).toMatchInlineSnapshot(`"manifest.yml: language (line 1, column 1): missing required key (and 3 more problems)"`);
    expect(e.details.problems).toMatchInlineSnapshot(`
      [
        "manifest.yml: language (line 1, column 1): missing required key",
        "manifest.yml: dependencies[0].uri (line 2, column 3): dependency a 1 has no uri",
        "manifest.yml: dependencies[0] (line 2, column 3): dependency a 1 has no checksum: add sha256 (or the legacy md5)",
        "manifest.yml: dependencies[0].cf_stacks (line 4, column 14): cf_stacks must be a list of stack names, got a string: s",
      ]
    `);
  });

  it('rejects include_files and exclude_files together', () => {
    expect(fail(GOOD + 'exclude_files: [test/]\n').message).toMatchInlineSnapshot(
      `"manifest.yml: exclude_files (line 18, column 1): use either include_files (allow-list) or exclude_files (deny-list), not both"`,
    );
  });

  it('validates packaging profile names and the dependencies they exclude (libbuildpack wording)', () => {
    expect(fail(GOOD + 'packaging_profiles:\n  Minimal:\n    exclude: [python]\n').message).toMatchInlineSnapshot(
      `"manifest.yml: packaging_profiles.Minimal (line 19, column 3): profile name "Minimal" is invalid: must match ^[a-z0-9_-]+$"`,
    );
    expect(fail(GOOD + 'packaging_profiles:\n  minimal:\n    exclude: [python, ruby]\n').message).toMatchInlineSnapshot(
      `"manifest.yml: packaging_profiles.minimal.exclude[1] (line 20, column 23): profile "minimal" references unknown dependency "ruby""`,
    );
  });

  it('rejects an unknown installer flavor and a miniconda entry without cf_stacks', () => {
    const e = fail('language: python\nminiconda:\n- flavor: Anaconda3\n  version: latest\n');
    expect(e.details.problems).toMatchInlineSnapshot(`
      [
        "manifest.yml: miniconda[0].flavor (line 3, column 11): unknown installer flavor: Anaconda3",
        "manifest.yml: miniconda[0].cf_stacks (line 3, column 3): missing required key",
      ]
    `);
  });

  it('warns, with the line, about unknown top-level keys and section keys, and still loads', () => {
    const { manifest, warnings } = parseManifest(
      GOOD + 'dependencys: []\npip:\n  requirement: [flask]\n',
      'manifest.yml',
    );
    expect(manifest.dependencies).toHaveLength(2);
    expect(warnings).toMatchInlineSnapshot(`
      [
        {
          "column": 1,
          "key": "dependencys",
          "line": 18,
          "message": "unknown top-level key, ignored",
        },
        {
          "column": 3,
          "key": "pip.requirement",
          "line": 20,
          "message": "unknown key (known: index_url, extra_index_urls, find_links, python_version, platforms, requirements, files), ignored",
        },
      ]
    `);
  });

  it('refuses a misspelt packager section (within two edits) with "did you mean", naming every one', () => {
    const e = caught(() =>
      parseManifest(GOOD + 'pipp:\n  requirements: [flask]\ncondaa:\n  specs: [numpy]\nminconda: []\nEnvironment: {}\nap: []\n', 'manifest.yml'),
    );
    expect(e).toMatchObject({ code: 'EMANIFEST' });
    expect(e.details).toMatchObject({ key: 'pipp', line: 18, column: 1, hint: expect.stringContaining('Rename `pipp:` to `pip:`') });
    expect(e.message).toBe('manifest.yml: pipp (line 18, column 1): unknown top-level key: did you mean `pip:`? (and 4 more problems)');
    expect(e.details.problems).toEqual([
      'manifest.yml: pipp (line 18, column 1): unknown top-level key: did you mean `pip:`?',
      'manifest.yml: condaa (line 20, column 1): unknown top-level key: did you mean `conda:`?',
      'manifest.yml: minconda (line 22, column 1): unknown top-level key: did you mean `miniconda:`?',
      'manifest.yml: Environment (line 23, column 1): unknown top-level key: did you mean `environments:`?',
      'manifest.yml: ap (line 24, column 1): unknown top-level key: did you mean `apps:`?',
    ]);
  });

  it('keeps foreign keys (more than two edits away, or two from `pip`) as warnings', () => {
    const { warnings } = parseManifest(GOOD + 'owner: ops\nid: x\ncontact: ops\nx-team: infra\n', 'manifest.yml');
    expect(warnings.map((w) => w.key)).toEqual(['owner', 'id', 'contact', 'x-team']);
  });

  it('says so when the manifest file does not exist', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.yml');
    await expect(loadManifest(file)).rejects.toMatchObject({ code: 'EMANIFEST', message: `Could not find manifest: ${file}` });
  });
});

describe('packaging target', () => {
  it('refuses a manifest that was already packaged, pointing at its stack: key', () => {
    const { manifest } = parseManifest(`language: python\nstack: cflinuxfs4\ndependencies: []\n`, 'manifest.yml');
    const e = caught(() => checkPackagingTarget(manifest, { stack: 'cflinuxfs4' }));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 1,
        "file": "manifest.yml",
        "key": "stack",
        "line": 2,
        "message": "manifest.yml: stack (line 2, column 1): Cannot package from already packaged buildpack manifest",
      }
    `);
    // Also without a target stack: an --any-stack build of a packaged manifest is just as wrong.
    expect(caught(() => checkPackagingTarget(manifest, {})).message).toMatch(/already packaged/);
  });

  it('refuses a stack no dependency supports', () => {
    const { manifest } = parseManifest(GOOD, 'manifest.yml');
    const e = caught(() => checkPackagingTarget(manifest, { stack: 'cflinuxfs9' }));
    expect(e.message).toMatchInlineSnapshot(`"manifest.yml: Stack \`cflinuxfs9\` not found in manifest"`);
    expect(e.details.found).toBe('cflinuxfs3, cflinuxfs4');
  });

  it('refuses a stack for which a default version has no dependency', () => {
    const { manifest } = parseManifest(
      GOOD.replace('- cflinuxfs3\n', '- cflinuxfs3\n- name: ruby\n  version: "1"\n  uri: https://x.test/r\n  sha256: ' + SHA_A + '\n  cf_stacks: [cflinuxfs5]\n'),
      'manifest.yml',
    );
    const e = caught(() => checkPackagingTarget(manifest, { stack: 'cflinuxfs5' }));
    expect(essentials(e)).toMatchInlineSnapshot(`
      {
        "code": "EMANIFEST",
        "column": 3,
        "file": "manifest.yml",
        "key": "default_versions[0]",
        "line": 3,
        "message": "manifest.yml: default_versions[0] (line 3, column 3): No matching default dependency \`python\` for stack \`cflinuxfs5\`",
      }
    `);
  });

  it('accepts each stack of the upstream manifest, and the wildcard default 3.10.x', async () => {
    const { manifest } = await loadManifest(CURRENT);
    for (const stack of ['cflinuxfs3', 'cflinuxfs4', 'cflinuxfs5']) expect(() => checkPackagingTarget(manifest, { stack })).not.toThrow();
    expect(() => checkPackagingTarget(manifest, {})).not.toThrow();
  });

  it('picks the dependencies of one stack, or all of them without a stack', async () => {
    const { manifest } = await loadManifest(CURRENT);
    const fs3 = dependenciesForStack(manifest, 'cflinuxfs3');
    expect(fs3.map((d) => `${d.name} ${d.version}`)).toEqual([
      'libffi 3.2.1',
      'libmemcache 1.0.18',
      'miniconda3-py39 25.7.0',
      'miniforge 24.7.1',
      'pip 25.2',
      'pipenv 2024.4.1',
      'python 3.10.19',
      'python 3.11.14',
      'python 3.13.9',
      'python 3.14.2',
    ]);
    expect(dependenciesForStack(manifest)).toHaveLength(31);
  });
});

describe('loadManifest on disk', () => {
  it('reads the file it is given and records its absolute path', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.yml');
    await writeFile(file, GOOD);
    const { manifest } = await loadManifest(file);
    expect(manifest.path).toBe(file);
    expect(await readFile(file, 'utf8')).toBe(GOOD);
  });
});
