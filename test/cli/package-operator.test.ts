// Operator features of `bin/package offline` end to end (real child process,
// loopback origins, unzip on the result): packaging profiles, the SBOM inside
// every cached zip and --sbom, the size budget, and deprecation warnings.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../fixtures/origin/origin.mjs';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { cyclonedx15Errors } from '../bundle/cyclonedx-schema.js';
import { INCLUDE_FILES, makeBuildpackRoot } from './buildpack-root.js';

const CORE = randomBytes(40_000);
const AGENT = randomBytes(120_000);
const PROFILER = randomBytes(200_000);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
type Doc = Record<string, any>;

let origin: Origin;
beforeEach(async () => {
  origin = await startOrigin({ files: { '/core-1.0.0.tgz': CORE, '/agent-2.0.0.tgz': AGENT, '/profiler-3.0.0.tgz': PROFILER } });
});
afterEach(async () => origin.close());

// libbuildpack's with_profiles fixture, as a python buildpack served from loopback.
function manifest(base: string, extra = ''): string {
  return `---
language: python
default_versions:
- name: core-dep
  version: 1.0.0
dependencies:
- name: core-dep
  version: 1.0.0
  uri: ${base}/core-1.0.0.tgz
  sha256: ${sha(CORE)}
  cf_stacks: [cflinuxfs4]
- name: agent-dep
  version: 2.0.0
  uri: ${base}/agent-2.0.0.tgz
  sha256: ${sha(AGENT)}
  cf_stacks: [cflinuxfs4]
- name: profiler-dep
  version: 3.0.0
  uri: ${base}/profiler-3.0.0.tgz
  sha256: ${sha(PROFILER)}
  cf_stacks: [cflinuxfs4]
packaging_profiles:
  minimal:
    description: Core deps only. No agents or profilers.
    exclude: [agent-dep, profiler-dep]
  no-profiler:
    description: Core and agents only. No profilers.
    exclude: [profiler-dep]
${extra}${INCLUDE_FILES}`;
}

async function pkg(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCliInProcess('package', [args[0]!, '--stack', 'cflinuxfs4', '--cache-dir', path.join(root, '.cache'), ...args.slice(1)], { cwd: root, env });
}
const unzipText = (zip: string, entry: string) => execFileSync('unzip', ['-p', zip, entry], { encoding: 'utf8' });
const zipNames = (zip: string) => execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).trim().split('\n');
const downloaded = () => ['/core-1.0.0.tgz', '/agent-2.0.0.tgz', '/profiler-3.0.0.tgz'].filter((p) => origin.requestsFor(p).length > 0);

describe('packaging profiles', () => {
  it('--profile leaves the profile\'s dependencies out of downloads, manifest, indexes and SBOM, and names the zip -<profile>', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await pkg(root, ['offline', '--profile', 'minimal', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(path.basename(result.zip)).toBe('python_buildpack-cached-minimal-cflinuxfs4-v1.2.3.zip');
    expect(result).toMatchObject({ profile: 'minimal', excluded: ['agent-dep', 'profiler-dep'] });
    expect(downloaded()).toEqual(['/core-1.0.0.tgz']);
    const packaged = unzipText(result.zip, 'manifest.yml');
    expect(packaged).toContain('name: core-dep');
    expect(packaged).not.toContain('name: agent-dep');
    expect(packaged).not.toContain('name: profiler-dep');
    expect(unzipText(result.zip, 'dependencies/names.tsv').split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['core-dep']);
    const sbom = JSON.parse(unzipText(result.zip, 'sbom.cdx.json'));
    expect(sbom.components.map((c: Doc) => c.name)).toEqual(['core-dep']);
    expect(sbom.metadata.component.properties).toContainEqual({ name: 'buildpack:profile', value: 'minimal' });
    execFileSync('unzip', ['-tq', result.zip]);
    const verify = await runCliInProcess('package', ['verify', result.zip]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('--include puts one back (-<profile>+custom); --exclude alone gives -custom', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const inc = await pkg(root, ['offline', '--profile', 'minimal', '--include', 'profiler-dep']);
    expect(inc.code, inc.stderr).toBe(0);
    expect(path.basename(inc.stdout.trim())).toBe('python_buildpack-cached-minimal+custom-cflinuxfs4-v1.2.3.zip');
    expect(downloaded()).toEqual(['/core-1.0.0.tgz', '/profiler-3.0.0.tgz']);
    expect(inc.stderr).toContain('Leaving out agent-dep (packaging profile minimal + custom)');

    const exc = await pkg(root, ['cached', '--exclude', 'agent-dep,profiler-dep']);
    expect(exc.code, exc.stderr).toBe(0);
    expect(path.basename(exc.stdout.trim())).toBe('python_buildpack-cached-custom-cflinuxfs4-v1.2.3.zip');
    expect(zipNames(exc.stdout.trim()).filter((n) => n.endsWith('.tgz'))).toHaveLength(1);
  });

  it.each([
    [['online', '--profile', 'minimal'], 'error: --profile/--exclude/--include are only valid for offline buildpacks'],
    [['uncached', '--exclude', 'agent-dep'], 'error: --profile/--exclude/--include are only valid for cached buildpacks'],
    [['offline', '--include', 'agent-dep'], 'error: --include requires --profile'],
    [['offline', '--profile', 'tiny'], 'error: packaging profile "tiny" not found in manifest'],
    [['offline', '--profile', 'Tiny'], 'error: profile name "Tiny" is invalid: must match ^[a-z0-9_-]+$'],
    [['offline', '--exclude', 'ghost-dep'], 'error: dependency "ghost-dep" not found in manifest'],
    [['offline', '--profile', 'no-profiler', '--include', 'agent-dep'], 'error: --include "agent-dep" has no effect: dependency is not excluded by the profile or --exclude'],
    [['online', '--sbom', 'x.json'], 'error: --sbom is only valid for offline buildpacks'],
  ])('%j exits 1 with libbuildpack\'s message, before any download, writing no zip', async (args, message) => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await pkg(root, args);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toContain(message);
    expect(r.stdout).toBe('');
    expect(origin.requests).toHaveLength(0);
    expect((await readdir(root)).filter((f) => f.endsWith('.zip'))).toEqual([]);
  });
});

describe('the SBOM', () => {
  it('exits 1 before any download, writing no zip, when --sbom names a directory or a path under a file', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const dir = path.join(root, 'bin');
    const isDir = await pkg(root, ['offline', '--sbom', dir]);
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toContain(`error: --sbom names a directory, not the SBOM's file: ${dir}`);
    expect(isDir.stderr).toContain(`hint: pass the SBOM's file name, e.g. --sbom ${path.join(dir, 'sbom.cdx.json')}`);
    const underFile = await pkg(root, ['offline', '--sbom', path.join(root, 'VERSION', 'sbom.json')]);
    expect(underFile.code).toBe(1);
    expect(underFile.stderr).toContain(`error: Cannot write the SBOM into ${path.join(root, 'VERSION')}: a file is in the way`);
    expect(origin.requests).toHaveLength(0);
    expect((await readdir(root)).filter((f) => f.endsWith('.zip'))).toEqual([]);
  });

  it('is in the zip, identical to --sbom FILE, valid CycloneDX 1.5, and the same bytes on a rebuild', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const out = path.join(root, 'bp.zip');
    const file = path.join(root, 'out', 'bp.cdx.json');
    const r = await pkg(root, ['offline', '--output', out, '--sbom', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Wrote the SBOM (CycloneDX 1.5) to ${file}`);
    const inZip = unzipText(out, 'sbom.cdx.json');
    expect(await readFile(file, 'utf8')).toBe(inZip);
    const doc = JSON.parse(inZip);
    expect(cyclonedx15Errors(doc)).toEqual([]);
    expect(doc.components.map((c: Doc) => [c.name, c.hashes[0].content])).toEqual(
      [
        ['agent-dep', sha(AGENT)],
        ['core-dep', sha(CORE)],
        ['profiler-dep', sha(PROFILER)],
      ].sort((a, b) => zipPathOf(doc, a[0]!).localeCompare(zipPathOf(doc, b[0]!))),
    );
    expect(doc.components[0].externalReferences[0].url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    const again = await pkg(root, ['offline', '--output', path.join(root, 'again.zip'), '--force-download']);
    expect(again.code, again.stderr).toBe(0);
    expect(unzipText(path.join(root, 'again.zip'), 'sbom.cdx.json')).toBe(inZip);
  });
});

function zipPathOf(doc: Doc, name: string): string {
  return doc.components.find((c: Doc) => c.name === name)['bom-ref'];
}

describe('the size budget', () => {
  it('prints the expected size; a second run knows manifest dependency sizes from the cache and fails --max-size before downloading', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const first = await pkg(root, ['offline']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Expected zip size: at least 0 B (3 artifacts; no size known yet for 3: core-dep 1.0.0 (dependency), agent-dep 2.0.0 (dependency), profiler-dep 3.0.0 (dependency))');

    const before = origin.requests.length;
    const r = await pkg(root, ['offline', '--max-size', '300K', '--force-download']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Expected zip size: 351.6 KiB (3 artifacts)');
    expect(r.stderr).toContain('error: The zip would be larger than --max-size 300.0 KiB: expected 351.6 KiB; nothing was downloaded');
    expect(r.stderr).toContain('  largest:\n    -  195.3 KiB  profiler-dep 3.0.0 (dependency): leave out with --exclude profiler-dep\n    -  117.2 KiB  agent-dep 2.0.0 (dependency): leave out with --exclude agent-dep\n    -   39.1 KiB  core-dep 1.0.0 (dependency): leave out with --exclude core-dep');
    expect(origin.requests.length).toBe(before);

    const fits = await pkg(root, ['offline', '--max-size', '300K', '--profile', 'no-profiler']);
    expect(fits.code, fits.stderr).toBe(0);
  });

  it('fails after the download when sizes were unknown and the written zip is too big, keeping no zip', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const out = path.join(root, 'bp.zip');
    const r = await pkg(root, ['offline', '--max-size', '100K', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: The zip is larger than --max-size 100\.0 KiB: \d+\.\d KiB \(\d+ bytes\); it was not kept/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(root)).filter((f) => f.endsWith('.zip') || f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('deprecation warnings', () => {
  const dates = `dependency_deprecation_dates:
- name: agent-dep
  version_line: 2.0.x
  date: 2031-03-01
  link: https://example.invalid/agent-eol
- name: core-dep
  version_line: 1.x
  date: 2031-12-01
`;

  it('warns for a packaged version within 30 days of its date (BP_TODAY), not for later ones, and ships deprecations.tsv', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url, dates));
    const r = await pkg(root, ['offline'], { BP_TODAY: '2031-02-10' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: agent-dep 2.0.x will no longer be available in new buildpacks released after 2031-03-01 (in 19 days; this zip packages agent-dep 2.0.0). See: https://example.invalid/agent-eol',
    );
    expect(r.stderr).not.toContain('core-dep 1.x will no longer');
    expect(unzipText(r.stdout.trim(), 'deprecations.tsv')).toBe('agent-dep\t2.0.x\t2031-03-01\thttps://example.invalid/agent-eol\t\ncore-dep\t1.x\t2031-12-01\t\t\n');
  });

  it('says nothing for a dependency the profile leaves out, and warns for a past date', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url, dates));
    const r = await pkg(root, ['offline', '--profile', 'minimal'], { BP_TODAY: '2032-01-01' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('agent-dep 2.0.x will no longer');
    expect(r.stderr).toContain('warning: core-dep 1.x will no longer be available in new buildpacks released after 2031-12-01 (that date passed 31 days ago; this zip packages core-dep 1.0.0)');
  });
});

describe('with resolved conda packages, wheels and an installer (demo world)', () => {
  it('the SBOM names conda, PyPI and installer artifacts with purls and licenses; --max-size fails from the lock\'s sizes before any artifact download', async () => {
    const world = await startDemoWorld();
    try {
      const dir = await tempDir();
      await writeDemoBuildpack(dir, world.url);
      const cache = path.join(dir, 'cache');
      const tight = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', cache, '--max-size', '20K'], { cwd: dir });
      expect(tight.code).toBe(1);
      expect(tight.stderr).toContain('error: The zip would be larger than --max-size 20.0 KiB');
      expect(tight.stderr).toContain('   63.0 KiB  wheel 0.40.0 (wheel): remove it from pip: and run bin/package resolve');
      expect(world.requestsFor('/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2')).toHaveLength(0);
      expect(world.requestsFor('/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh')).toHaveLength(0);

      const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', cache, '--sbom', path.join(dir, 'sbom.json')], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(await readFile(path.join(dir, 'sbom.json'), 'utf8'));
      expect(cyclonedx15Errors(doc)).toEqual([]);
      const purls = doc.components.map((c: Doc) => c.purl.replace(/127\.0\.0\.1%3A\d+/g, 'ORIGIN').replace(/checksum=sha256%3A[0-9a-f]{64}/, 'checksum=...'));
      // components follow their zip paths, and a dependency's path holds md5(uri),
      // which changes with the origin's random port: compare as a set
      expect([...purls].sort()).toEqual([
        'pkg:conda/run_exports_versions@2.0?build=h39de5ba_0&channel=http%3A%2F%2FORIGIN%2Fconda-forge&subdir=noarch&type=tar.bz2',
        'pkg:generic/miniconda3@py311_24.1.2-0?checksum=...&download_url=http%3A%2F%2FORIGIN%2Fminiconda%2FMiniconda3-py311_24.1.2-0-Linux-x86_64.sh',
        'pkg:generic/simple@1.0?checksum=...&download_url=http%3A%2F%2FORIGIN%2Fdeps%2Fsimple-1.0.tar.gz',
        'pkg:pypi/simplewheel@1.0?file_name=simplewheel-1.0-py2.py3-none-any.whl',
        'pkg:pypi/wheel@0.40.0?file_name=wheel-0.40.0-py3-none-any.whl',
      ]);
      const zip = r.stdout.trim();
      expect(unzipText(zip, 'sbom.cdx.json')).toBe(await readFile(path.join(dir, 'sbom.json'), 'utf8'));
    } finally {
      await world.close();
    }
  });
});
