// Regression corpus on real PyPI data: 41 requirement sets of real projects
// (fixtures/pypi/corpus) against this machine's local mirrors of real PyPI
// files, each expected to give exactly the files pip 26.2.1 chose (or to fail
// as pip did). The mirrors are not in the repository: without them these
// tests skip, saying so.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, isPackagerError } from '../../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../../src/fetch/index.js';
import { readWheelMetadata } from '../../../src/resolve/pypi/dist-archive.js';
import { resolvePypi, type PypiResolveContext } from '../../../src/resolve/pypi/index.js';
import { parseCoreMetadata } from '../../../src/resolve/pypi/metadata.js';
import { parseRequirement } from '../../../src/resolve/pypi/requirement.js';
import { type ResolverSource, makeTarget, resolveRequirements } from '../../../src/resolve/pypi/resolver.js';
import { parseSimpleHtml } from '../../../src/resolve/pypi/simple-index.js';
import { glibcPlatforms } from '../../../src/resolve/pypi/wheel-tags.js';
import { startOrigin } from '../../../fixtures/origin/origin.mjs';
import { FIXTURES } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

const MIRRORS = ['/opt/pypi', '/opt/pypi-more'];
const present = MIRRORS.every((m) => existsSync(path.join(m, 'simple')));
if (!present) console.warn(`real-index.test: ${MIRRORS.join(' and ')} absent: the real-data corpus is skipped`);

const CORPUS = path.join(FIXTURES, 'pypi/corpus');
const EXPECTED = JSON.parse(readFileSync(path.join(CORPUS, 'pip-26.2.1.json'), 'utf8')) as Record<string, string[] | 'FAIL'>;
// pip evaluates markers with the interpreter it runs on (3.11.7 here), Requires-Python with --python-version
const target = makeTarget({ pythonVersion: '3.11.7', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 35]), stacks: ['cflinuxfs4'] });

/** Both mirrors as one index (like --index-url + --extra-index-url), metadata read from the wheels in place (once). */
const metadataCache = new Map<string, ReturnType<typeof parseCoreMetadata>>();
function mirrorSource(): ResolverSource {
  return {
    async projectFiles(key) {
      const files = MIRRORS.flatMap((m) => {
        const page = path.join(m, 'simple', key, 'index.html');
        return existsSync(page) ? parseSimpleHtml(readFileSync(page, 'utf8'), pathToFileURL(path.join(m, 'simple', key)).href + '/').files : [];
      });
      return files.length ? { files, where: 'the local mirrors' } : { files, where: MIRRORS.join(', '), missing: true };
    },
    async metadata(c) {
      let md = metadataCache.get(c.file.url);
      if (!md) {
        md = parseCoreMetadata(await readWheelMetadata(fileURLToPath(c.file.url), c.file.filename, c.key));
        metadataCache.set(c.file.url, md);
      }
      return md;
    },
  };
}

describe.skipIf(!present)('real requirement sets against the local PyPI mirrors (pip 26.2.1 as the oracle)', () => {
  const names = readdirSync(CORPUS).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4));

  it('has the oracle for every set', () => {
    expect(names.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(names)('%s', async (name) => {
    const lines = readFileSync(path.join(CORPUS, `${name}.txt`), 'utf8').split('\n').filter(Boolean);
    const requirements = lines.map((l, i) => ({ requirement: parseRequirement(l), source: `${name}.txt line ${i + 1}` }));
    const want = EXPECTED[name]!;
    try {
      const dists = await resolveRequirements({ requirements, target }, mirrorSource(), new MemoryLogger());
      expect(dists.map((d) => d.candidate.file.filename).sort()).toEqual(want);
    } catch (e) {
      if (!isPackagerError(e) || want !== 'FAIL') throw e;
      expect(e.message).not.toMatch(/Gave up/);
    }
  });

  it('resolves the late-conflict file over HTTP to pip 26.2.1 files (wheels downloaded for their metadata)', async () => {
    const files: Record<string, string> = {};
    for (const project of await readdir('/opt/pypi/simple')) {
      if (existsSync(`/opt/pypi/simple/${project}/index.html`)) files[`/simple/${project}/`] = `/opt/pypi/simple/${project}/index.html`;
    }
    for (const f of await readdir('/opt/pypi/files')) files[`/files/${f}`] = `/opt/pypi/files/${f}`;
    const origin = await startOrigin({ files });
    try {
      const cacheDir = await tempDir('bp-pypi-cache-');
      const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
      const ctx: PypiResolveContext = { logger: new MemoryLogger(), fetchDocument: (u, h) => fetchDocument(u, { ...opts, headers: h }), fetchFile: (a) => fetchArtifact(a, opts) };
      const dir = path.join(FIXTURES, 'pypi/late-conflict');
      const entries = await resolvePypi(
        { pip: { index_url: `${origin.url}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: ['requirements.txt'] }, stacks: ['cflinuxfs4'], manifestDir: dir },
        ctx,
      );
      expect(entries.map((e) => e.filename).sort()).toEqual(readFileSync(path.join(dir, 'pip-26.2.1.txt'), 'utf8').split('\n').filter(Boolean));
    } finally {
      await origin.close();
    }
  }, 300_000);
});
