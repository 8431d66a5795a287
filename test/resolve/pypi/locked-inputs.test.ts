// Python lock files as `pip.files`: resolvePypi bundles exactly the files each lock
// selects for the target (by name and sha256, found on the manifest's index),
// never re-resolving; a file the index lacks or serves with other bytes is an error.
// Served on 127.0.0.1 from this machine's real PyPI mirror (/opt/pypi): without it
// these tests skip, saying so.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../../src/fetch/index.js';
import type { PipSection } from '../../../src/manifest/types.js';
import { resolvePypi, type PypiResolveContext } from '../../../src/resolve/pypi/index.js';
import { startOrigin, type Origin } from '../../../fixtures/origin/origin.mjs';
import { rejectedPackagerError } from '../../helpers/errors.js';
import { UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { LOCKS, read } from './lockfiles/read.js';

const present = existsSync('/opt/pypi/simple') && existsSync('/opt/pypi/files');
if (!present) console.warn('locked-inputs.test: /opt/pypi absent: Python lock files as pip.files are not tested here');

const SDIST = path.join(UPSTREAM, 'pypi/sdists/simple-1.0.tar.gz');
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

const CASES = [
  { format: 'pylock.toml', file: 'pylock/pip-app/pylock.toml' },
  { format: 'uv.lock', file: 'uv/flask-app/uv.lock' },
  { format: 'poetry.lock', file: 'poetry/flask-app/poetry.lock' },
  { format: 'Pipfile.lock', file: 'pipfile/flask-app/Pipfile.lock' },
] as const;

let origin: Origin;
let files: Record<string, string | Uint8Array>;
beforeAll(async () => {
  if (!present) return;
  files = {};
  for (const project of await readdir('/opt/pypi/simple')) {
    if (existsSync(`/opt/pypi/simple/${project}/index.html`)) files[`/simple/${project}/`] = `/opt/pypi/simple/${project}/index.html`;
  }
  for (const f of await readdir('/opt/pypi/files')) files[`/files/${f}`] = `/opt/pypi/files/${f}`;
  files['/simple/simple/'] = Buffer.from(`<a href="../../files/simple-1.0.tar.gz#sha256=${sha256(SDIST)}">simple-1.0.tar.gz</a>\n`);
  files['/files/simple-1.0.tar.gz'] = SDIST;
});
afterAll(async () => origin?.close());

async function resolveLock(lockFile: string, serve: Record<string, string | Uint8Array>) {
  origin = await startOrigin({ files: serve });
  try {
    const cacheDir = await tempDir('bp-locked-cache-');
    const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
    const ctx: PypiResolveContext = { logger: new MemoryLogger(), fetchDocument: (u, h) => fetchDocument(u, { ...opts, headers: h }), fetchFile: (a) => fetchArtifact(a, opts) };
    const pip: PipSection = { index_url: `${origin.url}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11.9', requirements: [], files: [path.basename(lockFile)] };
    return { entries: await resolvePypi({ pip, stacks: ['cflinuxfs4'], manifestDir: path.dirname(lockFile) }, ctx), requests: origin.requests.map((r) => r.path) };
  } finally {
    await origin.close();
  }
}

describe.skipIf(!present)('Python lock files as pip.files', () => {
  for (const c of CASES) {
    it(`bundles exactly what ${c.format} selects, by name and sha256, from the manifest's index`, async () => {
      const lockFile = path.join(LOCKS, c.file);
      const env = read(c.format, lockFile);
      const { entries, requests } = await resolveLock(lockFile, files);
      const bundled = entries.map((e) => `${e.name}==${e.version}`).sort();
      const locked = env.packages.filter((p) => p.file?.path === undefined).map((p) => `${p.key}==${p.version}`).sort();
      expect(bundled).toEqual(locked);
      for (const p of env.packages) {
        const e = entries.find((x) => x.name === p.key)!;
        if (p.file) expect([e.filename, e.sha256]).toEqual([p.file.filename, p.file.sha256]);
        else expect(p.hashes).toContain(e.sha256);
        expect(e.uri).toBe(`${origin.url}/files/${e.filename}`);
      }
      // never re-resolved: no metadata read, only the locked projects' pages and files
      expect(requests.filter((r) => r.startsWith('/simple/')).sort()).toEqual(locked.map((l) => `/simple/${l.split('==')[0]}/`).sort());
      expect(requests.some((r) => r.endsWith('.metadata'))).toBe(false);
    });
  }

  it('names a locked package the index does not serve, with the lock line', async () => {
    const { '/simple/blinker/': _gone, ...rest } = files;
    const e = await rejectedPackagerError(resolveLock(path.join(LOCKS, 'uv/flask-app/uv.lock'), rest));
    expect(e.code).toBe('ERESOLVE');
    expect(e.message).toMatch(/^uv\.lock line \d+: blinker 1\.9\.0 is locked to blinker-1\.9\.0-py3-none-any\.whl, which is on none of the manifest's indexes/);
  });

  it('refuses a file whose bytes differ from the sha256 the lock names', async () => {
    const e = await rejectedPackagerError(resolveLock(path.join(LOCKS, 'poetry/flask-app/poetry.lock'), { ...files, '/files/blinker-1.9.0-py3-none-any.whl': Buffer.from('not the wheel') }));
    expect(e.code).toBe('EINTEGRITY');
    expect(e.message).toContain('blinker-1.9.0-py3-none-any.whl');
  });
});
