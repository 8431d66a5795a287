import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger, isPackagerError, stackInfo } from '../../../src/core/index.js';
import { fetchArtifact, fetchDocument } from '../../../src/fetch/index.js';
import type { PipSection } from '../../../src/manifest/types.js';
import { resolvePypi, type PypiResolveContext } from '../../../src/resolve/pypi/index.js';
import { normalizeName } from '../../../src/resolve/pypi/requirement.js';
import { expandPlatforms, glibcPlatforms } from '../../../src/resolve/pypi/wheel-tags.js';
import { startPypiFixtureIndex } from '../../../fixtures/pypi/index-origin.mjs';
import { ROOT } from '../../helpers/paths.js';
import { pipRuns } from '../../helpers/pip-runs.js';
import { tempDir } from '../../helpers/tmp.js';

// The real pip is the oracle for which wheel a target gets: both are asked
// about the same loopback index, pip through `pip download --platform ...`
// with our platform list (pip 23 expands no manylinux_2_x tag by itself).
/** `pip download` arguments for `reqs`, and the directory it downloads into. */
async function pipDownloadArgs(indexUrl: string, python: string, platforms: string[], reqs: string[]): Promise<{ args: string[]; dest: string }> {
  const dest = await tempDir('bp-pip-dl-');
  const args = ['download', '--no-deps', '--only-binary=:all:', '--implementation', 'cp', '--python-version', python];
  for (const p of platforms) args.push('--platform', p);
  args.push('--dest', dest, '--index-url', `${indexUrl}/simple`, '--disable-pip-version-check', '--no-cache-dir', '-q', ...reqs);
  return { args, dest };
}

async function ours(indexUrl: string, pip: Partial<PipSection>, reqs: string[]): Promise<string[] | 'failed'> {
  const cacheDir = await tempDir('bp-pypi-cache-');
  const opts = { cacheDir, logger: new MemoryLogger(), retries: 0 };
  const ctx: PypiResolveContext = { logger: new MemoryLogger(), fetchDocument: (u, h) => fetchDocument(u, { ...opts, headers: h }), fetchFile: (a) => fetchArtifact(a, opts) };
  const section: PipSection = { index_url: `${indexUrl}/simple`, extra_index_urls: [], find_links: [], python_version: '3.11', requirements: reqs, files: [], ...pip };
  try {
    const entries = await resolvePypi({ pip: section, stacks: ['cflinuxfs4'], manifestDir: ROOT }, ctx);
    const roots = new Set(reqs.map((r) => normalizeName(r.split(/[<>=!~ [;]/)[0]!)));
    return entries.filter((e) => roots.has(e.name)).map((e) => e.filename).sort();
  } catch (e) {
    if (isPackagerError(e)) return 'failed';
    throw e;
  }
}

const TARGETS = [
  { label: 'cp311 cflinuxfs4', python: '3.11', platforms: glibcPlatforms('x86_64', stackInfo('cflinuxfs4')!.glibc), pip: {} },
  { label: 'cp311 cflinuxfs3', python: '3.11', platforms: glibcPlatforms('x86_64', stackInfo('cflinuxfs3')!.glibc), pip: { platforms: ['manylinux_2_27_x86_64'] } },
  { label: 'cp313 aarch64 glibc 2.35', python: '3.13', platforms: expandPlatforms(['manylinux_2_35_aarch64']), pip: { python_version: '3.13', platforms: ['manylinux_2_35_aarch64'] } },
];

const RESOLVABLE = ['simplewheel', 'build_tag', 'tqdm', 'abi3-package', 'maturin', 'pkg-prerelease', 'has.script', 'anyio', 'idna', 'sniffio', 'wheel', 'bt-app'];
const PER_TARGET: Record<string, string[]> = {
  'cp311 cflinuxfs4': RESOLVABLE,
  'cp311 cflinuxfs3': RESOLVABLE,
  'cp313 aarch64 glibc 2.35': ['simplewheel', 'build_tag', 'python-mscl', 'testsimple', 'anyio', 'has.script', 'pkg-prerelease'],
};
// pre-release rules differ between pip 23 and 26: prereleases.test.ts checks them against both
const SINGLES = ['cpython-package', 'multi-abi-package', 'python-mscl', 'testsimple', 'simplewheel==2.0', 'bt-lib==3.0'];

type Index = Awaited<ReturnType<typeof startPypiFixtureIndex>>;
let index: Index;
/** What pip downloaded for each target's requirements, and for each edge case (cp311 cflinuxfs4): its files, or 'failed'. */
const pipChose = new Map<string, string[] | 'failed'>();
const key = (label: string, reqs: string[]) => `${label} ${reqs.join(' ')}`;

beforeAll(async () => {
  index = await startPypiFixtureIndex();
  // every pip question in one pip process: its start-up is most of a run
  const asks = TARGETS.flatMap((t) => [PER_TARGET[t.label]!, ...(t.label === 'cp311 cflinuxfs4' ? SINGLES.map((s) => [s]) : [])].map((reqs) => ({ t, reqs })));
  const runs = await Promise.all(asks.map(({ t, reqs }) => pipDownloadArgs(index.url, t.python, t.platforms, reqs)));
  const codes = await pipRuns(runs.map((r) => r.args));
  for (const [i, { t, reqs }] of asks.entries()) {
    pipChose.set(key(t.label, reqs), codes[i] === 0 ? (await readdir(runs[i]!.dest)).sort() : 'failed');
  }
});
afterAll(async () => index?.close());

describe('wheel choice agrees with real pip (pip download --platform ... --only-binary=:all:)', () => {
  for (const t of TARGETS) {
    it(`picks the same files as pip for ${t.label}`, async () => {
      const reqs = PER_TARGET[t.label]!;
      const expected = pipChose.get(key(t.label, reqs));
      expect(expected).not.toBe('failed');
      expect(await ours(index.url, t.pip, reqs)).toEqual(expected);
      if (t.label === 'cp311 cflinuxfs4') {
        expect(expected).toContain('build_tag-1.0.0-5-py2.py3-none-any.whl');
        expect(expected).toContain('tqdm-4.66.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl');
      }
      // Edge cases (tags nobody accepts, pre-release and yank rules) once
      for (const single of t.label === 'cp311 cflinuxfs4' ? SINGLES : []) {
        expect(await ours(index.url, t.pip, [single]), single).toEqual(pipChose.get(key(t.label, [single])));
      }
    });
  }
});
