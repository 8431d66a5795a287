// src/build/ with the real Python on PATH (python3.11) and real build backends
// (flit_core and setuptools wheels from fixtures/upstream/), resolving the build
// requirements with the project's own pip resolver from a --find-links
// directory: sdists in, wheels out, offline, reproducible, cached.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, sriFromHex } from '../../src/core/index.js';
import { fetchArtifact } from '../../src/fetch/index.js';
import type { LockEntry } from '../../src/manifest/index.js';
import { resolvePypi } from '../../src/resolve/pypi/index.js';
import { buildSdists, compiledMismatch, hostPlatform, type BuildOptions } from '../../src/build/index.js';
import { FIXTURES, UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { rejectedPackagerError } from '../helpers/errors.js';

const SDISTS = path.join(FIXTURES, 'build/sdists');
const BACKENDS = ['flit_core-4.1.0-py3-none-any.whl', 'setuptools-84.0.0-py3-none-any.whl', 'wheel-0.40.0-py3-none-any.whl'];
const hasCc = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v cc'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasCc) console.warn('[build tests] no `cc` on PATH: the C-extension build case is SKIPPED');
const canUnshare = [['-n'], ['-rn']].some((flags) => {
  try {
    execFileSync('unshare', [...flags, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!canUnshare) console.warn('[build tests] unshare -n / -rn is not permitted here: the no-network build case is SKIPPED');

async function findLinks(): Promise<string> {
  const dir = await tempDir('build-links-');
  for (const w of BACKENDS) await copyFile(path.join(UPSTREAM, 'pypi/wheels', w), path.join(dir, w));
  return dir;
}

async function sdistEntry(name: string, stacks = ['cflinuxfs4']): Promise<{ entry: LockEntry; file: { path: string; sha256: string; size: number; crc32: number } }> {
  const file = path.join(SDISTS, `${name}.tar.gz`);
  const f = await fetchArtifact(
    { kind: 'sdist', name, version: '1.0', url: pathToFileURL(file).toString(), integrity: sriFromHex(sha256Of(await readFile(file)), 'sha256') },
    { cacheDir: await tempDir('build-dl-') },
  );
  return {
    entry: { kind: 'sdist', name: name.replace(/-1\.0$/, ''), version: '1.0', filename: `${name}.tar.gz`, uri: pathToFileURL(file).toString(), sha256: f.sha256, size: f.size, depends: [], cf_stacks: stacks },
    file: f,
  };
}

function sha256Of(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function run(sdists: Awaited<ReturnType<typeof sdistEntry>>[], o: Partial<BuildOptions> & { cacheDir?: string; links?: string } = {}) {
  const links = o.links ?? (await findLinks());
  const cacheDir = o.cacheDir ?? (await tempDir('build-cache-'));
  const logger = new MemoryLogger();
  const resolved: string[][] = [];
  const built = await buildSdists(sdists, { pythonVersion: '3.11', requireWheels: false, ...o }, {
    cacheDir,
    logger,
    resolveRequirements: (requirements, stacks) => {
      resolved.push(requirements);
      return resolvePypi(
        { pip: { index_url: '', extra_index_urls: [], find_links: [links], python_version: '3.11', requirements, files: [] }, stacks, manifestDir: links },
        { fetchDocument: () => Promise.reject(new Error('no network in this test')), fetchFile: (a) => fetchArtifact(a, { cacheDir }), logger },
      );
    },
    fetchRequirement: (q) => fetchArtifact({ kind: 'wheel', name: q.name, version: q.version, url: q.uri, integrity: sriFromHex(q.sha256, 'sha256'), size: q.size }, { cacheDir }),
  });
  return { built, logger, cacheDir, links, resolved };
}

describe('building locked sdists into wheels', () => {
  it('builds a pyproject (flit_core) sdist into a wheel (the tags the backend gives) and records how in the lock entry', async () => {
    const s = await sdistEntry('flitpure-1.0');
    const { built, logger, resolved } = await run([s]);
    expect(resolved).toEqual([['flit_core>=3.2,<5']]);
    const b = built.get(s.entry)!;
    expect(b.wheel.filename).toBe('flitpure-1.0-py2.py3-none-any.whl');
    expect(s.entry.built).toMatchObject({
      filename: 'flitpure-1.0-py2.py3-none-any.whl',
      sha256: b.wheel.sha256,
      size: b.wheel.size,
      backend: 'flit_core.buildapi',
      source_date_epoch: 315532800,
      requires: [expect.objectContaining({ name: 'flit-core', version: '4.1.0', filename: 'flit_core-4.1.0-py3-none-any.whl' })],
    });
    expect(s.entry.built!.python).toMatch(/^3\.11\.\d+$/);
    expect(s.entry.built!.isolation).toEqual(canUnshare ? expect.stringMatching(/^unshare -r?n$/) : 'none');
    expect(logger.text()).toMatch(/Building flitpure-1\.0\.tar\.gz \(flit_core\.buildapi, Python 3\.11/);
    // the wheel is a real one: its module and its metadata
    expect(execFileSync('unzip', ['-Z1', b.wheel.path], { encoding: 'utf8' })).toContain('flitpure/__init__.py');
  });

  it('builds a setup.py-only sdist with the legacy setuptools backend (setuptools>=40.8.0 + wheel, locked)', async () => {
    const s = await sdistEntry('setuppure-1.0');
    const { built, resolved } = await run([s]);
    expect(resolved).toEqual([['setuptools>=40.8.0', 'wheel']]);
    expect(built.get(s.entry)!.wheel.filename).toBe('setuppure-1.0-py3-none-any.whl');
    expect(s.entry.built!.backend).toBe('setuptools.build_meta:__legacy__');
    expect(s.entry.built!.requires.map((q) => q.filename).sort()).toEqual(['setuptools-84.0.0-py3-none-any.whl', 'wheel-0.40.0-py3-none-any.whl']);
  });

  it('gives byte-identical wheels on two builds with separate caches (SOURCE_DATE_EPOCH from the lock)', async () => {
    const a = [await sdistEntry('flitpure-1.0'), await sdistEntry('setuppure-1.0')];
    const b = [await sdistEntry('flitpure-1.0'), await sdistEntry('setuppure-1.0')];
    await run(a);
    // the second build re-uses what the first locked (requirements and epoch), as a re-package from the lock does
    b.forEach((s, i) => (s.entry.built = structuredClone(a[i]!.entry.built)));
    const second = await run(b);
    for (const [i, s] of b.entries()) {
      expect(second.built.get(s.entry)!.fromCache).toBe(false);
      expect(s.entry.built!.sha256).toBe(a[i]!.entry.built!.sha256);
    }
    expect(second.logger.text()).not.toContain('not reproducible');
  });

  it('reports a build whose bytes differ from the lock (not reproducible) and records the new wheel', async () => {
    const s = await sdistEntry('flitpure-1.0');
    await run([s]);
    const first = s.entry.built!;
    s.entry.built = { ...first, sha256: 'f'.repeat(64) };
    const again = await run([s]);
    expect(again.logger.text()).toContain(`The build of flitpure-1.0.tar.gz is not reproducible: the lock records flitpure-1.0-py2.py3-none-any.whl sha256 ${'f'.repeat(64)}, this build gave flitpure-1.0-py2.py3-none-any.whl sha256 ${first.sha256}; the lock now records this one`);
    expect(s.entry.built!.sha256).toBe(first.sha256);
  });

  it('does not rebuild on a warm re-package: the wheel comes from the cache', async () => {
    const s = await sdistEntry('flitpure-1.0');
    const first = await run([s]);
    const again = await run([s], { cacheDir: first.cacheDir, links: first.links });
    expect(again.built.get(s.entry)!.fromCache).toBe(true);
    expect(again.resolved).toEqual([]);
    expect(again.logger.text()).not.toContain('Building');
    expect(again.logger.text()).toContain('Using the wheel built from flitpure-1.0.tar.gz before: flitpure-1.0-py2.py3-none-any.whl (cached)');
  });

  it('does not rebuild after the lock lost built: (resolve --update) when the build requirements resolve the same', async () => {
    const s = await sdistEntry('flitpure-1.0');
    const first = await run([s]);
    const recorded = s.entry.built!;
    delete s.entry.built;
    const again = await run([s], { cacheDir: first.cacheDir, links: first.links });
    expect(again.resolved).toEqual([['flit_core>=3.2,<5']]);
    expect(again.logger.text()).not.toContain('Building');
    expect(again.built.get(s.entry)!.fromCache).toBe(true);
    expect(s.entry.built).toEqual(recorded);
  });

  it('fails a build that fails with EBUILD naming the sdist and showing the end of its log', async () => {
    const s = await sdistEntry('brokenbuild-1.0');
    const err = await rejectedPackagerError(run([s]));
    expect(err.code).toBe('EBUILD');
    expect(err.message).toMatch(/^brokenbuild-1\.0\.tar\.gz failed to build \(setuptools\.build_meta:__legacy__, exit \d+\); the build log ends:\n/);
    expect(err.message).toContain('error: libfoo.h: No such file or directory (this fixture never builds)');
    expect(err.hint).toContain('brokenbuild-1.0.tar.gz');
  });

  it('keeps the sdist with a warning when the host has no python of the target version; fails under require_wheels', async () => {
    const s = await sdistEntry('flitpure-1.0');
    const { built, logger } = await run([s], { pythonVersion: '3.99' });
    expect(built.size).toBe(0);
    expect(s.entry.built).toBeUndefined();
    expect(logger.text()).toContain("warn: Keeping flitpure-1.0.tar.gz as an sdist (staging will build it): no python3.99 on PATH to build it with (the environment's python_version is 3.99)");
    const err = await rejectedPackagerError(run([s], { pythonVersion: '3.99', requireWheels: true }));
    expect(err.code).toBe('EBUILD');
    expect(err.message).toContain('flitpure-1.0.tar.gz cannot become a wheel here: no python3.99 on PATH');
  });

  it('keeps the sdist when a build requirement has no wheel (and fails under require_wheels)', async () => {
    const links = await findLinks();
    await copyFile(path.join(UPSTREAM, 'pypi/sdists/simple-1.0.tar.gz'), path.join(links, 'simple-1.0.tar.gz'));
    const s = await sdistEntry('needsdist-1.0');
    const { built, logger } = await run([s], { links });
    expect(built.size).toBe(0);
    expect(logger.text()).toContain('warn: Keeping needsdist-1.0.tar.gz as an sdist (staging will build it): its build requirement simple 1.0 has no wheel (simple-1.0.tar.gz)');
    const err = await rejectedPackagerError(run([s], { links, requireWheels: true }));
    expect(err.code).toBe('EBUILD');
    expect(err.message).toBe('needsdist-1.0.tar.gz cannot become a wheel here: its build requirement simple 1.0 has no wheel (simple-1.0.tar.gz)');
  });

  it.skipIf(!canUnshare)('builds with no network: a setup.py that calls a loopback server reaches nothing', async () => {
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.end('reached');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const dir = await tempDir('netprobe-');
      const tree = path.join(dir, 'netprobe-1.0');
      await mkdir(tree);
      await writeFile(path.join(tree, 'PKG-INFO'), 'Metadata-Version: 2.1\nName: netprobe\nVersion: 1.0\n');
      await writeFile(path.join(tree, 'netprobe.py'), '');
      await writeFile(
        path.join(tree, 'setup.py'),
        [
          'import sys, urllib.request',
          'try:',
          `    urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=5)`,
          '    sys.exit("the build reached the network")',
          'except OSError as e:',
          '    print("no network:", e)',
          'from setuptools import setup',
          'setup(name="netprobe", version="1.0", py_modules=["netprobe"])',
          '',
        ].join('\n'),
      );
      execFileSync('tar', ['-czf', path.join(dir, 'netprobe-1.0.tar.gz'), '-C', dir, 'netprobe-1.0']);
      const file = path.join(dir, 'netprobe-1.0.tar.gz');
      const f = await fetchArtifact(
        { kind: 'sdist', name: 'netprobe', version: '1.0', url: pathToFileURL(file).toString(), integrity: sriFromHex(sha256Of(await readFile(file)), 'sha256') },
        { cacheDir: await tempDir('build-dl-') },
      );
      const entry: LockEntry = { kind: 'sdist', name: 'netprobe', version: '1.0', filename: 'netprobe-1.0.tar.gz', uri: pathToFileURL(file).toString(), sha256: f.sha256, size: f.size, depends: [], cf_stacks: ['cflinuxfs4'] };
      const { built } = await run([{ entry, file: f }]);
      expect(built.get(entry)!.wheel.filename).toBe('netprobe-1.0-py3-none-any.whl');
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });

  it.skipIf(!hasCc)('builds a C extension for a stack this host can build for, and keeps the sdist for one it cannot', async () => {
    const host = hostPlatform();
    const loadable = ['cflinuxfs3', 'cflinuxfs4', 'cflinuxfs5'].find((st) => compiledMismatch(host, [st]) === undefined);
    const unloadable = ['cflinuxfs3', 'cflinuxfs4', 'cflinuxfs5'].find((st) => compiledMismatch(host, [st]) !== undefined);
    if (loadable) {
      const s = await sdistEntry('cext-1.0', [loadable]);
      const { built } = await run([s]);
      const w = built.get(s.entry)!.wheel;
      expect(w.filename).toMatch(/^cext-1\.0-cp311-cp311-linux_x86_64\.whl$/);
      const dir = await tempDir('cext-');
      execFileSync('unzip', ['-q', w.path, '-d', dir]);
      expect(execFileSync('python3.11', ['-I', '-c', 'import sys; sys.path.insert(0, sys.argv[1]); import cext; print(cext.answer())', dir], { encoding: 'utf8' }).trim()).toBe('42');
      // compiled code too: the same bytes from a second build in another temp directory
      const again = await sdistEntry('cext-1.0', [loadable]);
      again.entry.built = structuredClone(s.entry.built);
      const second = await run([again]);
      expect(second.logger.text()).not.toContain('not reproducible');
      expect(again.entry.built!.sha256).toBe(s.entry.built!.sha256);
    }
    if (unloadable) {
      const s = await sdistEntry('cext-1.0', [unloadable]);
      const { built, logger } = await run([s]);
      expect(built.size).toBe(0);
      expect(logger.text()).toContain(`warn: Keeping cext-1.0.tar.gz as an sdist (staging will build it): it compiles code (cext-1.0-cp311-cp311-linux_x86_64.whl) and ${compiledMismatch(host, [unloadable])}`);
    }
    expect(loadable ?? unloadable).toBeDefined();
  });
});
