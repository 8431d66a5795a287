// Crash safety: `kill -9` at random points (seeded; the seed is printed and
// RELIABILITY_SEED replays it), then run again. The second run must complete,
// download only what the first did not verify (counted at the origin), resume
// a partial instead of starting over, and give a zip byte-identical to an
// uninterrupted run. The same for `bin/mirror export`: re-exporting after a
// kill gives the tree a clean export gives. RELIABILITY_FULL=1 runs 20 kills
// of each; the default runs fewer (the property is the same, per kill).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { runBin, type CliResult } from '../helpers/run-cli.js';
import { auditCache } from './support/cache-audit.js';
import { expectCleanExit, FAST_ENV } from './support/cli.js';
import { caseDir } from './support/dirs.js';
import { mulberry32, suiteSeed } from './support/prng.js';
import { record } from './support/report.js';
import { snapshotTree } from './support/tree.js';
import { PATHS, slowInstallerWorld } from './support/worlds.js';

const FULL = process.env.RELIABILITY_FULL === '1';
const KILLS = FULL ? 20 : 4;
const seed = suiteSeed();
const random = mulberry32(seed);

// The installer is swapped for 24 MiB served 256 KiB per 8 ms (~0.8 s), so a
// run spends most of its time downloading and writing a zip worth killing.
const BIG = randomBytes(24 * 1024 * 1024);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let w: Origin;
let root: string;
let manifest: string;
let baseline: { zip: Buffer; ms: number };
/** URL path -> sha256 of what the origin serves there (every artifact of the zip). */
const artifacts = new Map<string, string>();

/** When to pull the plug: after a delay, or once a condition holds (polled every 2 ms). */
type KillPoint = { afterMs: number } | { when: () => Promise<boolean>; thenMs: number };

/** Runs bin/package offline; kills it with SIGKILL at `kill` (if still running). */
async function packageRun(cache: string, out: string, kill?: KillPoint, tmpdir?: string): Promise<CliResult & { killed: boolean; ms: number }> {
  let pid = 0;
  let exited = false;
  const started = Date.now();
  const run = runBin('package', ['offline', '--manifest', manifest, '--cache-dir', cache, '--output', out], {
    cwd: root,
    env: { ...FAST_ENV, ...(tmpdir ? { TMPDIR: tmpdir } : {}) },
    onSpawn: (p) => (pid = p),
    timeoutMs: 60_000,
  }).finally(() => (exited = true));
  let killed = false;
  if (kill) {
    if ('when' in kill) {
      while (!exited && !(await kill.when())) await sleep(2);
      await Promise.race([sleep(kill.thenMs), run]);
    } else await Promise.race([sleep(kill.afterMs), run]);
    if (!exited && pid) {
      process.kill(pid, 'SIGKILL');
      killed = true;
    }
  }
  return { ...(await run), killed, ms: Date.now() - started };
}

beforeAll(async () => {
  console.log(`crash safety: seed ${seed} (replay with RELIABILITY_SEED=${seed}), ${KILLS} kills of bin/package and of bin/mirror export`);
  ({ w, root, manifest } = await slowInstallerWorld(BIG));
  for (const p of [PATHS.installer, PATHS.condaPackage, PATHS.wheel, PATHS.dependency, '/pypi/files/simplewheel-1.0-py2.py3-none-any.whl']) {
    artifacts.set(p, sha(new Uint8Array((await (await fetch(`${w.url}${p}`)).arrayBuffer()) as ArrayBuffer)));
  }
  const dir = await caseDir('bp-rel-crash-');
  const clean = await packageRun(path.join(dir, 'cache'), path.join(dir, 'clean.zip'));
  expect(clean.code, clean.stderr).toBe(0);
  baseline = { zip: await readFile(path.join(dir, 'clean.zip')), ms: clean.ms };
}, 120_000);
afterAll(async () => w?.close());

/** The size of the partial download of `hex` in `<cache>/tmp` (`sha256-<hex>.<owner>.partial`), 0 when there is none. */
async function partialSize(cache: string, hex: string): Promise<number> {
  const name = (await readdir(path.join(cache, 'tmp')).catch(() => [] as string[])).find((n) => n.startsWith(`sha256-${hex}.`) && n.endsWith('.partial'));
  return name === undefined ? 0 : stat(path.join(cache, 'tmp', name)).then((st) => st.size, () => 0);
}

/** Files in `dir` that are not `keep` (temp files a killed writer left). */
async function othersIn(dir: string, keep: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n !== keep);
}

describe('kill -9 during bin/package offline, then run again', () => {
  const schedule = Array.from({ length: KILLS }, () => random());
  it.each(schedule.map((r, i) => [i + 1, r] as const))(
    'kill %i: the rerun completes, fetches only unverified artifacts, and gives the uninterrupted zip',
    async (i, r) => {
      const dir = await caseDir('bp-rel-crash-');
      const cache = path.join(dir, 'cache');
      const outDir = path.join(dir, 'out');
      const tmpdir = path.join(dir, 'tmp');
      await mkdir(outDir);
      await mkdir(tmpdir);
      const out = path.join(outDir, 'bp.zip');
      // Kills rotate through three kinds of point: anywhere in a clean run's
      // time (startup, resolving the lock, downloads, zip); once the big
      // download has a random share of its bytes on disk; and while the zip
      // is being written (its temp file exists).
      const points: [string, KillPoint][] = [
        [`at ${Math.round(r * baseline.ms * 1.1)} ms`, { afterMs: Math.round(r * baseline.ms * 1.1) }],
        [`at ${Math.round(r * 100)}% of the big download`, { when: async () => (await partialSize(cache, artifacts.get(PATHS.installer)!)) >= r * BIG.length, thenMs: 0 }],
        [`${Math.round(r * 40)} ms into writing the zip`, { when: async () => (await readdir(outDir)).length > 0, thenMs: Math.round(r * 40) }],
      ];
      const [killAt, point] = points[(i - 1) % points.length]!;
      const first = await packageRun(cache, out, point, tmpdir);
      const before = await auditCache(cache);
      expect(before.problems, `kill ${i} ${killAt}`).toEqual([]);
      // the zip appears only whole: if the kill came after the rename, it is the finished zip
      if (existsSync(out)) expect(sha(await readFile(out)), `kill ${i} ${killAt}`).toBe(sha(baseline.zip));
      const verified = new Set(before.entries.map((e) => e.split('/').slice(1).join('')));
      const partial = await partialSize(cache, artifacts.get(PATHS.installer)!);
      const mark = w.requests.length;

      const again = await packageRun(cache, out, undefined, tmpdir);
      expectCleanExit(again, `rerun after kill ${i} ${killAt}`);
      expect(again.code, again.stderr).toBe(0);
      expect(sha(await readFile(out)), `kill ${i} ${killAt}`).toBe(sha(baseline.zip));
      expect(await othersIn(outDir, 'bp.zip'), `kill ${i} ${killAt}: temp files left beside the zip`).toEqual([]);
      // the killed run's copy of the buildpack root in TMPDIR is removed by the rerun
      expect(await readdir(tmpdir), `kill ${i} ${killAt}: left in TMPDIR`).toEqual([]);
      const rerunRequests = w.requests.slice(mark);
      for (const [p, hex] of artifacts) {
        const n = rerunRequests.filter((q) => q.path === p).length;
        if (verified.has(hex)) expect(n, `${p} was verified before the rerun, yet fetched again`).toBe(0);
        else expect(n, `${p} fetched ${n} times`).toBeLessThanOrEqual(1);
      }
      const installerRequest = rerunRequests.find((q) => q.path === PATHS.installer);
      if (partial > 0 && installerRequest) expect(installerRequest.headers.range, 'a partial download is resumed, not restarted').toBe(`bytes=${partial}-`);
      const after = await auditCache(cache);
      expect(after.problems).toEqual([]);
      expect(after.partials).toEqual([]);
      record({
        suite: 'crash-package',
        case: `kill ${i}`,
        killAt,
        killed: first.killed,
        verifiedBefore: verified.size,
        partialBytes: partial,
        refetched: rerunRequests.filter((q) => artifacts.has(q.path)).length,
        outcome: 'ok',
      });
    },
    90_000,
  );
});

describe('kill -9 during bin/mirror export, then export again', () => {
  let zip: string;
  let clean: Record<string, string>;
  let cleanMs: number;
  beforeAll(async () => {
    const dir = await caseDir('bp-rel-export-');
    zip = path.join(dir, 'bundle.zip');
    await writeFile(zip, baseline.zip);
    const started = Date.now();
    const r = await runBin('mirror', ['export', zip, path.join(dir, 'clean')]);
    cleanMs = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    clean = await snapshotTree(path.join(dir, 'clean'));
    expect(Object.keys(clean)).toContain('miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh');
  }, 60_000);

  const schedule = Array.from({ length: KILLS }, () => random());
  it.each(schedule.map((r, i) => [i + 1, r] as const))('kill %i: the re-export gives the same tree as a clean export', async (i, r) => {
    const dir = await caseDir('bp-rel-export-');
    const dest = path.join(dir, 'tree');
    let pid = 0;
    let exited = false;
    const run = runBin('mirror', ['export', zip, dest], { onSpawn: (p) => (pid = p) }).finally(() => (exited = true));
    // Half the kills fall anywhere in a clean run's time; the others wait for
    // the export to start writing (its index appears) and land inside the writing.
    const index = path.join(dest, '.mirror-export.json');
    if (i % 2 === 0) {
      while (!exited && !existsSync(index)) await sleep(1);
      await Promise.race([sleep(Math.round(r * 60)), run]);
    } else {
      await Promise.race([sleep(Math.round(r * cleanMs)), run]);
    }
    if (!exited && pid) process.kill(pid, 'SIGKILL');
    await run;
    const again = await runBin('mirror', ['export', zip, dest]);
    expectCleanExit(again, `re-export after kill ${i}`);
    expect(again.code, again.stderr).toBe(0);
    expect(await snapshotTree(dest), `kill ${i}`).toEqual(clean);
    record({ suite: 'crash-export', case: `kill ${i}`, outcome: 'ok' });
  });
});
