// Opt-in scale check (CONDA_SCALE_TEST=1): a ~300 MB repodata.json is indexed
// and solved within the memory budget. The numbers go to the log for
// bench/BENCHMARKS.md; the assertion is on memory, never on wall-clock time.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackInfo, type StackInfo } from '../../../src/core/stacks.js';
import { RepodataIndex } from '../../../src/resolve/conda/repodata.js';
import { IndexedRecordSource } from '../../../src/resolve/conda/record-source.js';
import { virtualPackages } from '../../../src/resolve/conda/select.js';
import { solve } from '../../../src/resolve/conda/solver.js';
import { tempDir } from '../../helpers/tmp.js';
import { writeBigRepodata } from './big-repodata.js';

const enabled = process.env.CONDA_SCALE_TEST === '1';
if (!enabled) console.log('skipping the 300 MB repodata scale test: set CONDA_SCALE_TEST=1 to run it');

describe.skipIf(!enabled)('repodata at conda-forge scale', () => {
  it('indexes and solves a 300 MB repodata.json in well under 1 GiB', async () => {
    // CONDA_BIG_REPODATA=<file> reuses a file written earlier by writeBigRepodata
    const file = process.env.CONDA_BIG_REPODATA ?? path.join(await tempDir(), 'repodata.json');
    if (!existsSync(file)) await writeBigRepodata(file);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    const index = await RepodataIndex.open(file, 'linux-64');
    const t1 = performance.now();
    const src = new IndexedRecordSource([{ channel: { url: 'https://example.invalid/big', names: ['big'] }, channelIndex: 0, subdir: 'linux-64', repodataUrl: 'https://example.invalid/big/linux-64/repodata.json', index }], virtualPackages([stackInfo('cflinuxfs4') as StackInfo]));
    const result = await solve(['fam3-p39', 'fam100-p20', 'fam200-p39', 'python=3.11'], src);
    const t2 = performance.now();
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    await index.close();
    console.log(`scale: ${index.count} records; index ${(t1 - t0).toFixed(0)} ms, solve ${(t2 - t1).toFixed(0)} ms (${result.length} packages); rss before ${(before / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
    expect(index.count).toBeGreaterThan(400_000);
    expect(result.find((r) => r.name === 'python')!.version).toBe('3.11.7');
    expect(peak).toBeLessThan(1024 * 2 ** 20);
  }, 120_000);
});
