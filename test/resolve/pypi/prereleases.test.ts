// Pre-releases follow pip 26 (docs/MANIFEST.md, `pip:`). Each rule is a case
// on the loopback fixture index (pr-lib 1.0 and 2.0b1; pr-app 1.0 needs
// pr-lib>=2.0b1; pkg-prerelease has only 1.0a1), with what real pip 26.2.1
// and pip 23.2.1 download; the last test asks both pips again when they are here.
import { readdir, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, isPackagerError } from '../../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../../src/fetch/index.js';
import { resolvePypi, type PypiResolveContext } from '../../../src/resolve/pypi/index.js';
import { startPypiFixtureIndex } from '../../../fixtures/pypi/index-origin.mjs';
import { PIP26_WHEEL, pip26Script } from '../../helpers/pip26.js';
import { pipRuns } from '../../helpers/pip-runs.js';
import { tempDir } from '../../helpers/tmp.js';

// [requirement lines, pip 26.2.1's files, pip 23.2.1's files] (FAIL: no solution)
const RULES: [string[], string, string][] = [
  [['pr-lib'], 'pr_lib-1.0', 'pr_lib-1.0'], // finals first
  [['pr-lib>=1.5'], 'pr_lib-2.0b1', 'FAIL'], // pip 26: a pre-release when no final release satisfies
  [['pr-lib>=1.5,<3'], 'pr_lib-2.0b1', 'FAIL'],
  [['pr-lib>=1.5', 'pr-lib<3'], 'pr_lib-2.0b1', 'FAIL'], // ... the requirements on it together
  [['pkg-prerelease>=0.5'], 'pkg_prerelease-1.0a1', 'FAIL'],
  [['pkg-prerelease'], 'pkg_prerelease-1.0a1', 'pkg_prerelease-1.0a1'], // nothing but pre-releases, no specifier
  [['pr-lib>1.0rc1'], 'pr_lib-2.0b1', 'pr_lib-1.0'], // pip >= 25: < and > naming a pre-release opt in
  [['pr-lib<2.0b2'], 'pr_lib-2.0b1', 'pr_lib-1.0'],
  [['pr-lib==2.0b1'], 'pr_lib-2.0b1', 'pr_lib-2.0b1'], // naming one opts in
  [['pr-lib!=3.0a1'], 'pr_lib-1.0', 'pr_lib-1.0'], // ... except with !=
  [['--pre', 'pr-lib'], 'pr_lib-2.0b1', 'pr_lib-2.0b1'],
  [['pr-app'], 'pr_app-1.0 pr_lib-2.0b1', 'pr_app-1.0 pr_lib-2.0b1'], // a dependency's specifier opts in too
  [['pr-app', 'pr-lib<3'], 'pr_app-1.0 pr_lib-2.0b1', 'pr_app-1.0 pr_lib-2.0b1'], // ... for every requirement on it
];

async function ours(indexUrl: string, lines: string[]): Promise<string> {
  const cacheDir = await tempDir('bp-pypi-cache-');
  const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
  const ctx: PypiResolveContext = { logger: new MemoryLogger(), fetchDocument: (u, h) => fetchDocument(u, { ...opts, headers: h }), fetchFile: (a) => fetchArtifact(a, opts) };
  const dir = await tempDir('bp-pre-');
  await writeFile(`${dir}/requirements.txt`, lines.join('\n') + '\n');
  try {
    const entries = await resolvePypi(
      { pip: { index_url: `${indexUrl}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: ['requirements.txt'] }, stacks: ['cflinuxfs4'], manifestDir: dir },
      ctx,
    );
    return entries.map((e) => e.filename.replace(/-py3-none-any\.whl$/, '')).join(' ');
  } catch (e) {
    if (isPackagerError(e)) return 'FAIL';
    throw e;
  }
}

/** What `pip download` of each rule's lines got, with pip 26 (`pip26`: its package directory) or python3's own pip 23. */
async function pipChoices(indexUrl: string, pip26?: string): Promise<string[]> {
  const dests = await Promise.all(RULES.map(() => tempDir('bp-pip-dl-')));
  const runs = RULES.map(([lines], i) => [
    ...['download', '--only-binary=:all:', '--python-version', '3.11', '--platform', 'manylinux_2_35_x86_64', '--implementation', 'cp'],
    ...['--dest', dests[i]!, '--index-url', `${indexUrl}/simple`, '--disable-pip-version-check', '--no-cache-dir', '-q', ...lines],
  ]);
  const codes = await pipRuns(runs, pip26);
  return Promise.all(dests.map(async (dest, i) => (codes[i] !== 0 ? 'FAIL' : (await readdir(dest)).sort().map((f) => f.replace(/-py3-none-any\.whl$/, '')).join(' '))));
}

describe('pre-releases: pip 26 rules', () => {
  it.each(RULES)('%j -> %s (pip 26.2.1)', async (lines, pip26) => {
    const index = await startPypiFixtureIndex();
    try {
      expect(await ours(index.url, lines)).toBe(pip26);
    } finally {
      await index.close();
    }
  });

  it.skipIf(!PIP26_WHEEL)('the table is what real pip 26.2.1 and 23.2.1 do (needs /opt/pypi/files/pip-26.2.1-py3-none-any.whl)', async () => {
    const pip26 = pip26Script()!;
    const index = await startPypiFixtureIndex();
    try {
      const [by26, by23] = await Promise.all([pipChoices(index.url, pip26), pipChoices(index.url)]);
      RULES.forEach(([lines, pip26, pip23], i) => {
        expect(by26[i], `pip 26 ${lines.join(' ')}`).toBe(pip26);
        expect(by23[i], `pip 23 ${lines.join(' ')}`).toBe(pip23);
      });
    } finally {
      await index.close();
    }
  }, 300_000);
});
