// Environments: `bin/package resolve` of one manifest with 1 and with 10
// environments over the same indexes (issue 23: each repodata / index page is
// fetched and parsed once per run, so 10 environments must cost <= 2x one).
// Every environment solves the same conda specs against the 300 MB synthetic
// repodata.json of bench/resolve.mjs and pip requirements against the real
// local index /opt/pypi (flask, and numpy pinned to 1.26.4 or 2.x in turn),
// both served by nginx. Cold cache, runs alternated 1 10 1 10 ...
// Run alone: `flock /work/bench.lock node bench/environments.mjs [--runs N] [--product DIR]`.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, stats, timed } from './lib/measure.mjs';
import { OUT, ROOT, runCleanups, startNginx } from './lib/origins.mjs';
import { RESOLVE_SPECS, channel } from './resolve.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const product = args.includes('--product') ? path.resolve(args[args.indexOf('--product') + 1]) : ROOT;
const PYPI = '/opt/pypi';
const log = (s) => process.stderr.write(`${s}\n`);

function manifest(port, n) {
  const envs = Array.from({ length: n }, (_, i) =>
    [`  env-${i}:`, `    conda: { specs: ${JSON.stringify(RESOLVE_SPECS)} }`, `    pip: { requirements: ["flask", "${i % 2 ? 'numpy==1.26.4' : 'numpy>=2'}"] }`].join('\n'),
  );
  return [
    '---',
    'language: python',
    'dependencies: []',
    'conda:',
    `  channels: [http://127.0.0.1:${port}/big]`,
    '  subdirs: [linux-64, noarch]',
    'pip:',
    `  index_url: http://127.0.0.1:${port}/pypi/simple`,
    'environments:',
    ...envs,
    '',
  ].join('\n');
}

async function main() {
  if (!existsSync(path.join(PYPI, 'simple'))) throw new Error(`${PYPI}/simple is absent: this bench needs the local PyPI index`);
  const ch = await channel(300, log);
  const site = path.join(OUT, 'environments-site');
  await rm(site, { recursive: true, force: true });
  await mkdir(site, { recursive: true });
  await symlink(path.join(ch.dir, 'big'), path.join(site, 'big'));
  await symlink(PYPI, path.join(site, 'pypi'));
  const port = await freePort();
  const nginx = await startNginx(site, port);
  const work = path.join(OUT, 'work', 'environments');
  const rows = { 1: [], 10: [] };
  const load = [os.loadavg()];
  try {
    for (let i = 0; i < runs; i++) {
      for (const n of [1, 10]) {
        const dir = path.join(work, String(n));
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'manifest.yml'), manifest(port, n));
        log(`environments: run ${i + 1}/${runs}, ${n} environment(s)`);
        const r = await timed(path.join(product, 'bin/package'), ['resolve', '--manifest', path.join(dir, 'manifest.yml'), '--cache-dir', path.join(dir, 'cache')], { cwd: dir });
        const lock = await readFile(path.join(dir, 'manifest.lock.yml'), 'utf8');
        rows[n].push({ seconds: r.seconds, rssMiB: r.maxRssKiB / 1024, artifacts: (lock.match(/^\s*- kind:/gm) ?? []).length });
      }
    }
  } finally {
    load.push(os.loadavg());
    await nginx.stop();
    await rm(work, { recursive: true, force: true });
    await rm(site, { recursive: true, force: true });
    await runCleanups();
  }
  const ratio = rows[10].map((r, i) => r.seconds / rows[1][i].seconds);
  const out = {
    runs,
    product,
    load: load.map((l) => l.map((x) => x.toFixed(2)).join(' ')),
    one: { seconds: stats(rows[1].map((r) => r.seconds)), rssMiB: stats(rows[1].map((r) => r.rssMiB)), artifacts: rows[1][0].artifacts },
    ten: { seconds: stats(rows[10].map((r) => r.seconds)), rssMiB: stats(rows[10].map((r) => r.rssMiB)), artifacts: rows[10][0].artifacts },
    ratio: stats(ratio),
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
