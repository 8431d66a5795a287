import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../src/core/log.js';
import { PackagerError } from '../../src/core/errors.js';
import { checkBudget, checkWrittenZip, estimateLine, estimateSize, largestLines, parseSize, type BudgetItem } from '../../src/cli/size-budget.js';

const MiB = 1024 ** 2;

describe('parseSize', () => {
  it.each([
    ['500M', 500 * MiB],
    ['1G', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['750MiB', 750 * MiB],
    ['2GB', 2 * 1024 ** 3],
    ['64k', 64 * 1024],
    ['1073741824', 1073741824],
    [' 10 M ', 10 * MiB],
  ])('%s = %d bytes', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(['', 'M', '-1G', '1X', '0', '1 G B', 'lots'])('refuses %j', (text) => expect(parseSize(text)).toBeUndefined());
});

const items: BudgetItem[] = [
  { label: 'pytorch 2.1.0 py311_0 (conda)', size: 700 * MiB, drop: 'remove it from conda: and run bin/package resolve' },
  { label: 'miniconda3 py311_24.1.2-0 (installer)', size: 143 * MiB, approximate: true, drop: 'leave out with --exclude miniconda3' },
  { label: 'python 3.11.9 (dependency)', drop: 'leave out with --exclude python' },
  ...Array.from({ length: 11 }, (_, i) => ({ label: `pkg${i} 1.0 (wheel)`, size: (i + 1) * MiB, drop: 'remove it from pip: and run bin/package resolve' })),
];

describe('the estimate', () => {
  it('adds known sizes, says "at least" when a size is unknown and "about" for index estimates', () => {
    const e = estimateSize(items);
    expect(e.bytes).toBe((700 + 143 + 66) * MiB);
    expect(estimateLine(e)).toBe(
      'Expected zip size: at least 909.0 MiB (14 artifacts; 1 size is an estimate of the installer index; no size known yet for 1: python 3.11.9 (dependency))',
    );
    expect(estimateLine(estimateSize(items.slice(0, 2)))).toBe('Expected zip size: about 843.0 MiB (2 artifacts; 1 size is an estimate of the installer index)');
    expect(estimateLine(estimateSize([items[0]!]))).toBe('Expected zip size: 700.0 MiB (1 artifact)');
  });

  it('names the ten largest, largest first, with how to drop each', () => {
    const lines = largestLines(items);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe(' 700.0 MiB  pytorch 2.1.0 py311_0 (conda): remove it from conda: and run bin/package resolve');
    expect(lines[1]).toBe(' 143.0 MiB  miniconda3 py311_24.1.2-0 (installer): leave out with --exclude miniconda3');
    expect(lines[9]).toContain('pkg3 1.0 (wheel)');
  });
});

describe('checkBudget', () => {
  it('fails over --max-size with the ten largest artifacts in the error', () => {
    const log = new MemoryLogger();
    let err: PackagerError | undefined;
    try {
      checkBudget(estimateSize(items), items, 500 * MiB, log);
    } catch (e) {
      err = e as PackagerError;
    }
    expect(err?.code).toBe('EBUNDLE');
    expect(err?.message).toBe('The zip would be larger than --max-size 500.0 MiB: expected at least 909.0 MiB; nothing was downloaded');
    expect(err?.details.largest).toEqual(largestLines(items));
    expect(err?.hint).toContain('--exclude NAME');
  });

  it('passes within --max-size, and warns above 1 GiB only when no limit was given', () => {
    const log = new MemoryLogger();
    checkBudget(estimateSize(items), items, 1024 ** 3, log);
    expect(log.lines).toEqual([]);
    const big = [...items, { label: 'huge 1 (conda)', size: 400 * MiB, drop: 'x' }];
    checkBudget(estimateSize(big), big, undefined, log);
    expect(log.lines).toHaveLength(1);
    expect(log.text()).toContain("over 1 GiB, Cloud Controller's default buildpack upload limit");
    expect(log.text()).toContain(' 700.0 MiB  pytorch');
    const quiet = new MemoryLogger();
    checkBudget(estimateSize(items), items, undefined, quiet);
    expect(quiet.lines).toEqual([]);
  });

  it('checks the written zip too (sizes unknown before download can push it over)', () => {
    expect(() => checkWrittenZip(2 * MiB, MiB, '/x.zip', new MemoryLogger())).toThrow(/The zip is larger than --max-size 1.0 MiB: 2.0 MiB/);
    const log = new MemoryLogger();
    checkWrittenZip(2 * 1024 ** 3, undefined, '/x.zip', log);
    expect(log.text()).toContain('over 1 GiB');
  });
});
