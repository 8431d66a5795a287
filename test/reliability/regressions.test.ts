// Regression tests for bugs the reliability suite found, each named after
// what broke. The suites that found them (fault matrix, corpus...) exercise
// the same paths end to end; these pin the fix cheaply, in process.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../fixtures/origin/origin.mjs';
import { isPackagerError, MemoryLogger } from '../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../src/fetch/index.js';
import { RepodataIndex } from '../../src/resolve/conda/repodata.js';
import { resolvePypi } from '../../src/resolve/pypi/index.js';
import { EXPORT_INDEX, exportSite, openSite } from '../../src/mirror/index.js';
import { buildMirrorBundle } from '../mirror/fixture.js';
import { copyBuildpackRoot, verifyBundle, writeZip } from '../../src/bundle/index.js';
import { toRepodataRecord } from '../../src/resolve/conda/repodata.js';
import { evaluateMarker, markerEnvironmentFor, MarkerSyntaxError, parseMarker } from '../../src/resolve/pypi/markers.js';
import { diskError } from '../../src/fetch/fetch-errors.js';
import { loadLock, loadManifest, parseLock, parseManifest } from '../../src/manifest/index.js';
import { parseEnvFile } from '../../src/resolve/conda/env-files.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { rejectedPackagerError as failure } from '../helpers/errors.js';

describe('errors name the URL, never a cache path', () => {
  it('names the repodata URL, not the cache body, when a channel serves malformed repodata', async () => {
    const dir = await tempDir();
    const body = path.join(dir, '8b1630392f.ac8e4ea2.body');
    const url = 'https://conda.example.org/conda-forge/noarch/repodata.json';
    for (const text of ['\u00ff\u00fe not json', '{"packages": {"a-1-0.tar.bz2": {"name": "a"', '{"info": [1, }']) {
      await writeFile(body, text);
      const err = await failure(RepodataIndex.open(body, 'noarch', url));
      expect(err.code).toBe('EBADINDEX');
      expect(err.message).toContain(url);
      expect(err.message).not.toContain(body);
      expect(err.details.url).toBe(url);
    }
  });

  it('names a record of malformed repodata by URL when the solver reads it', async () => {
    const dir = await tempDir();
    const body = path.join(dir, 'x.body');
    const url = 'https://conda.example.org/c/noarch/repodata.json';
    await writeFile(body, JSON.stringify({ info: { subdir: 'noarch' }, packages: { 'a-1-0.tar.bz2': { name: 'a', version: 1 } } }));
    const idx = await RepodataIndex.open(body, 'noarch', url);
    try {
      const err = await failure(idx.records('a'));
      expect(err.code).toBe('EBADINDEX');
      expect(err.message).toContain(url);
    } finally {
      await idx.close();
    }
  });

  it('names the simple-index page it asked when no index has the project', async () => {
    const origin = await startOrigin();
    try {
      const cacheDir = await tempDir();
      const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
      const err = await failure(
        resolvePypi(
          {
            pip: { index_url: `${origin.url}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11', requirements: ['nothere==1.0'], files: [] },
            stacks: ['cflinuxfs4'],
            manifestDir: ROOT,
          },
          { logger: new MemoryLogger(), fetchDocument: (u, headers) => fetchDocument(u, { ...opts, headers }), fetchFile: (a) => fetchArtifact(a, opts) },
        ),
      );
      expect(err.code).toBe('ENOTFOUND');
      expect(err.message).toBe('No project named nothere on any configured index');
      expect(err.details.looked_in).toBe(`${origin.url}/simple/nothere/`);
    } finally {
      await origin.close();
    }
  });
});

/** The pid of a process that has already exited. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('a killed mirror export leaves nothing behind once it is run again', () => {
  it('removes the temp files a killed export left beside the files it was writing', async () => {
    const work = await tempDir();
    const bundle = await buildMirrorBundle(work);
    const site = await openSite(bundle.zip);
    try {
      const dir = path.join(work, 'export');
      await exportSite(site, dir);
      const pid = deadPid();
      const stale = [`miniconda/.index.html.${pid}.0a1b2c3d.tmp`, `.${EXPORT_INDEX}.${pid}.deadbeef.tmp`];
      const mine = `miniconda/.notes.txt.${pid}.0a1b2c3d.tmp`; // not a file the export writes: left alone
      for (const f of [...stale, mine]) await writeFile(path.join(dir, f), 'half-written');
      await exportSite(site, dir);
      const left = (await readdir(dir, { recursive: true })).map(String);
      for (const f of stale) expect(left).not.toContain(f);
      expect(left).toContain(mine);
    } finally {
      await site.close();
    }
  });

  it('exports into a directory that holds only the temp index of an export killed at once', async () => {
    const work = await tempDir();
    const bundle = await buildMirrorBundle(work);
    const site = await openSite(bundle.zip);
    try {
      const dir = path.join(work, 'export');
      await mkdir(dir);
      await writeFile(path.join(dir, `.${EXPORT_INDEX}.${deadPid()}.0123abcd.tmp`), '{"format":');
      const r = await exportSite(site, dir);
      // every file of the export is written (the bundle's files and the JSON form of each simple page)
      expect(r.written).toBe(r.files);
      expect(r.files).toBeGreaterThan(site.files.size);
    } finally {
      await site.close();
    }
  });
});

describe('the temp copy of the buildpack root', () => {
  it('reports a TMPDIR that does not exist as EIO naming it, not as an internal error', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/tmp-for-test';
    try {
      const err = await failure(copyBuildpackRoot(ROOT));
      expect(err.code).toBe('EIO');
      expect(err.message).toBe('Could not copy the buildpack to a temp directory in /nonexistent/tmp-for-test: it does not exist (ENOENT)');
      expect(err.hint).toContain('TMPDIR');
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('a packager killed with -9', () => {
  it("leaves its buildpack copy in TMPDIR, which the next run removes (a live run's is kept)", async () => {
    const tmp = await tempDir();
    const dead = path.join(tmp, `buildpack-packager-${deadPid()}-AbC123`);
    const live = path.join(tmp, `buildpack-packager-${process.ppid}-XyZ789`);
    const unrelated = path.join(tmp, 'buildpack-packager-notes');
    for (const d of [dead, live, unrelated]) await mkdir(path.join(d, 'bin'), { recursive: true });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const copy = await copyBuildpackRoot(path.join(ROOT, 'fixtures/buildpacks/minimal'));
      expect((await readdir(tmp)).sort()).toEqual([path.basename(copy), path.basename(live), path.basename(unrelated)].sort());
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('a file size limit while downloading', () => {
  it('says the file is too large for the limit (ulimit -f) instead of blaming permissions', () => {
    const efbig = Object.assign(new Error('EFBIG: file too large, write'), { code: 'EFBIG', syscall: 'write' });
    const err = diskError(efbig, 'numpy 1.26.4', '/cache');
    expect(err.message).toBe('Cannot write numpy 1.26.4 to /cache: file too large for the file size limit (ulimit -f) or the file system (EFBIG)');
    expect(err.hint).toContain('ulimit -f');
    expect(err.hint).not.toContain('writable');
  });
});

describe('a zip writer killed with -9', () => {
  it('leaves a temp zip that the next write of the same zip removes (a live writer\'s is kept)', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    const dead = path.join(dir, `.bp.zip.${deadPid()}.0badf00d.tmp`);
    const live = path.join(dir, `.bp.zip.${process.pid}.0badf00d.tmp`);
    const other = path.join(dir, `.other.zip.${deadPid()}.0badf00d.tmp`);
    for (const f of [dead, live, other]) await writeFile(f, 'PK half a zip');
    await writeZip([{ name: 'VERSION', source: { data: '1.0.0\n' }, mode: 0o644 }], out);
    expect((await readdir(dir)).sort()).toEqual([path.basename(live), path.basename(other), 'bp.zip'].sort());
  });
});

/** Ten lines of YAML that stand for 9^12 strings. */
function billionLaughs(key: string, prefix = ''): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 12; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return `${prefix}${lines.join('\n')}\n${key}: *a12\n`;
}

describe('a YAML alias bomb ("billion laughs")', () => {
  it('is refused by the manifest reader at once instead of hanging while printing it', () => {
    const text = billionLaughs('conda:\n  channels: [conda-forge]\n  specs', 'language: python\n');
    expect(() => parseManifest(text, 'manifest.yml')).toThrow(/aliases expand to more than 1000000 values/);
  });

  it('is refused in a lock and in a conda environment file', () => {
    expect(() => parseLock(billionLaughs('artifacts', 'lock_version: 1\n'), 'manifest.lock.yml')).toThrow(/aliases expand/);
    expect(() => parseEnvFile('environment.yml', billionLaughs('dependencies', 'name: x\n'))).toThrow(/aliases expand/);
  });
});

describe('manifest and lock bytes', () => {
  it('refuses a manifest that is not UTF-8, naming the byte, line and column (it was packaged as mojibake)', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.yml');
    await writeFile(file, Buffer.concat([Buffer.from('language: python\ndependencies: []\nnote: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const err = await failure(loadManifest(file));
    expect(err.code).toBe('EMANIFEST');
    expect(err.message).toBe(`${file} is not UTF-8 text: byte 0xe9 at line 3, column 10`);
  });

  it('reads a UTF-16 manifest with a byte order mark', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.yml');
    await writeFile(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('language: python\ndependencies: []\n', 'utf16le')]));
    expect((await loadManifest(file)).manifest.language).toBe('python');
  });

  it('refuses a device or a directory as a manifest or lock instead of reading forever', async () => {
    expect((await failure(loadManifest('/dev/zero'))).message).toBe('The manifest is a character device, not a regular file: /dev/zero');
    expect((await failure(loadLock('/dev/zero'))).code).toBe('ELOCK');
    expect((await failure(loadManifest(await tempDir()))).code).toBe('EMANIFEST');
  });
});

describe('hostile repodata records', () => {
  const rec = (over: Record<string, unknown>) => ({ name: 'x', version: '1', build: '0', depends: [], ...over });
  it('refuses a record that claims another subdir than the repodata listing it (its zip path would leave the channel)', () => {
    expect(() => toRepodataRecord('x-1-0.tar.bz2', 'tar.bz2', rec({ subdir: '../../../bin' }), 'noarch')).toThrow(/says subdir "\.\.\/\.\.\/\.\.\/bin" but is listed in noarch/);
    expect(toRepodataRecord('x-1-0.tar.bz2', 'tar.bz2', rec({ subdir: 'noarch' }), 'noarch').subdir).toBe('noarch');
  });

  it('refuses depends that are not strings, and records nested deeper than any real one', () => {
    expect(() => toRepodataRecord('x-1-0.tar.bz2', 'tar.bz2', rec({ depends: [['python']] }), 'noarch')).toThrow(/depends is not a list of strings/);
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => toRepodataRecord('x-1-0.tar.bz2', 'tar.bz2', rec({ extra: deep }), 'noarch')).toThrow(/nested more than 16 levels deep/);
    // non-string track_features were a TypeError
    expect(toRepodataRecord('x-1-0.tar.bz2', 'tar.bz2', rec({ track_features: [1, 'mkl'] }), 'noarch').track_features).toEqual(['mkl']);
  });
});

describe('verify reads every entry', () => {
  it('reports an entry whose CRC-32 does not match the zip directory, as unzip -t would', async () => {
    const dir = await tempDir();
    const zip = path.join(dir, 'bp.zip');
    await cp(path.join(ROOT, 'test/reliability/corpus/zip/z00-control.zip'), zip);
    expect((await verifyBundle(zip)).ok).toBe(true);
    const bytes = await readFile(zip);
    const cd = bytes.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]), bytes.indexOf(Buffer.from('VERSION')) + 1);
    const at = bytes.indexOf(Buffer.from('VERSION'), cd) - 46; // the central directory record of VERSION
    bytes.writeUInt32LE((bytes.readUInt32LE(at + 16) ^ 1) >>> 0, at + 16);
    await writeFile(zip, bytes);
    const report = await verifyBundle(zip);
    expect(report.problems).toContainEqual({ code: 'EINTEGRITY', message: expect.stringMatching(/^CRC-32 of VERSION differs from the zip's directory/) });
  });
});

describe('PEP 508 markers', () => {
  it('reports an undefined comparison (os_name ~= "linux") as EINPUT, not an internal error', () => {
    const env = markerEnvironmentFor({ pythonVersion: '3.11', arch: 'x86_64' } as never);
    let err: unknown;
    try {
      evaluateMarker(parseMarker('os_name ~= "linux"'), env);
    } catch (e) {
      err = e;
    }
    expect(isPackagerError(err, 'EINPUT')).toBe(true);
  });

  it('refuses parentheses nested 20,000 deep instead of overflowing the stack', () => {
    expect(() => parseMarker(`${'('.repeat(20_000)}os_name == "posix"${')'.repeat(20_000)}`)).toThrow(MarkerSyntaxError);
    expect(() => parseMarker(`${'('.repeat(20_000)}os_name == "posix"${')'.repeat(20_000)}`)).toThrow(/nested more than 64 deep/);
  });
});
