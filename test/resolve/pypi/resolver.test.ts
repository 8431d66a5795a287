import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, type PackagerError } from '../../../src/core/index.js';
import { parseCoreMetadata, type CoreMetadata } from '../../../src/resolve/pypi/metadata.js';
import { formatVersion } from '../../../src/resolve/pypi/pep440.js';
import { normalizeName, parseRequirement } from '../../../src/resolve/pypi/requirement.js';
import { makeTarget, resolveRequirements, type Candidate, type ResolveInput, type ResolverSource } from '../../../src/resolve/pypi/resolver.js';
import type { IndexFile } from '../../../src/resolve/pypi/simple-index.js';
import { glibcPlatforms } from '../../../src/resolve/pypi/wheel-tags.js';
import { UPSTREAM } from '../../helpers/paths.js';
import { rejectedPackagerError } from '../../helpers/errors.js';

const WHEELS = path.join(UPSTREAM, 'pypi/wheels');
const fs4 = makeTarget({ pythonVersion: '3.11', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 35]), stacks: ['cflinuxfs4'] });
const fs3 = makeTarget({ pythonVersion: '3.11', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 27]), stacks: ['cflinuxfs3'] });
const py310 = makeTarget({ pythonVersion: '3.10', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 35]), stacks: ['cflinuxfs4'] });

// A document-level source: files as an index page would list them, metadata
// from the real wheels (unzip) or from METADATA text written here.
type Entry = { file: Partial<IndexFile> & { filename: string }; metadata: string | (() => string) };
function source(entries: Entry[]): ResolverSource & { metadataCalls: string[] } {
  const byKey = new Map<string, IndexFile[]>();
  const md = new Map<string, Entry['metadata']>();
  for (const e of entries) {
    const f: IndexFile = { url: `https://files.example/${e.file.filename}`, hashes: {}, yanked: false, coreMetadata: false, ...e.file };
    const key = normalizeName(e.file.filename.split('-')[0]!);
    byKey.set(key, [...(byKey.get(key) ?? []), f]);
    md.set(f.url, e.metadata);
  }
  const calls: string[] = [];
  return {
    metadataCalls: calls,
    async projectFiles(key) {
      const files = byKey.get(key);
      return files ? { files, where: `https://index.example/simple/${key}/` } : undefined;
    },
    async metadata(c: Candidate): Promise<CoreMetadata> {
      calls.push(c.file.filename);
      const m = md.get(c.file.url)!;
      return parseCoreMetadata(typeof m === 'string' ? m : m());
    },
  };
}

const real = (filename: string, extra: Partial<IndexFile> = {}): Entry => ({
  file: { filename, ...extra },
  metadata: () => {
    const file = readdirSync(WHEELS).includes(filename) ? path.join(WHEELS, filename) : path.join(UPSTREAM, 'pypi/sdists', filename);
    return filename.endsWith('.whl')
      ? execFileSync('unzip', ['-p', file, '*.dist-info/METADATA'], { encoding: 'utf8' })
      : execFileSync('tar', ['-xzOf', file, '--wildcards', '*/PKG-INFO'], { encoding: 'utf8' }).split('\nMetadata-Version')[0]!;
  },
});
const fake = (name: string, version: string, deps: string[] = [], extra: Partial<IndexFile> = {}, tags = 'py3-none-any'): Entry => ({
  file: { filename: `${name.replace(/-/g, '_')}-${version}-${tags}.whl`, ...extra },
  metadata: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${deps.map((d) => `Requires-Dist: ${d}\n`).join('')}`,
});
const roots = (...reqs: string[]) => reqs.map((r, i) => ({ requirement: parseRequirement(r), source: `requirements.txt line ${i + 1}` }));

async function resolve(entries: Entry[], input: Partial<ResolveInput> & { requirements: ResolveInput['requirements'] }, logger = new MemoryLogger()) {
  const dists = await resolveRequirements({ target: fs4, ...input }, source(entries), logger);
  return Object.fromEntries(dists.map((d) => [d.key, d.candidate.file.filename]));
}
function failure(entries: Entry[], input: Partial<ResolveInput> & { requirements: ResolveInput['requirements'] }): Promise<PackagerError> {
  return rejectedPackagerError(resolveRequirements({ target: fs4, ...input }, source(entries), new MemoryLogger()));
}

const UPSTREAM_SET = [
  real('simplewheel-1.0-py2.py3-none-any.whl'),
  real('simplewheel-2.0-1-py2.py3-none-any.whl'),
  real('simplewheel-2.0-py3-fakeabi-fakeplat.whl'),
  real('build_tag-1.0.0-1-py2.py3-none-any.whl'),
  real('build_tag-1.0.0-5-py2.py3-none-any.whl'),
  real('tqdm-4.66.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl'),
  real('tqdm-999.0.0.tar.gz'),
  real('abi3_package-1.0.0-cp37-abi3-manylinux_2_17_x86_64.whl'),
  real('cpython_package-1.0.0-cp314-cp314-manylinux_2_17_x86_64.whl'),
  real('maturin-2.0.0-py3-none-linux_x86_64.whl'),
  real('pkg_prerelease-1.0a1-py3-none-any.whl'),
  real('requires_simple_extra-0.1-py2.py3-none-any.whl'),
  real('simple-1.0.tar.gz'),
];

describe('choosing a file', () => {
  it('picks the newest version with a compatible wheel, the higher build tag, and skips fake platforms', async () => {
    expect(await resolve(UPSTREAM_SET, { requirements: roots('simplewheel', 'build_tag', 'abi3-package') })).toEqual({
      simplewheel: 'simplewheel-2.0-1-py2.py3-none-any.whl',
      'build-tag': 'build_tag-1.0.0-5-py2.py3-none-any.whl',
      'abi3-package': 'abi3_package-1.0.0-cp37-abi3-manylinux_2_17_x86_64.whl',
    });
  });

  it('prefers an older wheel to a newer sdist, and takes the sdist only when no wheel fits, with a warning', async () => {
    expect(await resolve(UPSTREAM_SET, { requirements: roots('tqdm') })).toEqual({ tqdm: expect.stringMatching(/^tqdm-4\.66\.1-/) });
    const logger = new MemoryLogger();
    expect(await resolve(UPSTREAM_SET, { requirements: roots('tqdm>=5') }, logger)).toEqual({ tqdm: 'tqdm-999.0.0.tar.gz' });
    expect(logger.text()).toMatch(/No wheel of tqdm 999\.0\.0 fits cp311 on cflinuxfs4; bundling the sdist tqdm-999\.0\.0\.tar\.gz: staging will build it/);
  });

  it('takes a pre-release when nothing else satisfies (pip 26), or when it is asked for', async () => {
    expect(await resolve(UPSTREAM_SET, { requirements: roots('pkg-prerelease') })).toEqual({ 'pkg-prerelease': 'pkg_prerelease-1.0a1-py3-none-any.whl' });
    expect(await resolve(UPSTREAM_SET, { requirements: roots('pkg-prerelease>=0.5') })).toEqual({ 'pkg-prerelease': 'pkg_prerelease-1.0a1-py3-none-any.whl' });
    expect(await resolve(UPSTREAM_SET, { requirements: roots('pkg-prerelease>=0.5'), pre: true })).toHaveProperty('pkg-prerelease');
    expect(await resolve(UPSTREAM_SET, { requirements: roots('pkg-prerelease>=1.0a1') })).toHaveProperty('pkg-prerelease');
  });

  it('skips yanked files unless pinned with ==, and says so when only yanked ones match', async () => {
    const set = [fake('yk', '1.0'), fake('yk', '2.0', [], { yanked: true, yankedReason: 'broken' })];
    expect(await resolve(set, { requirements: roots('yk') })).toEqual({ yk: 'yk-1.0-py3-none-any.whl' });
    const logger = new MemoryLogger();
    expect(await resolve(set, { requirements: roots('yk==2.0') }, logger)).toEqual({ yk: 'yk-2.0-py3-none-any.whl' });
    expect(logger.text()).toContain('Using yanked yk-2.0-py3-none-any.whl (reason: broken)');
    const err = await failure(set, { requirements: roots('yk>=2') });
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe('Only yanked versions of yk satisfy yk>=2 (requirements.txt line 1): 2.0 (yanked: broken)');
    expect(err.hint).toContain('yk==2.0');
  });

  it('checks requires-python against the target, not this machine', async () => {
    const set = [fake('rp', '1.0'), fake('rp', '2.0', [], { requiresPython: '>=3.12' })];
    expect(await resolve(set, { requirements: roots('rp') })).toEqual({ rp: 'rp-1.0-py3-none-any.whl' });
    const err = await failure(set, { requirements: roots('rp>=2') });
    expect(err.message).toMatch(/No version of rp that satisfies rp>=2 .* supports Python 3\.11\.0: 2\.0 needs Python >=3\.12/);
  });

  it('lists the tags it saw and the best tags the target accepts when no wheel fits (ENOMATCH)', async () => {
    const err = await failure(UPSTREAM_SET, { requirements: roots('cpython-package') });
    expect(err.code).toBe('ENOMATCH');
    expect(err.message).toBe('No wheel of cpython-package 1.0.0 matches the target cp311 on cflinuxfs4: cp311-cp311-linux_x86_64');
    expect(err.details.seen).toEqual(['cp314-cp314-manylinux_2_17_x86_64']);
    expect(err.details.accepted).toEqual(['cp311-cp311-linux_x86_64', 'cp311-cp311-manylinux_2_35_x86_64', 'cp311-cp311-manylinux_2_34_x86_64', 'cp311-cp311-manylinux_2_33_x86_64', 'cp311-cp311-manylinux_2_32_x86_64']);
  });

  it('picks different wheels for stacks with different glibc', async () => {
    const set = [fake('bin', '2.0', [], {}, 'cp311-cp311-manylinux_2_28_x86_64'), fake('bin', '1.0', [], {}, 'cp311-cp311-manylinux2014_x86_64')];
    expect(await resolve(set, { requirements: roots('bin') })).toEqual({ bin: 'bin-2.0-cp311-cp311-manylinux_2_28_x86_64.whl' });
    expect(await resolve(set, { requirements: roots('bin'), target: fs3 })).toEqual({ bin: 'bin-1.0-cp311-cp311-manylinux2014_x86_64.whl' });
  });

  it('reports an unknown project as ENOTFOUND and a missing version with what the index has', async () => {
    const unknown = await failure(UPSTREAM_SET, { requirements: roots('no-such-project') });
    expect(unknown.code).toBe('ENOTFOUND');
    expect(unknown.message).toBe('No project named no-such-project on any configured index');
    const missing = await failure(UPSTREAM_SET, { requirements: roots('simplewheel==3.0') });
    expect(missing.code).toBe('ERESOLVE');
    expect(missing.message).toBe('No version of simplewheel satisfies simplewheel==3.0 (requirements.txt line 1); the index has: 1.0, 2.0');
  });
});

describe('dependencies', () => {
  it('evaluates markers for the target: maturin needs tomli only below 3.11, and the chain names who asked', async () => {
    expect(await resolve(UPSTREAM_SET, { requirements: roots('maturin') })).toEqual({ maturin: 'maturin-2.0.0-py3-none-linux_x86_64.whl' });
    const err = await failure(UPSTREAM_SET, { requirements: roots('maturin'), target: py310 });
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe('maturin 2.0.0 requires tomli>=1.1.0 (python_version < "3.11"), which the index does not have');
    expect(err.details.chain).toEqual(['requirements.txt line 1', 'maturin 2.0.0', 'tomli>=1.1.0 (python_version < "3.11")']);
  });

  it('honours extras: requires_simple_extra[extra] pulls the sdist-only project simple', async () => {
    const logger = new MemoryLogger();
    const out = await resolveRequirements({ target: fs4, requirements: roots('requires_simple_extra[extra]') }, source(UPSTREAM_SET), logger);
    expect(out.map((d) => [d.key, formatVersion(d.version), d.candidate.kind, d.depends, d.requiredBy])).toEqual([
      ['requires-simple-extra', '0.1', 'wheel', ['simple==1.0'], ['requirements.txt line 1']],
      ['simple', '1.0', 'sdist', [], ['requires-simple-extra 0.1']],
    ]);
    expect(out[0]!.extras).toEqual(['extra']);
    expect(await resolve(UPSTREAM_SET, { requirements: roots('requires_simple_extra') })).toEqual({ 'requires-simple-extra': 'requires_simple_extra-0.1-py2.py3-none-any.whl' });
  });

  it('adds the dependencies of an extra requested after the project was chosen', async () => {
    const set = [fake('app', '1.0', ['lib']), fake('lib', '1.0', ['fast ; extra == "speed"']), fake('fast', '3.0'), fake('late', '1.0', ['lib[speed]'])];
    expect(await resolve(set, { requirements: roots('app', 'late') })).toEqual({
      app: 'app-1.0-py3-none-any.whl',
      lib: 'lib-1.0-py3-none-any.whl',
      late: 'late-1.0-py3-none-any.whl',
      fast: 'fast-3.0-py3-none-any.whl',
    });
  });

  it('backtracks: a newer app that needs lib<2 gives way to the older app when lib>=2 is required', async () => {
    const set = [fake('bt-app', '2.0', ['bt-lib<2']), fake('bt-app', '1.0', ['bt-lib>=1']), fake('bt-lib', '1.0'), fake('bt-lib', '2.0')];
    expect(await resolve(set, { requirements: roots('bt-app', 'bt-lib>=2') })).toEqual({ 'bt-app': 'bt_app-1.0-py3-none-any.whl', 'bt-lib': 'bt_lib-2.0-py3-none-any.whl' });
    expect(await resolve(set, { requirements: roots('bt-app') })).toEqual({ 'bt-app': 'bt_app-2.0-py3-none-any.whl', 'bt-lib': 'bt_lib-1.0-py3-none-any.whl' });
    const err = await failure(set, { requirements: roots('bt-app>=2', 'bt-lib>=2') });
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toMatch(/bt-lib/);
  });

  it('applies -c constraints only to projects that are needed', async () => {
    const set = [fake('a', '1.0', ['b']), fake('b', '1.0'), fake('b', '2.0')];
    const constraints = roots('b<2', 'unrelated==1');
    expect(await resolve(set, { requirements: roots('a'), constraints })).toEqual({ a: 'a-1.0-py3-none-any.whl', b: 'b-1.0-py3-none-any.whl' });
  });

  it('skips a root whose marker is false for the target', async () => {
    expect(await resolve(UPSTREAM_SET, { requirements: roots('simplewheel', 'no-such ; sys_platform == "win32"') })).toEqual({ simplewheel: 'simplewheel-2.0-1-py2.py3-none-any.whl' });
  });
});

describe('fully pinned, hashed input', () => {
  const sha = (c: string) => c.repeat(64);
  const set = [fake('a', '1.0', ['b>=1'], { hashes: { sha256: sha('a') } }), fake('b', '1.0', [], { hashes: { sha256: sha('b') } }), fake('b', '2.0', [], { hashes: { sha256: sha('c') } })];
  const pinned = (...lines: [string, string][]) => lines.map(([r, h], i) => ({ requirement: parseRequirement(r), source: `req.txt line ${i + 1}`, hashes: [`sha256:${h}`] }));

  it('takes it as complete: nothing is added', async () => {
    expect(await resolve(set, { requirements: pinned(['a==1.0', sha('a')], ['b==1.0', sha('b')]), complete: true })).toEqual({ a: 'a-1.0-py3-none-any.whl', b: 'b-1.0-py3-none-any.whl' });
  });

  it('names a dependency the pins leave out', async () => {
    const err = await failure(set, { requirements: pinned(['a==1.0', sha('a')]), complete: true });
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe('a 1.0 requires b>=1, which the fully pinned requirements do not list');
  });

  it('fails with EINTEGRITY when the published hash is not an allowed one', async () => {
    const err = await failure(set, { requirements: pinned(['a==1.0', sha('a')], ['b==1.0', sha('d')]), complete: true });
    expect(err.code).toBe('EINTEGRITY');
    expect(err.details.wanted).toBe(`sha256:${sha('d')}`);
    expect(err.details.found).toBe(`sha256:${sha('b')}`);
  });

  it('refuses unpinned or unhashed lines, as pip --require-hashes does', async () => {
    expect((await failure(set, { requirements: [{ requirement: parseRequirement('a>=1'), source: 'req.txt line 1', hashes: [`sha256:${sha('a')}`] }], complete: true })).code).toBe('EINPUT');
    expect((await failure(set, { requirements: [{ requirement: parseRequirement('a==1.0'), source: 'req.txt line 1' }], complete: true })).code).toBe('EINPUT');
  });
});

describe('failure messages', () => {
  const many = (names: string[], versions: string[]) => names.flatMap((n) => versions.map((v) => fake(n, v)));
  const noise = Array.from({ length: 12 }, (_, i) => `noise${i}`);

  it('finds a late conflict at once and names only the projects in it, never the unrelated choices made before', async () => {
    const set = [...many(noise, ['1.0', '2.0', '3.0', '4.0']), fake('app', '1.0', ['lib<2']), fake('app', '2.0', ['lib<2']), fake('lib', '1.0'), fake('lib', '2.0')];
    const err = await failure(set, { requirements: roots(...noise, 'app', 'lib>=2') });
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toBe('app (requirements.txt line 13) and lib>=2 (requirements.txt line 14) cannot be installed together: they need conflicting versions of lib; the index has 1.0, 2.0');
    expect(err.details.conflict).toEqual(['lib>=2 <- requirements.txt line 14', 'lib<2 <- app 1.0 <- app (requirements.txt line 13)', 'lib<2 <- app 2.0 <- app (requirements.txt line 13)']);
    expect(err.details.because).toMatchInlineSnapshot(`
      [
        "Because app 2.0 requires lib<2 and app 1.0 requires lib<2, every version of app requires lib 1.0.",
        "And because you require app (requirements.txt line 13) and you require lib>=2 (requirements.txt line 14), no set of versions satisfies your requirements.",
      ]
    `);
    expect(JSON.stringify(err.details)).not.toMatch(/noise/);
  });

  it('names both lines when your own requirements on one project exclude each other, with what the index has', async () => {
    const set = [fake('foo', '1.0'), fake('foo', '2.0')];
    const err = await failure(set, { requirements: roots('foo>=2', 'foo<2') });
    expect(err.message).toBe('foo<2 (requirements.txt line 2) and foo>=2 (requirements.txt line 1) cannot be installed together: they need conflicting versions of foo; the index has 1.0, 2.0');
    expect(err.details.because).toEqual(['Because you require foo<2 (requirements.txt line 2) and you require foo>=2 (requirements.txt line 1), no set of versions satisfies your requirements.']);
  });

  it('names the chain down to a project nothing on the index satisfies', async () => {
    const set = [fake('web', '1.0', ['mid>=1']), fake('mid', '1.0', ['leaf>=5']), fake('leaf', '1.0'), fake('leaf', '2.0')];
    const err = await failure(set, { requirements: roots('web') });
    expect(err.message).toBe('mid 1.0 requires leaf>=5, but the index has only: 1.0, 2.0');
    expect(err.details.chain).toEqual(['requirements.txt line 1', 'web 1.0', 'mid 1.0', 'leaf>=5']);
  });

  it('explains a conflict between two dependencies with both chains', async () => {
    const set = [fake('a', '1.0', ['shared<2']), fake('b', '1.0', ['shared>=2']), fake('shared', '1.0'), fake('shared', '2.0')];
    const err = await failure(set, { requirements: roots('a', 'b') });
    expect(err.message).toBe('a (requirements.txt line 1) and b (requirements.txt line 2) cannot be installed together: they need conflicting versions of shared; the index has 1.0, 2.0');
    expect(err.details.conflict).toEqual(['shared<2 <- a 1.0 <- a (requirements.txt line 1)', 'shared>=2 <- b 1.0 <- b (requirements.txt line 2)']);
    expect(err.details.because).toMatchInlineSnapshot(`
      [
        "Because a 1.0 requires shared<2 and b 1.0 requires shared>=2, a 1.0 and b 1.0 cannot be used together.",
        "And because you require a (requirements.txt line 1) and you require b (requirements.txt line 2), no set of versions satisfies your requirements.",
      ]
    `);
  });

  it('says which projects it kept failing on when the search runs past its budget', async () => {
    const set = [...many(['app'], Array.from({ length: 30 }, (_, i) => `${i + 1}.0`)).map((e) => ({ ...e, metadata: `${e.metadata as string}Requires-Dist: lib<2\n` })), fake('lib', '1.0'), fake('lib', '2.0')];
    const err = await failure(set, { requirements: roots('app', 'lib>=2'), maxSteps: 10 });
    expect(err.message).toMatch(/^Gave up resolving for cp311 on cflinuxfs4 after 11 steps; the conflicts were mostly about app \(\d+ conflicts\)/);
    expect(err.hint).toBe('Pin app (==) in the requirements to cut the search short.');
  });
});
