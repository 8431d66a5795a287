// The bash-readable indexes of a cached zip. Staging runs on a stack with no
// node and no YAML parser, so the shim answers from tab-separated files it can
// read with `while IFS=$'\t' read -r ...`. All are header-less, one row per
// line, `\n`-terminated; URLs are redacted exactly as core/redact.ts does (the
// shim redacts a requested URL the same way before looking it up).
//
//   dependencies/index.tsv  url  path-in-zip  sha256  size          (sorted by url)
//   dependencies/url_map.tsv  match  name  version                  (manifest order)
//   dependencies/names.tsv  name  version  path  sha256  size  url  (manifest order)
import { PackagerError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { UrlToDependency } from '../manifest/types.js';
import { compareBytes } from './layout.js';

/** One cached URL: where its bytes sit in the zip. */
export interface IndexRow {
  url: string;
  path: string;
  sha256: string;
  size: number;
}

/** One cached manifest dependency or installer, by name and version. */
export interface NamesRow {
  name: string;
  version: string;
  path: string;
  sha256: string;
  size: number;
  url: string;
  /** Stacks the row is for (any-stack zips can hold one row per stack); empty = every stack. */
  cf_stacks?: string[];
}

/**
 * `dependencies/index.tsv`: `url<TAB>path<TAB>sha256<TAB>size`, URL redacted,
 * sorted by URL then path, identical rows merged. Two different files for the
 * same URL is EBUNDLE (the shim could not know which to serve).
 */
export function indexTsv(rows: IndexRow[]): string {
  const byUrl = new Map<string, IndexRow>();
  for (const r of rows) {
    const row = { ...r, url: redactUrl(r.url), sha256: r.sha256.toLowerCase() };
    const seen = byUrl.get(row.url);
    if (seen && (seen.path !== row.path || seen.sha256 !== row.sha256 || seen.size !== row.size)) {
      throw new PackagerError('EBUNDLE', `Two different files are cached for one URL: ${row.url}`, {
        url: row.url,
        wanted: `${seen.path} sha256 ${seen.sha256}`,
        found: `${row.path} sha256 ${row.sha256}`,
        hint: 'the manifest or lock lists the same URL twice with different checksums: fix one of them',
      });
    }
    byUrl.set(row.url, row);
  }
  const sorted = [...byUrl.values()].sort((a, b) => compareBytes(a.url, b.url) || compareBytes(a.path, b.path));
  return tsv(sorted.map((r) => [r.url, r.path, r.sha256, String(r.size)]));
}

/** `dependencies/url_map.tsv`: `match<TAB>name<TAB>version` from url_to_dependency_map, in manifest order. */
export function urlMapTsv(map: UrlToDependency[]): string {
  return tsv(map.map((u) => [u.match, u.name, u.version]));
}

/** `dependencies/names.tsv`: `name<TAB>version<TAB>path<TAB>sha256<TAB>size<TAB>url`, in the order given. */
export function namesTsv(rows: NamesRow[]): string {
  return tsv(
    rows.map((r) => [r.name, r.version, r.path, r.sha256.toLowerCase(), String(r.size), redactUrl(r.url), [...(r.cf_stacks ?? [])].sort().join(',')]),
  );
}

/** One row of `lock.tsv` (uncached zips): what online staging downloads, pinned. */
export interface LockTsvRow {
  kind: string;
  name: string;
  version: string;
  filename: string;
  uri: string;
  sha256: string;
  md5?: string;
  channel?: string;
  subdir?: string;
}

/**
 * `lock.tsv` at the root of an uncached zip:
 * `kind<TAB>name<TAB>version<TAB>filename<TAB>uri<TAB>sha256<TAB>md5<TAB>channel<TAB>subdir`,
 * URLs redacted, in lock order. Online staging (bash) downloads and verifies from it.
 */
export function lockTsv(rows: LockTsvRow[]): string {
  return tsv(
    rows.map((r) => [r.kind, r.name, r.version, r.filename, redactUrl(r.uri), r.sha256.toLowerCase(), r.md5 ?? '', r.channel ? redactUrl(r.channel) : '', r.subdir ?? '']),
  );
}

/** Rows -> TSV text; a field holding a tab or newline would break every reader, so it is refused. */
export function tsv(rows: string[][]): string {
  return rows
    .map((fields) => {
      for (const f of fields) {
        if (/[\t\r\n]/.test(f)) {
          throw new PackagerError('EBUNDLE', `A value cannot go into a TSV index (it holds a tab or newline): ${JSON.stringify(f)}`, { found: f });
        }
      }
      return `${fields.join('\t')}\n`;
    })
    .join('');
}
