import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPackagerError } from '../../src/core/errors.js';
import { openDirSource, openSite, openZipSource, type MirrorSite } from '../../src/mirror/index.js';
import { parseInstallerIndex } from '../../src/resolve/miniconda/installer-index.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
let bundle: MirrorBundle;
let site: MirrorSite;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-site-'));
  bundle = await buildMirrorBundle(work);
  site = await openSite(bundle.zip);
});
afterAll(async () => {
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

async function bytesOf(name: string): Promise<Buffer> {
  const e = bundle.entries.find((x) => x.name === name)!;
  return 'path' in e.source ? readFile(e.source.path) : Buffer.from(e.source.data);
}

describe('the site of a bundle zip', () => {
  it('maps the conda channels, the PyPI tree and the installers to URLs, and nothing else', () => {
    expect([...site.files.keys()].sort()).toEqual([
      '/',
      '/conda/conda-forge/linux-64/repodata.json',
      '/conda/conda-forge/noarch/repodata.json',
      '/conda/conda-forge/noarch/run_exports_versions-1.0-he35c369_0.tar.bz2',
      '/conda/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2',
      '/conda/pkgs-main/linux-64/current_repodata.json',
      '/conda/pkgs-main/linux-64/repodata.json',
      '/conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
      '/conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2',
      '/conda/pkgs-main/noarch/repodata.json',
      '/healthz',
      '/miniconda/',
      '/miniconda/Miniforge3-24.7.1-0-Linux-x86_64.sh',
      '/pypi/files/INITools-0.2.tar.gz',
      '/pypi/files/has.script-1.0-py2.py3-none-any.whl',
      '/pypi/files/python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl',
      '/pypi/files/simplewheel-1.0-py2.py3-none-any.whl',
      '/pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl',
      '/pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl.metadata',
      '/pypi/simple/',
      '/pypi/simple/has-script/',
      '/pypi/simple/initools/',
      '/pypi/simple/python-mscl/',
      '/pypi/simple/simplewheel/',
    ]);
  });

  it('takes package checksums from dependencies/index.tsv and names.tsv without reading the files', () => {
    for (const [p, want] of bundle.sha256) {
      if (p.endsWith('.metadata')) continue;
      expect(site.get(p)?.sha256, p).toBe(want);
    }
  });

  it('reads every entry, whole and in ranges, byte for byte (stored and deflated)', async () => {
    for (const f of site.files.values()) {
      if (!f.entry) continue;
      const want = await bytesOf(f.entry);
      expect(f.size).toBe(want.length);
      const stream = await site.source.open(f.entry, 0, f.size - 1);
      const got: Buffer[] = [];
      for await (const c of stream as AsyncIterable<Buffer>) got.push(c);
      expect(sha(Buffer.concat(got)), f.path).toBe(sha(want));
      expect(await site.digest(f)).toBe(sha(want));
      for (const [a, b] of [[0, 0], [1, Math.min(10, f.size - 1)], [Math.floor(f.size / 3), Math.floor((2 * f.size) / 3)], [f.size - 1, f.size - 1]] as const) {
        if (b < a) continue;
        const part: Buffer[] = [];
        for await (const c of (await site.source.open(f.entry, a, b)) as AsyncIterable<Buffer>) part.push(c);
        expect(Buffer.concat(part).equals(want.subarray(a, b + 1)), `${f.path} ${a}-${b}`).toBe(true);
      }
    }
  });

  it('lists installers in the table shape resolve/miniconda reads (exact size and sha256)', async () => {
    const page = site.get('/miniconda/')!;
    const listing = parseInstallerIndex((await site.whole(page)).toString('utf8'), 'http://127.0.0.1/miniconda/');
    expect(listing).toEqual([
      {
        filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
        href: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
        size: site.get(bundle.paths.installer)!.size,
        sizeExact: true,
        sizeText: String(site.get(bundle.paths.installer)!.size),
        sha256: bundle.sha256.get(bundle.paths.installer),
      },
    ]);
  });

  it('has a JSON form of each simple page with sizes, hashes and the PEP 658 metadata hash, made when it opens', () => {
    const jsonOf = (page: string) => JSON.parse(site.json.get(page)!.data!.toString('utf8'));
    expect([...site.json.keys()].sort()).toEqual([...site.files.keys()].filter((p) => p.startsWith('/pypi/simple/')).sort());
    const json = jsonOf('/pypi/simple/simplewheel/');
    expect(json.files).toEqual([
      { filename: 'simplewheel-1.0-py2.py3-none-any.whl', url: '../../files/simplewheel-1.0-py2.py3-none-any.whl', hashes: { sha256: bundle.sha256.get('/pypi/files/simplewheel-1.0-py2.py3-none-any.whl') }, size: 1842 },
      {
        filename: 'simplewheel-2.0-1-py2.py3-none-any.whl',
        url: '../../files/simplewheel-2.0-1-py2.py3-none-any.whl',
        hashes: { sha256: bundle.sha256.get(bundle.paths.wheel) },
        'core-metadata': { sha256: bundle.sha256.get(bundle.paths.metadata) },
        'dist-info-metadata': { sha256: bundle.sha256.get(bundle.paths.metadata) },
        size: 2156,
      },
    ]);
    expect(json.versions).toEqual(['1.0', '2.0']);
    expect(jsonOf('/pypi/simple/').projects).toEqual([{ name: 'has-script' }, { name: 'initools' }, { name: 'python-mscl' }, { name: 'simplewheel' }]);
    expect(site.json.get('/pypi/simple/simplewheel/')).toMatchObject({ path: '/pypi/simple/simplewheel/index.json', contentType: 'application/vnd.pypi.simple.v1+json', sha256: sha(site.json.get('/pypi/simple/simplewheel/')!.data!) });
  });
});

describe('opening bundles', () => {
  it('serves an unzipped bundle directory exactly like its zip', async () => {
    const dir = await tempDir();
    await run('unzip', ['-q', bundle.zip, '-d', dir]);
    const fromDir = await openSite(dir);
    try {
      expect([...fromDir.files.keys()].sort()).toEqual([...site.files.keys()].sort());
      for (const f of site.files.values()) {
        const g = fromDir.get(f.path)!;
        expect(await fromDir.digest(g), f.path).toBe(await site.digest(f));
      }
    } finally {
      await fromDir.close();
    }
  });

  it('refuses a zip whose entries escape its root or are symlinks', async () => {
    const dir = await tempDir();
    const script = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('manifest.yml', 'language: x\\n')
    z.writestr(sys.argv[2], 'owned\\n')
`;
    for (const [i, evil] of ['../evil.txt', 'pypi/files/../../../evil.whl', '/etc/evil', 'pypi\\files\\x.whl'].entries()) {
      const zip = path.join(dir, `evil-${i}.zip`);
      await run('python3', ['-c', script, zip, evil]);
      const err = await openZipSource(zip).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPackagerError(err, 'EBUNDLE'), evil).toBe(true);
      expect((err as Error).message).toContain('escape its root');
    }
    const link = path.join(dir, 'link.zip');
    await run('python3', [
      '-c',
      `
import sys, zipfile, stat
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    i = zipfile.ZipInfo('pypi/files/x.whl')
    i.create_system = 3
    i.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(i, '/etc/passwd')
`,
      link,
    ]);
    await expect(openZipSource(link)).rejects.toMatchObject({ code: 'EBUNDLE', message: expect.stringContaining('escape its root') });
  });

  it('names what is wrong with a path that is neither a zip nor a bundle', async () => {
    const dir = await tempDir();
    await expect(openSite(path.join(dir, 'missing.zip'))).rejects.toMatchObject({ code: 'EUSAGE', message: expect.stringContaining('No such bundle') });
    await writeFile(path.join(dir, 'not.zip'), 'hello');
    await expect(openSite(path.join(dir, 'not.zip'))).rejects.toMatchObject({ code: 'EBUNDLE', message: expect.stringContaining('Not a valid zip') });
    await mkdir(path.join(dir, 'empty'));
    await expect(openSite(path.join(dir, 'empty'))).rejects.toMatchObject({ code: 'EUSAGE', message: expect.stringContaining('Neither an export') });
  });

  it('never lists symlinks of a directory source', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'pypi/files'), { recursive: true });
    await writeFile(path.join(dir, 'pypi/files/real.whl'), 'x');
    await run('ln', ['-s', '/etc/passwd', path.join(dir, 'pypi/files/passwd.whl')]);
    const source = await openDirSource(dir);
    expect([...source.entries.keys()]).toEqual(['pypi/files/real.whl']);
  });
});
