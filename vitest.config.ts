import { statfsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { defineConfig } from 'vitest/config';

// Temporary files go to a RAM file system when there is one with room: tests create and
// delete thousands of them (staging copies whole Python environments), which on a disk
// mounted with `discard` is mostly kernel time. TEST_DISK_TMPDIR keeps the usual place,
// for the test that mounts a /dev of its own.
const RAM_TMP = '/dev/shm';
const GIB = 1024 ** 3;
process.env.TEST_DISK_TMPDIR ??= tmpdir();
try {
  const fs = statfsSync(RAM_TMP);
  if (fs.bavail * fs.bsize >= 4 * GIB) process.env.TMPDIR = RAM_TMP;
} catch {
  // no /dev/shm: os.tmpdir() as it is
}

// Tests start real loopback servers and real child processes (pip, conda, unzip,
// bash): keep timeouts generous (a staging run takes seconds alone and over a
// minute on a machine loaded by other jobs), and run files in parallel processes, one more than
// there are cores, since most of a file's time is spent waiting on them. A worker keeps
// its modules from one file to the next (isolate: false): no file depends on a fresh
// module graph, and each one left a whole TypeScript transform and import to redo.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    isolate: false,
    maxWorkers: availableParallelism() + 1,
    globalSetup: ['test/helpers/global-build.ts', 'test/helpers/standin-template.ts'],
    setupFiles: ['test/helpers/cleanup-hooks.ts'],
  },
});
