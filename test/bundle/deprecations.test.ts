import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  daysUntil,
  deprecationCovers,
  deprecationHits,
  deprecationWarning,
  deprecationsTsv,
  todayString,
} from '../../src/bundle/deprecations.js';
import { planBundle } from '../../src/bundle/plan.js';
import { parseManifest } from '../../src/manifest/manifest.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { cachedBundleInput } from './bundle-fixture.js';

async function upstream(name: string) {
  const file = path.join(UPSTREAM, name);
  return parseManifest(await readFile(file, 'utf8'), file).manifest;
}

describe('deprecationCovers', () => {
  it('reads version_line wildcards, dotted prefixes and the legacy match regex', () => {
    expect(deprecationCovers({ version_line: '3.10.x' }, '3.10.21')).toBe(true);
    expect(deprecationCovers({ version_line: '3.10.x' }, '3.1.0')).toBe(false);
    expect(deprecationCovers({ version_line: '3.10.x' }, '3.100.1')).toBe(false);
    expect(deprecationCovers({ version_line: '2.7' }, '2.7.18')).toBe(true);
    expect(deprecationCovers({ version_line: '2.7' }, '2.70.1')).toBe(false);
    expect(deprecationCovers({ version_line: 'py311_24.1.2-0' }, 'py311_24.1.2-0')).toBe(true);
    // 2017 manifest: match: 2.7.\d+ (anchored: 12.7.1 is not on the line)
    expect(deprecationCovers({ version_line: 'never', match: '2.7.\\d+' }, '2.7.13')).toBe(true);
    expect(deprecationCovers({ version_line: 'never', match: '2.7.\\d+' }, '12.7.1')).toBe(false);
    expect(deprecationCovers({ version_line: '3.3', match: '(' }, '3.3.6')).toBe(true); // a broken regex falls back to version_line
  });
});

describe('deprecationHits (fixed today)', () => {
  it('warns for the current upstream manifest: python 3.10.x two weeks before 2026-10-04, not 3.11.x', async () => {
    const m = await upstream('cf-python-buildpack-manifest.yml');
    const items = m.dependencies.filter((d) => d.cf_stacks.includes('cflinuxfs4'));
    const hits = deprecationHits(m.dependency_deprecation_dates, items, '2026-09-20');
    expect(hits.map((h) => [h.deprecation.version_line, h.days, h.versions])).toEqual([['3.10.x', 14, ['3.10.21']]]);
    expect(deprecationWarning(hits[0]!)).toBe(
      'python 3.10.x will no longer be available in new buildpacks released after 2026-10-04 (in 14 days; this zip packages python 3.10.21). See: https://www.python.org/dev/peps/pep-0619/',
    );
    // 31 days before: outside libbuildpack's 30-day window; 30 days before: inside
    expect(deprecationHits(m.dependency_deprecation_dates, items, '2026-09-03')).toEqual([]);
    expect(deprecationHits(m.dependency_deprecation_dates, items, '2026-09-04')).toHaveLength(1);
  });

  it('warns for every past line of the 2017 manifest (match regexes), naming the versions packaged', async () => {
    const m = await upstream('cf-python-buildpack-manifest-url_to_dependency_map-2017.yml');
    const hits = deprecationHits(m.dependency_deprecation_dates, m.dependencies, '2017-06-01');
    expect(hits).toEqual([]); // 3.3 is 120 days away
    const later = deprecationHits(m.dependency_deprecation_dates, m.dependencies, '2017-09-15');
    expect(later.map((h) => `${h.deprecation.version_line}: ${h.versions.join(' ')} (${h.days})`)).toEqual(['3.3: 3.3.5 3.3.6 (14)']);
    const now = deprecationHits(m.dependency_deprecation_dates, m.dependencies, '2026-01-01');
    expect(now).toHaveLength(5);
    expect(deprecationWarning(now[0]!)).toBe(
      'python 2.7 will no longer be available in new buildpacks released after 2020-01-01 (that date passed 2192 days ago; this zip packages python 2.7.12, python 2.7.13)',
    );
  });

  it('says "today" on the day itself', () => {
    const [hit] = deprecationHits([{ name: 'tool', version_line: '1.0.x', date: '2030-01-31' }], [{ name: 'tool', version: '1.0.0' }], '2030-01-31');
    expect(deprecationWarning(hit!)).toContain('(that is today;');
  });
});

describe('dates', () => {
  it('counts whole days in UTC and honours a BP_TODAY override', () => {
    expect(daysUntil('2026-10-04', '2026-09-20')).toBe(14);
    expect(daysUntil('2024-03-01', '2024-02-28')).toBe(2); // leap year
    expect(todayString(new Date(Date.UTC(2026, 0, 2, 23, 59)))).toBe('2026-01-02');
    expect(todayString(new Date(), '2031-05-06')).toBe('2031-05-06');
    expect(todayString(new Date(Date.UTC(2026, 0, 2)), 'tomorrow')).toBe('2026-01-02');
  });
});

describe('deprecations.tsv', () => {
  it('is one tab-separated row per entry, empty fields for a missing link or match', async () => {
    const m = await upstream('cf-python-buildpack-manifest-url_to_dependency_map-2017.yml');
    expect(deprecationsTsv(m.dependency_deprecation_dates).split('\n')[0]).toBe('python\t2.7\t2020-01-01\t\t2.7.\\d+');
    const cur = await upstream('cf-python-buildpack-manifest.yml');
    expect(deprecationsTsv(cur.dependency_deprecation_dates).split('\n')[0]).toBe('python\t3.10.x\t2026-10-04\thttps://www.python.org/dev/peps/pep-0619/\t');
  });

  it('goes into the root of cached and uncached zips when the manifest has deprecation dates, and only then', async () => {
    for (const cached of [true, false]) {
      const input = await cachedBundleInput(await tempDir());
      input.cached = cached;
      const none = await planBundle(input);
      expect(none.entries.some((e) => e.name === 'deprecations.tsv')).toBe(false);
      input.manifest.dependency_deprecation_dates = [{ name: 'tool', version_line: '1.0.x', date: '2030-01-31', link: 'https://example.invalid/eol' }];
      const plan = await planBundle(input);
      const entry = plan.entries.find((e) => e.name === 'deprecations.tsv');
      expect(entry?.source).toEqual({ data: 'tool\t1.0.x\t2030-01-31\thttps://example.invalid/eol\t\n' });
    }
  });
});
