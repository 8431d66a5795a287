// Resolving pip requirements on real PyPI data: this machine's local mirrors
// of real PyPI files (/opt/pypi, /opt/pypi-more) served by nginx on loopback,
// the previous resolver (the current product with OLD_REV's resolver files) against the current one
// (dist/), with real pip 26.2.1 and 23.2.1 on the same index as references.
// Two sets: the late-conflict file (fixtures/pypi/late-conflict, /opt/pypi
// only) and big-155 (fixtures/pypi/corpus, 64 lines, 155 packages, both
// mirrors). Caches are warm (each tool resolves once before the timed runs),
// so what is timed is resolving: pages revalidated, metadata read from the
// cached wheels (the mirrors have no PEP 658 sidecars). Runs alternate
// new, old, pip 26, pip 23. Whole-process time and peak RSS (GNU time).
// Standalone: flock /work/bench.lock node bench/resolve-pip.mjs [--runs 5]
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, must, run, stats, timed } from './lib/measure.mjs';
import { OUT, ROOT, runCleanups, startNginx } from './lib/origins.mjs';

/** The resolver before conflict-driven resolution (the commit this work started from). */
export const OLD_REV = '77666f6';
/** The files that were that resolver (the rest of the product is the current one), and the modules that replaced it. */
const OLD_FILES = ['src/resolve/pypi/resolver.ts', 'src/resolve/pypi/pep440.ts'];
const NEW_FILES = ['candidates.ts', 'explain.ts', 'project-data.ts', 'pubgrub.ts'].map((f) => `src/resolve/pypi/${f}`);
const MIRRORS = { pypi: '/opt/pypi', more: '/opt/pypi-more' };
const PIP_26 = '/opt/pypi/files/pip-26.2.1-py3-none-any.whl';
const CHILD = path.join(ROOT, 'bench/lib/resolve-pip-child.mjs');

function sets(port) {
  const url = (m) => `http://127.0.0.1:${port}/${m}/simple`;
  return [
    { name: 'late-conflict', req: path.join(ROOT, 'fixtures/pypi/late-conflict/requirements.txt'), python: '3.11', indexes: [url('pypi')], expected: path.join(ROOT, 'fixtures/pypi/late-conflict/pip-26.2.1.txt') },
    { name: 'big-155', req: path.join(ROOT, 'fixtures/pypi/corpus/big-155.txt'), python: '3.11.7', indexes: [url('pypi'), url('more')], expected: 'big-155' },
  ];
}

/** dist/ of the current sources with OLD_REV's resolver files, built into bench/out (so only the resolver differs). */
async function oldDist(log) {
  const dir = path.join(OUT, `old-resolver-${OLD_REV}`);
  log(`resolve-pip: building the current product with the resolver of ${OLD_REV} into ${path.relative(ROOT, dir)}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await must('sh', ['-c', `cd "${ROOT}" && tar -c src tsconfig.json package.json | tar -x -C "${dir}"`]);
  for (const f of OLD_FILES) await must('sh', ['-c', `git -C "${ROOT}" show ${OLD_REV}:${f} > "${path.join(dir, f)}"`]);
  for (const f of NEW_FILES) await rm(path.join(dir, f));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await must(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(dir, 'tsconfig.json')]);
  return path.join(dir, 'dist');
}

function pipEnv(cacheDir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIP_')));
  return { ...env, PIP_CONFIG_FILE: '/dev/null', PIP_CACHE_DIR: cacheDir };
}

/** One timed resolution: { seconds, rssMiB, ok, files } */
async function once(tool, set, ctx) {
  if (tool === 'new' || tool === 'old') {
    const dist = tool === 'new' ? path.join(ROOT, 'dist') : ctx.oldDist;
    const r = await timed(process.execPath, [CHILD, dist, set.req, set.python, path.join(ctx.cache, 'ours'), ...set.indexes], { allowFail: true });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
    return { seconds: r.seconds, rssMiB: r.maxRssKiB / 1024, ok: out.ok === true, files: out.files ?? [], message: out.message };
  }
  const report = path.join(ctx.cache, `report-${tool}.json`);
  const pip = tool === 'pip26' ? [PIP_26 + '/pip'] : ['-m', 'pip'];
  const args = [...pip, 'install', '--dry-run', '--ignore-installed', '--target', path.join(ctx.cache, 'target'), '--only-binary', ':all:', '--python-version', '3.11', '--implementation', 'cp'];
  for (const p of ctx.platforms) args.push('--platform', p);
  args.push('--index-url', set.indexes[0], ...set.indexes.slice(1).flatMap((u) => ['--extra-index-url', u]), '--disable-pip-version-check', '--quiet', '--report', report, '-r', set.req);
  const r = await timed('python3', args, { env: pipEnv(path.join(ctx.cache, tool)), allowFail: true });
  const files = r.code === 0 ? JSON.parse(await readFile(report, 'utf8')).install.map((i) => i.download_info.url.split('/').pop()) : [];
  return { seconds: r.seconds, rssMiB: r.maxRssKiB / 1024, ok: r.code === 0, files };
}

export async function benchResolvePip({ runs, log }) {
  for (const m of Object.values(MIRRORS)) {
    if (!existsSync(path.join(m, 'simple'))) throw new Error(`resolve-pip needs the local PyPI mirror ${m} (absent here)`);
  }
  const { glibcPlatforms } = await import(path.join(ROOT, 'dist/resolve/pypi/wheel-tags.js'));
  const root = path.join(OUT, 'pypi-mirrors');
  const cache = path.join(OUT, 'resolve-pip-cache');
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const [name, dir] of Object.entries(MIRRORS)) await symlink(dir, path.join(root, name));
  await mkdir(cache, { recursive: true });
  const port = await freePort();
  const nginx = await startNginx(root, port);
  const ctx = { cache, oldDist: await oldDist(log), platforms: glibcPlatforms('x86_64', [2, 35]) };
  const corpus = JSON.parse(await readFile(path.join(ROOT, 'fixtures/pypi/corpus/pip-26.2.1.json'), 'utf8'));
  const tools = existsSync(PIP_26) ? ['new', 'old', 'pip26', 'pip23'] : ['new', 'old', 'pip23'];
  const results = [];
  try {
    for (const set of sets(port)) {
      const expected = set.expected.includes('/') ? (await readFile(set.expected, 'utf8')).split('\n').filter(Boolean) : corpus[set.expected];
      const per = Object.fromEntries(tools.map((t) => [t, []]));
      log(`resolve-pip: ${set.name}: warming the caches`);
      for (const t of tools) await once(t, set, ctx);
      for (let i = 0; i < runs; i++) {
        for (const t of tools) {
          log(`resolve-pip: ${set.name} run ${i + 1}/${runs}: ${t}`);
          per[t].push(await once(t, set, ctx));
        }
      }
      const row = { set: set.name, packages: expected.length, runs };
      for (const t of tools) {
        const rs = per[t];
        row[t] = {
          seconds: stats(rs.map((r) => r.seconds)),
          rssMiB: stats(rs.map((r) => r.rssMiB)),
          solved: rs.every((r) => r.ok),
          pipAnswer: rs.every((r) => r.ok && [...r.files].sort().join() === [...expected].sort().join()),
          message: rs.find((r) => !r.ok)?.message,
        };
      }
      results.push(row);
    }
  } finally {
    await nginx.stop();
  }
  const head = (await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])).stdout.trim();
  return { oldRev: OLD_REV, head, results, load: (await run('cat', ['/proc/loadavg'])).stdout.trim() };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
  const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  try {
    const r = await benchResolvePip({ runs, log });
    await mkdir(OUT, { recursive: true });
    await writeFile(path.join(OUT, 'resolve-pip.json'), JSON.stringify(r, null, 1));
    const { renderResolvePip } = await import('./report.mjs');
    process.stdout.write(renderResolvePip(r).join('\n') + '\n');
  } finally {
    await runCleanups();
  }
}
