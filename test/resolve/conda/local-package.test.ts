import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readLocalPackage } from '../../../src/resolve/conda/local-package.js';
import { UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

const ARCHIVES = path.join(UPSTREAM, 'conda/conda-index/archives');
const ZLIB = path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64');

describe('local conda packages', () => {
  it('reads the same index.json from the .conda and .tar.bz2 twins, with their own hashes', async () => {
    const bz = await readLocalPackage('conda-index-pkg-a-1.0-py27h5e241af_0.tar.bz2', ARCHIVES);
    const cd = await readLocalPackage(pathToFileURL(path.join(ARCHIVES, 'conda-index-pkg-a-1.0-py27h5e241af_0.conda')).toString(), '/nowhere');
    const { md5: _a, sha256: _b, size: _c, ...bzIndex } = bz.record;
    const { md5: _d, sha256: _e, size: _f, ...cdIndex } = cd.record;
    expect(bzIndex).toEqual(cdIndex);
    expect(bzIndex).toMatchObject({ name: 'conda-index-pkg-a', version: '1.0', build: 'py27h5e241af_0', subdir: 'osx-64', depends: ['python >=2.7,<2.8.0a0'] });
    expect(bz.fn).toBe('conda-index-pkg-a-1.0-py27h5e241af_0.tar.bz2');
    expect(cd.fn).toBe('conda-index-pkg-a-1.0-py27h5e241af_0.conda');
    expect(bz.sha256).toBe('459f3e9b2178fa33bdc4e6267326405329d1c1ab982273d9a1c0a5084a1ddc30');
    expect(cd.sha256).toBe('67b07b644105439515cc5c8c22c86939514cacf30c8c574cd70f5f1267a40f19');
    expect([bz.size, cd.size]).toEqual([8733, 9296]);
  });

  it('computes exactly the md5, sha256 and size the real repodata lists for zlib', async () => {
    const repodata = JSON.parse(readFileSync(path.join(ZLIB, 'repodata.json'), 'utf8'));
    for (const [fn, map] of [['zlib-1.2.11-h7b6447c_3.conda', 'packages.conda'], ['zlib-1.2.11-h7b6447c_3.tar.bz2', 'packages']]) {
      const pkg = await readLocalPackage(path.join(ZLIB, fn!), '/');
      const want = repodata[map!][fn!];
      expect(pkg.fn).toBe(fn);
      for (const k of ['md5', 'sha256', 'size', 'name', 'version', 'build', 'build_number', 'depends', 'subdir']) expect(pkg.record[k], `${fn} ${k}`).toEqual(want[k]);
    }
  });

  it('names the canonical file even when the user renamed the file', async () => {
    const dir = await tempDir();
    copyFileSync(path.join(ZLIB, 'zlib-1.2.11-h7b6447c_3.conda'), path.join(dir, 'my-zlib.conda'));
    const pkg = await readLocalPackage('my-zlib.conda', dir);
    expect(pkg.fn).toBe('zlib-1.2.11-h7b6447c_3.conda');
    expect(pkg.path).toBe(path.join(dir, 'my-zlib.conda'));
  });

  it('reads a package built with the real tar and bzip2 tools', async () => {
    const dir = await tempDir();
    mkdirSync(path.join(dir, 'pkg/info'), { recursive: true });
    mkdirSync(path.join(dir, 'pkg/lib'), { recursive: true });
    writeFileSync(path.join(dir, 'pkg/lib/big.bin'), Buffer.alloc(3 << 20, 7));
    writeFileSync(path.join(dir, 'pkg/info/index.json'), JSON.stringify({ name: 'mine', version: '0.1', build: '0', build_number: 0, depends: ['python'], subdir: 'noarch', noarch: 'python' }));
    // index.json last in the archive: the reader must walk past the payload
    execFileSync('tar', ['-cjf', path.join(dir, 'mine-0.1-0.tar.bz2'), '-C', path.join(dir, 'pkg'), 'lib', 'info']);
    const pkg = await readLocalPackage(path.join(dir, 'mine-0.1-0.tar.bz2'), '/');
    expect(pkg.record).toMatchObject({ name: 'mine', noarch: 'python', subdir: 'noarch' });
  });

  it('rejects files that are not conda packages, and missing files', async () => {
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'fake-1-0.tar.bz2'), 'hello');
    await expect(readLocalPackage('fake-1-0.tar.bz2', dir)).rejects.toMatchObject({ code: 'EINPUT', message: expect.stringMatching(/Not a readable conda package/) });
    writeFileSync(path.join(dir, 'fake-1-0.conda'), 'PK not really');
    await expect(readLocalPackage('fake-1-0.conda', dir)).rejects.toMatchObject({ code: 'EINPUT' });
    execFileSync('tar', ['-cjf', path.join(dir, 'empty-1-0.tar.bz2'), '-C', dir, 'fake-1-0.conda']);
    await expect(readLocalPackage('empty-1-0.tar.bz2', dir)).rejects.toMatchObject({ message: expect.stringMatching(/no info\/index.json inside/) });
    await expect(readLocalPackage('absent-1-0.conda', dir)).rejects.toMatchObject({ code: 'EINPUT', message: expect.stringMatching(/not found/) });
    await expect(readLocalPackage('https://example.invalid/x-1-0.conda', dir)).rejects.toMatchObject({ code: 'EINPUT' });
  });
});
