// Regression tests for bugs the reliability suite found, each named after
// what broke. The suites that found them (fault matrix, corpus...) exercise
// the same paths end to end; these pin the fix cheaply, in process.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../fixtures/origin/origin.mjs';
import { isPackagerError, MemoryLogger, type PackagerError } from '../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../src/fetch/index.js';
import { RepodataIndex } from '../../src/resolve/conda/repodata.js';
import { resolvePypi } from '../../src/resolve/pypi/index.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

async function failure(p: Promise<unknown>): Promise<PackagerError> {
  try {
    await p;
  } catch (e) {
    if (isPackagerError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('errors name the URL, never a cache path', () => {
  it('names the repodata URL, not the cache body, when a channel serves malformed repodata', async () => {
    const dir = await tempDir();
    const body = path.join(dir, '8b1630392f.ac8e4ea2.body');
    const url = 'https://conda.example.org/conda-forge/noarch/repodata.json';
    for (const text of ['\u00ff\u00fe not json', '{"packages": {"a-1-0.tar.bz2": {"name": "a"', '{"info": [1, }']) {
      await writeFile(body, text);
      const err = await failure(RepodataIndex.open(body, 'noarch', url));
      expect(err.code).toBe('EBADINDEX');
      expect(err.message).toContain(url);
      expect(err.message).not.toContain(body);
      expect(err.details.url).toBe(url);
    }
  });

  it('names a record of malformed repodata by URL when the solver reads it', async () => {
    const dir = await tempDir();
    const body = path.join(dir, 'x.body');
    const url = 'https://conda.example.org/c/noarch/repodata.json';
    await writeFile(body, JSON.stringify({ info: { subdir: 'noarch' }, packages: { 'a-1-0.tar.bz2': { name: 'a', version: 1 } } }));
    const idx = await RepodataIndex.open(body, 'noarch', url);
    try {
      const err = await failure(idx.records('a'));
      expect(err.code).toBe('EBADINDEX');
      expect(err.message).toContain(url);
    } finally {
      await idx.close();
    }
  });

  it('names the simple-index page it asked when no index has the project', async () => {
    const origin = await startOrigin();
    try {
      const cacheDir = await tempDir();
      const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
      const err = await failure(
        resolvePypi(
          {
            pip: { index_url: `${origin.url}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11', requirements: ['nothere==1.0'], files: [] },
            stacks: ['cflinuxfs4'],
            manifestDir: ROOT,
          },
          { logger: new MemoryLogger(), fetchDocument: (u, headers) => fetchDocument(u, { ...opts, headers }), fetchFile: (a) => fetchArtifact(a, opts) },
        ),
      );
      expect(err.code).toBe('ENOTFOUND');
      expect(err.message).toBe('No project named nothere on any configured index');
      expect(err.details.looked_in).toBe(`${origin.url}/simple/nothere/`);
    } finally {
      await origin.close();
    }
  });
});
