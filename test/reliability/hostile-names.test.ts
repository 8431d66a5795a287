// Names that would break later steps (issue 21, "Names that break later
// steps"): a repodata key or lock entry whose file name is a path, has a
// query, or is longer than a file name may be, is refused at resolve (exit 4,
// naming the record) before anything is fetched by it, and a lock that names
// one is refused when read (exit 1).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../fixtures/origin/origin.mjs';
import { entryNameProblem, parseLock } from '../../src/manifest/index.js';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const SHA = 'a'.repeat(64);

describe('entryNameProblem', () => {
  it('accepts the names real artifacts have', () => {
    expect(entryNameProblem({ name: 'numpy', filename: 'numpy-1.26.4-py311h64a7726_0.conda', subdir: 'linux-64' })).toBeUndefined();
    expect(entryNameProblem({ name: 'build-tag', filename: 'build_tag-1.0.0-5-py2.py3-none-any.whl' })).toBeUndefined();
  });
  it('refuses paths, queries, control characters and names past 255 bytes', () => {
    for (const filename of ['../../x.tar.bz2', 'sub/x.tar.bz2', 'x.tar.bz2?a=1', 'x-1.0-..\\y-py3-none-any.whl', 'x\n.whl', `x-1.0+${'a'.repeat(260)}-py3-none-any.whl`]) {
      expect(entryNameProblem({ name: 'x', filename })).toMatch(/file name/);
    }
    expect(entryNameProblem({ name: '../../evil', filename: 'evil-1.0-0.conda' })).toMatch(/its name is not a plain file name/);
    expect(entryNameProblem({ name: 'x', filename: 'x-1-0.conda', subdir: '../bin' })).toMatch(/its subdir/);
  });
  it('makes parseLock refuse a lock naming such a file, with its key', () => {
    const lock = `lock_version: 1\ninputs_sha256: ${SHA}\nartifacts:\n- kind: conda\n  name: x\n  version: '1'\n  filename: ../../x-1-0.tar.bz2\n  uri: https://c/x\n  sha256: ${SHA}\n  size: 1\n  depends: []\n  cf_stacks: [cflinuxfs4]\n`;
    expect(() => parseLock(lock, 'manifest.lock.yml')).toThrow(/artifacts\[0\]\.filename.*not a plain file name: "\.\.\/\.\.\/x-1-0\.tar\.bz2"/s);
  });
});

describe('resolving a channel whose repodata names files as paths', () => {
  let origin: Origin;
  afterEach(() => origin?.close());

  for (const key of ['../../evil-1.0-0.tar.bz2', 'sub/evil-1.0-0.tar.bz2', 'evil-1.0-0.tar.bz2?a=1']) {
    it(`refuses ${JSON.stringify(key)} with exit 4 before fetching anything by it`, async () => {
      const record = { name: 'evil', version: '1.0', build: '0', build_number: 0, depends: [], sha256: SHA, md5: 'b'.repeat(32), size: 1, subdir: 'linux-64' };
      origin = await startOrigin({
        files: {
          '/c/linux-64/repodata.json': Buffer.from(JSON.stringify({ info: { subdir: 'linux-64' }, packages: { [key]: record } })),
          '/c/noarch/repodata.json': Buffer.from(JSON.stringify({ info: { subdir: 'noarch' }, packages: {} })),
        },
      });
      const dir = await tempDir();
      await writeFile(path.join(dir, 'manifest.yml'), `language: python\ndependencies: []\nconda:\n  channels: [${origin.url}/c]\n  specs: [evil]\n`);
      const r = await runCliInProcess('package', ['resolve'], { cwd: dir });
      expect(r.stderr).toMatch(/evil 1\.0/);
      expect(r.stderr).toMatch(/not a plain file name|cannot hold/);
      expect(r.code).toBe(4);
      expect(origin.requests.map((q) => q.path).filter((p) => p.includes('evil'))).toEqual([]);
    });
  }
});
