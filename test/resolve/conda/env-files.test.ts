import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { condaLockForPlatform, isPackageFile, parseEnvFile, type CondaInput } from '../../../src/resolve/conda/env-files.js';
import { UPSTREAM } from '../../helpers/paths.js';

const C = path.join(UPSTREAM, 'conda');
const parse = (rel: string) => parseEnvFile(path.join(C, rel), readFileSync(path.join(C, rel), 'utf8'));

function urls(x: CondaInput) {
  if (x.kind !== 'urls') throw new Error(`expected urls, got ${x.kind}`);
  return x;
}

describe('conda environment files', () => {
  it('reads real `conda list -e` output as a complete environment', () => {
    const x = parse('generated/conda-list-e.conda-23.7.4.txt');
    expect(x).toMatchObject({
      kind: 'list',
      platform: 'linux-64',
      entries: [
        { name: 'cfpk-greeter', version: '2.1.0', build: '0', line: 4 },
        { name: 'cfpk-hello', version: '1.0.0', build: '0', line: 5 },
      ],
      pip: [],
    });
  });

  it('routes pypi_0 entries to pip and keeps the conda ones', () => {
    const x = parseEnvFile('req.txt', '# platform: linux-64\nnumpy=1.26.4=py311h64a7726_0\nrequests=2.31.0=pypi_0\n');
    expect(x).toMatchObject({ kind: 'list', entries: [{ name: 'numpy', version: '1.26.4', build: 'py311h64a7726_0' }], pip: ['requests==2.31.0'] });
  });

  it('treats a list with non-exact lines as specs, read as conda create --file reads them', () => {
    const x = parseEnvFile('req.txt', 'numpy>=1.26\n# c\npython=3.11.*  # pinned\nzlib=1.2.13=h0\npandas=2.2\nscipy\n');
    // conda 23.7.4 (cli/common.py spec_from_line): `pandas=2.2` in a file is exactly 2.2, not 2.2.*
    expect(x).toMatchObject({
      kind: 'specs',
      specs: [
        { spec: 'numpy >=1.26', line: 1 },
        { spec: 'python 3.11.*', line: 3 },
        { spec: 'zlib==1.2.13=h0', line: 4 },
        { spec: 'pandas 2.2', line: 5 },
        { spec: 'scipy', line: 6 },
      ],
    });
    expect(() => parseEnvFile('req.txt', 'numpy>=\n')).toThrow(/Invalid conda (version spec|MatchSpec).*req.txt line 1/);
    // conda: "could not parse 'python 3.6.*'"
    expect(() => parseEnvFile('req.txt', 'numpy\npython 3.6.*\n')).toThrow(/could not parse 'python 3.6.\*'.*req.txt line 2/);
  });

  it('reads @EXPLICIT files with and without md5 fragments and interleaved comments', () => {
    const plain = urls(parse('conda/env/explicit.txt'));
    expect(plain.entries.map((e) => [e.fn, e.md5])).toEqual([
      ['_libgcc_mutex-0.1-main.conda', undefined],
      ['ca-certificates-2025.2.25-h06a4308_0.conda', undefined],
    ]);
    const mamba = urls(parse('mamba/explicit_env_linux.txt'));
    expect(mamba.platform).toBe('linux-64');
    expect(mamba.entries).toHaveLength(15);
    expect(mamba.entries[4]).toMatchObject({ fn: 'tzdata-2020f-h52ac0ba_0.conda', md5: 'e968a3b568f386342fceebca8c8e6af9', url: 'https://repo.anaconda.com/pkgs/main/noarch/tzdata-2020f-h52ac0ba_0.conda' });
    const lock = urls(parse('conda-lock/zlib.conda-linux-64.lock'));
    expect(lock.entries.map((e) => e.fn)).toEqual([
      '_libgcc_mutex-0.1-conda_forge.tar.bz2',
      'libgomp-9.3.0-h2828fa1_18.tar.bz2',
      '_openmp_mutex-4.5-1_gnu.tar.bz2',
      'libgcc-ng-9.3.0-h2828fa1_18.tar.bz2',
      'zlib-1.2.11-h516909a_1010.tar.bz2',
    ]);
  });

  it('accepts sha256 fragments in both spellings and rejects junk', () => {
    const sha = 'a'.repeat(64);
    const x = urls(parseEnvFile('e.txt', `@EXPLICIT\nhttps://h/c/noarch/a-1-0.conda#sha256:${sha}\nhttps://h/c/noarch/b-1-0.tar.bz2#${sha.toUpperCase()}\n`));
    expect(x.entries.map((e) => e.sha256)).toEqual([sha, sha]);
    expect(() => parseEnvFile('e.txt', '@EXPLICIT\nhttps://h/c/noarch/a-1-0.conda#nothex\n')).toThrow(/Unrecognised hash fragment.*e.txt line 2/);
    expect(() => parseEnvFile('e.txt', '@EXPLICIT\nnumpy=1.0\n')).toThrow(/Not a conda package URL/);
  });

  it('reads environment.yml dependencies, the nested pip list and variables', () => {
    expect(parse('conda/env/environment_with_pip.yml')).toMatchObject({ kind: 'specs', specs: [{ spec: 'pip' }, { spec: 'python' }], pip: ['httpx'], channels: [] });
    expect(parse('conda/env/environment_pinned.yml')).toMatchObject({ kind: 'specs', specs: [{ spec: 'flask==2.0.2' }], variables: { FIXED: 'fixed', CHANGES: 'original_value' } });
    expect(parse('conda-lock/zlib.environment.yml')).toMatchObject({ specs: [{ spec: 'zlib' }], channels: ['conda-forge', 'defaults'] });
    const withInclude = parseEnvFile('/app/environment.yml', 'dependencies:\n  - python=3.11\n  - pip:\n    - -r requirements.txt\n    - flask\n');
    expect(withInclude).toMatchObject({ pip: ['-r /app/requirements.txt', 'flask'] });
  });

  it('points at the line of broken YAML', () => {
    try {
      parseEnvFile('env.yml', 'dependencies:\n  - a\n - b: [\n');
      throw new Error('expected failure');
    } catch (err) {
      expect(err).toMatchObject({ code: 'EINPUT', details: { file: 'env.yml', line: expect.any(Number) } });
    }
  });

  it('reads conda-lock.yml v1 per platform, pip packages as hashed requirements', () => {
    const small = urls(parse('conda-lock/test-update-filter-platform.conda-lock.yml'));
    expect(small.format).toBe('conda-lock');
    expect(condaLockForPlatform(small, 'linux-64').conda).toMatchObject([
      { name: 'zlib', version: '1.2.8', fn: 'zlib-1.2.8-3.tar.bz2', md5: '6b3dbbf50432b3e2a271b5e46877bcfc', sha256: '85fcb6906b8686fe6341db89b4e6fc2631ad69ee6eab2f4823bfd64ae0b20ac8' },
    ]);
    const mixed = urls(parse('conda-lock/test-install-with-pip-deps.conda-lock.yml'));
    const l64 = condaLockForPlatform(mixed, 'linux-64');
    expect(l64.pip).toContain('certifi==2023.7.22 --hash=sha256:92d6037539857d8206b8f6ae472e8b77db8058fec5937a1ef3f54304089edbb9');
    expect(l64.pip).toContain('requests==2.31.0 --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f');
    expect(l64.conda.length).toBeGreaterThan(5);
    expect(l64.conda.every((e) => e.platform === 'linux-64' && e.manager === 'conda')).toBe(true);
  });

  it('knows a package file from any other file', () => {
    expect(isPackageFile('dist/foo-1.0-0.tar.bz2')).toBe(true);
    expect(isPackageFile('file:///x/foo-1.0-0.conda')).toBe(true);
    expect(isPackageFile('environment.yml')).toBe(false);
  });
});
