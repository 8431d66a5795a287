import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSdistMetadata, readWheelMetadata } from '../../../src/resolve/pypi/dist-archive.js';
import { parseWheelFilename } from '../../../src/resolve/pypi/wheel-filename.js';
import { isPackagerError } from '../../../src/core/index.js';
import { UPSTREAM } from '../../helpers/paths.js';

// The wheel's own METADATA: a wheel may vendor others' dist-info (flit_core carries tomli's).
const distInfoMetadata = (wheel: string) => `${wheel.split('-').slice(0, 2).join('-')}.dist-info/METADATA`;
import { tempDir } from '../../helpers/tmp.js';

const WHEELS = path.join(UPSTREAM, 'pypi/wheels');
const SDISTS = path.join(UPSTREAM, 'pypi/sdists');

describe('reading metadata out of distributions', () => {
  it('reads the same METADATA as unzip from every upstream wheel', async () => {
    for (const f of (await readdir(WHEELS)).filter((f) => f.endsWith('.whl'))) {
      const expected = execFileSync('unzip', ['-p', path.join(WHEELS, f), distInfoMetadata(f)], { encoding: 'utf8' });
      expect(await readWheelMetadata(path.join(WHEELS, f), f, parseWheelFilename(f).key), f).toBe(expected);
    }
  });

  it('streams the top-level PKG-INFO and egg-info requires.txt out of .tar.gz sdists', async () => {
    for (const f of await readdir(SDISTS)) {
      const top = execFileSync('tar', ['-tzf', path.join(SDISTS, f)], { encoding: 'utf8' }).split('\n').find((n) => /^[^/]+\/PKG-INFO$/.test(n))!;
      const expected = execFileSync('tar', ['-xzOf', path.join(SDISTS, f), top], { encoding: 'utf8' });
      expect((await readSdistMetadata(path.join(SDISTS, f), f)).pkgInfo, f).toBe(expected);
    }
  });

  it('follows pax long names and reads requires.txt', async () => {
    const dir = await tempDir();
    const long = 'a-very-long-project-name-that-needs-more-than-one-hundred-characters-in-its-tar-header-path-0.1';
    const root = path.join(dir, long);
    await mkdir(path.join(root, 'x.egg-info'), { recursive: true });
    await writeFile(path.join(root, 'PKG-INFO'), 'Metadata-Version: 1.2\nName: x\nVersion: 0.1\n');
    await writeFile(path.join(root, 'x.egg-info/requires.txt'), 'dep>=1\n[extra]\nother\n');
    for (const format of ['pax', 'gnu']) {
      const tgz = path.join(dir, `x-0.1-${format}.tar.gz`);
      execFileSync('tar', [`--format=${format}`, '-czf', tgz, '-C', dir, long]);
      const md = await readSdistMetadata(tgz, 'x-0.1.tar.gz');
      expect(md.pkgInfo).toContain('Name: x');
      expect(md.eggRequires).toBe('dep>=1\n[extra]\nother\n');
    }
  });

  it('reports a damaged wheel as EBADINDEX', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'x-1.0-py3-none-any.whl');
    await writeFile(f, 'not a zip');
    const err = await readWheelMetadata(f, 'x-1.0-py3-none-any.whl', 'x').catch((e: unknown) => e);
    expect(isPackagerError(err, 'EBADINDEX')).toBe(true);
  });
});
