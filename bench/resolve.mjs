// Resolve: `bin/package resolve` against a synthetic conda-forge-shaped
// channel whose linux-64/repodata.json is 30, 100 or 300 MB, written by the
// conda resolver's own generator (test/resolve/conda/big-repodata.ts,
// transpiled here with the TypeScript compiler) and served by nginx. Cold: an
// empty cache (the repodata is downloaded, indexed and solved); warm: the
// cached copy is revalidated (304) and indexed again. Time and peak RSS of the
// whole process (GNU time).
// Also the real conda sets: `bin/package resolve` on real 2018 channel
// snapshots (fixtures/upstream/conda/snapshots-2018, file:// channels), this
// product against a previous one (BENCH_PREVIOUS: a checkout with bin/ and
// dist/ built), runs alternated A B A B.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { freePort, must, stats, timed } from './lib/measure.mjs';
import { BENCH_CACHE, OUT, PRODUCT, ROOT, startNginx } from './lib/origins.mjs';

const SPECS = ['fam3-p39', 'fam20-p20', 'python=3.11'];

async function generator() {
  const src = await readFile(path.join(ROOT, 'test/resolve/conda/big-repodata.ts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = path.join(OUT, 'gen', 'big-repodata.mjs');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, js);
  return (await import(file)).writeBigRepodata;
}

/** A channel dir with a repodata.json of about `mb` MB (made once, kept in BENCH_CACHE). */
export async function channel(mb, log) {
  const dir = path.join(BENCH_CACHE, `repodata-${mb}MB`);
  const file = path.join(dir, 'big', 'linux-64', 'repodata.json');
  const done = path.join(dir, '.complete');
  const have = await stat(done).then(() => true, () => false);
  if (!have) {
    log(`resolve: writing a ${mb} MB repodata.json (once; kept in ${dir})`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(file), { recursive: true });
    await mkdir(path.join(dir, 'big', 'noarch'), { recursive: true });
    const writeBigRepodata = await generator();
    const records = await writeBigRepodata(file, { bytes: mb * 1e6 });
    await writeFile(path.join(dir, 'big', 'noarch', 'repodata.json'), JSON.stringify({ info: { subdir: 'noarch' }, packages: {}, 'packages.conda': {}, repodata_version: 1 }));
    await writeFile(path.join(dir, 'VERSION'), '1\n');
    await writeFile(done, String(records));
  }
  return { dir, bytes: (await stat(file)).size, records: Number(await readFile(done, 'utf8')) };
}

/** Resolves against each size `runs` times, cold then warm. */
export async function benchResolve({ sizes, runs, log, product = PRODUCT }) {
  const results = [];
  for (const mb of sizes) {
    const ch = await channel(mb, log);
    const port = await freePort();
    const nginx = await startNginx(ch.dir, port);
    const work = path.join(OUT, 'work', `resolve-${mb}`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const manifest = path.join(work, 'manifest.yml');
    await writeFile(
      manifest,
      `---\nlanguage: python\ndependencies: []\nconda:\n  channels: [http://127.0.0.1:${port}/big]\n  subdirs: [linux-64, noarch]\n  specs: ${JSON.stringify(SPECS)}\n`,
    );
    await writeFile(path.join(work, 'VERSION'), '1.0.0\n');
    const cache = path.join(work, 'cache');
    const resolve = async () => {
      await rm(path.join(work, 'manifest.lock.yml'), { force: true });
      const r = await timed(path.join(product, 'bin/package'), ['resolve', '--manifest', manifest, '--cache-dir', cache], { cwd: work });
      const lock = await readFile(path.join(work, 'manifest.lock.yml'), 'utf8');
      return { seconds: r.seconds, rssMiB: r.maxRssKiB / 1024, artifacts: (lock.match(/^\s*- kind: conda/gm) ?? []).length };
    };
    try {
      const it = [];
      for (let i = 0; i < runs; i++) {
        log(`resolve: ${mb} MB run ${i + 1}/${runs}`);
        await rm(cache, { recursive: true, force: true });
        const cold = await resolve();
        const warm = await resolve();
        it.push({ cold, warm });
      }
      const s = (f) => stats(it.map(f));
      results.push({
        mb,
        bytes: ch.bytes,
        records: ch.records,
        runs,
        iterations: it,
        artifacts: it[0].cold.artifacts,
        cold: s((r) => r.cold.seconds),
        warm: s((r) => r.warm.seconds),
        coldRssMiB: s((r) => r.cold.rssMiB),
        warmRssMiB: s((r) => r.warm.rssMiB),
      });
    } finally {
      await nginx.stop();
      await rm(work, { recursive: true, force: true });
    }
  }
  return results;
}

/** The specs solved (for the report). */
export const RESOLVE_SPECS = SPECS;

/** Real spec sets on the 2018 snapshots (md5-only `free` sets need the package files, which the snapshots lack). */
export const CONDA_SETS = [
  { channels: ['main2018', 'r2018'], specs: ['r-caret', 'r-base=3.4.3'] },
  { channels: ['main2018', 'r2018'], specs: ['r-essentials', 'r-base=3.5.0'] },
  { channels: ['main2018', 'r2018'], specs: ['r-irkernel'] },
  { channels: ['main2018'], specs: ['numpy=1.9'] },
  { channels: ['main2018'], specs: ['python=3.6', 'numpy', 'pandas'] },
  { channels: ['main2018'], specs: ['jupyter'] },
  { channels: ['main2018'], specs: ['conda-build'] },
  { channels: ['main2018'], specs: ['nomkl', 'scipy'] },
];

/** The snapshot channels, unpacked once into BENCH_CACHE. */
async function snapshots() {
  const dir = path.join(BENCH_CACHE, 'conda-2018');
  if (!(await stat(path.join(dir, '.complete')).then(() => true, () => false))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await must('tar', ['-xJf', path.join(ROOT, 'fixtures/upstream/conda/snapshots-2018/conda-2018-channels.tar.xz'), '-C', dir]);
    await writeFile(path.join(dir, '.complete'), '');
  }
  return dir;
}

/** Each real set resolved `runs` times by this product and by `previous` (a dir with bin/package), alternating; a failed resolve is recorded with its message. */
export async function benchCondaSets({ runs, log, previous }) {
  const snap = await snapshots();
  const products = [{ label: 'this', root: PRODUCT }, ...(previous ? [{ label: 'previous', root: previous }] : [])];
  const results = [];
  for (const set of CONDA_SETS) {
    const work = path.join(OUT, 'work', 'conda-sets');
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const manifest = path.join(work, 'manifest.yml');
    const channels = set.channels.map((c) => `file://${path.join(snap, c)}`);
    await writeFile(manifest, `---\nlanguage: python\ndependencies: []\nconda:\n  channels: ${JSON.stringify(channels)}\n  subdirs: [linux-64, noarch]\n  specs: ${JSON.stringify(set.specs)}\n`);
    await writeFile(path.join(work, 'VERSION'), '1.0.0\n');
    const row = { channels: set.channels, specs: set.specs, by: {} };
    for (let i = 0; i < runs; i++) {
      for (const p of products) {
        log(`conda sets: ${set.specs.join(' ')} (${p.label}) run ${i + 1}/${runs}`);
        await rm(path.join(work, 'manifest.lock.yml'), { force: true });
        const r = await timed(path.join(p.root, 'bin/package'), ['resolve', '--manifest', manifest, '--cache-dir', path.join(work, 'cache')], { cwd: work, allowFail: true });
        const lock = r.code === 0 ? await readFile(path.join(work, 'manifest.lock.yml'), 'utf8') : '';
        const by = (row.by[p.label] ??= { seconds: [], rssMiB: [], code: r.code, artifacts: 0, error: undefined });
        by.seconds.push(r.seconds);
        by.rssMiB.push(r.maxRssKiB / 1024);
        by.code = r.code;
        by.artifacts = (lock.match(/^\s*- kind: conda/gm) ?? []).length;
        if (r.code !== 0) by.error = (r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? r.stderr.slice(-200)).slice(0, 200);
      }
    }
    for (const by of Object.values(row.by)) {
      by.time = stats(by.seconds);
      by.rss = stats(by.rssMiB);
    }
    results.push(row);
  }
  return results;
}

// By hand, under flock /work/bench.lock, JSON on stdout:
//   node bench/resolve.mjs --conda-sets [runs]    the real sets, this product and BENCH_PREVIOUS alternated
//   node bench/resolve.mjs --big [MB] [rounds]     the synthetic repodata, this product then BENCH_PREVIOUS, per round
if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { snapshotProduct } = await import('./lib/origins.mjs');
  const arg = (flag, i) => Number(process.argv[process.argv.indexOf(flag) + i]);
  const log = (m) => process.stderr.write(`${m}\n`);
  await snapshotProduct();
  if (process.argv.includes('--conda-sets')) {
    const out = await benchCondaSets({ runs: arg('--conda-sets', 1) || 3, log, previous: process.env.BENCH_PREVIOUS });
    process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  } else if (process.argv.includes('--big')) {
    const out = [];
    for (let round = 0; round < (arg('--big', 2) || 3); round++) {
      for (const [label, product] of [['this', PRODUCT], ...(process.env.BENCH_PREVIOUS ? [['previous', process.env.BENCH_PREVIOUS]] : [])]) {
        const [r] = await benchResolve({ sizes: [arg('--big', 1) || 300], runs: 1, log, product });
        out.push({ label, round, ...r });
      }
    }
    process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  }
}
