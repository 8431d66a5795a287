import { defineConfig } from 'vitest/config';

// Tests start real loopback servers and real child processes (pip, unzip, bash):
// keep timeouts generous, and run files in parallel processes.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-build.ts'],
  },
});
