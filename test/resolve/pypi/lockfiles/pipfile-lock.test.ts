import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCKS, UPSTREAM_LOCKS, names, read, refused, summary, textOf } from './read.js';

const PIPENV = path.join(UPSTREAM_LOCKS, 'pipenv.Pipfile.lock');
const EXAMPLES = path.join(UPSTREAM_LOCKS, 'pipenv-examples.Pipfile.lock');
const APP = path.join(LOCKS, 'pipfile/flask-app/Pipfile.lock');
const json = (f: (doc: any) => void) => (t: string) => {
  const doc = JSON.parse(t);
  f(doc);
  return JSON.stringify(doc, null, 4);
};

describe('Pipfile.lock', () => {
  it("reads pipenv's own lock: default only, each package with every sha256 it accepts (no file names in a Pipfile.lock)", () => {
    const env = read('Pipfile.lock', PIPENV);
    expect(summary(env)).toEqual([
      'exceptiongroup 1.3.1 #2', 'iniconfig 2.3.0 #2', 'packaging 26.3 #2', 'pluggy 1.6.0 #2', 'pygments 2.21.0 #2',
      'pytest 9.0.3 #2', 'pytz 2026.1.post1 #2', 'setuptools 83.0.0 #2', 'tomli 2.4.1 #47', 'typing-extensions 4.16.0 #2',
    ]);
    expect(env.packages[0]!.file).toBeUndefined();
    expect(env.packages[0]!.hashes[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(env.packages[0]!.source).toMatch(/^Pipfile\.lock line \d+$/);
    expect(env.indexes).toEqual(['https://pypi.org/simple']);
  });

  it("adds `develop` when asked (`dev` names it too), honours pipenv's `'dev' in dependency_groups` markers, and lets default win", () => {
    const env = read('Pipfile.lock', PIPENV, { groups: ['dev'] });
    expect(env.packages.length).toBeGreaterThan(50);
    expect(summary(env)).toContain('exceptiongroup 1.3.1 #2'); // develop pins 1.1.0: pipenv's merge keeps default's
    expect(names(env)).not.toContain('colorama'); // ('dev' in dependency_groups) and (sys_platform == 'win32')
    expect(names(read('Pipfile.lock', EXAMPLES, { groups: ['develop'] }))).toEqual(expect.arrayContaining(['pytest', 'requests']));
    expect(refused('Pipfile.lock', PIPENV, { groups: ['docs'] }).message).toMatch(/has no category "docs": its categories declares develop/);
  });

  it('reads the written app lock: markers, named sources, several hashes per package', () => {
    const env = read('Pipfile.lock', APP);
    expect(names(env)).not.toContain('tomli');
    expect(env.packages.find((p) => p.key === 'markupsafe')!.hashes).toHaveLength(6);
    expect(env.indexes).toEqual(['http://127.0.0.1:8751/simple']);
    expect(names(read('Pipfile.lock', APP, { python: '3.11.2' }))).toContain('flask');
  });

  it('refuses what it cannot install exactly: another Python, VCS entries, missing hashes, unpinned versions, unknown sources, broken JSON', () => {
    expect(refused('Pipfile.lock', APP, { python: '3.12.3' }).message).toMatch(/locked for Python 3\.11 \(_meta\.requires\.python_version\); the target is CPython 3\.12\.3/);
    const git = refused('Pipfile.lock', APP, { edit: json((d) => (d.default.simple = { git: 'https://example.invalid/simple.git', ref: 'abc' })) });
    expect(git.message).toMatch(/simple comes from a VCS repository/);
    expect(refused('Pipfile.lock', APP, { edit: json((d) => (d.default.flask.hashes = [])) }).message).toMatch(/flask has no sha256 hashes/);
    expect(refused('Pipfile.lock', APP, { edit: json((d) => (d.default.flask.version = '>=3')) }).message).toMatch(/flask is not pinned/);
    expect(refused('Pipfile.lock', APP, { edit: json((d) => (d.default.flask.index = 'internal')) }).message).toMatch(/names index "internal", which _meta\.sources does not list/);
    const local = refused('Pipfile.lock', APP, { edit: json((d) => (d.default.mylib = { editable: true, path: '/srv/mylib' })) });
    expect(local.message).toMatch(/mylib \(a path dependency\) is at "\/srv\/mylib", outside the app/);
    const broken = refused('Pipfile.lock', APP, { edit: (t) => t.replace('"flask": {', '"flask": {,') });
    expect(broken.message).toMatch(/^Pipfile\.lock is not valid JSON/);
    expect(broken.details.line).toBe(textOf(APP).split('\n').findIndex((l) => l.includes('"flask": {')) + 1);
  });
});
