import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectBuildpackFiles, excludeMatcher } from '../../src/bundle/buildpack-files.js';
import { tempDir } from '../helpers/tmp.js';
import { FIXTURES } from '../helpers/paths.js';
import { manifestFromFile, manifestFromYaml } from './manifest-fixture.js';

// The tree of the Ruby gem's packager_spec.rb, plus git files.
const TREE = ['VERSION', 'README.md', 'lib/sai.to', 'lib/rash', 'log/log.txt', 'first-level/log/log.txt', 'log.txt', 'blog.txt', 'blog/blog.txt', '.gitignore', '.git/config', '.github/workflows/ci.yml', 'sub/.gitkeep', 'manifest.yml'];

async function makeTree(files = TREE): Promise<string> {
  const root = await tempDir();
  for (const f of files) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), `${f}\n`);
  }
  return root;
}

async function namesFor(root: string, manifestYaml: string): Promise<string[]> {
  return (await collectBuildpackFiles(root, manifestFromYaml(manifestYaml, path.join(root, 'manifest.yml')))).map((e) => e.name);
}

describe('collectBuildpackFiles: exclude_files (Ruby gem semantics)', () => {
  it('takes the whole tree minus .git* files, sorted', async () => {
    const root = await makeTree();
    expect(await namesFor(root, 'language: x\nexclude_files: []\n')).toEqual([
      'README.md', 'VERSION', 'blog.txt', 'blog/blog.txt', 'first-level/log/log.txt', 'lib/rash', 'lib/sai.to', 'log.txt', 'log/log.txt', 'manifest.yml',
    ]);
  });

  it('excludes directories with a `dir/` pattern at any depth, but not look-alikes', async () => {
    const names = await namesFor(await makeTree(), 'language: x\nexclude_files: [log/]\n');
    expect(names).not.toContain('log/log.txt');
    expect(names).not.toContain('first-level/log/log.txt');
    expect(names).toContain('blog/blog.txt');
    expect(names).toContain('log.txt');
  });

  it('accepts glob patterns that match across directories', async () => {
    const names = await namesFor(await makeTree(), "language: x\nexclude_files: ['*log.txt']\n");
    for (const gone of ['log.txt', 'log/log.txt', 'first-level/log/log.txt', 'blog/blog.txt', 'blog.txt']) expect(names).not.toContain(gone);
    expect(names).toContain('README.md');
  });

  it('does not do fuzzy matching by default', async () => {
    const names = await namesFor(await makeTree(), 'language: x\nexclude_files: [log.txt]\n');
    expect(names).not.toContain('log.txt');
    expect(names).toContain('blog.txt');
  });

  it('matches zip -x wildcards: ?, [classes], and exact names only', () => {
    expect(excludeMatcher('lib/ra?h')('lib/rash')).toBe(true);
    expect(excludeMatcher('[lr]og.txt')('log.txt')).toBe(true);
    expect(excludeMatcher('[!l]og.txt')('log.txt')).toBe(false);
    expect(excludeMatcher('VERSION')('VERSION.bak')).toBe(false);
    expect(excludeMatcher('a.b')('axb')).toBe(false);
  });

  it('follows symlinks to files and skips symlink loops', async () => {
    const root = await makeTree(['bin/real', 'manifest.yml']);
    await symlink('real', path.join(root, 'bin', 'alias'));
    await symlink('..', path.join(root, 'bin', 'loop'));
    const entries = await collectBuildpackFiles(root, manifestFromYaml('language: x\n', path.join(root, 'manifest.yml')));
    expect(entries.map((e) => e.name)).toEqual(['bin/alias', 'bin/real', 'manifest.yml']);
  });

  it('names a broken symlink', async () => {
    const root = await makeTree(['manifest.yml']);
    await symlink('nowhere', path.join(root, 'dangling'));
    await expect(namesFor(root, 'language: x\n')).rejects.toMatchObject({ code: 'EBUNDLE', message: expect.stringContaining('dangling') });
  });
});

describe('collectBuildpackFiles: include_files (libbuildpack semantics)', () => {
  it('includes only the listed files (a listed directory brings its tree)', async () => {
    const root = await makeTree();
    const names = await namesFor(root, 'language: x\ninclude_files: [VERSION, ./manifest.yml, lib/]\n');
    expect(names).toEqual(['VERSION', 'lib/rash', 'lib/sai.to', 'manifest.yml']);
  });

  it('fails naming a listed file that does not exist', async () => {
    const root = await makeTree();
    const err = await namesFor(root, 'language: x\ninclude_files: [VERSION, DOESNOTEXIST.txt]\n').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMANIFEST', details: { key: 'include_files[1]', file: path.join(root, 'manifest.yml') } });
    expect((err as Error).message).toBe('include_files names a file that does not exist: DOESNOTEXIST.txt');
  });

  it('refuses a listed path that escapes the root', async () => {
    const root = await makeTree();
    await expect(namesFor(root, 'language: x\ninclude_files: [../etc/passwd]\n')).rejects.toMatchObject({ code: 'EMANIFEST' });
  });

  it('collects the minimal fixture exactly as its manifest lists it', async () => {
    const root = path.join(FIXTURES, 'buildpacks/minimal');
    const entries = await collectBuildpackFiles(root, await manifestFromFile(path.join(root, 'manifest.yml')));
    expect(entries.map((e) => e.name)).toEqual([
      'README.md', 'VERSION', 'bin/compile', 'bin/detect', 'bin/finalize', 'bin/release', 'bin/supply', 'lib/shared.sh', 'manifest.yml',
    ]);
    expect(entries[0]!.source).toEqual({ path: path.join(root, 'README.md') });
  });
});
