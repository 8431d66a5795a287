import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pypiTreeEntries } from '../../src/bundle/pypi-tree.js';
import type { ShippedFile } from '../../src/bundle/conda-channel.js';
import type { ZipEntry } from '../../src/bundle/write-zip.js';
import type { LockEntry } from '../../src/manifest/types.js';
import { UPSTREAM } from '../helpers/paths.js';
import { isolatedPipEnv } from '../helpers/pip-runs.js';
import { tempDir } from '../helpers/tmp.js';
import { lockEntry } from './manifest-fixture.js';
import { materialize } from './materialize.js';

const run = promisify(execFile);
const WHEELS = path.join(UPSTREAM, 'pypi/wheels');

async function wheel(filename: string, name: string, version: string, extra: Partial<LockEntry> = {}): Promise<{ entry: LockEntry; file: ShippedFile }> {
  const p = path.join(WHEELS, filename);
  const bytes = await readFile(p);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const entry = lockEntry({ kind: 'wheel', name, version, filename, uri: `https://files.example/packages/${filename}`, sha256, size: bytes.length, ...extra });
  return { entry, file: { path: p, sha256, size: bytes.length } };
}

function tree(items: { entry: LockEntry; file: ShippedFile }[]): ZipEntry[] {
  return pypiTreeEntries(items.map((i) => i.entry), new Map(items.map((i) => [i.entry, i.file])));
}

const text = (entries: ZipEntry[], name: string) => String((entries.find((e) => e.name === name)!.source as { data: string }).data);

// pip under test: no config, no PIP_* variables, no network at all.
// A bare venv (no pip inside: fast); the machine's pip installs into it with --python.
async function freshVenv(): Promise<string> {
  const dir = await tempDir('bp-venv-');
  await run('python3', ['-m', 'venv', '--without-pip', dir], { env: isolatedPipEnv() });
  return dir;
}

async function pipInstall(venv: string, indexDir: string, ...reqs: string[]): Promise<void> {
  await run(
    'unshare',
    ['-n', 'python3', '-m', 'pip', '--python', path.join(venv, 'bin/python'), 'install', '--disable-pip-version-check', '--no-cache-dir', '--index-url', `file://${indexDir}/pypi/simple`, ...reqs],
    { env: isolatedPipEnv() },
  );
}

async function installedVersion(venv: string, project: string): Promise<string> {
  const { stdout } = await run(path.join(venv, 'bin/python'), ['-c', 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))', project], { env: isolatedPipEnv() });
  return stdout.trim();
}

describe('pypiTreeEntries', () => {
  it('lays out files, a root index and one PEP 503 page per normalized project', async () => {
    const entries = tree([
      await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0'),
      await wheel('has.script-1.0-py2.py3-none-any.whl', 'has.script', '1.0'),
      await wheel('pkg_prerelease-1.0a1-py3-none-any.whl', 'pkg_prerelease', '1.0a1', { requires_python: '>=3.8,<4' }),
    ]);
    expect(entries.map((e) => e.name).sort()).toEqual([
      'pypi/files/has.script-1.0-py2.py3-none-any.whl',
      'pypi/files/pkg_prerelease-1.0a1-py3-none-any.whl',
      'pypi/files/simplewheel-1.0-py2.py3-none-any.whl',
      'pypi/simple/has-script/index.html',
      'pypi/simple/index.html',
      'pypi/simple/pkg-prerelease/index.html',
      'pypi/simple/simplewheel/index.html',
    ]);
    expect(text(entries, 'pypi/simple/index.html')).toContain('<a href="has-script/">has-script</a>');
    expect(text(entries, 'pypi/simple/pkg-prerelease/index.html')).toContain(
      '<a href="../../files/pkg_prerelease-1.0a1-py3-none-any.whl#sha256=5b170526e52d17d1b2e0162c006142e792293a7975a1f51df39035f1b14768d5" data-requires-python="&gt;=3.8,&lt;4">pkg_prerelease-1.0a1-py3-none-any.whl</a><br>',
    );
    expect(entries.find((e) => e.name === 'pypi/files/simplewheel-1.0-py2.py3-none-any.whl')).toMatchObject({
      sha256: 'e63aa139caee941ec7f33f057a5b987708c2128238357cf905429846a2008718',
    });
  });

  it('percent-encodes file names in links (local versions carry +)', async () => {
    const w = await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0');
    w.entry.filename = 'simplewheel-1.0+local-py2.py3-none-any.whl';
    expect(text(tree([w]), 'pypi/simple/simplewheel/index.html')).toContain('href="../../files/simplewheel-1.0%2Blocal-py2.py3-none-any.whl#sha256=');
  });

  it('refuses a file whose sha256 differs from the lock, and two different files with one name', async () => {
    const w = await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0');
    expect(() => pypiTreeEntries([w.entry], new Map([[w.entry, { ...w.file, sha256: 'a'.repeat(64) }]]))).toThrow(expect.objectContaining({ code: 'EINTEGRITY' }));
    const twin = { ...w.entry, sha256: 'b'.repeat(64) };
    expect(() => pypiTreeEntries([w.entry, twin], new Map([[w.entry, w.file], [twin, { ...w.file, sha256: 'b'.repeat(64) }]]))).toThrow(
      expect.objectContaining({ code: 'EBUNDLE' }),
    );
  });

  it('is installable by the real pip from file://, with no network (unshare -n)', async () => {
    const dir = await tempDir();
    await materialize(
      tree([
        await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0'),
        await wheel('simplewheel-2.0-1-py2.py3-none-any.whl', 'simplewheel', '2.0'),
        await wheel('has.script-1.0-py2.py3-none-any.whl', 'has.script', '1.0'),
      ]),
      dir,
    );
    const venv = await freshVenv();
    await pipInstall(venv, dir, 'simplewheel==2.0', 'Has_Script');
    expect(await installedVersion(venv, 'simplewheel')).toBe('2.0');
    expect(await installedVersion(venv, 'has.script')).toBe('1.0');
  });

  it('makes pip honour data-requires-python (escaped) and skip the newest file it cannot use', async () => {
    const dir = await tempDir();
    await materialize(
      tree([
        await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0', { requires_python: '>=3' }),
        await wheel('simplewheel-2.0-1-py2.py3-none-any.whl', 'simplewheel', '2.0', { requires_python: '<3' }),
      ]),
      dir,
    );
    expect((await stat(path.join(dir, 'pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl'))).size).toBeGreaterThan(0);
    const venv = await freshVenv();
    await pipInstall(venv, dir, 'simplewheel');
    expect(await installedVersion(venv, 'simplewheel')).toBe('1.0');
  });
});

describe('an sdist built into a wheel at packaging time', () => {
  it('links the built wheel beside the sdist, both with their sha256, and carries both files', async () => {
    const sd = path.join(UPSTREAM, 'pypi/sdists/simple-1.0.tar.gz');
    const sdBytes = await readFile(sd);
    const sdSha = createHash('sha256').update(sdBytes).digest('hex');
    const w = await wheel('simplewheel-1.0-py2.py3-none-any.whl', 'simplewheel', '1.0');
    const entry = lockEntry({
      kind: 'sdist',
      name: 'simple',
      version: '1.0',
      filename: 'simple-1.0.tar.gz',
      uri: 'https://files.example/packages/simple-1.0.tar.gz',
      sha256: sdSha,
      size: sdBytes.length,
      built: { filename: 'simple-1.0-py3-none-any.whl', sha256: w.file.sha256, size: w.file.size, backend: 'setuptools.build_meta:__legacy__', python: '3.11.7', source_date_epoch: 315532800, isolation: 'unshare -n', requires: [] },
    });
    const entries = pypiTreeEntries([entry], new Map([[entry, { path: sd, sha256: sdSha, size: sdBytes.length }]]), new Map([[entry, w.file]]));
    expect(entries.filter((e) => e.name.startsWith('pypi/files/')).map((e) => [e.name, e.sha256])).toEqual([
      ['pypi/files/simple-1.0-py3-none-any.whl', w.file.sha256],
      ['pypi/files/simple-1.0.tar.gz', sdSha],
    ]);
    const page = text(entries, 'pypi/simple/simple/index.html');
    expect(page).toContain(`<a href="../../files/simple-1.0-py3-none-any.whl#sha256=${w.file.sha256}">simple-1.0-py3-none-any.whl</a>`);
    expect(page).toContain(`<a href="../../files/simple-1.0.tar.gz#sha256=${sdSha}">simple-1.0.tar.gz</a>`);
  });
});
