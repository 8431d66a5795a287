// Issue 25 end to end: requirements that exist only as sdists are built into
// wheels by `bin/package offline` (real flit_core / setuptools backends from the
// loopback index, the real python3.11), the zip carries the wheels and stages
// under `unshare -n` with no compiler on PATH; a warm re-package builds nothing
// and gives the same zip.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { FIXTURES, UPSTREAM } from '../helpers/paths.js';
import { runBin } from '../helpers/run-cli.js';
import { suiteDir } from '../helpers/tmp.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

const SDISTS = path.join(FIXTURES, 'build/sdists');
const WHEELS = path.join(UPSTREAM, 'pypi/wheels');
const COMPILERS = /^(cc|c\+\+|gcc|g\+\+|clang|clang\+\+|tcc|cpp|ld|as)(-[\d.]+)?$|^x86_64-linux-gnu-/;

let dir: string;
let src: string;
let zip: string;
let bp: string;
let first: Awaited<ReturnType<typeof runBin>>;
let origin: Awaited<ReturnType<typeof startDemoWorld>>;

const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');
const packageOffline = (out: string) =>
  runBin('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(dir, 'cache'), '--output', out], { cwd: src, timeoutMs: 300_000 });

beforeAll(async () => {
  dir = await suiteDir('built-wheels-');
  origin = await startDemoWorld({
    pypi: {
      flitpure: [path.join(SDISTS, 'flitpure-1.0.tar.gz')],
      setuppure: [path.join(SDISTS, 'setuppure-1.0.tar.gz')],
      'flit-core': [path.join(WHEELS, 'flit_core-4.1.0-py3-none-any.whl')],
      setuptools: [path.join(WHEELS, 'setuptools-84.0.0-py3-none-any.whl')],
    },
  });
  src = path.join(dir, 'src');
  await writeDemoBuildpack(src, origin.url, { pipRequirements: ['flitpure==1.0', 'setuppure==1.0'] });
  zip = path.join(dir, 'offline.zip');
  first = await packageOffline(zip);
  if (first.code !== 0) throw new Error(`packaging failed:\n${first.stderr}`);
  bp = path.join(dir, 'bp');
  execFileSync('unzip', ['-q', zip, '-d', bp]);
}, 300_000);

afterAll(async () => {
  await origin?.close();
  if (dir && !process.env.KEEP_TMP) await rm(dir, { recursive: true, force: true });
});

describe('bin/package offline builds every locked sdist into a wheel', () => {
  it('shows the builds and records sdist and built wheel in the lock', async () => {
    expect(first.stderr).toMatch(/Building flitpure-1\.0\.tar\.gz \(flit_core\.buildapi, Python 3\.11\.\d+, unshare -r?n\)/);
    expect(first.stderr).toMatch(/Building setuppure-1\.0\.tar\.gz \(setuptools\.build_meta:__legacy__, Python 3\.11/);
    const lock = await readFile(path.join(src, 'manifest.lock.yml'), 'utf8');
    const flit = lock.slice(lock.indexOf('name: flitpure'));
    expect(flit).toMatch(/filename: flitpure-1\.0\.tar\.gz\n\s+uri: http:\/\/127\.0\.0\.1:\d+\/pypi\/files\/flitpure-1\.0\.tar\.gz\n\s+sha256: [0-9a-f]{64}/);
    expect(flit).toMatch(/built:\n\s+filename: flitpure-1\.0-py2\.py3-none-any\.whl\n\s+sha256: [0-9a-f]{64}\n\s+size: \d+\n\s+backend: flit_core\.buildapi\n\s+python: 3\.11\.\d+\n\s+source_date_epoch: 315532800\n\s+isolation: unshare -r?n\n\s+requires:\n\s+- name: flit-core\n\s+version: 4\.1\.0\n\s+filename: flit_core-4\.1\.0-py3-none-any\.whl/);
  });

  it('links each built wheel beside its sdist in the index, carries the build requirements under pypi/build/; verify passes', async () => {
    const files = await readdir(path.join(bp, 'pypi/files'));
    expect(files).toEqual(expect.arrayContaining(['flitpure-1.0-py2.py3-none-any.whl', 'flitpure-1.0.tar.gz', 'setuppure-1.0-py3-none-any.whl', 'setuppure-1.0.tar.gz']));
    expect((await readdir(path.join(bp, 'pypi/build'))).sort()).toEqual(['flit_core-4.1.0-py3-none-any.whl', 'setuptools-84.0.0-py3-none-any.whl', 'wheel-0.40.0-py3-none-any.whl']);
    const page = await readFile(path.join(bp, 'pypi/simple/flitpure/index.html'), 'utf8');
    expect(page).toContain('href="../../files/flitpure-1.0-py2.py3-none-any.whl#sha256=');
    expect(page).toContain('href="../../files/flitpure-1.0.tar.gz#sha256=');
    const v = await runBin('package', ['verify', zip]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('verify refuses a zip whose built wheel or sdist differs from what the packaged manifest records', async () => {
    for (const target of ['pypi/files/flitpure-1.0-py2.py3-none-any.whl', 'pypi/files/flitpure-1.0.tar.gz']) {
      const work = path.join(dir, `tamper-${path.basename(target)}`);
      await mkdir(work, { recursive: true });
      const bad = path.join(work, 'bad.zip');
      execFileSync('cp', [zip, bad]);
      await mkdir(path.join(work, path.dirname(target)), { recursive: true });
      execFileSync('cp', [path.join(WHEELS, 'wheel-0.40.0-py3-none-any.whl'), path.join(work, target)]);
      execFileSync('zip', ['-q', bad, target], { cwd: work });
      const v = await runBin('package', ['verify', bad]);
      expect(v.code).toBe(3);
      expect(v.stdout + v.stderr).toContain(`sha256 of ${target} differs`);
    }
  });

  it('marks built wheels in the SBOM and in summary', async () => {
    const sbom = JSON.parse(await readFile(path.join(bp, 'sbom.cdx.json'), 'utf8')) as { components: { 'bom-ref': string; properties: { name: string; value: string }[] }[] };
    const built = sbom.components.find((c) => c['bom-ref'] === 'pypi/files/flitpure-1.0-py2.py3-none-any.whl')!;
    expect(built.properties).toContainEqual({ name: 'buildpack:built_from', value: 'flitpure-1.0.tar.gz' });
    const req = sbom.components.find((c) => c['bom-ref'] === 'pypi/build/flit_core-4.1.0-py3-none-any.whl')!;
    expect(req.properties).toContainEqual({ name: 'buildpack:build_requirement', value: 'true' });
    expect(sbom.components.some((c) => c['bom-ref'] === 'pypi/files/flitpure-1.0.tar.gz')).toBe(true);
    const s = await runBin('package', ['summary'], { cwd: src });
    expect(s.stdout).toMatch(/\| flitpure \| 1\.0 \| flitpure-1\.0-py2\.py3-none-any\.whl \(built from flitpure-1\.0\.tar\.gz\) \|/);
  });

  it('stages under unshare -n with no compiler on PATH, installing the built wheels', async () => {
    // /usr/bin and /bin without any compiler or linker
    const bin = path.join(dir, 'nocc-bin');
    await mkdir(bin, { recursive: true });
    for (const d of ['/bin', '/usr/bin']) {
      for (const n of await readdir(d)) {
        if (COMPILERS.test(n)) continue;
        await symlink(path.join(d, n), path.join(bin, n)).catch(() => undefined);
      }
    }
    const s = await stageApp(bp, path.join(FIXTURES, 'apps/pip-only'), {
      env: { PATH: bin },
      files: { 'requirements.txt': 'flitpure==1.0\nsetuppure==1.0\n' },
    });
    expect(s.supply.code, s.log).toBe(0);
    expect(s.log).toMatch(/Successfully installed flitpure-1\.0 setuppure-1\.0/);
    // pip took the built wheels (it ranks a fitting wheel above the sdist of the same version)
    expect(s.log).not.toMatch(/Building wheel|setup\.py|\.tar\.gz/);
    const run = await runInApp(s, 'command -v cc || echo no-cc; python -c "import flitpure, setuppure; print(flitpure.GREETING, setuppure.GREETING)"', { PATH: bin });
    expect(run.stdout).toBe('no-cc\nflitpure ok setuppure ok\n');
  });

  it('builds nothing on a warm re-package and writes a byte-identical zip', async () => {
    const again = path.join(dir, 'again.zip');
    const r = await packageOffline(again);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Building \S+\.tar\.gz/);
    // the estimate counts the built wheels and build requirements the lock names
    expect(r.stderr).toMatch(/Expected zip size: .* \(12 artifacts\)/);
    expect(r.stderr).toContain('Using the wheel built from flitpure-1.0.tar.gz before: flitpure-1.0-py2.py3-none-any.whl (cached)');
    expect(await sha256(again)).toBe(await sha256(zip));
  });
});
