// One buildpack for many environments, end to end against the loopback demo
// world (real wheels): each environment resolves on its own, conflicting pins
// side by side; the lock says which environments need each file; the zip
// carries the union, each file once; a Python the bundle lacks stops resolve.
import { execFileSync } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { ROOT, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

const FILES = path.join(ROOT, 'fixtures/pypi/files');
export const BT_WHEELS = { 'bt-lib': ['bt_lib-1.0-py3-none-any.whl', 'bt_lib-2.0-py3-none-any.whl'].map((f) => path.join(FILES, f)) };

export const TWO_ENVIRONMENTS = `environments:
  app-a:
    pip: { requirements: ["bt-lib==1.0", "wheel==0.40.0"] }
  app-b:
    pip: { requirements: ["bt-lib==2.0", "wheel==0.40.0"] }
`;

let origin: Origin;
beforeAll(async () => {
  origin = await startDemoWorld({ pypi: BT_WHEELS });
});
afterAll(async () => origin.close());

async function demo(extra: string) {
  const dir = await tempDir('envs-');
  const manifest = await writeDemoBuildpack(dir, origin.url);
  await appendFile(manifest, extra);
  const cache = path.join(dir, 'cache');
  const bin = (cmd: string, ...args: string[]) =>
    runCliInProcess('package', [cmd, '--manifest', manifest, '--cache-dir', cache, ...args], { cwd: dir, env: { PACKAGER_RETRY_DELAY_MS: '10' } });
  return { dir, manifest, lock: path.join(dir, 'manifest.lock.yml'), bin };
}

interface Locked {
  kind: string;
  name: string;
  version: string;
  environments?: string[];
}

describe('environments: resolve and package', () => {
  it('resolves conflicting pins side by side and records which environments need each artifact', async () => {
    const d = await demo(TWO_ENVIRONMENTS);
    const r = await d.bin('resolve');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Resolving pip requirements for environment app-a');
    const lock = yaml.load(await readFile(d.lock, 'utf8')) as { artifacts: Locked[] };
    const rows = lock.artifacts.map((a) => `${a.kind}:${a.name}@${a.version} ${(a.environments ?? ['(default)']).join(',')}`);
    expect(rows).toEqual([
      'conda:run_exports_versions@2.0 (default)',
      'installer:miniconda3@py311_24.1.2-0 app-a,app-b,default',
      'wheel:bt-lib@1.0 app-a',
      'wheel:bt-lib@2.0 app-b',
      'wheel:simplewheel@1.0 (default)',
      'wheel:wheel@0.40.0 app-a,app-b,default',
    ]);
  });

  it('packages the union: both versions on one index page, each file once', async () => {
    const d = await demo(TWO_ENVIRONMENTS);
    const zip = path.join(d.dir, 'out.zip');
    const r = await d.bin('offline', '--stack', 'cflinuxfs4', '--output', zip);
    expect(r.code, r.stderr).toBe(0);
    execFileSync('unzip', ['-tq', zip]);
    const names = execFileSync('zipinfo', ['-1', zip]).toString().split('\n');
    expect(names.filter((n) => n.startsWith('pypi/files/')).sort()).toEqual([
      'pypi/files/bt_lib-1.0-py3-none-any.whl',
      'pypi/files/bt_lib-2.0-py3-none-any.whl',
      'pypi/files/simplewheel-1.0-py2.py3-none-any.whl',
      'pypi/files/wheel-0.40.0-py3-none-any.whl',
    ]);
    const page = execFileSync('unzip', ['-p', zip, 'pypi/simple/bt-lib/index.html']).toString();
    expect(page).toContain('bt_lib-1.0-py3-none-any.whl#sha256=');
    expect(page).toContain('bt_lib-2.0-py3-none-any.whl#sha256=');

    // the operator sees the matrix: per-environment sizes before download, the summary, the SBOM
    expect(r.stderr).toMatch(/\n {2}environment app-a: at least [\d.]+ KiB \(4 artifacts, 3 shared with other environments\)\n/);
    const summary = await runCliInProcess('package', ['summary', '--manifest', d.manifest]);
    expect(summary.stdout).toContain('| artifact | kind | size | app-a | app-b | default |\n');
    expect(summary.stdout).toContain('| bt-lib 1.0 | wheel | 1005 B | x |  |  |\n');
    expect(summary.stdout).toContain('| wheel 0.40.0 | wheel | 63.0 KiB | x | x | x |\n');
    const sbom = JSON.parse(execFileSync('unzip', ['-p', zip, 'sbom.cdx.json']).toString()) as { components: { name: string; version: string; properties: { name: string; value: string }[] }[] };
    const envsOf = (name: string, version: string) => sbom.components.find((c) => c.name === name && c.version === version)?.properties.find((p) => p.name === 'buildpack:environments')?.value;
    expect([envsOf('bt-lib', '1.0'), envsOf('bt-lib', '2.0'), envsOf('wheel', '0.40.0')]).toEqual(['app-a', 'app-b', 'app-a,app-b,default']);

    // verify names the environments whose closure lacks a file
    const broken = path.join(d.dir, 'broken.zip');
    execFileSync('cp', [zip, broken]);
    execFileSync('zip', ['-qd', broken, 'pypi/files/bt_lib-1.0-py3-none-any.whl']);
    const v = await runCliInProcess('package', ['verify', broken]);
    expect(v.code).not.toBe(0);
    expect(v.stdout).toMatch(/\(bt-lib 1\.0 needed by environment app-a\)/);
  });

  it('stops resolve (exit 4) naming every environment whose Python the bundle does not carry', async () => {
    const d = await demo(`environments:
  new-py:
    pip: { python_version: "3.12", requirements: ["wheel==0.40.0"] }
  newer-py:
    pip: { python_version: "3.13", requirements: ["wheel==0.40.0"] }
`);
    const r = await d.bin('resolve');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('error: environment new-py needs Python 3.12, and the bundle carries no Python 3.12 (and 1 more)');
    expect(r.stderr).toContain('Miniconda3 py311_24.1.2-0 (Python 3.11)');
    expect(r.stderr).toContain('environment newer-py needs Python 3.13');
  });

  it('warns, not fails, for a package-only bundle (no installer, no environments of its own), and fails once it names one', async () => {
    const d = await demo('');
    const m = yaml.load(await readFile(d.manifest, 'utf8')) as Record<string, unknown>;
    delete m.miniconda;
    await writeFile(d.manifest, yaml.dump(m));
    const r = await d.bin('resolve');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: environment default needs Python 3.11, and the bundle carries no Python 3.11: the zip serves its packages (bin/mirror) but cannot stage an app');
    await appendFile(d.manifest, 'environments:\n  web:\n    pip: { requirements: ["wheel==0.40.0"] }\n');
    const named = await d.bin('resolve');
    expect(named.code, named.stderr).toBe(4);
    expect(named.stderr).toContain('error: environment default needs Python 3.11');
  });

  it('evaluates markers at the installer\'s exact base Python when the manifest states it', async () => {
    const req = `pip: { requirements: ['bt-lib==1.0 ; python_full_version < "3.11.3"', "wheel==0.40.0"] }`;
    const names = async (d: Awaited<ReturnType<typeof demo>>) => {
      const r = await d.bin('resolve');
      expect(r.code, r.stderr).toBe(0);
      return (yaml.load(await readFile(d.lock, 'utf8')) as { artifacts: Locked[] }).artifacts.filter((a) => a.environments?.includes('exact')).map((a) => a.name);
    };
    // 3.11 alone means 3.11.0: the marker holds
    expect(await names(await demo(`environments:\n  exact:\n    ${req}\n`))).toEqual(['miniconda3', 'bt-lib', 'wheel']);
    const exact = await demo(`environments:\n  exact:\n    ${req}\n`);
    await writeFile(exact.manifest, (await readFile(exact.manifest, 'utf8')).replace('  version: py311_24.1.2-0\n', '  version: py311_24.1.2-0\n  python: "3.11.7"\n'));
    expect(await names(exact)).toEqual(['miniconda3', 'wheel']);
  });

  it('makes one environment per app of apps:, read as staging reads it', async () => {
    const d = await demo('apps: [apps/pip-only, apps/conda-pip]\n');
    const r = await d.bin('resolve');
    expect(r.code, r.stderr).toBe(0);
    const lock = yaml.load(await readFile(d.lock, 'utf8')) as { artifacts: Locked[] };
    expect(lock.artifacts.map((a) => `${a.name} ${(a.environments ?? ['(default)']).join(',')}`)).toEqual([
      'run_exports_versions conda-pip,default',
      'miniconda3 conda-pip,default,pip-only',
      'simplewheel conda-pip,default,pip-only',
      'wheel default,pip-only',
    ]);
  });
});
