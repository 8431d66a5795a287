// Several `bin/package offline` runs sharing one --cache-dir, started together
// on a cold cache: each must succeed with the same zip. The runs download the
// same files at the same moments, so each sees the others' partial downloads
// and published entries while it writes its own (issue 21 item 9: a download
// could be taken over while its owner still wrote, and a rename over an entry
// being zipped failed the zip).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { auditCache } from './support/cache-audit.js';
import { expectCleanExit, runPackage } from './support/cli.js';
import { caseDir } from './support/dirs.js';
import { record } from './support/report.js';
import { slowInstallerWorld } from './support/worlds.js';

const RUNS = 4;
const TRIALS = 3;
const STAGGER_MS = 100;
// The installer is 8 MiB served 256 KiB per 8 ms (~0.25 s), so the runs overlap while they download.
const BIG = randomBytes(8 * 1024 * 1024);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let w: Origin;
let manifest: string;
let root: string;

beforeAll(async () => {
  ({ w, root, manifest } = await slowInstallerWorld(BIG));
}, 120_000);
afterAll(async () => w?.close());

describe(`${RUNS} concurrent bin/package offline runs on one cold cache`, () => {
  const zips = new Set<string>();
  it.each(Array.from({ length: TRIALS }, (_, i) => i + 1))(
    'trial %i: every run exits 0 with the same zip, and the cache stays sound',
    async (trial) => {
      const dir = await caseDir('bp-rel-concurrent-');
      const cache = path.join(dir, 'cache');
      await mkdir(path.join(dir, 'out'));
      // started a little apart, so each finishes its downloads while another publishes the same files or zips them
      const runs = await Promise.all(
        Array.from({ length: RUNS }, async (_, i) => {
          await sleep(i * STAGGER_MS);
          return runPackage(['offline', '--manifest', manifest, '--cache-dir', cache, '--output', path.join(dir, 'out', `bp-${i}.zip`)], { cwd: root, process: true, timeoutMs: 60_000 });
        }),
      );
      runs.forEach((r, i) => {
        expectCleanExit(r, `trial ${trial}, run ${i}`);
        expect(r.code, `trial ${trial}, run ${i}: ${r.stderr}`).toBe(0);
      });
      for (let i = 0; i < RUNS; i++) zips.add(sha(await readFile(path.join(dir, 'out', `bp-${i}.zip`))));
      expect(zips.size, 'every zip, in every trial, has the same bytes').toBe(1);
      const audit = await auditCache(cache);
      expect(audit.problems).toEqual([]);
      expect(audit.partials).toEqual([]);
      record({ suite: 'concurrency', case: `trial ${trial}`, runs: RUNS, outcome: 'ok' });
    },
    120_000,
  );
});
