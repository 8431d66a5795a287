// Cleanup that helper modules register when they load. A worker keeps its modules
// from one test file to the next (vitest.config.ts, isolate: false), so a hook a
// helper registered at load time would run for the first file only; the hooks of
// test/helpers/cleanup-hooks.ts (a setup file, run for every file) run these.
export const afterEachTasks = new Set<() => Promise<void>>();
export const afterAllTasks = new Set<() => Promise<void>>();

/** Runs `task` after every test of every file. */
export function cleanupAfterEach(task: () => Promise<void>): void {
  afterEachTasks.add(task);
}

/** Runs `task` when each test file is done. */
export function cleanupAfterAll(task: () => Promise<void>): void {
  afterAllTasks.add(task);
}
