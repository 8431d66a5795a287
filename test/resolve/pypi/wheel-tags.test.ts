import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestTagPriority, expandPlatforms, glibcPlatforms, muslPlatforms, supportedTags, tagPriorities, type TagTarget } from '../../../src/resolve/pypi/wheel-tags.js';
import { parseWheelFilename } from '../../../src/resolve/pypi/wheel-filename.js';
import { UPSTREAM } from '../../helpers/paths.js';

// The matrix in fixtures/upstream/pypi/README.md was computed with python
// `packaging` 26.2 for these exact wheels; every cell must agree, index included.
const README = readFileSync(path.join(UPSTREAM, 'pypi/README.md'), 'utf8');

function matrixRows(): { wheel: string; cells: string[] }[] {
  const section = README.slice(README.indexOf('## Tag-compatibility matrix'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| wheels/'))
    .map((l) => {
      const cols = l.split('|').slice(1, -1).map((c) => c.trim());
      return { wheel: cols[0]!, cells: cols.slice(1) };
    });
}

// Column order as in the README header. The macOS column used an explicit
// 6-platform list the README does not spell out; any list with 4 arm64 tags
// 14_0..11_0 first reproduces its indices, which is what is checked here.
const COLUMNS: { label: string; target: TagTarget }[] = [
  { label: 'cp311/glibc2.35/x86_64 (cflinuxfs4)', target: { python: [3, 11], platforms: glibcPlatforms('x86_64', [2, 35]) } },
  { label: 'cp312/glibc2.39/x86_64 (cflinuxfs5)', target: { python: [3, 12], platforms: glibcPlatforms('x86_64', [2, 39]) } },
  { label: 'cp313/glibc2.35/aarch64', target: { python: [3, 13], platforms: glibcPlatforms('aarch64', [2, 35]) } },
  { label: 'cp312/musl1.2/x86_64 (alpine)', target: { python: [3, 12], platforms: muslPlatforms('x86_64', [1, 2]) } },
  {
    label: 'cp312/macosx_14_0_arm64',
    target: {
      python: [3, 12],
      platforms: ['macosx_14_0_arm64', 'macosx_13_0_arm64', 'macosx_12_0_arm64', 'macosx_11_0_arm64', 'macosx_14_0_universal2', 'macosx_13_0_universal2'],
    },
  },
  { label: 'cp312/win_amd64', target: { python: [3, 12], platforms: ['win_amd64'] } },
];

describe('wheel tags against the README matrix (python packaging 26.2)', () => {
  const rows = matrixRows();
  it('reads every row of the matrix', () => {
    expect(rows.length).toBe(25);
    const header = README.split('\n').find((l) => l.startsWith('| wheel | '))!;
    expect(header.split('|').slice(2, -1).map((c) => c.trim())).toEqual(COLUMNS.map((c) => c.label));
  });
  for (const row of rows) {
    it(`agrees on ${path.basename(row.wheel)}`, () => {
      const wheel = parseWheelFilename(path.basename(row.wheel));
      const got = COLUMNS.map(({ target }) => {
        const p = bestTagPriority(wheel.tags, tagPriorities(target));
        return p === undefined ? 'no' : `yes (#${p})`;
      });
      expect(got).toEqual(row.cells);
    });
  }
});

describe('supported tags', () => {
  it('lists cflinuxfs4 tags best first like packaging.tags.cpython_tags + compatible_tags', () => {
    const tags = supportedTags({ python: [3, 11], platforms: glibcPlatforms('x86_64', [2, 35]) });
    expect(tags.slice(0, 3)).toEqual(['cp311-cp311-linux_x86_64', 'cp311-cp311-manylinux_2_35_x86_64', 'cp311-cp311-manylinux_2_34_x86_64']);
    expect(tags).toContain('cp32-abi3-manylinux1_x86_64');
    expect(tags).not.toContain('cp31-abi3-manylinux1_x86_64');
    expect(tags.slice(-3)).toEqual(['py32-none-any', 'py31-none-any', 'py30-none-any']);
    expect(tags.indexOf('cp311-none-any')).toBeLessThan(tags.indexOf('py311-none-any'));
    expect(tags.some((t) => t.includes('musllinux'))).toBe(false);
  });

  it('puts each legacy manylinux alias right after its PEP 600 twin', () => {
    const p = glibcPlatforms('x86_64', [2, 27]);
    expect(p.indexOf('manylinux2014_x86_64')).toBe(p.indexOf('manylinux_2_17_x86_64') + 1);
    expect(p.indexOf('manylinux2010_x86_64')).toBe(p.indexOf('manylinux_2_12_x86_64') + 1);
    expect(p.at(-1)).toBe('manylinux1_x86_64');
    expect(p).not.toContain('manylinux_2_28_x86_64');
  });

  it('stops aarch64 manylinux at 2_17, the oldest glibc that architecture has', () => {
    const p = glibcPlatforms('aarch64', [2, 35]);
    expect(p.at(-1)).toBe('manylinux2014_aarch64');
    expect(p).not.toContain('manylinux_2_16_aarch64');
  });

  it('rejects a wheel whose platform tag the stack cannot load', () => {
    const fs3 = tagPriorities({ python: [3, 11], platforms: glibcPlatforms('x86_64', [2, 27]) });
    expect(bestTagPriority(['cp311-cp311-manylinux_2_28_x86_64'], fs3)).toBeUndefined();
    expect(bestTagPriority(['cp311-cp311-manylinux_2_27_x86_64'], fs3)).toBeDefined();
    expect(bestTagPriority(['cp311-cp311-musllinux_1_1_x86_64'], fs3)).toBeUndefined();
    expect(bestTagPriority(['cp311-cp311-manylinux_2_17_aarch64'], fs3)).toBeUndefined();
  });

  it('expands manifest pip.platforms like the stack would', () => {
    expect(expandPlatforms(['manylinux_2_35_x86_64'])).toEqual(glibcPlatforms('x86_64', [2, 35]));
    expect(expandPlatforms(['manylinux2014_x86_64'])).toEqual(glibcPlatforms('x86_64', [2, 17]));
    expect(expandPlatforms(['musllinux_1_1_x86_64'])).toEqual(['linux_x86_64', 'musllinux_1_1_x86_64', 'musllinux_1_0_x86_64']);
    expect(expandPlatforms(['manylinux_2_17_x86_64', 'manylinux_2_12_x86_64', 'win_amd64'])).toEqual([...glibcPlatforms('x86_64', [2, 17]), 'win_amd64']);
  });
});
