import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanupAfterEach } from './cleanup.js';

const made: string[] = [];
// read once: an in-process CLI run (run-cli.ts) sets TMPDIR to its sandbox while it runs
const TMP = os.tmpdir();

/** A fresh temp directory (in `parent`, default os.tmpdir()), removed after the current test. */
export async function tempDir(prefix = 'bp-test-', parent = TMP): Promise<string> {
  const dir = await mkdtemp(path.join(parent, prefix));
  made.push(dir);
  return dir;
}

cleanupAfterEach(async () => {
  while (made.length) await rm(made.pop()!, { recursive: true, force: true });
});
