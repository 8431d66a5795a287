// `dependency_deprecation_dates`: which packaged versions reach their end of
// life soon, and the bash-readable copy staging reads (`deprecations.tsv`).
//
// A deprecation entry names a dependency and a version line. A version is on
// the line when (first match wins):
//   - the legacy `match` regex (2017 manifests: `match: 2.7.\d+`) matches the
//     whole version (Ruby/Go regex syntax, read as a JavaScript RegExp);
//   - `version_line` matches it as default_versions patterns do (`3.10.x`, `3.x`);
//   - `version_line` without a wildcard is the version or a dotted prefix of it
//     (`2.7` covers 2.7.18), how the Ruby gem read its version lines.
// Warned when the date is past or at most 30 days away: libbuildpack's
// warnEndOfLife warns when `eolTime.Sub(now) < thirtyDays`, which, at any time
// after midnight, holds from the 30th day before the date on.
import { versionMatches } from '../manifest/version-pattern.js';
import type { DeprecationDate } from '../manifest/types.js';
import { tsv } from './index-tsv.js';

/** Root of every zip (cached or not): `dependencies/` would mark an uncached zip as cached. */
export const DEPRECATIONS_TSV = 'deprecations.tsv';

/** libbuildpack's window: warn when the date is at most this many days away. */
export const DEPRECATION_WINDOW_DAYS = 30;

/** True when `version` is on the deprecation entry's version line. */
export function deprecationCovers(d: Pick<DeprecationDate, 'version_line' | 'match'>, version: string): boolean {
  if (d.match) {
    try {
      if (new RegExp(`^(?:${d.match})$`).test(version)) return true;
    } catch {
      // an unreadable pattern matches nothing; version_line still applies
    }
  }
  const line = d.version_line;
  if (versionMatches(line, version)) return true;
  return !/[xX*]/.test(line) && version.startsWith(`${line}.`);
}

/** Whole days from `today` to `date` (both `YYYY-MM-DD`, UTC); negative when past. */
export function daysUntil(date: string, today: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000);
}

/** Today's date as `YYYY-MM-DD` (UTC), or `override` (BP_TODAY) when it is one. */
export function todayString(now: Date = new Date(), override?: string): string {
  if (override && /^\d{4}-\d{2}-\d{2}$/.test(override) && !Number.isNaN(Date.parse(override))) return override;
  return now.toISOString().slice(0, 10);
}

/** One deprecation entry that applies to packaged versions. */
export interface DeprecationHit {
  deprecation: DeprecationDate;
  /** `name version` of every packaged artifact on the line, sorted, unique. */
  versions: string[];
  /** Days until the date (negative: past). */
  days: number;
}

/** Deprecation entries that cover any of `items` and are past or within the window. */
export function deprecationHits(
  deprecations: readonly DeprecationDate[],
  items: readonly { name: string; version: string }[],
  today: string,
  windowDays = DEPRECATION_WINDOW_DAYS,
): DeprecationHit[] {
  const hits: DeprecationHit[] = [];
  for (const d of deprecations) {
    const days = daysUntil(d.date, today);
    if (days > windowDays) continue;
    const versions = [...new Set(items.filter((i) => i.name === d.name && deprecationCovers(d, i.version)).map((i) => i.version))];
    if (!versions.length) continue;
    versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    hits.push({ deprecation: d, versions, days });
  }
  return hits;
}

/**
 * The packaging warning for one hit. It opens with libbuildpack's sentence
 * (what staging logs print) so one grep finds both.
 */
export function deprecationWarning(hit: DeprecationHit): string {
  const d = hit.deprecation;
  const when =
    hit.days < 0
      ? `that date passed ${-hit.days} day${hit.days === -1 ? '' : 's'} ago`
      : hit.days === 0
        ? 'that is today'
        : `in ${hit.days} day${hit.days === 1 ? '' : 's'}`;
  const what = hit.versions.map((v) => `${d.name} ${v}`).join(', ');
  return `${d.name} ${d.version_line} will no longer be available in new buildpacks released after ${d.date} (${when}; this zip packages ${what})${d.link ? `. See: ${d.link}` : ''}`;
}

/**
 * `deprecations.tsv`: `name<TAB>version_line<TAB>date<TAB>link<TAB>match`, one
 * row per manifest entry in manifest order, empty fields for a missing link or
 * match. bin/lib/deprecation.sh reads it at staging (bash cannot read YAML).
 */
export function deprecationsTsv(list: readonly DeprecationDate[]): string {
  return tsv(list.map((d) => [d.name, d.version_line, d.date, d.link ?? '', d.match ?? '']));
}
