// Temp directories for tests that run concurrently (it.concurrent): the shared
// helpers/tmp.ts cleans up after *each* test, which would delete a sibling's
// directory mid-run, so these are removed once the whole file is done.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanupAfterAll } from '../../helpers/cleanup.js';

const made: string[] = [];
// read once: an in-process CLI run (helpers/run-cli.ts) sets TMPDIR to its sandbox while it runs
const TMP = os.tmpdir();

/** A fresh temp directory, removed when the test file finishes. */
export async function caseDir(prefix = 'bp-rel-'): Promise<string> {
  const dir = await mkdtemp(path.join(TMP, prefix));
  made.push(dir);
  return dir;
}

cleanupAfterAll(async () => {
  while (made.length) await rm(made.pop()!, { recursive: true, force: true });
});
