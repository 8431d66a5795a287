// Issue 24 item 9: apps that are projects (pyproject.toml / setup.py) stage
// offline with their build backend from the bundle. A manifest lists three
// apps under `apps:`; `bin/package offline` adds each one's `[build-system]
// requires` closure (real flit_core / setuptools wheels, and setuptools' legacy
// default setuptools + wheel for a setup.py) to the zip's index; each app then
// stages under `unshare -n` with the real pip, isolated from this machine's
// pip configuration, which builds the project in its isolated build
// environment from the bundle's index.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import { UPSTREAM } from '../helpers/paths.js';
import { runBin, type CliResult } from '../helpers/run-cli.js';
import { packageAndUnzip } from './package-zip.js';
import { suiteDir } from '../helpers/tmp.js';
import { NET_ISOLATION } from '../staging/run-script.js';
import { runInApp, stageApp } from '../staging/stage-app.js';

const WHEELS = path.join(UPSTREAM, 'pypi/wheels');
const SIMPLE = path.join(WHEELS, 'simplewheel-1.0-py2.py3-none-any.whl');

/** Real pip at staging sees no pip configuration of this machine: PIP_CONFIG_FILE=/dev/null and no PIP_* variable. */
const ISOLATED_PIP: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('PIP_')).map((k) => [k, undefined])),
  PIP_CONFIG_FILE: '/dev/null',
};

const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

/** The three apps: file name -> text. */
async function apps(): Promise<Record<string, Record<string, string>>> {
  return {
    // pyproject.toml with a PEP 517 backend and no requirements file: staging installs `-e .`
    flitapp: {
      'pyproject.toml':
        '[build-system]\nrequires = ["flit_core>=3.4,<5"]\nbuild-backend = "flit_core.buildapi"\n\n[project]\nname = "flitapp"\nversion = "1.0"\ndescription = "app-backends test app"\n',
      'flitapp/__init__.py': 'GREETING = "flitapp ok"\n',
    },
    // only a setup.py: pip's legacy default, setuptools>=40.8.0 + wheel
    setupapp: {
      'setup.py': 'from setuptools import setup\n\nsetup(name="setupapp", version="1.0", py_modules=["setupapp"])\n',
      'setupapp.py': 'GREETING = "setupapp ok"\n',
    },
    // a uv project: uv.lock names the app itself as `editable = "."` (installed --no-deps) and a dependency
    uvapp: {
      'pyproject.toml':
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "uvapp"\nversion = "0.1.0"\ndependencies = ["simplewheel==1.0"]\n\n[tool.setuptools]\npy-modules = ["uvapp"]\n',
      'uvapp.py': 'GREETING = "uvapp ok"\n',
      'uv.lock': `version = 1
revision = 3
requires-python = ">=3.8"

[[package]]
name = "simplewheel"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://example.invalid/simplewheel-1.0-py2.py3-none-any.whl", hash = "sha256:${await sha256(SIMPLE)}" },
]

[[package]]
name = "uvapp"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "simplewheel" },
]

[package.metadata]
requires-dist = [{ name = "simplewheel", specifier = "==1.0" }]
`,
    },
  };
}

let dir: string;
let src: string;
let bp: string;
let packaged: CliResult;

beforeAll(async () => {
  dir = await suiteDir('app-backends-');
  const origin = await startDemoWorld({
    pypi: {
      'flit-core': [path.join(WHEELS, 'flit_core-4.1.0-py3-none-any.whl')],
      setuptools: [path.join(WHEELS, 'setuptools-84.0.0-py3-none-any.whl')],
    },
  });
  src = path.join(dir, 'src');
  try {
    const manifest = await writeDemoBuildpack(src, origin.url);
    for (const [app, files] of Object.entries(await apps())) {
      for (const [rel, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(src, 'apps', app, rel)), { recursive: true });
        await writeFile(path.join(src, 'apps', app, rel), text);
      }
    }
    await appendFile(manifest, 'apps: [apps/flitapp, apps/setupapp, apps/uvapp]\n');
    ({ bp, run: packaged } = await packageAndUnzip(src, dir, { name: 'apps.zip', timeoutMs: 300_000 }));
  } finally {
    await origin.close();
  }
}, 300_000);

afterAll(async () => {
  if (dir && !process.env.KEEP_TMP) await rm(dir, { recursive: true, force: true });
});

/** Stages the app with no network and returns what its module says once staged. */
async function stageAndGreet(app: string): Promise<{ greeting: string; log: string }> {
  const s = await stageApp(bp, path.join(src, 'apps', app), { env: ISOLATED_PIP });
  expect(s.supply.code, s.log).toBe(0);
  expect(s.finalize?.code, s.log).toBe(0);
  const run = await runInApp(s, `python -c 'import ${app}; print(${app}.GREETING)'`);
  expect(run.stderr).toBe('');
  return { greeting: run.stdout.trim(), log: s.log };
}

describe('apps that are projects stage offline with their build backend from the bundle', () => {
  it('runs staging without network for real', () => {
    expect(NET_ISOLATION, 'unshare -n must work here to prove zero egress').not.toBeNull();
  });

  it("resolves each app's [build-system] requires (setup.py: setuptools' legacy default) and puts them on the zip's index", async () => {
    expect(packaged.stderr).toContain('Resolving the build backend of app apps/flitapp (apps/flitapp/pyproject.toml): flit_core>=3.4,<5');
    expect(packaged.stderr).toContain("Resolving the build backend of app apps/setupapp (setuptools' legacy default): setuptools>=40.8.0, wheel");
    expect(packaged.stderr).toContain('Resolving the build backend of app apps/uvapp (apps/uvapp/pyproject.toml): setuptools>=61');
    expect((await readdir(path.join(bp, 'pypi/simple'))).sort()).toEqual(expect.arrayContaining(['flit-core', 'setuptools', 'simplewheel', 'wheel']));
    const lock = await readFile(path.join(src, 'manifest.lock.yml'), 'utf8');
    const flit = lock.slice(lock.indexOf('name: flit-core'), lock.indexOf('name: flit-core') + 600);
    expect(flit).toMatch(/environments:\n\s+- flitapp\n/);
  });

  it('stages a pyproject.toml app (flit_core) with no requirements file: `-e .` built from the bundle', async () => {
    const s = await stageAndGreet('flitapp');
    expect(s.greeting).toBe('flitapp ok');
    expect(s.log).toMatch(/Successfully installed flitapp-1\.0/);
  }, 180_000);

  it('stages a setup.py app: setuptools and wheel from the bundle', async () => {
    const s = await stageAndGreet('setupapp');
    expect(s.greeting).toBe('setupapp ok');
    expect(s.log).toMatch(/Successfully installed setupapp-1\.0/);
  }, 180_000);

  it("stages a uv.lock app whose own project is `editable = \".\"`: installed --no-deps, built with setuptools from the bundle", async () => {
    const s = await stageAndGreet('uvapp');
    expect(s.greeting).toBe('uvapp ok');
    expect(s.log).toContain("Installing . (the app's own project in uv.lock)");
  }, 180_000);

  it("re-resolves when an app's pyproject.toml changes, and refuses a malformed [build-system] naming the app, before any download", async () => {
    const pyproject = path.join(src, 'apps/flitapp/pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('requires = ["flit_core>=3.4,<5"]\n', ''));
    // the origin is gone: reaching it would be exit 2
    const r = await runBin('package', ['resolve', '--cache-dir', path.join(dir, 'cache')], { cwd: src });
    expect(r.stderr).toContain('manifest.lock.yml is stale (inputs changed): resolving');
    expect(r.stderr).toContain('Cannot build the app apps/flitapp: [build-system] has no `requires`');
    expect(r.stderr).toContain('fix [build-system] in apps/flitapp/pyproject.toml');
    expect(r.code).toBe(1);
  });
});
