import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanupAfterEach } from './cleanup.js';

const made: string[] = [];
// read once: an in-process CLI run (run-cli.ts) sets TMPDIR to its sandbox while it runs
const TMP = os.tmpdir();

/**
 * A temp dir for a whole describe block (tempDir() is removed after every test);
 * pair it with `afterAll(() => rm(dir, { recursive: true, force: true }))`.
 */
export async function suiteDir(prefix: string, parent = TMP): Promise<string> {
  return mkdtemp(path.join(parent, prefix));
}

/** A fresh temp directory (in `parent`, default os.tmpdir()), removed after the current test. */
export async function tempDir(prefix = 'bp-test-', parent = TMP): Promise<string> {
  const dir = await suiteDir(prefix, parent);
  made.push(dir);
  return dir;
}

cleanupAfterEach(async () => {
  while (made.length) await rm(made.pop()!, { recursive: true, force: true });
});
