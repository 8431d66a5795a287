import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { batchLines } from '../../src/cli/line-batcher.js';

describe('batchLines', () => {
  it('writes the lines of one event-loop turn in one call, in order', async () => {
    const writes: string[][] = [];
    const log = batchLines((lines) => writes.push(lines));
    log.push('a');
    log.push('b');
    log.push('c');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual([['a', 'b', 'c']]);
    log.push('d');
    await nextTurn();
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('flush writes what is queued at once, and nothing twice', async () => {
    const writes: string[][] = [];
    const log = batchLines((lines) => writes.push(lines));
    log.push('last request');
    log.flush();
    expect(writes).toEqual([['last request']]);
    await nextTurn();
    log.flush();
    expect(writes).toEqual([['last request']]);
  });
});
