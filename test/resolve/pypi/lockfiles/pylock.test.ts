import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCKS, UPSTREAM_LOCKS, names, read, refused, summary, textOf } from './read.js';

const PIP_APP = path.join(LOCKS, 'pylock/pip-app/pylock.toml');
const PIP_VCS = path.join(LOCKS, 'pylock/vcs/pylock.toml');
const WRITTEN = path.join(LOCKS, 'pylock/written-app/pylock.toml');
const SPEC = path.join(UPSTREAM_LOCKS, 'pylock.spec-example.toml');
const withoutCharsetNormalizer = (t: string) => t.split('\n[[packages]]\n').filter((b) => !b.startsWith('name = "charset-normalizer"')).join('\n[[packages]]\n');

describe('pylock.toml (PEP 751)', () => {
  it("reads real pip's `pip lock` output: every package with the wheel or sdist pip chose, the app as a local directory", () => {
    const env = read('pylock.toml', PIP_APP);
    expect(summary(env)).toEqual([
      'blinker 1.9.0 blinker-1.9.0-py3-none-any.whl',
      'certifi 2026.7.22 certifi-2026.7.22-py3-none-any.whl',
      'charset-normalizer 3.5.2 charset_normalizer-3.5.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
      'click 8.5.0 click-8.5.0-py3-none-any.whl',
      'flask 3.1.3 flask-3.1.3-py3-none-any.whl',
      'idna 3.20 idna-3.20-py3-none-any.whl',
      'itsdangerous 2.2.0 itsdangerous-2.2.0-py3-none-any.whl',
      'jinja2 3.1.6 jinja2-3.1.6-py3-none-any.whl',
      'markupsafe 3.0.3 markupsafe-3.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
      'packaging 26.3 packaging-26.3-py3-none-any.whl',
      'pysocks 1.7.1 PySocks-1.7.1-py3-none-any.whl',
      'requests 2.34.2 requests-2.34.2-py3-none-any.whl',
      'simple 1.0 simple-1.0.tar.gz',
      'urllib3 2.8.0 urllib3-2.8.0-py3-none-any.whl',
      'werkzeug 3.1.9 werkzeug-3.1.9-py3-none-any.whl',
    ]);
    const flask = env.packages.find((p) => p.key === 'flask')!;
    expect(flask.file).toMatchObject({ kind: 'wheel', url: 'http://127.0.0.1:8751/files/flask-3.1.3-py3-none-any.whl', sha256: 'f4bcbefc124291925f1a26446da31a5178f9483862233b23c0c96a20701f670c' });
    expect(flask.hashes).toEqual([flask.file!.sha256]);
    expect(flask.source).toMatch(/^pylock\.toml line \d+$/);
    expect(env.localProjects).toEqual([{ name: 'lock-demo-app', path: '.', editable: false }]);
    expect(env.indexes).toEqual([]);
  });

  it('refuses a VCS package (real `pip lock` of a git URL): no file hash, nothing to fetch at staging', () => {
    const err = refused('pylock.toml', PIP_VCS);
    expect(err.message).toMatch(/vcs-demo comes from a git repository .* no file hash/);
    expect(err.details).toMatchObject({ file: 'pylock.toml', line: 4, key: 'packages[0]' });
    expect(err.hint).toMatch(/wheel/);
  });

  it("PEP 751's example: the best of several wheels per package, the index it names, and requires-python checked", () => {
    const env = read('pylock.toml', SPEC, { python: '3.12.4' });
    expect(summary(env)).toEqual([
      'attrs 25.1.0 attrs-25.1.0-py3-none-any.whl',
      'cattrs 24.1.2 cattrs-24.1.2-py3-none-any.whl',
      'numpy 2.2.3 numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    ]);
    expect(env.indexes).toEqual(['https://pypi.org/simple']);
    const py311 = refused('pylock.toml', SPEC, { python: '3.11.9' });
    expect(py311.message).toMatch(/requires Python ==3\.12\.\*; the target is CPython 3\.11\.9/);
    expect(py311.details.key).toBe('requires-python');
    // only Windows and x86_64 Linux wheels: an aarch64 stack gets a clear refusal naming both
    const arm = refused('pylock.toml', SPEC, { python: '3.12.4', arch: 'aarch64' });
    expect(arm.message).toMatch(/numpy 2\.2\.3 has no file for CPython 3\.12\.4 on aarch64: the lock lists numpy-2\.2\.3-cp312-cp312-win_amd64\.whl, numpy-2\.2\.3-cp312-cp312-manylinux_2_17_x86_64/);
  });

  it('selects by marker with `extras` and `dependency_groups` as PEP 751 defines them: default install first, then what the app asks for', () => {
    expect(names(read('pylock.toml', WRITTEN))).toEqual([
      'blinker', 'certifi', 'charset-normalizer', 'click', 'flask', 'idna', 'itsdangerous', 'jinja2', 'markupsafe', 'pysocks', 'requests', 'simple', 'urllib3', 'werkzeug',
    ]);
    const asked = read('pylock.toml', WRITTEN, { extras: ['async'], groups: ['test'] });
    expect(names(asked)).toEqual(expect.arrayContaining(['asgiref', 'packaging']));
    expect(names(asked)).not.toContain('typing-extensions');
    // Python 3.10: charset-normalizer has only a cp311 wheel and no sdist: refused, naming what the lock lists
    expect(refused('pylock.toml', WRITTEN, { python: '3.10.14' }).message).toMatch(
      /charset-normalizer 3\.5\.2 has no file for CPython 3\.10\.14 on x86_64: the lock lists charset_normalizer-3\.5\.2-cp311-cp311-manylinux2014_x86_64\.manylinux_2_17_x86_64\.manylinux_2_28_x86_64\.whl \(no wheel fits and there is no sdist\)/,
    );
    // without it: tomli and typing-extensions apply; tomli's only wheel is cp311, so its sdist is taken; markupsafe's cp310 wheel
    const py310 = read('pylock.toml', WRITTEN, { python: '3.10.14', extras: ['async'], edit: withoutCharsetNormalizer });
    expect(summary(py310).filter((s) => /^(tomli|typing-extensions|markupsafe) /.test(s))).toEqual([
      'markupsafe 3.0.3 markupsafe-3.0.3-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
      'tomli 2.4.1 tomli-2.4.1.tar.gz',
      'typing-extensions 4.16.0 typing_extensions-4.16.0-py3-none-any.whl',
    ]);
    expect(read('pylock.toml', WRITTEN).localProjects).toEqual([{ name: 'lock-demo-app', path: '.', editable: true }]);
  });

  it('ranks fitting wheels as pip does: the cp311 manylinux wheel over abi3 and pure wheels of the same package, a higher build tag on a tie', () => {
    const more = (t: string) =>
      t.replace(
        'wheels = [\n    { name = "markupsafe-3.0.3-cp310',
        `wheels = [\n    { name = "markupsafe-3.0.3-py3-none-any.whl", url = "http://127.0.0.1:8751/files/markupsafe-3.0.3-py3-none-any.whl", hashes = { sha256 = "${'1'.repeat(64)}" } },\n` +
          `    { name = "markupsafe-3.0.3-cp38-abi3-manylinux_2_17_x86_64.whl", url = "http://127.0.0.1:8751/files/markupsafe-3.0.3-cp38-abi3-manylinux_2_17_x86_64.whl", hashes = { sha256 = "${'2'.repeat(64)}" } },\n` +
          `    { name = "markupsafe-3.0.3-1-py3-none-any.whl", url = "http://127.0.0.1:8751/files/markupsafe-3.0.3-1-py3-none-any.whl", hashes = { sha256 = "${'3'.repeat(64)}" } },\n` +
          '    { name = "markupsafe-3.0.3-cp310',
      );
    const pick = (python: string) => read('pylock.toml', WRITTEN, { python, edit: (t) => withoutCharsetNormalizer(more(t)) }).packages.find((p) => p.key === 'markupsafe')!.file!.filename;
    expect(pick('3.11.9')).toBe('markupsafe-3.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl');
    expect(pick('3.13.1')).toBe('markupsafe-3.0.3-cp38-abi3-manylinux_2_17_x86_64.whl');
    // only pure wheels fit an aarch64 stack: the build-tagged one wins the tie
    const arm = read('pylock.toml', WRITTEN, { arch: 'aarch64', edit: (t) => withoutCharsetNormalizer(more(t)) });
    expect(arm.packages.find((p) => p.key === 'markupsafe')!.file!.filename).toBe('markupsafe-3.0.3-1-py3-none-any.whl');
  });

  it('refuses groups and extras the lock does not declare, naming the ones it does', () => {
    expect(refused('pylock.toml', WRITTEN, { groups: ['docs'] }).message).toMatch(/has no dependency group "docs": its `dependency-groups` declares test/);
    expect(refused('pylock.toml', WRITTEN, { extras: ['fast'] }).message).toMatch(/has no extra "fast": its `extras` declares async/);
  });

  it('refuses what it cannot install exactly: other environments, no sha256, two entries for one name, a path outside the app, another lock-version, broken TOML', () => {
    const env = refused('pylock.toml', WRITTEN, { edit: (t) => t.replace(`environments = ["sys_platform == 'linux'", "sys_platform == 'darwin'"]`, `environments = ["sys_platform == 'win32'"]`) });
    expect(env.message).toMatch(/locked for other environments than CPython 3\.11\.9 on x86_64/);
    const sha512 = refused('pylock.toml', PIP_APP, { edit: (t) => t.replace('sha256 = "f4bcbefc', 'sha512 = "f4bcbefc') });
    expect(sha512.message).toMatch(/flask: flask-3\.1\.3-py3-none-any\.whl has only sha512 hashes; the buildpack verifies sha256/);
    const twice = refused('pylock.toml', PIP_APP, { edit: (t) => t + '\n[[packages]]\nname = "flask"\nversion = "3.1.2"\nsdist = { name = "flask-3.1.2.tar.gz", url = "http://127.0.0.1:8751/files/flask-3.1.2.tar.gz", hashes = { sha256 = "' + 'a'.repeat(64) + '" } }\n' });
    expect(twice.message).toMatch(/flask is selected twice for CPython 3\.11\.9 on x86_64 \(also at pylock\.toml line \d+\): the lock is ambiguous/);
    const outside = refused('pylock.toml', PIP_APP, { edit: (t) => t.replace('path = "."', 'path = "../sibling-lib"') });
    expect(outside.message).toMatch(/lock-demo-app \(a source directory\) is at "\.\.\/sibling-lib", outside the app/);
    expect(refused('pylock.toml', PIP_APP, { edit: (t) => t.replace('lock-version = "1.0"', 'lock-version = "2.0"') }).message).toMatch(/lock-version "2\.0"; this buildpack reads pylock\.toml lock-version 1\.x/);
    const broken = refused('pylock.toml', PIP_APP, { edit: (t) => t.replace('name = "click"', 'name = "click') });
    expect(broken.message).toMatch(/^pylock\.toml is not valid TOML/);
    expect(broken.details.line).toBe(textOf(PIP_APP).split('\n').findIndex((l) => l === 'name = "click"') + 1);
    expect(broken.details.column).toBeGreaterThan(0);
  });

  // packaging 26.3's Pylock.select is the PEP 751 installation algorithm as the PyPA implements it: the
  // same lock, environment, tags, extras and groups must select the same packages and files
  const packagingWheel = '/opt/pypi/files/packaging-26.3-py3-none-any.whl';
  it.skipIf(!existsSync(packagingWheel))('selects what packaging 26.3 Pylock.select selects (skipped without /opt/pypi)', () => {
    const cases: [string, string, string[], string[]][] = [
      [PIP_APP, '3.11.9', [], []],
      [WRITTEN, '3.11.9', [], []],
      [WRITTEN, '3.11.9', ['async'], ['test']],
      [WRITTEN, '3.10.14', ['async'], []], // both refuse: charset-normalizer has no file for 3.10
      [SPEC, '3.12.4', [], []],
      [SPEC, '3.11.9', [], []], // both refuse: requires-python
    ];
    const script = `
import json, sys, tomllib
from packaging.pylock import Pylock, PylockSelectError
from packaging.tags import cpython_tags, compatible_tags
from packaging.markers import default_environment
results = []
for file, py, extras, groups in json.loads(sys.argv[1]):
    maj, mnr = map(int, py.split('.')[:2])
    plats = ['linux_x86_64'] + [p for m in range(35, 4, -1) for p in ([f'manylinux_2_{m}_x86_64'] + ({17: ['manylinux2014_x86_64'], 12: ['manylinux2010_x86_64'], 5: ['manylinux1_x86_64']}.get(m, [])))]
    tags = list(cpython_tags((maj, mnr), platforms=plats)) + list(compatible_tags((maj, mnr), f'cp{maj}{mnr}', plats))
    env = dict(default_environment(), python_version=f'{maj}.{mnr}', python_full_version=py, implementation_version=py, sys_platform='linux', platform_system='Linux', platform_machine='x86_64', os_name='posix', platform_release='', platform_version='')
    lock = Pylock.from_dict(tomllib.load(open(file, 'rb')))
    try:
        out = sorted([pkg.name, str(pkg.version) if pkg.version else None, dist.filename if hasattr(dist, 'hashes') else None]
                     for pkg, dist in lock.select(environment=env, tags=tags, extras=extras, dependency_groups=groups))
    except PylockSelectError:
        out = 'refused'
    results.append(out)
print(json.dumps(results))`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_') && !k.startsWith('PYTHON')));
    const oracle = JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(cases)], { env: { ...env, PYTHONPATH: packagingWheel }, encoding: 'utf8' })) as ([string, string | null, string | null][] | 'refused')[];
    cases.forEach(([file, python, extras, groups], i) => {
      const label = `${path.basename(path.dirname(file))} ${python} ${extras} ${groups}`;
      if (oracle[i] === 'refused') {
        expect(refused('pylock.toml', file, { python, extras, groups }).code, label).toBe('EINPUT');
        return;
      }
      const ours = read('pylock.toml', file, { python, extras, groups });
      const mine = [
        ...ours.packages.map((p) => [p.key, p.version, p.file!.filename]),
        ...ours.localProjects.map((l) => [l.name, null, null]),
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      expect(mine, label).toEqual(oracle[i]);
    });
  });
});
