// Packaging: `bin/package offline` (cold cache and warm cache) against the
// incumbent's algorithm (baseline-ruby-gem.sh) and the ideal stock-tool
// pipeline (ideal-pipeline.sh: 8-way curl, sha256sum -c, zip -0), all of them
// timed in every iteration on the same nginx-served data set, so each ratio
// compares runs made seconds apart. Peak RSS of our process comes from GNU time.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { stats, timed, run } from './lib/measure.mjs';
import { OUT, PRODUCT, ROOT, SHARED, ensureOrigin, startNginx } from './lib/origins.mjs';

const PACKAGE = path.join(PRODUCT, 'bin/package');

/** Runs the packaging comparison for each profile; returns per-profile raw runs and summaries. */
export async function benchPackaging({ profiles, runs, port, log }) {
  const results = [];
  for (const profile of profiles) {
    log(`packaging: preparing ${profile}`);
    const origin = await ensureOrigin(profile, port);
    const nginx = await startNginx(origin.dir, port);
    const work = path.join(OUT, 'work', `pkg-${profile}`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const cache = path.join(work, 'cache');
    // The buildpack root holds what a real one would (the baseline copies the
    // same files): the origin directory also holds the served payload, which
    // our packager would otherwise copy for pre_package.
    const root = path.join(work, 'root');
    await mkdir(path.join(root, 'bin'), { recursive: true });
    for (const f of ['manifest.yml', 'VERSION']) await copyFile(path.join(origin.dir, f), path.join(root, f));
    for (const f of await readdir(path.join(origin.dir, 'bin'))) await copyFile(path.join(origin.dir, 'bin', f), path.join(root, 'bin', f));
    const ours = () => timed(PACKAGE, ['offline', '--manifest', path.join(root, 'manifest.yml'), '--cache-dir', cache, '--output', path.join(work, 'ours.zip'), '--json'], { cwd: work, env: quietEnv() });
    try {
      // warm-up, not counted: node's modules and the origin's files in the page cache
      await run('sh', ['-c', `cat ${path.join(origin.dir, 'deps')}/*/* >/dev/null`]);
      await ours();
      const iterations = [];
      for (let i = 0; i < runs; i++) {
        log(`packaging: ${profile} run ${i + 1}/${runs}: baseline`);
        const baseline = await timed(path.join(SHARED, 'baseline-ruby-gem.sh'), [origin.dir, path.join(work, 'baseline.zip')], { cwd: work });
        await rm(path.join(work, 'baseline.zip'), { force: true });
        log(`packaging: ${profile} run ${i + 1}/${runs}: ideal pipeline`);
        const idealRun = await timed(path.join(ROOT, 'bench/ideal-pipeline.sh'), [origin.dir, String(port)], { cwd: work });
        const ideal = Object.fromEntries(idealRun.stdout.trim().split(/\s+/).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
        log(`packaging: ${profile} run ${i + 1}/${runs}: ours, cold cache`);
        await rm(cache, { recursive: true, force: true });
        await rm(path.join(work, 'ours.zip'), { force: true });
        const cold = await ours();
        const json = JSON.parse(cold.stdout);
        if (json.artifacts.length !== origin.files || json.artifacts.some((a) => a.from_cache)) throw new Error(`cold run did not download all ${origin.files} files`);
        log(`packaging: ${profile} run ${i + 1}/${runs}: ours, warm cache`);
        await rm(path.join(work, 'ours.zip'), { force: true });
        const warm = await ours();
        if (!JSON.parse(warm.stdout).artifacts.every((a) => a.from_cache)) throw new Error('warm run downloaded something');
        // what a user re-running the same command does: the default output
        // name is the same every time, so the new zip replaces the last one
        log(`packaging: ${profile} run ${i + 1}/${runs}: ours, warm cache, over the previous zip`);
        const rewarm = await ours();
        iterations.push({
          baseline: baseline.seconds,
          ideal: ideal.total,
          idealStages: ideal,
          zip0: ideal.zip0,
          cold: cold.seconds,
          coldRssKiB: cold.maxRssKiB,
          warm: warm.seconds,
          warmRssKiB: warm.maxRssKiB,
          rewarm: rewarm.seconds,
          zipBytes: json.size,
        });
        await rm(path.join(work, 'ours.zip'), { force: true });
      }
      results.push(summarise(profile, origin, iterations));
    } finally {
      await nginx.stop();
      await rm(cache, { recursive: true, force: true });
      for (const f of await readdir(work).catch(() => [])) if (f.endsWith('.zip')) await rm(path.join(work, f), { force: true });
    }
  }
  return results;
}

function quietEnv() {
  const env = { ...process.env };
  delete env.CI; // not a TTY anyway: plain lines on stderr
  return env;
}

function summarise(profile, origin, it) {
  const s = (f) => stats(it.map(f));
  return {
    profile,
    files: origin.files,
    bytes: origin.bytes,
    runs: it.length,
    iterations: it,
    baseline: s((r) => r.baseline),
    ideal: s((r) => r.ideal),
    zip0: s((r) => r.zip0),
    cold: s((r) => r.cold),
    warm: s((r) => r.warm),
    coldRssMiB: s((r) => r.coldRssKiB / 1024),
    warmRssMiB: s((r) => r.warmRssKiB / 1024),
    // ratios per iteration (same minute), then summarised
    speedupVsBaseline: s((r) => r.baseline / r.cold),
    coldVsIdeal: s((r) => r.cold / r.ideal),
    warmVsZip0: s((r) => r.warm / r.zip0),
    // absent in results recorded before this figure was measured
    ...(it.every((r) => r.rewarm !== undefined) ? { rewarm: s((r) => r.rewarm), rewarmVsWarm: s((r) => r.rewarm / r.warm) } : {}),
    coldMBps: s((r) => origin.bytes / r.cold / 1e6),
  };
}
