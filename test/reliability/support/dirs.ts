// Temp directories for tests that run concurrently (it.concurrent): the shared
// helpers/tmp.ts cleans up after *each* test, which would delete a sibling's
// directory mid-run, so these are removed once the whole file is done.
import { rm } from 'node:fs/promises';
import { cleanupAfterAll } from '../../helpers/cleanup.js';
import { suiteDir } from '../../helpers/tmp.js';

const made: string[] = [];

/** A fresh temp directory, removed when the test file finishes. */
export async function caseDir(prefix = 'bp-rel-'): Promise<string> {
  const dir = await suiteDir(prefix);
  made.push(dir);
  return dir;
}

cleanupAfterAll(async () => {
  while (made.length) await rm(made.pop()!, { recursive: true, force: true });
});
