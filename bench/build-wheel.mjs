// What building an sdist at packaging time costs (src/build/, issue 25) against
// a plain `pip wheel --no-deps` of the same sdist (pip's own build isolation:
// it installs the backend from a --find-links directory of the same wheels),
// per test sdist, with a cold built-wheel cache (the build-requirement wheels
// already downloaded, as on a re-package); and building 4 pure sdists one at a
// time against in parallel (the default: up to the core count). Runs
// alternate (A B A B ...). Needs python3.11 and pip on PATH; uses dist/.
// Standalone: flock /work/bench.lock node bench/build-wheel.mjs [--runs 5]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, stats } from './lib/measure.mjs';
import { ROOT } from './lib/origins.mjs';

const { buildSdists } = await import(pathToFileURL(path.join(ROOT, 'dist/build/index.js')).href);
const { fetchArtifact } = await import(pathToFileURL(path.join(ROOT, 'dist/fetch/index.js')).href);
const { sriFromHex, silentLogger } = await import(pathToFileURL(path.join(ROOT, 'dist/core/index.js')).href);

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const SDISTS = path.join(ROOT, 'fixtures/build/sdists');
const WHEELS = path.join(ROOT, 'fixtures/upstream/pypi/wheels');
const REQUIRES = {
  flitpure: ['flit_core-4.1.0-py3-none-any.whl'],
  setuppure: ['setuptools-84.0.0-py3-none-any.whl', 'wheel-0.40.0-py3-none-any.whl'],
  cext: ['setuptools-84.0.0-py3-none-any.whl'],
};
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-build-'));
const links = path.join(work, 'links');
execFileSync('mkdir', ['-p', links]);
for (const w of new Set(Object.values(REQUIRES).flat())) copyFileSync(path.join(WHEELS, w), path.join(links, w));
const downloads = path.join(work, 'downloads');
const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A lock entry whose built.requires is locked (as on a re-package), with its sdist file. */
async function locked(name, stacks = ['cflinuxfs5']) {
  const file = path.join(SDISTS, `${name}-1.0.tar.gz`);
  const f = await fetchArtifact({ kind: 'sdist', name, version: '1.0', url: pathToFileURL(file).href, integrity: sriFromHex(sha(file), 'sha256') }, { cacheDir: downloads });
  const requires = REQUIRES[name].map((w) => {
    const p = path.join(links, w);
    const [n, v] = w.split('-');
    return { name: n.replace(/_/g, '-'), version: v, filename: w, uri: pathToFileURL(p).href, sha256: sha(p), size: readFileSync(p).length };
  });
  const entry = { kind: 'sdist', name, version: '1.0', filename: `${name}-1.0.tar.gz`, uri: pathToFileURL(file).href, sha256: f.sha256, size: f.size, depends: [], cf_stacks: stacks };
  entry.built = { filename: '', sha256: '0'.repeat(64), size: 0, backend: '', python: '', source_date_epoch: 315532800, isolation: '', requires };
  return { entry, file: f };
}

async function ours(names, concurrency) {
  const items = await Promise.all(names.map((n) => locked(n)));
  const cacheDir = mkdtempSync(path.join(work, 'cache-'));
  const t0 = performance.now();
  const out = await buildSdists(items, { pythonVersion: '3.11', requireWheels: false, concurrency }, {
    cacheDir,
    logger: silentLogger,
    resolveRequirements: () => Promise.reject(new Error('locked: no resolution')),
    fetchRequirement: (q) => fetchArtifact({ kind: 'wheel', name: q.name, version: q.version, url: q.uri, integrity: sriFromHex(q.sha256, 'sha256'), size: q.size }, { cacheDir: downloads }),
  });
  const s = (performance.now() - t0) / 1000;
  if (out.size !== names.length) throw new Error(`built ${out.size} of ${names.length}`);
  rmSync(cacheDir, { recursive: true, force: true });
  return s;
}

function pipWheel(name) {
  const out = mkdtempSync(path.join(work, 'pip-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_')));
  const t0 = performance.now();
  execFileSync('python3.11', ['-m', 'pip', 'wheel', '--no-deps', '--no-index', '--find-links', links, '--disable-pip-version-check', '-q', '-w', out, path.join(SDISTS, `${name}-1.0.tar.gz`)], {
    env: { ...env, PIP_CONFIG_FILE: '/dev/null' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const s = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  return s;
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const loads = [load()];
const rows = [];
for (const name of ['flitpure', 'setuppure', 'cext']) {
  const a = [];
  const b = [];
  await ours([name], 1);
  pipWheel(name); // warm-up: page cache, pyc
  for (let i = 0; i < runs; i++) {
    a.push(await ours([name], 1));
    b.push(pipWheel(name));
  }
  loads.push(load());
  rows.push(`| ${name} | ${fmt(stats(a))} | ${fmt(stats(b))} | ${(stats(a).median / stats(b).median).toFixed(2)} |`);
}
const four = ['flitpure', 'setuppure', 'flitpure', 'setuppure'];
const serial = [];
const parallel = [];
for (let i = 0; i < runs; i++) {
  serial.push(await ours(four, 1));
  parallel.push(await ours(four, undefined));
}
loads.push(load());
rmSync(work, { recursive: true, force: true });

console.log(`${runs} runs each, alternated; seconds, median (min–max); ${os.availableParallelism()} cores; load average (1/5/15 min) at the start and after each row: ${loads.join('; ')}\n`);
console.log('| sdist | bin/package build s | pip wheel --no-deps s | ratio |\n| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
console.log(`\n| 4 pure sdists | one at a time s | in parallel (default) s |\n| --- | ---: | ---: |\n| flitpure, setuppure x2 | ${fmt(stats(serial))} | ${fmt(stats(parallel))} |`);
