// Resolve: `bin/package resolve` against a synthetic conda-forge-shaped
// channel whose linux-64/repodata.json is 30, 100 or 300 MB, written by the
// conda resolver's own generator (test/resolve/conda/big-repodata.ts,
// transpiled here with the TypeScript compiler) and served by nginx. Cold: an
// empty cache (the repodata is downloaded, indexed and solved); warm: the
// cached copy is revalidated (304) and indexed again. Time and peak RSS of the
// whole process (GNU time).
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { freePort, stats, timed } from './lib/measure.mjs';
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
async function channel(mb, log) {
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
export async function benchResolve({ sizes, runs, log }) {
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
      const r = await timed(path.join(PRODUCT, 'bin/package'), ['resolve', '--manifest', manifest, '--cache-dir', cache], { cwd: work });
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
