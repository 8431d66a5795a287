import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCKS, UPSTREAM_LOCKS, names, read, refused, summary } from './read.js';

const POETRY = path.join(UPSTREAM_LOCKS, 'poetry.poetry.lock');
const OLD = path.join(UPSTREAM_LOCKS, 'poetry-up_to_date_lock-2.0.poetry.lock');
const APP = path.join(LOCKS, 'poetry/flask-app/poetry.lock');
const block = (name: string) => (t: string) => t.split('\n[[package]]\n').filter((b) => !b.startsWith(`name = "${name}"\n`)).join('\n[[package]]\n');
// poetry's own lock takes poetry-core from git; this derived copy takes it from files instead (hash from the lock of poetry-core 2.4.1's wheel name)
const coreFromFiles = (t: string) =>
  t.replace(
    /files = \[\]\ndevelop = false\n\n\[package\.source\]\ntype = "git"\nurl = "https:\/\/github\.com\/python-poetry\/poetry-core\.git"\nreference = "HEAD"\nresolved_reference = "[0-9a-f]+"\n/,
    `files = [\n    {file = "poetry_core-2.4.1-py3-none-any.whl", hash = "sha256:${'0'.repeat(64)}"},\n]\n`,
  );

describe('poetry.lock', () => {
  it("refuses poetry's own lock as it is: poetry-core comes from git, which has no file hash", () => {
    const err = refused('poetry.lock', POETRY);
    expect(err.message).toMatch(/^poetry\.lock line 1402: poetry-core 2\.4\.1 comes from git \(https:\/\/github\.com\/python-poetry\/poetry-core\.git\)/);
    expect(err.hint).toMatch(/wheel/);
  });

  it("selects main only by default, per-group markers for the target, and the closure of poetry's real lock holds", () => {
    const py311 = read('poetry.lock', POETRY, { edit: coreFromFiles });
    expect(names(py311)).toContain('backports-tarfile'); // groups = ["main"], markers = "python_version < \"3.12\""
    expect(names(py311)).not.toContain('pre-commit'); // dev only
    expect(names(py311)).not.toContain('colorama'); // markers = {main = "os_name == \"nt\"", ...}
    expect(py311.indexes).toEqual(['https://pypi.org/simple']);
    const py312 = read('poetry.lock', POETRY, { python: '3.12.3', edit: coreFromFiles });
    expect(names(py312)).not.toContain('backports-tarfile');
    const dev = read('poetry.lock', POETRY, { groups: ['dev'], edit: coreFromFiles });
    expect(names(dev)).toContain('pre-commit');
    expect(dev.packages.length).toBeGreaterThan(py311.packages.length);
    expect(refused('poetry.lock', POETRY, { groups: ['docs'], edit: coreFromFiles }).message).toMatch(/has no group "docs": its packages' groups declares dev, github-actions, test, typing/);
  });

  it('reads the written app lock: sdist-only project, private index, root extras and groups', () => {
    const env = read('poetry.lock', APP);
    expect(summary(env)).toContain('simple 1.0 simple-1.0.tar.gz');
    expect(names(env)).not.toContain('asgiref');
    expect(env.indexes).toEqual(['http://127.0.0.1:8751/simple']);
    const asked = names(read('poetry.lock', APP, { extras: ['async'], groups: ['test'] }));
    expect(asked).toEqual(expect.arrayContaining(['asgiref', 'packaging']));
    expect(asked).not.toContain('typing-extensions');
    // a marker that also needs the extra: `python_version < "3.12" and extra == "async"` holds on 3.11 only with async asked for
    const wider = (t: string) => t.replace('markers = "python_version < \\"3.11\\" and extra == \\"async\\""', 'markers = "python_version < \\"3.12\\" and extra == \\"async\\""');
    expect(names(read('poetry.lock', APP, { extras: ['async'], edit: wider }))).toContain('typing-extensions');
    expect(names(read('poetry.lock', APP, { edit: wider }))).not.toContain('typing-extensions');
  });

  it('refuses an incomplete lock, naming who needs what', () => {
    const err = refused('poetry.lock', APP, { edit: block('itsdangerous') });
    expect(err.message).toBe('poetry.lock is incomplete: flask 3.1.3 -> itsdangerous (*): flask needs itsdangerous on this target, but the lock selects no itsdangerous for it');
    expect(err.details).toMatchObject({ chain: ['flask 3.1.3', 'itsdangerous'] });
  });

  it('refuses Poetry 1.x locks (lock-version 2.0), which Poetry itself must re-resolve', () => {
    const err = refused('poetry.lock', OLD);
    expect(err.message).toMatch(/lock-version 2\.0 \(Poetry 1\.x\): it does not record which group each package belongs to/);
    expect(err.details.key).toBe('metadata.lock-version');
    expect(err.hint).toMatch(/poetry lock.*lock-version 2\.1/);
  });
});
