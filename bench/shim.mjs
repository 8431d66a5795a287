// Curl shim: what a hit costs beyond the copy itself, and what a miss (the
// lookup alone) costs, on a dependencies/index.tsv of 1,000 to 100,000 lines.
// Runs the staging helper's own script (test/staging/shim-timing.sh), which
// compares `bin/shim/curl -o` on a 1 MiB payload with `cp` + `sha256sum` of
// the same file, averaged over its own inner calls.
import path from 'node:path';
import { must, stats } from './lib/measure.mjs';
import { ROOT } from './lib/origins.mjs';

function parse(out) {
  const num = (re) => Number(out.match(re)?.[1]);
  return {
    copyUs: num(/cp \+ sha256sum alone :\s*(\d+) us/),
    hitUs: num(/shim hit \(copy\+verify\):\s*(\d+) us/),
    beyondUs: num(/-> (-?\d+) us beyond the copy/),
    missUs: num(/shim miss \(lookup only\):\s*(\d+) us/),
  };
}

/** For each index size, `runs` invocations of shim-timing.sh with `calls` calls each. */
export async function benchShim({ rows, runs, calls, log }) {
  const results = [];
  for (const n of rows) {
    const it = [];
    for (let i = 0; i < runs; i++) {
      log(`shim: ${n} rows run ${i + 1}/${runs}`);
      const r = await must('bash', [path.join(ROOT, 'test/staging/shim-timing.sh'), String(n), String(calls)]);
      it.push(parse(r.stdout));
    }
    const s = (f) => stats(it.map(f));
    results.push({ rows: n, runs, calls, iterations: it, beyondMs: s((r) => r.beyondUs / 1000), hitMs: s((r) => r.hitUs / 1000), missMs: s((r) => r.missUs / 1000), copyMs: s((r) => r.copyUs / 1000) });
  }
  return results;
}
