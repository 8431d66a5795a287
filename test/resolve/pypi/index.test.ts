import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../../src/fetch/index.js';
import type { LockEntry, PipSection } from '../../../src/manifest/types.js';
import { resolvePypi, type PypiResolveContext } from '../../../src/resolve/pypi/index.js';
import { startPypiFixtureIndex } from '../../../fixtures/pypi/index-origin.mjs';
import { FIXTURES, ROOT } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { rejectedPackagerError as failure } from '../../helpers/errors.js';

const FILES = JSON.parse(readFileSync(path.join(FIXTURES, 'pypi/index/files.json'), 'utf8')) as Record<string, string>;
const sha = (name: string) => createHash('sha256').update(readFileSync(path.join(ROOT, FILES[name]!))).digest('hex');

// The real fetchers cli/ wires in, pointed at a fresh cache; no retries so faults show at once.
async function context(logger = new MemoryLogger()): Promise<PypiResolveContext & { logger: MemoryLogger }> {
  const cacheDir = await tempDir('bp-pypi-cache-');
  const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
  return {
    logger,
    fetchDocument: (url, headers) => fetchDocument(url, { ...opts, headers }),
    fetchFile: (a) => fetchArtifact(a, opts),
  };
}

function pip(over: Partial<PipSection>): PipSection {
  return { index_url: '', extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: [], ...over };
}

const summary = (entries: LockEntry[]) => entries.map((e) => `${e.kind} ${e.name} ${e.version} ${e.filename} [${e.cf_stacks.join(',')}]`);

describe('resolvePypi against a loopback index of real wheels', () => {
  it('resolves a requirements file with transitive deps, extras, markers, a yanked version, an sdist-only project and backtracking', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const ctx = await context();
      const entries = await resolvePypi(
        {
          pip: pip({ index_url: `${index.url}/simple`, files: ['requirements/integration.txt'] }),
          stacks: ['cflinuxfs4', 'cflinuxfs3'],
          manifestDir: path.join(FIXTURES, 'pypi'),
        },
        ctx,
      );
      expect(summary(entries)).toEqual([
        'wheel anyio 4.3.0 anyio-4.3.0-py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel bt-app 1.0 bt_app-1.0-py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel bt-lib 2.0 bt_lib-2.0-py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel build-tag 1.0.0 build_tag-1.0.0-5-py2.py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel has-script 1.0 has.script-1.0-py2.py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel idna 3.20 idna-3.20-py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel requires-simple-extra 0.1 requires_simple_extra-0.1-py2.py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'sdist simple 1.0 simple-1.0.tar.gz [cflinuxfs3,cflinuxfs4]',
        'wheel simplewheel 1.0 simplewheel-1.0-py2.py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel sniffio 1.3.1 sniffio-1.3.1-py3-none-any.whl [cflinuxfs3,cflinuxfs4]',
        'wheel tqdm 4.66.1 tqdm-4.66.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl [cflinuxfs3,cflinuxfs4]',
      ]);
      for (const e of entries) {
        expect(e.sha256, e.filename).toBe(sha(e.filename));
        expect(e.size, e.filename).toBe(readFileSync(path.join(ROOT, FILES[e.filename]!)).length);
        expect(e.uri).toBe(`${index.url}/files/${e.filename}`);
      }
      const anyio = entries.find((e) => e.name === 'anyio')!;
      expect(anyio).toMatchObject({ depends: ['idna>=2.8', 'sniffio>=1.1'], requires_python: '>=3.8', tags: ['py3-none-any'] });
      expect(entries.find((e) => e.name === 'requires-simple-extra')!.depends).toEqual(['simple==1.0']);
      expect(entries.find((e) => e.name === 'bt-app')!.depends).toEqual(['bt-lib>=1']);
      expect(entries.find((e) => e.name === 'simple')!.tags).toBeUndefined();
      expect(ctx.logger.text()).toMatch(/bundling the sdist simple-1\.0\.tar\.gz: staging will build it/);
      // PEP 691 JSON (sha256 + PEP 700 size) and PEP 658 sidecars: anyio's wheel is never downloaded.
      expect(index.requestsFor('/simple/anyio/')[0]!.headers.accept).toBe('application/vnd.pypi.simple.v1+json, text/html;q=0.1');
      expect(index.requestsFor('/files/anyio-4.3.0-py3-none-any.whl.metadata')).toHaveLength(1);
      expect(index.requestsFor('/files/anyio-4.3.0-py3-none-any.whl')).toHaveLength(0);
      // Without a sidecar the wheel itself is read (once, whatever the number of stacks).
      expect(index.requestsFor('/files/requires_simple_extra-0.1-py2.py3-none-any.whl')).toHaveLength(1);
      expect(index.requestsFor('/simple/tqdm/')).toHaveLength(1);
    } finally {
      await index.close();
    }
  });

  it('gives the same lock from PEP 503 HTML pages as from PEP 691 JSON', async () => {
    const html = await startPypiFixtureIndex({ format: 'html' });
    const json = await startPypiFixtureIndex({ format: 'json' });
    try {
      const run = async (url: string) =>
        (await resolvePypi({ pip: pip({ index_url: `${url}/simple`, files: ['requirements/integration.txt'] }), stacks: ['cflinuxfs4'], manifestDir: path.join(FIXTURES, 'pypi') }, await context())).map(
          (e) => ({ ...e, uri: e.uri.replace(url, '') }),
        );
      expect(await run(html.url)).toEqual(await run(json.url));
    } finally {
      await html.close();
      await json.close();
    }
  });

  it('evaluates markers for the target python: maturin on 3.10 needs tomli, which the index lacks', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const ok = await resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, requirements: ['maturin'] }), stacks: ['cflinuxfs4'], manifestDir: ROOT }, await context());
      expect(summary(ok)).toEqual(['wheel maturin 2.0.0 maturin-2.0.0-py3-none-linux_x86_64.whl [cflinuxfs4]']);
      const err = await failure(
        resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, python_version: '3.10', requirements: ['maturin'] }), stacks: ['cflinuxfs4'], manifestDir: ROOT }, await context()),
      );
      expect(err.code).toBe('ERESOLVE');
      expect(err.message).toBe('maturin 2.0.0 requires tomli>=1.1.0 (python_version < "3.11"), which the index does not have');
      expect(err.details.chain).toEqual(['manifest pip.requirements[0]', 'maturin 2.0.0', 'tomli>=1.1.0 (python_version < "3.11")']);
    } finally {
      await index.close();
    }
  });

  it('takes a pip-compile style file (== and --hash on every line) as complete', async () => {
    const index = await startPypiFixtureIndex();
    const dir = await tempDir();
    try {
      const good = `bt-app==1.0 --hash=sha256:${sha('bt_app-1.0-py3-none-any.whl')}\nbt-lib==2.0 \\\n    --hash=sha256:${sha('bt_lib-2.0-py3-none-any.whl')}\n`;
      await writeFile(path.join(dir, 'requirements.txt'), good);
      const entries = await resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, files: ['requirements.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(summary(entries)).toEqual(['wheel bt-app 1.0 bt_app-1.0-py3-none-any.whl [cflinuxfs4]', 'wheel bt-lib 2.0 bt_lib-2.0-py3-none-any.whl [cflinuxfs4]']);

      await writeFile(path.join(dir, 'requirements.txt'), `bt-app==1.0 --hash=sha256:${sha('bt_app-1.0-py3-none-any.whl')}\n`);
      const missing = await failure(resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, files: ['requirements.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(missing.code).toBe('ERESOLVE');
      expect(missing.message).toBe('bt-app 1.0 requires bt-lib>=1, which the fully pinned requirements do not list');

      await writeFile(path.join(dir, 'requirements.txt'), good.replace(sha('bt_lib-2.0-py3-none-any.whl'), 'e'.repeat(64)));
      const mismatch = await failure(resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, files: ['requirements.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(mismatch.code).toBe('EINTEGRITY');
      expect(mismatch.details).toMatchObject({ wanted: `sha256:${'e'.repeat(64)}`, found: `sha256:${sha('bt_lib-2.0-py3-none-any.whl')}` });
      expect(mismatch.message).toContain('bt_lib-2.0-py3-none-any.whl');
    } finally {
      await index.close();
    }
  });

  it('checks a hashed line against the downloaded bytes when the index publishes no hash', async () => {
    const index = await startPypiFixtureIndex({ format: 'html' });
    const dir = await tempDir();
    index.setRoute('/simple/bt-lib/', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<a href="../../files/bt_lib-2.0-py3-none-any.whl">bt_lib-2.0-py3-none-any.whl</a>');
    });
    try {
      await writeFile(path.join(dir, 'r.txt'), `bt-lib==2.0 --hash=sha256:${'0'.repeat(64)}\n`);
      const err = await failure(resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, files: ['r.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(err.code).toBe('EINTEGRITY');
      expect(err.message).toBe('Hash mismatch for bt_lib-2.0-py3-none-any.whl (r.txt line 1)');
      await writeFile(path.join(dir, 'r.txt'), `bt-lib==2.0 --hash=sha256:${sha('bt_lib-2.0-py3-none-any.whl')}\n`);
      const ok = await resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, files: ['r.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(ok[0]!.sha256).toBe(sha('bt_lib-2.0-py3-none-any.whl'));
    } finally {
      await index.close();
    }
  });
});

describe('resolvePypi with --no-index and a local --find-links directory', () => {
  it('resolves from the directory, hashing files the index never described', async () => {
    const entries = await resolvePypi(
      { pip: pip({ index_url: 'http://127.0.0.1:9/never-used', files: ['requirements/find-links.txt'] }), stacks: ['cflinuxfs4'], manifestDir: path.join(FIXTURES, 'pypi') },
      await context(),
    );
    expect(summary(entries)).toEqual(['wheel bt-app 2.0 bt_app-2.0-py3-none-any.whl [cflinuxfs4]', 'wheel bt-lib 1.0 bt_lib-1.0-py3-none-any.whl [cflinuxfs4]']);
    expect(entries[1]!.sha256).toBe(sha('bt_lib-1.0-py3-none-any.whl'));
    expect(entries[1]!.uri).toBe(`file://${path.join(FIXTURES, 'pypi/files/bt_lib-1.0-py3-none-any.whl')}`);
  });
});

describe('resolvePypi with a page that has bad links', () => {
  it('leaves each bad link out with a warning naming it and resolves from the rest, as pip does', async () => {
    const good = `../../files/bt_lib-1.0-py3-none-any.whl#sha256=${sha('bt_lib-1.0-py3-none-any.whl')}`;
    const html = [
      '<html><body>',
      '<a href="mailto:ops@example.org">mail the operators</a>',
      '<a href="javascript:void(0)">bt_lib-3.0-py3-none-any.whl</a>',
      '<a href="../../files/bt_lib-2.0-py3-none-any.whl#sha256=not-hex">bt_lib-2.0-py3-none-any.whl</a>',
      `<a href="${good}">bt_lib-1.0-py3-none-any.whl`,
      '</body></html>',
    ].join('\n');
    const index = await startPypiFixtureIndex({
      format: 'html',
      origin: { routes: { '/simple/bt-lib/': (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end(html) } },
    });
    try {
      const ctx = await context();
      const entries = await resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, requirements: ['bt-lib'] }), stacks: ['cflinuxfs4'], manifestDir: ROOT }, ctx);
      expect(summary(entries)).toEqual(['wheel bt-lib 1.0 bt_lib-1.0-py3-none-any.whl [cflinuxfs4]']);
      const page = `${index.url}/simple/bt-lib/`;
      expect(ctx.logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        `Skipped link "mailto:ops@example.org" on index page ${page} (line 2): a mailto: link is not a file pip can fetch`,
        `Skipped link "javascript:void(0)" on index page ${page} (line 3): a javascript: link is not a file pip can fetch`,
        `Skipped link "../../files/bt_lib-2.0-py3-none-any.whl#sha256=not-hex" on index page ${page} (line 4): malformed sha256 digest "not-hex" for bt_lib-2.0-py3-none-any.whl`,
      ]);
    } finally {
      await index.close();
    }
  });
});

describe('resolvePypi bad input', () => {
  const run = async (index: { url: string }, requirements: string[], over: Partial<PipSection> = {}) =>
    failure(resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, requirements, ...over }), stacks: ['cflinuxfs4'], manifestDir: ROOT }, await context()));

  it('names an unknown project (index 404) with ENOTFOUND', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const err = await run(index, ['no-such-project']);
      expect(err.code).toBe('ENOTFOUND');
      expect(err.message).toBe(`No project named no-such-project on any configured index`);
      const whole = await run(index, ['anyio'], { index_url: `${index.url}/not-an-index` });
      expect(whole.code).toBe('ENOTFOUND');
    } finally {
      await index.close();
    }
  });

  it('lists what the index has for a version that does not exist', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const err = await run(index, ['bt-lib==3.0']);
      expect(err.code).toBe('ERESOLVE');
      expect(err.message).toBe('No version of bt-lib satisfies bt-lib==3.0 (manifest pip.requirements[0]); the index has: 1.0, 2.0');
    } finally {
      await index.close();
    }
  });

  it('refuses yanked-only matches unless pinned', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const err = await run(index, ['simplewheel>=2']);
      expect(err.code).toBe('ERESOLVE');
      expect(err.message).toBe('Only yanked versions of simplewheel satisfy simplewheel>=2 (manifest pip.requirements[0]): 2.0 (yanked: broken build, use 1.0)');
      const ctx = await context();
      const pinned = await resolvePypi({ pip: pip({ index_url: `${index.url}/simple`, requirements: ['simplewheel==2.0'] }), stacks: ['cflinuxfs4'], manifestDir: ROOT }, ctx);
      expect(pinned[0]!.filename).toBe('simplewheel-2.0-1-py2.py3-none-any.whl');
      expect(ctx.logger.text()).toContain('Using yanked simplewheel-2.0-1-py2.py3-none-any.whl (reason: broken build, use 1.0)');
    } finally {
      await index.close();
    }
  });

  it('says which tags it saw and which the stack accepts when no wheel fits (ENOMATCH)', async () => {
    const index = await startPypiFixtureIndex();
    try {
      const err = await run(index, ['python-mscl']);
      expect(err.code).toBe('ENOMATCH');
      expect(err.message).toBe('No wheel of python-mscl 67.0.1.0 matches the target cp311 on cflinuxfs4: cp311-cp311-linux_x86_64');
      expect(err.details.seen).toEqual(['cp313-cp313-manylinux2014_aarch64']);
      expect(err.hint).toContain('cp313-cp313-manylinux2014_aarch64');
    } finally {
      await index.close();
    }
  });

  it.each([
    ['malformed HTML', 'text/html', '<html><a href="../../files/bt_lib-2.0-py3-none-any.whl'],
    ['malformed JSON', 'application/vnd.pypi.simple.v1+json', '{"meta": {"api-version": "1.0"}, "files": [{"filename": 7}]}'],
  ])('rejects %s from the index with EBADINDEX naming the page', async (_what, type, body) => {
    const index = await startPypiFixtureIndex();
    index.setRoute('/simple/bt-lib/', (_req, res) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    });
    try {
      const err = await run(index, ['bt-lib']);
      expect(err.code).toBe('EBADINDEX');
      expect(err.message).toContain(`${index.url}/simple/bt-lib/`);
    } finally {
      await index.close();
    }
  });

  it('fails with EINTEGRITY when a PEP 658 sidecar does not match its published hash', async () => {
    const index = await startPypiFixtureIndex();
    index.setFile('/files/bt_app-2.0-py3-none-any.whl.metadata', Buffer.from('Metadata-Version: 2.1\nName: bt-app\nVersion: 2.0\n'));
    try {
      const err = await run(index, ['bt-app']);
      expect(err.code).toBe('EINTEGRITY');
      expect(err.message).toContain('metadata of bt_app-2.0-py3-none-any.whl');
    } finally {
      await index.close();
    }
  });

  it('passes a server error through as a network failure (EHTTP), not a resolution one', async () => {
    const index = await startPypiFixtureIndex();
    index.setRoute('/simple/bt-lib/', (_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
    try {
      const err = await run(index, ['bt-lib']);
      expect(err.code).toBe('EHTTP');
    } finally {
      await index.close();
    }
  });
});
