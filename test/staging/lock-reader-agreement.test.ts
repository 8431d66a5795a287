// Staging reads an app's Python lock file with the app's python (bin/lib/pip_inputs.py,
// no node at staging); the packager reads it with src/resolve/pypi/lockfiles. Both must
// select the same packages at the same versions for the same interpreter, groups and
// extras, on the real and written lock fixtures.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPackagerError } from '../../src/core/index.js';
import { type LockFormat, lockTarget, readLockFile } from '../../src/resolve/pypi/lockfiles/index.js';
import { glibcPlatforms } from '../../src/resolve/pypi/wheel-tags.js';
import { ROOT } from '../helpers/paths.js';
import { LOCKS, UPSTREAM_LOCKS, textOf } from '../resolve/pypi/lockfiles/read.js';
import { HOST_PYTHON, HOST_PYTHON_VERSION, runScript } from './run-script.js';

const READER = path.join(ROOT, 'bin/lib/pip_inputs.py');
const CASES: Array<{ format: LockFormat; file: string; groups?: string[]; extras?: string[] }> = [
  { format: 'pylock.toml', file: path.join(LOCKS, 'pylock/pip-app/pylock.toml') },
  { format: 'pylock.toml', file: path.join(LOCKS, 'pylock/written-app/pylock.toml') },
  { format: 'pylock.toml', file: path.join(LOCKS, 'pylock/written-app/pylock.toml'), extras: ['async'], groups: ['test'] },
  { format: 'uv.lock', file: path.join(LOCKS, 'uv/flask-app/uv.lock') },
  { format: 'uv.lock', file: path.join(LOCKS, 'uv/flask-app/uv.lock'), extras: ['async'], groups: ['test'] },
  { format: 'uv.lock', file: path.join(UPSTREAM_LOCKS, 'flask.uv.lock') },
  { format: 'uv.lock', file: path.join(UPSTREAM_LOCKS, 'flask.uv.lock'), groups: ['docs'] },
  { format: 'poetry.lock', file: path.join(LOCKS, 'poetry/flask-app/poetry.lock') },
  { format: 'poetry.lock', file: path.join(LOCKS, 'poetry/flask-app/poetry.lock'), extras: ['async'] },
  { format: 'poetry.lock', file: path.join(UPSTREAM_LOCKS, 'poetry.poetry.lock') },
  { format: 'Pipfile.lock', file: path.join(LOCKS, 'pipfile/flask-app/Pipfile.lock') },
  { format: 'Pipfile.lock', file: path.join(UPSTREAM_LOCKS, 'pipenv.Pipfile.lock'), groups: ['dev'] },
  { format: 'Pipfile.lock', file: path.join(UPSTREAM_LOCKS, 'pipenv-examples.Pipfile.lock'), groups: ['develop'] },
];

const target = lockTarget({ pythonVersion: HOST_PYTHON_VERSION, arch: process.arch === 'arm64' ? 'aarch64' : 'x86_64', platforms: glibcPlatforms(process.arch === 'arm64' ? 'aarch64' : 'x86_64', [2, 35]) });

describe('the staging lock reader (python) agrees with the packager (TypeScript)', () => {
  for (const c of CASES) {
    const label = `${path.relative(ROOT, c.file)}${c.groups ? ` groups=${c.groups}` : ''}${c.extras ? ` extras=${c.extras}` : ''}`;
    it(label, async () => {
      let ts: string[] | 'refused';
      try {
        const env = readLockFile(c.format, textOf(c.file), { file: c.format, target, groups: c.groups ?? [], extras: c.extras ?? [] });
        ts = env.packages.map((p) => `${p.key}==${p.version}`).sort();
      } catch (err) {
        if (!isPackagerError(err)) throw err;
        ts = 'refused';
      }
      const env = { PATH: process.env.PATH, HOME: '/nonexistent', BP_LOCK_GROUPS: (c.groups ?? []).join(','), BP_LOCK_EXTRAS: (c.extras ?? []).join(',') };
      const r = await runScript(HOST_PYTHON, [READER, 'lock', c.format, c.file], { env });
      const py =
        r.code === 3
          ? 'refused'
          : r.stdout
              .split('\n')
              .filter((l) => l.startsWith('pkg\t'))
              .map((l) => {
                const [, name, version] = l.split('\t');
                return `${name!.toLowerCase().replace(/[-_.]+/g, '-')}==${version}`;
              })
              .sort();
      expect(r.code === 0 || r.code === 3, r.stderr).toBe(true);
      expect(py, r.stderr).toEqual(ts);
    });
  }
});
