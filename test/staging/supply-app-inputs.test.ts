// bin/supply reading the app's files the ways Python developers write them today,
// under `unshare -n` with the real pip (and the real conda when CONDA_CLIENT is
// set): requirement markers evaluated by the app's python as pip does, `conda list
// -e` files with pip-installed lines, Stackato's runtime conventions, and
// libbuildpack's stack check.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONDA_CLIENT, warnIfNoCondaClient } from '../helpers/conda-client.js';
import { FIXTURES } from '../helpers/paths.js';
import { PIP26_WHEEL, pip26Script } from '../helpers/pip26.js';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { DEFAULT_WHEELS, UPSTREAM_WHEELS, makeBundle } from './bundle-dir.js';
import { HOST_PYTHON_VERSION, runScript, stagingEnv } from './run-script.js';
import { runInApp, stageApp } from './stage-app.js';

warnIfNoCondaClient('the real-conda `conda list -e` staging case is');

const PIP_ONLY = path.join(FIXTURES, 'apps/pip-only');
const CONDA_PIP = path.join(FIXTURES, 'apps/conda-pip');
const [MAJOR, MINOR] = HOST_PYTHON_VERSION.split('.');
const OTHER_PY = `${MAJOR}.${Number(MINOR) + 1}`;

let bp: string;
beforeAll(async () => {
  bp = await suiteDir('inputs-bp-');
  await makeBundle(bp);
});
afterAll(async () => rm(bp, { recursive: true, force: true }));

describe('supply: requirement markers, evaluated for the app python as pip does', () => {
  it('stages when the bundle lacks only packages whose markers are false here, and installs the true ones', async () => {
    const s = await stageApp(bp, PIP_ONLY, {
      files: {
        'requirements.txt':
          'wheel==0.40.0\ncolorama==0.4.6 ; sys_platform == "win32"\n' +
          `tomli==2.0.1 ; python_version < "${MAJOR}.${MINOR}"\nsimplewheel==1.0 ; python_version >= "3" and os_name == "posix"\n`,
      },
    });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain('Ignoring colorama: markers \'sys_platform == "win32"\' don\'t match your environment');
    expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
  });

  it('names a package whose marker holds here and the bundle lacks, before pip installs anything', async () => {
    const s = await stageApp(bp, PIP_ONLY, {
      files: { 'requirements.txt': 'wheel==0.40.0\nidna==3.7 ; python_version >= "3"\nmore-itertools ; sys_platform == "win32"\n' },
    });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package idna (from requirements.txt)\n');
    expect(s.supply.stderr).not.toContain('more-itertools');
    expect(s.supply.stdout).not.toContain('Running pip install');
  });
});

const clients: Array<{ label: string; env: NodeJS.ProcessEnv; skip: boolean }> = [
  { label: 'stand-in conda', env: {}, skip: false },
  { label: `real conda (${CONDA_CLIENT ?? 'CONDA_CLIENT unset'})`, env: CONDA_CLIENT ? { CONDA_CLIENT } : {}, skip: !CONDA_CLIENT },
];

// `conda list -e > conda-requirements.txt` (the Heroku conda buildpack's workflow):
// conda lines with their builds, pip-installed packages as name=version=pypi_0
const CONDA_LIST_E =
  '# This file may be used to create an environment using:\n# $ conda create --name <env> --file <this file>\n# platform: linux-64\n' +
  'run_exports_versions=2.0=h39de5ba_0\nsimplewheel=1.0=pypi_0\nwheel=0.40.0=pypi_0\n';

for (const client of clients) {
  describe.skipIf(client.skip)(`supply: a \`conda list -e\` conda-requirements.txt with the ${client.label}`, () => {
    it('installs the conda lines with conda and sends the pypi_0 lines to pip, as the packager does', async () => {
      const s = await stageApp(bp, undefined, { env: client.env, files: { 'conda-requirements.txt': CONDA_LIST_E } });
      expect(s.supply.stderr).toBe('');
      expect(s.supply.code).toBe(0);
      expect(s.supply.stdout).toContain('-----> Installing conda packages from conda-requirements.txt\n');
      expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
      expect(await readdir(path.join(s.deps, '0/conda/conda-meta'))).toContain('run_exports_versions-2.0-h39de5ba_0.json');
      const run = await runInApp(s, 'python -c "import simplewheel, wheel; print(wheel.__version__)"');
      expect(run.stdout).toBe('0.40.0\n');
    });
  });
}

describe('supply: a `conda list -e` file names a pip package the bundle lacks', () => {
  it('names it as a pip package, from conda-requirements.txt', async () => {
    const s = await stageApp(bp, undefined, { files: { 'conda-requirements.txt': CONDA_LIST_E + 'flask=3.1.3=pypi_0\n' } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package flask (from conda-requirements.txt)\n');
    expect(s.supply.stderr).not.toContain('conda package');
  });
});

describe("supply: the app's Python version, Stackato's and pyenv/uv's way", () => {
  it('reads .python-version', async () => {
    const pyenv = await stageApp(bp, PIP_ONLY, { files: { '.python-version': `# pyenv local\n${OTHER_PY}\n` } });
    expect(pyenv.supply.code).toBe(1);
    expect(pyenv.supply.stdout).toContain(`-----> Creating conda environment with python ${OTHER_PY} (from .python-version)`);
    expect(pyenv.supply.stderr).toContain(`DEPENDENCY_MISSING_IN_BUNDLE: conda package python ${OTHER_PY} (from .python-version)\n`);
  });

  it('reads PYTHON_VERSION, and runtime.txt in any case (Python-3.11.x) wins over it with a warning', async () => {
    const variable = await stageApp(bp, PIP_ONLY, { env: { PYTHON_VERSION: OTHER_PY } });
    expect(variable.supply.code).toBe(1);
    expect(variable.supply.stderr).toContain(`DEPENDENCY_MISSING_IN_BUNDLE: conda package python ${OTHER_PY} (from PYTHON_VERSION)\n`);
    const both = await stageApp(bp, PIP_ONLY, { env: { PYTHON_VERSION: OTHER_PY }, files: { 'runtime.txt': `Python-${MAJOR}.${MINOR}.x\n` } });
    expect(both.supply.stderr).toBe('');
    expect(both.supply.code).toBe(0);
    expect(both.supply.stdout).not.toContain('Creating conda environment');
    expect(both.supply.stdout).toContain(
      `**WARNING** runtime.txt asks for python ${MAJOR}.${MINOR} and PYTHON_VERSION for python ${OTHER_PY}; using runtime.txt\n`,
    );
  });

  it('refuses a version it cannot read, naming where it came from', async () => {
    const s = await stageApp(bp, PIP_ONLY, { files: { '.python-version': 'pypy3.10-7.3.12\n' } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toBe('       **ERROR** .python-version must name a CPython version like python-3.11.7, 3.11.x or 3.11, found: pypy3.10-7.3.12\n');
  });

  it('keeps the conda and pip caches in PYTHON_CACHE_DIR when it is set', async () => {
    const shared = path.join(await tempDir('python-cache-'), 'py');
    const s = await stageApp(bp, CONDA_PIP, { env: { PYTHON_CACHE_DIR: shared } });
    expect(s.supply.stderr).toBe('');
    expect(s.supply.code).toBe(0);
    expect(s.supply.stdout).toContain(`Caching conda and pip packages in ${shared} (PYTHON_CACHE_DIR)`);
    expect((await stat(path.join(shared, 'conda/pkgs/run_exports_versions-2.0-h39de5ba_0.tar.bz2'))).isFile()).toBe(true);
    expect(await readdir(s.cache)).toEqual(['BUILDPACK_METADATA']);
    const again = await stageApp(bp, CONDA_PIP, { env: { PYTHON_CACHE_DIR: shared } });
    expect(again.supply.code).toBe(0);
    expect(again.supply.stdout).toContain(`Using cached conda packages: 1 in ${shared}/conda/pkgs`);
  });
});

describe("supply: libbuildpack's stack check (CheckStackSupport)", () => {
  // an app with nothing to install stops right after the check: the message says which side of it staging got to
  const supplyEmpty = async (dir: string, stack: string | undefined) => {
    const app = await tempDir('stack-app-');
    const deps = await tempDir('stack-deps-');
    const cache = await tempDir('stack-cache-');
    const env = stagingEnv(await tempDir('stack-home-'));
    if (stack === undefined) delete env.CF_STACK;
    else env.CF_STACK = stack;
    return runScript(path.join(dir, 'bin/supply'), [app, cache, deps, '0'], { env, offline: true });
  };

  it('refuses a zip packaged for cflinuxfs4 on cflinuxfs3, with libbuildpack words', async () => {
    const wrong = await supplyEmpty(bp, 'cflinuxfs3');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      '       **ERROR** Stack not supported by buildpack: required stack cflinuxfs3 was not found\n' +
        '       **ERROR** This buildpack is for cflinuxfs4: push the app to one of those (cf push -s STACK), or ask your operator for a buildpack packaged for cflinuxfs3\n',
    );
    const unset = await supplyEmpty(bp, undefined);
    expect(unset.stderr).toContain('**ERROR** Stack not supported by buildpack: required stack  was not found\n');
    expect(unset.stderr).toContain('CF_STACK is not set');
    const right = await supplyEmpty(bp, 'cflinuxfs4');
    expect(right.stderr).toMatch(/\*\*ERROR\*\* nothing to install/);
  });

  it("accepts an any-stack zip on a stack its dependencies' cf_stacks name, and refuses it on others", async () => {
    const dir = await tempDir('any-stack-bp-');
    await makeBundle(dir);
    await writeFile(
      path.join(dir, 'manifest.yml'),
      'language: python\ndependencies:\n  - name: miniconda3\n    version: py311_24.1.2-0\n    cf_stacks:\n      - cflinuxfs4\n      - cflinuxfs5\n  - name: other\n    version: "1.0"\n    cf_stacks: [cflinuxfs5]\n',
    );
    expect((await supplyEmpty(dir, 'cflinuxfs3')).stderr).toContain('required stack cflinuxfs3 was not found\n');
    expect((await supplyEmpty(dir, 'cflinuxfs4')).stderr).toMatch(/nothing to install/);
    expect((await supplyEmpty(dir, 'cflinuxfs5')).stderr).toMatch(/nothing to install/);
    await writeFile(path.join(dir, 'manifest.yml'), 'language: python\ndependencies: []\n');
    expect((await supplyEmpty(dir, 'cflinuxfs3')).stderr).toMatch(/nothing to install/);
    expect(await readFile(path.join(dir, 'manifest.yml'), 'utf8')).not.toContain('stack:');
  });
});

// Python lock files as the app's pip file. The two wheels are the bundle's (makeBundle's
// defaults); colorama is behind a marker false on Linux, pytest is in the dev group: the
// bundle lacks both, and staging must not ask for them unless the app does.
const WHEEL_SHA = createHash('sha256').update(readFileSync(path.join(UPSTREAM_WHEELS, 'wheel-0.40.0-py3-none-any.whl'))).digest('hex');
const SIMPLE_SHA = createHash('sha256').update(readFileSync(path.join(UPSTREAM_WHEELS, 'simplewheel-1.0-py2.py3-none-any.whl'))).digest('hex');
// real PyPI digests of colorama-0.4.6-py2.py3-none-any.whl and pytest-8.3.4-py3-none-any.whl
const COLORAMA_SHA = '4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6';
const PYTEST_SHA = '50e16d954148559c9a74109af1eaf0c945ba2d8f30f0a3d3335edde19788b6f6';

// Written to each tool's published layout (uv: docs.astral.sh/uv/concepts/projects/layout/#the-lockfile;
// Poetry 2: lock-version 2.1 as Locker._dump_package writes it; pipenv: pipfile-spec 6).
const LOCKS: Record<string, string> = {
  'uv.lock': `version = 1
revision = 3
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "simplewheel" },
    { name = "wheel" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [
    { name = "colorama", marker = "sys_platform == 'win32'" },
    { name = "simplewheel", specifier = "==1.0" },
    { name = "wheel", specifier = "==0.40.0" },
]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d1/d6/3965ed04c63042e047cb6a3e6ed1a63a35087b6a609aa3a15ed8ac56c221/colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:${COLORAMA_SHA}" },
]

[[package]]
name = "pytest"
version = "8.3.4"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/11/92/76a1c94d3afee238333bc0a42b82935dd8f9cf8ce9e336ff87ee14d9e1cf/pytest-8.3.4-py3-none-any.whl", hash = "sha256:${PYTEST_SHA}" },
]

[[package]]
name = "simplewheel"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://example.invalid/simplewheel-1.0-py2.py3-none-any.whl", hash = "sha256:${SIMPLE_SHA}" },
]

[[package]]
name = "wheel"
version = "0.40.0"
source = { registry = "https://pypi.org/simple" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/61/86/cc8d1ff2ca31a312a25a708c891cf9facbad4eae493b3872638db6785eb5/wheel-0.40.0-py3-none-any.whl", hash = "sha256:${WHEEL_SHA}" },
]
`,
  'poetry.lock': `# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.

[[package]]
name = "colorama"
version = "0.4.6"
description = "Cross-platform colored terminal text."
optional = false
python-versions = "!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*,!=3.5.*,!=3.6.*,>=2.7"
groups = ["main"]
markers = "sys_platform == \\"win32\\""
files = [
    {file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:${COLORAMA_SHA}"},
]

[[package]]
name = "pytest"
version = "8.3.4"
description = "pytest: simple powerful testing with Python"
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = [
    {file = "pytest-8.3.4-py3-none-any.whl", hash = "sha256:${PYTEST_SHA}"},
]

[[package]]
name = "simplewheel"
version = "1.0"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = [
    {file = "simplewheel-1.0-py2.py3-none-any.whl", hash = "sha256:${SIMPLE_SHA}"},
]

[[package]]
name = "wheel"
version = "0.40.0"
description = "A built-package format for Python"
optional = false
python-versions = ">=3.7"
groups = ["main"]
files = [
    {file = "wheel-0.40.0-py3-none-any.whl", hash = "sha256:${WHEEL_SHA}"},
]

[metadata]
lock-version = "2.1"
python-versions = ">=3.8"
content-hash = "0000000000000000000000000000000000000000000000000000000000000000"
`,
  'Pipfile.lock': `${JSON.stringify(
    {
      _meta: { hash: { sha256: '0'.repeat(64) }, 'pipfile-spec': 6, requires: { python_version: '3.11' }, sources: [{ name: 'pypi', url: 'https://pypi.org/simple', verify_ssl: true }] },
      default: {
        colorama: { hashes: [`sha256:${COLORAMA_SHA}`], markers: "sys_platform == 'win32'", version: '==0.4.6' },
        simplewheel: { hashes: [`sha256:${SIMPLE_SHA}`], version: '==1.0' },
        wheel: { hashes: [`sha256:${WHEEL_SHA}`], markers: "python_version >= '3.7'", version: '==0.40.0' },
      },
      develop: { pytest: { hashes: [`sha256:${PYTEST_SHA}`], markers: "python_version >= '3.8'", version: '==8.3.4' } },
    },
    null,
    4,
  )}\n`,
};

// pylock.toml as REAL pip 26 writes it (`pip lock`), from this machine's PyPI mirror
if (!PIP26_WHEEL) console.warn('supply-app-inputs: no pip 26 wheel in /opt/pypi/files: staging a real pip-written pylock.toml is skipped');

async function pipLock(): Promise<string> {
  const dir = await tempDir('pip-lock-');
  const links = path.join(dir, 'links');
  await mkdir(links);
  for (const w of DEFAULT_WHEELS) await copyFile(path.join(UPSTREAM_WHEELS, w), path.join(links, w));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1' };
  const r = await runScript('python3', [pip26Script()!, 'lock', '--no-index', '--find-links', links, 'wheel==0.40.0', 'simplewheel==1.0', 'colorama==0.4.6 ; sys_platform == "win32"', '-o', path.join(dir, 'pylock.toml')], { env });
  if (r.code !== 0) throw new Error(`pip lock failed:\n${r.stderr}`);
  return readFile(path.join(dir, 'pylock.toml'), 'utf8');
}

describe('supply: Python lock files, installed exactly as locked (never re-resolved)', () => {
  const formats = [...Object.keys(LOCKS), 'pylock.toml'];
  for (const format of formats) {
    it.skipIf(format === 'pylock.toml' && !PIP26_WHEEL)(`installs what ${format} selects for this python, hash-checked, and reads no requirements.txt beside it`, async () => {
      const lock = format === 'pylock.toml' ? await pipLock() : LOCKS[format]!;
      const s = await stageApp(bp, undefined, { files: { [format]: lock, 'requirements.txt': 'flask==3.1.3\n' } });
      expect(s.supply.stderr).toBe('');
      expect(s.supply.code).toBe(0);
      expect(s.supply.stdout).toContain(`Using ${format} (a Python lock file); requirements.txt is not read`);
      expect(s.supply.stdout).toContain(`Installing the packages ${format} locks (hash-checked, not re-resolved)`);
      expect(s.supply.stdout).toMatch(/Successfully installed simplewheel-1\.0 wheel-0\.40\.0/);
      const run = await runInApp(s, 'python -c "import simplewheel, wheel; print(wheel.__version__)"');
      expect(run.stdout).toBe('0.40.0\n');
    });
  }

  it('names a lock entry the bundle lacks as a pip package from the lock, only for the groups asked for', async () => {
    const s = await stageApp(bp, undefined, { files: { 'uv.lock': LOCKS['uv.lock']! }, env: { BP_LOCK_GROUPS: 'dev' } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package pytest==8.3.4 (from uv.lock)\n');
    expect(s.supply.stderr).not.toContain('colorama');
    expect(s.supply.stdout).not.toContain('Running pip install');
    const poetry = await stageApp(bp, undefined, { files: { 'poetry.lock': LOCKS['poetry.lock']!.replace('groups = ["dev"]', 'groups = ["main"]') } });
    expect(poetry.supply.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: pip package pytest==8.3.4 (from poetry.lock)\n');
  });

  it('refuses a group the lock does not declare, naming the ones it does', async () => {
    const s = await stageApp(bp, undefined, { files: { 'Pipfile.lock': LOCKS['Pipfile.lock']! }, env: { BP_LOCK_GROUPS: 'docs' } });
    expect(s.supply.code).toBe(1);
    expect(s.supply.stderr).toContain("Pipfile.lock has no category 'docs': it has default, develop");
  });
});
