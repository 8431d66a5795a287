// A cached bundle for the mirror's tests, made with the bundle API from real
// files in fixtures/upstream: two conda channels (conda-forge: the tiny noarch
// run_exports_versions 1.0/2.0 that real conda installs; pkgs/main: zlib in
// both formats plus upstream's current_repodata.json), a PyPI tree (three
// wheels, an sdist with a mixed-case name, a 4 MB compiled wheel, and a PEP 658
// .metadata sidecar taken from its wheel), a Miniforge "installer" and, when
// asked, a big Miniconda "installer" of random bytes. The zip's central
// directory and layout come from bundle/ (writeZip), never from this file.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import {
  INDEX_TSV,
  NAMES_TSV,
  condaChannelEntries,
  dependencyZipPath,
  indexTsv,
  namesTsv,
  pypiTreeEntries,
  writeZip,
  type IndexRow,
  type ShippedFile,
  type ZipEntry,
} from '../../src/bundle/index.js';
import type { LockEntry } from '../../src/manifest/types.js';
import { UPSTREAM } from '../helpers/paths.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function shipped(p: string): Promise<ShippedFile> {
  const bytes = await readFile(p);
  return { path: p, sha256: sha(bytes), size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') };
}

function entry(e: Partial<LockEntry> & Pick<LockEntry, 'kind' | 'name' | 'version' | 'filename' | 'uri' | 'sha256' | 'size'>): LockEntry {
  return { depends: [], cf_stacks: [], ...e };
}

export interface MirrorBundle {
  zip: string;
  entries: ZipEntry[];
  /** Site paths every test can rely on. */
  paths: {
    wheel: string;
    bigWheel: string;
    metadata: string;
    sdist: string;
    condaPackage: string;
    installer: string;
    bigInstaller?: string;
  };
  /** sha256 of files by site path. */
  sha256: Map<string, string>;
}

/** Writes the bundle zip into `dir` (and its inputs beside it). */
export async function buildMirrorBundle(dir: string, o: { bigInstallerBytes?: number } = {}): Promise<MirrorBundle> {
  const forge = path.join(UPSTREAM, 'conda/conda-index/packages/noarch');
  const forgeRepodata = JSON.parse(await readFile(path.join(forge, 'repodata.json'), 'utf8'));
  const fmt = path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64');
  const fmtRepodata = JSON.parse(await readFile(path.join(fmt, 'repodata.json'), 'utf8'));
  const wheels = path.join(UPSTREAM, 'pypi/wheels');

  const artifacts: [LockEntry, ShippedFile][] = [];
  for (const fn of ['run_exports_versions-1.0-he35c369_0.tar.bz2', 'run_exports_versions-2.0-h39de5ba_0.tar.bz2']) {
    const r = forgeRepodata.packages[fn];
    artifacts.push([
      entry({ kind: 'conda', name: r.name, version: r.version, build: r.build, subdir: 'noarch', channel: 'https://conda.anaconda.org/conda-forge', filename: fn, uri: `https://conda.anaconda.org/conda-forge/noarch/${fn}`, sha256: r.sha256, md5: r.md5, size: r.size, record: r }),
      await shipped(path.join(forge, fn)),
    ]);
  }
  for (const [group, fn] of [['packages.conda', 'zlib-1.2.11-h7b6447c_3.conda'], ['packages', 'zlib-1.2.11-h7b6447c_3.tar.bz2']] as const) {
    const r = fmtRepodata[group][fn];
    artifacts.push([
      entry({ kind: 'conda', name: 'zlib', version: '1.2.11', build: 'h7b6447c_3', subdir: 'linux-64', channel: 'https://repo.anaconda.com/pkgs/main', filename: fn, uri: `https://repo.anaconda.com/pkgs/main/linux-64/${fn}`, sha256: r.sha256, md5: r.md5, size: r.size, record: r }),
      await shipped(path.join(fmt, fn)),
    ]);
  }
  const dists: [string, string, string, string?][] = [
    ['wheel', 'simplewheel', 'simplewheel-1.0-py2.py3-none-any.whl'],
    ['wheel', 'simplewheel', 'simplewheel-2.0-1-py2.py3-none-any.whl'],
    ['wheel', 'has.script', 'has.script-1.0-py2.py3-none-any.whl', '>=3.6'],
    ['wheel', 'python-mscl', 'python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl'],
    ['sdist', 'INITools', 'INITools-0.2.tar.gz'],
  ];
  for (const [kind, name, fn, rp] of dists) {
    const file = await shipped(path.join(UPSTREAM, kind === 'wheel' ? 'pypi/wheels' : 'pypi/sdists', fn));
    artifacts.push([
      entry({ kind: kind as 'wheel' | 'sdist', name, version: fn.split('-')[1]!.replace(/\.tar\.gz$/, ''), filename: fn, uri: `https://files.pythonhosted.org/packages/xx/${fn}`, sha256: file.sha256, size: file.size, requires_python: rp }),
      file,
    ]);
  }

  const installerPath = path.join(dir, 'Miniforge3-24.7.1-0-Linux-x86_64.sh');
  await writeFile(installerPath, '#!/bin/sh\n# stand-in Miniforge installer for mirror tests\nexit 0\n', { mode: 0o755 });
  const installerUri = 'https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh';
  const installer = await shipped(installerPath);
  const toolPath = path.join(dir, 'tool-1.0.0-linux.tgz');
  await writeFile(toolPath, 'not an installer\n');
  const tool = await shipped(toolPath);
  const toolUri = 'https://downloads.example.invalid/tool/tool-1.0.0-linux.tgz';

  const files = new Map(artifacts);
  const locked = artifacts.map(([e]) => e);
  const entries: ZipEntry[] = [
    { name: 'manifest.yml', source: { data: '---\nlanguage: python\n' } },
    { name: 'VERSION', source: { data: '1.0.0\n' } },
    { name: 'bin/compile', source: { data: '#!/bin/bash\nexit 0\n' }, mode: 0o755 },
    ...condaChannelEntries(locked, files, [{ url: 'https://conda.anaconda.org/conda-forge', subdirs: ['linux-64'] }]),
    ...pypiTreeEntries(locked, files),
    { name: 'conda/pkgs-main/linux-64/current_repodata.json', source: { path: path.join(fmt, 'current_repodata.json') } },
  ];

  // PEP 658: the wheel's own METADATA, served beside it
  const metadata = execFileSync('python3', ['-c', 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("simplewheel-2.0.dist-info/METADATA"))', path.join(wheels, 'simplewheel-2.0-1-py2.py3-none-any.whl')]);
  entries.push({ name: 'pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl.metadata', source: { data: metadata } });

  const index: IndexRow[] = [];
  for (const [e, f] of artifacts) {
    const zipPath = e.kind === 'conda' ? `conda/${e.channel!.includes('conda-forge') ? 'conda-forge' : 'pkgs-main'}/${e.subdir}/${e.filename}` : `pypi/files/${e.filename}`;
    index.push({ url: e.uri, path: zipPath, sha256: f.sha256, size: f.size });
  }
  const names = [
    { name: 'tool', version: '1.0.0', path: dependencyZipPath(toolUri), sha256: tool.sha256, size: tool.size, url: toolUri },
    { name: 'miniforge3', version: '24.7.1-0', path: dependencyZipPath(installerUri), sha256: installer.sha256, size: installer.size, url: installerUri },
  ];
  entries.push({ name: names[0]!.path, source: { path: toolPath }, sha256: tool.sha256, size: tool.size });
  entries.push({ name: names[1]!.path, source: { path: installerPath }, sha256: installer.sha256, size: installer.size });
  index.push({ url: toolUri, path: names[0]!.path, sha256: tool.sha256, size: tool.size });
  index.push({ url: installerUri, path: names[1]!.path, sha256: installer.sha256, size: installer.size });

  let bigInstaller: string | undefined;
  if (o.bigInstallerBytes) {
    const bigPath = path.join(dir, 'Miniconda3-py312_24.5.0-0-Linux-x86_64.sh');
    const out = createWriteStream(bigPath);
    const h = createHash('sha256');
    // random bytes: nothing between the zip and the client can shrink them
    for (let written = 0; written < o.bigInstallerBytes; ) {
      const chunk = randomBytes(Math.min(1 << 20, o.bigInstallerBytes - written));
      h.update(chunk);
      written += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    out.end();
    await finished(out);
    const bigUri = 'https://repo.anaconda.com/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh';
    const big = { sha256: h.digest('hex'), size: (await stat(bigPath)).size };
    const row = { name: 'miniconda3', version: 'py312_24.5.0-0', path: dependencyZipPath(bigUri), sha256: big.sha256, size: big.size, url: bigUri };
    names.push(row);
    entries.push({ name: row.path, source: { path: bigPath }, sha256: big.sha256, size: big.size });
    index.push({ url: bigUri, path: row.path, sha256: big.sha256, size: big.size });
    bigInstaller = '/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh';
  }
  entries.push({ name: INDEX_TSV, source: { data: indexTsv(index) } });
  entries.push({ name: NAMES_TSV, source: { data: namesTsv(names) } });

  const zip = path.join(dir, 'python_buildpack-cached-v1.0.0.zip');
  await writeZip(entries, zip, { env: {} });

  const shaByPath = new Map<string, string>();
  for (const [e, f] of artifacts) shaByPath.set(e.kind === 'conda' ? `/${index.find((r) => r.url === e.uri)!.path}` : `/pypi/files/${e.filename}`, f.sha256);
  shaByPath.set('/miniconda/Miniforge3-24.7.1-0-Linux-x86_64.sh', installer.sha256);
  shaByPath.set('/pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl.metadata', sha(metadata));
  return {
    zip,
    entries,
    sha256: shaByPath,
    paths: {
      wheel: '/pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl',
      bigWheel: '/pypi/files/python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl',
      metadata: '/pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl.metadata',
      sdist: '/pypi/files/INITools-0.2.tar.gz',
      condaPackage: '/conda/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2',
      installer: '/miniconda/Miniforge3-24.7.1-0-Linux-x86_64.sh',
      bigInstaller,
    },
  };
}
