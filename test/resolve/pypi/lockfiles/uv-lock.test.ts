import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCKS, UPSTREAM_LOCKS, names, read, refused, summary } from './read.js';

const FLASK = path.join(UPSTREAM_LOCKS, 'flask.uv.lock');
const APP = path.join(LOCKS, 'uv/flask-app/uv.lock');
const block = (name: string) => (t: string) => t.split('\n[[package]]\n').filter((b) => !b.startsWith(`name = "${name}"\n`)).join('\n[[package]]\n');

describe('uv.lock', () => {
  it("installs flask's own uv.lock as `uv sync --no-dev` would: its dependencies, the project itself as a local editable", () => {
    const env = read('uv.lock', FLASK);
    expect(summary(env)).toEqual([
      'blinker 1.9.0 blinker-1.9.0-py3-none-any.whl',
      'click 8.3.2 click-8.3.2-py3-none-any.whl',
      'itsdangerous 2.2.0 itsdangerous-2.2.0-py3-none-any.whl',
      'jinja2 3.1.6 jinja2-3.1.6-py3-none-any.whl',
      'markupsafe 3.0.3 markupsafe-3.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl',
      'werkzeug 3.1.8 werkzeug-3.1.8-py3-none-any.whl',
    ]);
    expect(env.packages[4]!.file!.sha256).toBe('0bf2a864d67e76e5c9a34dc26ec616a66b9888e25e7b9460e1c76d3293bd9dbf');
    expect(env.packages[4]!.file!.url).toMatch(/^https:\/\/files\.pythonhosted\.org\/packages\/.*markupsafe-3\.0\.3-cp311/);
    expect(env.localProjects).toEqual([{ name: 'flask', path: '.', editable: true }]);
    expect(env.indexes).toEqual(['https://pypi.org/simple']);
  });

  it('follows extras and dependency groups asked for, with edge markers for the target Python', () => {
    const py310 = names(read('uv.lock', FLASK, { python: '3.10.14', extras: ['async'], groups: ['tests'] }));
    expect(py310).toEqual(expect.arrayContaining(['asgiref', 'exceptiongroup', 'greenlet', 'pytest', 'python-dotenv', 'tomli', 'typing-extensions']));
    const py312 = names(read('uv.lock', FLASK, { python: '3.12.3', extras: ['async'], groups: ['tests'] }));
    expect(py312).toEqual(expect.arrayContaining(['asgiref', 'pytest']));
    expect(py312).not.toContain('exceptiongroup');
    expect(py312).not.toContain('tomli');
  });

  it('takes the version an edge names where the lock forks by Python (sphinx 8.1.3 below 3.11, 8.2.3 from it)', () => {
    const pick = (python: string) => summary(read('uv.lock', FLASK, { python, groups: ['docs'] })).filter((s) => /^(sphinx|alabaster) /.test(s));
    expect(pick('3.10.14')).toEqual(['alabaster 1.0.0 alabaster-1.0.0-py3-none-any.whl', 'sphinx 8.1.3 sphinx-8.1.3-py3-none-any.whl']);
    expect(pick('3.12.3')).toEqual(['alabaster 1.0.0 alabaster-1.0.0-py3-none-any.whl', 'sphinx 8.2.3 sphinx-8.2.3-py3-none-any.whl']);
  });

  it('reads the written app lock: sdist-only project, extra on an edge (requests[socks]), app extras and groups', () => {
    const env = read('uv.lock', APP);
    expect(names(env)).toEqual(['blinker', 'certifi', 'charset-normalizer', 'click', 'flask', 'idna', 'itsdangerous', 'jinja2', 'markupsafe', 'pysocks', 'requests', 'simple', 'urllib3', 'werkzeug']);
    expect(env.packages.find((p) => p.key === 'simple')!.file).toMatchObject({ kind: 'sdist', filename: 'simple-1.0.tar.gz' });
    expect(env.indexes).toEqual(['http://127.0.0.1:8751/simple']);
    expect(names(read('uv.lock', APP, { extras: ['async'], groups: ['test'] }))).toEqual(expect.arrayContaining(['asgiref', 'packaging']));
    expect(refused('uv.lock', APP, { extras: ['dotenv'] }).message).toMatch(/has no extra "dotenv": its project's optional-dependencies declares async/);
  });

  it('refuses an incomplete lock, naming the chain that needs the missing package', () => {
    const err = refused('uv.lock', APP, { edit: block('werkzeug') });
    expect(err.message).toBe('uv.lock is incomplete: lock-demo-app 0.1 -> flask 3.1.3 -> werkzeug: flask depends on werkzeug, which the lock does not contain');
    expect(err.details).toMatchObject({ chain: ['lock-demo-app 0.1', 'flask 3.1.3', 'werkzeug'] });
    expect(err.details.line).toBeGreaterThan(0);
  });

  it('refuses git sources, paths outside the app, other Pythons and unknown lock versions', () => {
    const git = refused('uv.lock', APP, { edit: (t) => t.replace('name = "simple"\nversion = "1.0"\nsource = { registry = "http://127.0.0.1:8751/simple" }', 'name = "simple"\nversion = "1.0"\nsource = { git = "https://example.invalid/simple.git?rev=v1#0123456789abcdef0123456789abcdef01234567" }') });
    expect(git.message).toMatch(/simple \(needed by lock-demo-app 0\.1 -> simple 1\.0\) comes from git/);
    const outside = refused('uv.lock', APP, { edit: (t) => t.replace('source = { editable = "." }\n', 'source = { editable = "." }\n').replace('name = "simple"\nversion = "1.0"\nsource = { registry = "http://127.0.0.1:8751/simple" }', 'name = "simple"\nversion = "1.0"\nsource = { directory = "../simple" }') });
    expect(outside.message).toMatch(/simple \(a directory source\) is at "\.\.\/simple", outside the app/);
    expect(refused('uv.lock', APP, { python: '3.9.18' }).message).toMatch(/requires Python >=3\.10; the target is CPython 3\.9\.18/);
    expect(refused('uv.lock', APP, { edit: (t) => t.replace('version = 1\n', 'version = 2\n') }).message).toMatch(/version = 2; this buildpack reads uv\.lock version 1/);
    const noRoot = refused('uv.lock', APP, { edit: (t) => t.replace('source = { editable = "." }', 'source = { registry = "http://127.0.0.1:8751/simple" }') });
    expect(noRoot.message).toMatch(/has no project of the app/);
  });
});
