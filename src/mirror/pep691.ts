// The JSON form of the simple index, chosen by the Accept header, generated
// from the bundle's PEP 503 HTML pages (never stored: the HTML is the source
// of truth, so a zip and its static export answer the same). Pure.
// Spec: https://peps.python.org/pep-0691/ (content types, negotiation, JSON
// fields), https://peps.python.org/pep-0700/ (api-version 1.1: versions, size),
// https://peps.python.org/pep-0714/ (core-metadata), https://peps.python.org/pep-0592/ (yanked).
import { normalizeProjectName } from '../core/project-name.js';
import { scanAnchors } from '../core/html-anchors.js';
import { percentDecoded } from '../core/text.js';

export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';
export const TEXT_HTML = 'text/html; charset=utf-8';
export const SIMPLE_API_VERSION = '1.1';

export interface SimpleFormat {
  format: 'html' | 'json';
  /** Content-Type of the answer. */
  contentType: string;
}

// Server preference order: text/html first, so `*/*` (curl, browsers) and a
// missing Accept get the page PEP 503 clients expect.
const CANDIDATES: { type: string; format: SimpleFormat }[] = [
  { type: 'text/html', format: { format: 'html', contentType: TEXT_HTML } },
  { type: SIMPLE_HTML, format: { format: 'html', contentType: SIMPLE_HTML } },
  { type: 'application/vnd.pypi.simple.latest+html', format: { format: 'html', contentType: SIMPLE_HTML } },
  { type: SIMPLE_JSON, format: { format: 'json', contentType: SIMPLE_JSON } },
  { type: 'application/vnd.pypi.simple.latest+json', format: { format: 'json', contentType: SIMPLE_JSON } },
];

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/**
 * Picks HTML or JSON for a simple page. `format` is PEP 691's optional
 * `?format=` parameter, which wins over Accept; `json` false when the page
 * has no JSON form. Undefined means nothing the client accepts is available
 * (406, as PyPI answers).
 */
export function negotiateSimple(accept: string | undefined, format?: string, json = true): SimpleFormat | undefined {
  const candidates = json ? CANDIDATES : CANDIDATES.filter((c) => c.format.format !== 'json');
  if (format !== undefined) {
    // `+` in a query string may arrive as a space (form encoding)
    const wanted = format.trim().toLowerCase().replace(/ /g, '+');
    return candidates.find((c) => c.type === wanted)?.format;
  }
  if (accept === undefined || accept.trim() === '') return candidates[0]!.format;
  const ranges = parseAccept(accept);
  let best: { key: number[]; format: SimpleFormat } | undefined;
  candidates.forEach((c, serverOrder) => {
    const [type, subtype] = c.type.split('/') as [string, string];
    let match: { q: number; specificity: number; index: number } | undefined;
    ranges.forEach((r, index) => {
      const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1;
      if (specificity < 0) return;
      if (!match || specificity > match.specificity) match = { q: r.q, specificity, index };
    });
    if (!match || match.q <= 0) return;
    const key = [match.q, match.specificity, -match.index, -serverOrder];
    if (!best || compareKeys(key, best.key) > 0) best = { key, format: c.format };
  });
  return best?.format;
}

/** Media ranges of an Accept header (RFC 9110 section 12.5.1); malformed ranges are skipped. */
export function parseAccept(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    const m = /^([a-z0-9!#$%&'*+.^_`|~-]+)\/([a-z0-9!#$%&'*+.^_`|~-]+)$/i.exec(range ?? '');
    if (!m) continue;
    let q = 1;
    let valid = true;
    for (const p of params) {
      const qm = /^q\s*=\s*(.*)$/i.exec(p);
      if (!qm) continue;
      if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qm[1]!)) valid = false;
      else q = Number(qm[1]);
    }
    if (valid) out.push({ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), q });
  }
  return out;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** One file link of a project page, as read from the HTML. */
export interface SimpleLink {
  filename: string;
  /** href without its fragment, as written (relative to the page). */
  url: string;
  /** Decoded site path the href points at (`/pypi/files/x.whl`), or undefined when it leaves the site. */
  sitePath?: string;
  /** Hashes from the `#<alg>=<hex>` fragment. */
  hashes: Record<string, string>;
  requiresPython?: string;
  yanked?: true | string;
}

/** The file links of a project page at `pagePath` (`/pypi/simple/<project>/`). */
export function projectLinks(pagePath: string, html: string): SimpleLink[] {
  const out: SimpleLink[] = [];
  for (const a of scanAnchors(html).anchors) {
    const href = a.attrs.get('href');
    if (typeof href !== 'string') continue;
    const hashAt = href.indexOf('#');
    const url = hashAt === -1 ? href : href.slice(0, hashAt);
    const fragment = hashAt === -1 ? '' : href.slice(hashAt + 1);
    const hashes: Record<string, string> = {};
    const hm = /^([a-z0-9]+)=([0-9a-fA-F]+)$/.exec(fragment);
    if (hm) hashes[hm[1]!] = hm[2]!.toLowerCase();
    const sitePath = resolveSitePath(pagePath, url);
    const filename = a.text || (sitePath ? sitePath.slice(sitePath.lastIndexOf('/') + 1) : '');
    if (!filename) continue;
    const link: SimpleLink = { filename, url, sitePath, hashes };
    const rp = a.attrs.get('data-requires-python');
    if (typeof rp === 'string' && rp !== '') link.requiresPython = rp;
    // as pip reads the HTML: a data-yanked without a value is not yanked, an empty one is (PEP 691 `true`)
    const yanked = a.attrs.get('data-yanked');
    if (typeof yanked === 'string') link.yanked = yanked === '' ? true : yanked;
    out.push(link);
  }
  return out;
}

/** Project names of the root page (anchor texts, normalised), sorted and unique. */
export function rootProjects(html: string): string[] {
  const names = new Set<string>();
  for (const a of scanAnchors(html).anchors) {
    const href = a.attrs.get('href');
    if (typeof href !== 'string') continue;
    const name = a.text || percentDecoded(href.replace(/\/+$/, '').split('/').pop() ?? '');
    if (name) names.add(normalizeProjectName(name));
  }
  return [...names].sort();
}

/** Decoded path an href resolves to from `pagePath`, or undefined when it names another host or is malformed. */
export function resolveSitePath(pagePath: string, href: string): string | undefined {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:|^\/\//.test(href)) return undefined;
  try {
    const base = new URL(`http://mirror.invalid${pagePath}`);
    const u = new URL(href, base);
    if (u.host !== base.host) return undefined;
    return decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
}

/** What the JSON needs to know about a linked file that only the site can say. */
export interface LinkedFile {
  size: number;
  sha256: string;
  /** sha256 of `<file>.metadata` when the site serves one (PEP 658). */
  metadataSha256?: string;
}

/** The PEP 691 (api-version 1.1) JSON of a project page. Links the site cannot serve are left out. */
export function projectJson(project: string, links: SimpleLink[], lookup: (link: SimpleLink) => LinkedFile | undefined): string {
  const files: Record<string, unknown>[] = [];
  const versions = new Set<string>();
  for (const link of links) {
    const f = lookup(link);
    if (!f) continue;
    const entry: Record<string, unknown> = { filename: link.filename, url: link.url, hashes: { ...link.hashes, sha256: f.sha256 } };
    if (link.requiresPython !== undefined) entry['requires-python'] = link.requiresPython;
    if (link.yanked !== undefined) entry.yanked = link.yanked;
    if (f.metadataSha256) {
      // PEP 714 renamed PEP 691's dist-info-metadata; clients older than PEP 714 read only the old key
      entry['core-metadata'] = { sha256: f.metadataSha256 };
      entry['dist-info-metadata'] = { sha256: f.metadataSha256 };
    }
    entry.size = f.size;
    files.push(entry);
    const v = versionFromFilename(link.filename, project);
    if (v !== undefined) versions.add(v);
  }
  const doc = { meta: { 'api-version': SIMPLE_API_VERSION }, name: project, versions: [...versions].sort(), files };
  return `${JSON.stringify(doc)}\n`;
}

/** The PEP 691 JSON of the root page. */
export function rootJson(projects: string[]): string {
  return `${JSON.stringify({ meta: { 'api-version': SIMPLE_API_VERSION }, projects: projects.map((name) => ({ name })) })}\n`;
}

const SDIST_SUFFIXES = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.tar', '.zip'];

/**
 * Version part of a wheel (`name-1.0-py3-none-any.whl`, PEP 427) or sdist
 * (`name-1.0.tar.gz`, PEP 625 and the legacy forms) file name, given its
 * normalised project name; undefined when the name does not start with it.
 */
export function versionFromFilename(filename: string, project: string): string | undefined {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    return parts.length >= 5 && normalizeProjectName(parts[0]!) === project ? parts[1] : undefined;
  }
  const suffix = SDIST_SUFFIXES.find((s) => filename.toLowerCase().endsWith(s));
  if (!suffix) return undefined;
  const stem = filename.slice(0, -suffix.length);
  for (let i = stem.indexOf('-'); i !== -1; i = stem.indexOf('-', i + 1)) {
    if (normalizeProjectName(stem.slice(0, i)) === project) return stem.slice(i + 1) || undefined;
  }
  return undefined;
}
