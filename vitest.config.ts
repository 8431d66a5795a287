import { spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { availableParallelism, tmpdir } from 'node:os';
import { defineConfig } from 'vitest/config';

// Temporary files go to a RAM file system when TMPDIR is unset and there is one with
// room: tests create and delete thousands of them (staging copies whole Python
// environments), which on a disk mounted with `discard` is mostly kernel time.
// TEST_DISK_TMPDIR keeps the usual place, for the test that mounts a /dev of its own.
const RAM_TMP = '/dev/shm';
const GIB = 1024 ** 3;
process.env.TEST_DISK_TMPDIR ??= tmpdir();
try {
  const fs = statfsSync(RAM_TMP);
  if (!process.env.TMPDIR && fs.bavail * fs.bsize >= 4 * GIB) process.env.TMPDIR = RAM_TMP;
} catch {
  // no /dev/shm: os.tmpdir() as it is
}

// `python3` may be a version manager's shim (pyenv's runs a dozen bash processes,
// several times the cost of the interpreter's own start): the tests, and what
// they spawn, find the interpreter it resolves to first on PATH.
const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'python3')).find((f) => existsSync(f));
const python3 = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim();
if (onPath && python3 && path.isAbsolute(python3) && onPath !== python3) {
  process.env.PATH = `${path.dirname(python3)}${path.delimiter}${process.env.PATH}`;
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
