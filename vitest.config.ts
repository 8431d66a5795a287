import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests start real loopback servers and real child processes (pip, conda, unzip,
// bash): keep timeouts generous (a staging run takes ~10 s alone and over a
// minute on a machine loaded by other jobs), and run files in parallel processes, one more than
// there are cores, since most of a file's time is spent waiting on them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: availableParallelism() + 1,
    globalSetup: ['test/helpers/global-build.ts'],
  },
});
