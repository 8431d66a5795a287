import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests start real loopback servers and real child processes (pip, unzip, bash):
// keep timeouts generous, and run files in parallel processes, one more than
// there are cores, since most of a file's time is spent waiting on them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: availableParallelism() + 1,
    globalSetup: ['test/helpers/global-build.ts'],
  },
});
