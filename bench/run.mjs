#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only packaging,resolve,conda-sets,resolve-pip,shim,mirror,parse,limits] [-- --render]
//
// Measures packaging, resolving, the curl shim, the mirror and the simple-page
// readers (bench/parse-simple.mjs, also runnable alone) side by side with
// the incumbent's algorithm and this machine's limits (bench/tools), and
// writes bench/BENCHMARKS.md + bench/*.svg (full run) or bench/out/BENCHMARKS.quick.md
// + bench/out/*.svg (--quick: fewer runs and sizes, so the committed report is
// never replaced by a rougher one). Raw numbers go to bench/out/results*.json;
// --render rewrites the report from them without measuring again.
// Needs: zip, unzip, curl, nginx (nginx-light), wrk, /usr/bin/time; about 4 GB of
// free disk; 10-20 minutes for a full run.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, machine, must, run } from './lib/measure.mjs';
import { OUT, PRODUCT, ROOT, SHARED, ensureOrigin, runCleanups, snapshotProduct } from './lib/origins.mjs';
import { benchPackaging } from './packaging.mjs';
import { benchCondaSets, benchResolve } from './resolve.mjs';
import { benchResolvePip } from './resolve-pip.mjs';
import { benchShim } from './shim.mjs';
import { benchMirror } from './mirror.mjs';
import { benchParse } from './parse-simple.mjs';
import { renderReport } from './report.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const renderOnly = args.includes('--render');
const onlyArg = args.find((a) => a.startsWith('--only'))?.split('=')[1] ?? (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const SECTIONS = ['packaging', 'resolve', 'conda-sets', 'resolve-pip', 'shim', 'mirror', 'parse', 'limits'];
const only = new Set(onlyArg ? onlyArg.split(',') : SECTIONS);

const plan = quick
  ? { mode: 'quick', profiles: ['small', 'large'], runs: 1, resolveSizes: [30, 100], resolveRuns: 1, shimRows: [1000, 10000], shimRuns: 1, shimCalls: 20, mirrorRuns: 1, mirrorSeconds: 3, parseRuns: 1, limits: false }
  : { mode: 'full', profiles: ['small', 'large', 'mixed'], runs: 3, resolveSizes: [30, 100, 300], resolveRuns: 3, shimRows: [1000, 10000, 100000], shimRuns: 3, shimCalls: 50, mirrorRuns: 3, mirrorSeconds: 10, parseRuns: 3, limits: true };

const resultsFile = path.join(OUT, quick ? 'results.quick.json' : 'results.json');
const reportFile = quick ? path.join(OUT, 'BENCHMARKS.quick.md') : path.join(ROOT, 'bench/BENCHMARKS.md');
const chartDir = quick ? OUT : path.join(ROOT, 'bench');

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    process.stderr.write(`bench: ${sig}, stopping the servers it started\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

const log = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

async function preflight() {
  const missing = [];
  for (const tool of ['zip', 'unzip', 'curl', 'wrk', 'openssl', 'sha256sum']) {
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(tool);
  }
  if ((await run('sh', ['-c', 'command -v nginx || test -x /usr/sbin/nginx'])).code !== 0) missing.push('nginx (apt-get install nginx-light)');
  if ((await run('test', ['-x', '/usr/bin/time'])).code !== 0) missing.push('/usr/bin/time (apt-get install time)');
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')} (wrk: apt-get install wrk)`);
}

async function measureAll() {
  await preflight();
  await mkdir(OUT, { recursive: true });
  log('snapshot of bin/ and dist/ in bench/out/product (what is measured)');
  await snapshotProduct();
  const head = (await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  const dirty = (await run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'bin'])).stdout.trim().split('\n').filter(Boolean).length;
  const previous = only.size < SECTIONS.length ? JSON.parse(await readFile(resultsFile, 'utf8').catch(() => '{}')) : {};
  // Which commit each section was measured at: with --only, the others are
  // kept from an earlier run (and its commit), and the report says so.
  const kept = Object.fromEntries(SECTIONS.filter((n) => previous[n] !== undefined).map((n) => [n, previous.sectionHeads?.[n] ?? previous.product?.head]));
  const results = { ...previous, plan, machine: await machine(), product: { head, dirty }, sectionHeads: kept, errors: { ...(previous.errors ?? {}) } };
  const port = await freePort();
  const save = () => writeFile(resultsFile, JSON.stringify(results, null, 1));
  // Each section is saved as soon as it is done, and one that fails is
  // reported as such without losing the others.
  const section = async (name, fn) => {
    if (!only.has(name)) return;
    try {
      results[name] = await fn();
      results.sectionHeads[name] = head;
      delete results.errors[name];
    } catch (err) {
      log(`${name} failed: ${err.message.split('\n')[0]}`);
      results.errors[name] = String(err.message ?? err).slice(0, 4000);
    }
    results.loadAfter = (await machine()).load;
    await save();
  };
  await section('packaging', () => benchPackaging({ profiles: plan.profiles, runs: plan.runs, port, log }));
  await section('resolve', () => benchResolve({ sizes: plan.resolveSizes, runs: plan.resolveRuns, log }));
  // BENCH_PREVIOUS: a checkout of an earlier commit with bin/ and dist/ built, measured alternately
  await section('conda-sets', () => benchCondaSets({ runs: plan.resolveRuns, log, previous: process.env.BENCH_PREVIOUS }));
  await section('resolve-pip', () => benchResolvePip({ runs: plan.runs, log }));
  await section('shim', () => benchShim({ rows: plan.shimRows, runs: plan.shimRuns, calls: plan.shimCalls, log }));
  await section('mirror', () => benchMirror({ runs: plan.mirrorRuns, seconds: plan.mirrorSeconds, port, log }));
  await section('parse', () => benchParse({ runs: plan.parseRuns, dist: path.join(PRODUCT, 'dist'), log }));
  if (plan.limits) {
    await section('limits', async () => {
      log('limits: bench/tools/limits.sh on the large set');
      const origin = await ensureOrigin('large', port);
      return (await must(path.join(SHARED, 'limits.sh'), [origin.dir, String(await freePort())])).stdout;
    });
  }
  return results;
}

try {
  const results = renderOnly ? JSON.parse(await readFile(resultsFile, 'utf8')) : await measureAll();
  const { markdown, charts } = renderReport(results, { quick });
  await mkdir(chartDir, { recursive: true });
  for (const [name, svg] of Object.entries(charts)) await writeFile(path.join(chartDir, name), svg);
  await writeFile(reportFile, markdown);
  log(`wrote ${path.relative(process.cwd(), reportFile)} and ${Object.keys(charts).length} charts in ${path.relative(process.cwd(), chartDir) || '.'}`);
} catch (err) {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await runCleanups();
}
