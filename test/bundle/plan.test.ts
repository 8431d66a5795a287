import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { copyBuildpackRoot, runPrePackage } from '../../src/bundle/pre-package.js';
import { dependencyZipPath, zipFileName } from '../../src/bundle/layout.js';
import { planBundle } from '../../src/bundle/plan.js';
import { writeZip } from '../../src/bundle/write-zip.js';
import { MemoryLogger } from '../../src/core/log.js';
import { isolatedPipEnv } from '../helpers/pip-runs.js';
import { tempDir } from '../helpers/tmp.js';
import { SECRETS, cachedBundleInput, MINIMAL_ROOT } from './bundle-fixture.js';
import { allEntries, entryText, unzipTest, zipinfoRows } from './zip-tools.js';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
type Doc = Record<string, any>;

describe('planBundle + writeZip: a cached zip', () => {
  it('holds the buildpack files, packaged manifest, VERSION, dependencies, installers, conda channels and PyPI tree', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    const out = path.join(dir, zipFileName({ language: input.manifest.language, cached: true, stack: input.stack, version: input.version }));
    const plan = await planBundle(input);
    await writeZip(plan.entries, out, { env: {} });
    expect(path.basename(out)).toBe('minimal_buildpack-cached-cflinuxfs4-v1.2.3.zip');
    expect(await unzipTest(out)).toContain('No errors detected');

    const fs4 = input.manifest.dependencies[0]!;
    const installer = input.lock!.artifacts[0]!;
    const names = (await zipinfoRows(out)).map((r) => r.name);
    expect(names).toEqual([
      'README.md',
      'VERSION',
      'bin/compile',
      'bin/detect',
      'bin/finalize',
      'bin/release',
      'bin/supply',
      'conda/channels.tsv',
      'conda/pkgs-main/linux-64/repodata.json',
      'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
      'conda/pkgs-main/noarch/repodata.json',
      'conda/private/linux-64/repodata.json',
      'conda/private/noarch/repodata.json',
      'conda/private/noarch/run_constrained-1.0-0.conda',
      dependencyZipPath(fs4.uri),
      dependencyZipPath(installer.uri),
      'dependencies/index.tsv',
      'dependencies/names.tsv',
      'dependencies/url_map.tsv',
      'lib/shared.sh',
      'manifest.yml',
      'pypi/files/has.script-1.0-py2.py3-none-any.whl',
      'pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl',
      'pypi/simple/has-script/index.html',
      'pypi/simple/index.html',
      'pypi/simple/simplewheel/index.html',
    ].sort());
    expect(await entryText(out, 'VERSION')).toBe('1.2.3\n');
  });

  it('keeps exec bits and STOREs what is already compressed (zipinfo)', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    const out = path.join(dir, 'bp.zip');
    await writeZip((await planBundle(input)).entries, out, { env: {} });
    const rows = new Map((await zipinfoRows(out)).map((r) => [r.name, r]));
    for (const s of ['compile', 'detect', 'supply', 'finalize', 'release']) expect(rows.get(`bin/${s}`)!.mode, s).toBe('-rwxr-xr-x');
    expect(rows.get('README.md')!.mode).toBe('-rw-r--r--');
    expect(rows.get(dependencyZipPath(input.lock!.artifacts[0]!.uri))).toMatchObject({ mode: '-rwxr-xr-x', method: 'stor' });
    expect(rows.get(dependencyZipPath(input.manifest.dependencies[0]!.uri))!.method).toBe('stor');
    expect(rows.get('pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl')!.method).toBe('stor');
    expect(rows.get('conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda')!.method).toBe('stor');
    expect(rows.get('manifest.yml')!.method).toMatch(/^def/);
  });

  it('index.tsv lists every cached URL (redacted) with the path, sha256 and size of what is really in the zip', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    const out = path.join(dir, 'bp.zip');
    const plan = await planBundle(input);
    await writeZip(plan.entries, out, { env: {} });
    const files = await allEntries(out);
    const rows = files.get('dependencies/index.tsv')!.toString('utf8').trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual([
      'https://-redacted-:-redacted-@downloads.example.invalid/tool/tool-1.0.0-linux.tgz?token=-redacted-',
      'https://conda.anaconda.org/t/-redacted-/private/noarch/run_constrained-1.0-0.conda',
      'https://files.pythonhosted.org/packages/aa/simplewheel-2.0-1-py2.py3-none-any.whl',
      'https://files.pythonhosted.org/packages/bb/has.script-1.0-py2.py3-none-any.whl',
      'https://github.com/conda-forge/miniforge/releases/download/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh',
      'https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
    ]);
    for (const [, p, hex, size] of rows) {
      const bytes = files.get(p!)!;
      expect(bytes, p).toBeDefined();
      expect(sha(bytes)).toBe(hex);
      expect(bytes.length).toBe(Number(size));
    }
    expect(plan.index).toHaveLength(6);

    const names = files.get('dependencies/names.tsv')!.toString('utf8').trimEnd().split('\n').map((l) => l.split('\t'));
    expect(names.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['tool', '1.0.0', dependencyZipPath(input.manifest.dependencies[0]!.uri)],
      ['miniforge3', '24.7.1-0', dependencyZipPath(input.lock!.artifacts[0]!.uri)],
    ]);
    expect(files.get('dependencies/url_map.tsv')!.toString('utf8')).toBe('tool-(\\d+\\.\\d+\\.\\d+)\ttool\t$1\n');
  });

  it('the packaged manifest points at files that exist, for this stack only', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    const out = path.join(dir, 'bp.zip');
    await writeZip((await planBundle(input)).entries, out, { env: {} });
    const files = await allEntries(out);
    const doc = yaml.load(files.get('manifest.yml')!.toString('utf8')) as Doc;
    expect(doc.stack).toBe('cflinuxfs4');
    expect(doc.dependencies.map((d: Doc) => d.name)).toEqual(['tool', 'miniforge3']);
    for (const d of [...doc.dependencies, ...doc.locked_artifacts]) {
      expect(files.has(d.file), d.file).toBe(true);
      expect(sha(files.get(d.file)!)).toBe(d.sha256);
    }
  });

  it('never puts a credential in any entry', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    await writeZip((await planBundle(await cachedBundleInput(dir))).entries, out, { env: {} });
    const { stdout } = await run('unzip', ['-Z1', out]);
    expect(stdout).not.toMatch(new RegExp(SECRETS.join('|')));
    for (const [name, bytes] of await allEntries(out)) {
      for (const s of SECRETS) expect(bytes.includes(s), `${s} in ${name}`).toBe(false);
    }
  });

  it('is byte-identical when packaged twice from the same inputs, in different TZs', async () => {
    const dir = await tempDir();
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const a = await writeZip((await planBundle(await cachedBundleInput(dir))).entries, path.join(dir, 'a.zip'), { env: {} });
      process.env.TZ = 'Asia/Tokyo';
      const b = await writeZip((await planBundle(await cachedBundleInput(dir))).entries, path.join(dir, 'b.zip'), { env: {} });
      expect(b.sha256).toBe(a.sha256);
      expect(Buffer.compare(await readFile(a.path), await readFile(b.path))).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('unzipped, serves pip from its PyPI tree with no network', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'bp.zip');
    await writeZip((await planBundle(await cachedBundleInput(dir))).entries, out, { env: {} });
    const bp = path.join(dir, 'bp');
    await run('unzip', ['-q', out, '-d', bp]);
    const env = isolatedPipEnv();
    const venv = path.join(dir, 'venv');
    await run('python3', ['-m', 'venv', '--without-pip', venv], { env });
    await run('unshare', ['-n', 'python3', '-m', 'pip', '--python', path.join(venv, 'bin/python'), 'install', '--disable-pip-version-check', '--no-cache-dir', '--index-url', `file://${bp}/pypi/simple`, 'simplewheel', 'has-script'], { env });
    const { stdout } = await run(path.join(venv, 'bin/python'), ['-c', 'import importlib.metadata as m; print(m.version("simplewheel"), m.version("has.script"))'], { env });
    expect(stdout.trim()).toBe('2.0 1.0');
  });

  it('fails with EINTEGRITY when a cached dependency does not match the manifest', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    const dep = input.manifest.dependencies[0]!;
    input.dependencyFiles!.set(dep, { ...input.dependencyFiles!.get(dep)!, sha256: 'e'.repeat(64) });
    await expect(planBundle(input)).rejects.toMatchObject({ code: 'EINTEGRITY', details: { wanted: `sha256 ${dep.sha256}`, found: `sha256 ${'e'.repeat(64)}` } });
  });

  it('any stack: every dependency and installer, no stack key, cf_stacks kept', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir, { stack: undefined });
    const plan = await planBundle(input);
    const doc = yaml.load(plan.manifestYaml) as Doc;
    expect(doc.stack).toBeUndefined();
    expect(doc.dependencies.map((d: Doc) => [d.name, d.cf_stacks])).toEqual([
      ['tool', ['cflinuxfs4']],
      ['tool', ['cflinuxfs3']],
      ['miniforge3', ['cflinuxfs4', 'cflinuxfs3']],
    ]);
    expect(plan.entries.filter((e) => e.name.startsWith('dependencies/') && !e.name.endsWith('.tsv'))).toHaveLength(3);
  });
});

describe('planBundle: uncached zips and buildpack errors', () => {
  it('uncached: buildpack files + manifest without file: keys, nothing cached', async () => {
    const dir = await tempDir();
    const input = { ...(await cachedBundleInput(dir)), cached: false, dependencyFiles: undefined, artifactFiles: undefined };
    const plan = await planBundle(input);
    expect(plan.entries.some((e) => /^(dependencies|conda|pypi)\//.test(e.name))).toBe(false);
    expect(plan.manifestYaml).not.toContain('file:');
    const out = path.join(dir, zipFileName({ language: 'minimal', cached: false, stack: 'cflinuxfs4', version: '1.2.3' }));
    await writeZip(plan.entries, out, { env: {} });
    expect(path.basename(out)).toBe('minimal_buildpack-cflinuxfs4-v1.2.3.zip');
    expect(await unzipTest(out)).toContain('No errors detected');
  });

  it('names the missing bin/compile (cf create-buildpack needs it)', async () => {
    const dir = await tempDir();
    const root = await copyBuildpackRoot(MINIMAL_ROOT);
    try {
      await unlink(path.join(root, 'bin/compile'));
      const input = await cachedBundleInput(dir, { root });
      input.manifest.include_files = input.manifest.include_files!.filter((f) => f !== 'bin/compile');
      await expect(planBundle(input)).rejects.toMatchObject({ code: 'EBUNDLE', message: expect.stringContaining('bin/compile') });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('collects from the pre_package copy, so generated files go in and the checkout stays clean', async () => {
    const dir = await tempDir();
    const root = await copyBuildpackRoot(MINIMAL_ROOT);
    try {
      await runPrePackage('scripts/build.sh', root);
      const plan = await planBundle(await cachedBundleInput(dir, { root }));
      expect(plan.entries.map((e) => e.name)).toContain('lib/generated.txt');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('warns when the packaged manifest is over the 1 MiB Cloud Controller limit', async () => {
    const dir = await tempDir();
    const input = await cachedBundleInput(dir);
    input.manifest.raw.padding = 'x'.repeat(1024 * 1024);
    const logger = new MemoryLogger();
    await planBundle({ ...input, logger });
    expect(logger.text()).toMatch(/buildpack manifest is too large/);
  });
});
