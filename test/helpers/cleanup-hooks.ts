// Setup file (vitest.config.ts): the hooks behind helpers/cleanup.ts, registered for each test file.
import { afterAll, afterEach } from 'vitest';
import { afterAllTasks, afterEachTasks } from './cleanup.js';

afterEach(async () => {
  for (const task of afterEachTasks) await task();
});

afterAll(async () => {
  for (const task of afterAllTasks) await task();
});
