// The "simple" repository API: PEP 503 HTML pages and PEP 691 JSON pages,
// with PEP 592 yanking, PEP 629 repository-version, PEP 658/714 metadata
// sidecars, PEP 700 (versions, size, upload-time) and PEP 708 (tracks,
// alternate-locations: read, not acted on).
// Spec: https://packaging.python.org/en/latest/specifications/simple-repository-api/
// HTML is read by core's anchor scanner (attributes in any order, any quoting,
// entities decoded, `<base href>` honoured); hrefs resolve against the page URL.
import { type HtmlAnchor, PackagerError, percentDecoded, redactText, redactUrl, scanAnchors } from '../../core/index.js';

export interface IndexFile {
  filename: string;
  /** Absolute URL without the fragment. */
  url: string;
  /** algorithm (lower-case) -> lower-case hex digest. */
  hashes: Record<string, string>;
  requiresPython?: string;
  yanked: boolean;
  /** PEP 592 reason ('' when yanked without one). */
  yankedReason?: string;
  /** PEP 658/714: false, true (no hash given) or algorithm -> hex of the `.metadata` file. */
  coreMetadata: false | true | Record<string, string>;
  /** PEP 700 (JSON only). */
  size?: number;
  uploadTime?: string;
}

export interface ProjectPage {
  /** The page URL it was parsed from (redirects applied). */
  url: string;
  name?: string;
  files: IndexFile[];
  /** PEP 629 / 691 `api-version` (`1.0`), when the page states it. */
  apiVersion?: string;
  /** PEP 700: every version the project has, even without files. */
  versions?: string[];
  /** PEP 708. */
  tracks: string[];
  alternateLocations: string[];
  /** Links left out, each naming the link and why (HTML pages only). */
  warnings: string[];
}

const HASH_NAMES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/**
 * Hashes of a `#<alg>=<hex>` fragment: {} when it names no hash this reads,
 * a string saying why when it names one with a digest that is not hex.
 */
function parseHashFragment(fragment: string): Record<string, string> | string {
  const m = /^([a-zA-Z0-9_]+)=(.*)$/.exec(fragment);
  if (!m) return {};
  const algo = m[1]!.toLowerCase();
  const hex = m[2]!;
  if (!HASH_NAMES.has(algo)) return {};
  if (!/^[0-9a-fA-F]+$/.test(hex)) return `malformed ${algo} digest ${JSON.stringify(hex.slice(0, 140))}`;
  return { [algo]: hex.toLowerCase() };
}

function filenameFromUrl(url: URL): string {
  return percentDecoded(url.pathname.split('/').filter(Boolean).pop() ?? '');
}

function metadataAttr(value: string | undefined): IndexFile['coreMetadata'] {
  if (value === undefined) return false;
  const v = value.trim();
  if (v.toLowerCase() === 'false') return false;
  const m = /^([a-zA-Z0-9_]+)=([0-9a-fA-F]+)$/.exec(v);
  return m ? { [m[1]!.toLowerCase()]: m[2]!.toLowerCase() } : true;
}

function checkApiVersion(version: string | undefined, pageUrl: string): void {
  if (version === undefined) return;
  const major = Number(version.split('.')[0]);
  if (major !== 1) {
    throw new PackagerError('EBADINDEX', `Unsupported simple API version ${version} on index page: ${redactUrl(pageUrl)}`, {
      url: redactUrl(pageUrl),
      wanted: '1.x',
      found: version,
      hint: 'PEP 629: a client must not guess at a new major version; use an index that serves API 1.x.',
    });
  }
}

/** Schemes a link may have: pip fetches these; `mailto:`, `javascript:` and the like name no file. */
const LINK_SCHEMES = new Set(['http:', 'https:', 'file:']);

/**
 * Parses a PEP 503 HTML project (or root) page. A link that cannot name a
 * file (not a URL, another scheme, a malformed hash) is left out with a
 * warning, as pip leaves it out; the page is refused (EBADINDEX) only when it
 * ends inside a tag or comment (truncated) or states an API version it does
 * not support.
 */
export function parseSimpleHtml(html: string, pageUrl: string): ProjectPage {
  const scan = scanAnchors(html);
  const shownPage = redactUrl(pageUrl);
  if (scan.unterminated) {
    const { what, line } = scan.unterminated;
    throw new PackagerError('EBADINDEX', `Malformed HTML index page: ${shownPage}: ${what} (line ${line})`, {
      url: shownPage,
      line,
      hint: 'Check that the index URL points at a PEP 503 simple index.',
    });
  }
  const page: ProjectPage = { url: pageUrl, files: [], tracks: [], alternateLocations: [], warnings: [] };
  for (const { name, content } of scan.metas) {
    if (name === 'pypi:repository-version') page.apiVersion = content;
    else if (name === 'pypi:tracks') page.tracks.push(content);
    else if (name === 'pypi:alternate-locations') page.alternateLocations.push(content);
  }
  checkApiVersion(page.apiVersion, pageUrl);
  let base = pageUrl;
  if (scan.baseHref) {
    try {
      base = new URL(scan.baseHref, pageUrl).toString();
    } catch {
      /* keep the page URL */
    }
  }
  for (const a of scan.anchors) {
    const href = a.attrs.get('href');
    if (!href) continue;
    const file = readLink(a, href, base);
    if (typeof file === 'string') page.warnings.push(`Skipped link ${JSON.stringify(redactText(redactUrl(href)).slice(0, 200))} on index page ${shownPage} (line ${a.line}): ${file}`);
    else page.files.push(file);
  }
  return page;
}

/** The file an anchor links, or why it links none. */
function readLink(a: HtmlAnchor, href: string, base: string): IndexFile | string {
  let abs: URL;
  try {
    abs = new URL(href, base);
  } catch {
    return 'not a URL';
  }
  if (!LINK_SCHEMES.has(abs.protocol)) return `a ${abs.protocol} link is not a file pip can fetch`;
  const fragment = abs.hash.replace(/^#/, '');
  abs.hash = '';
  const filename = filenameFromUrl(abs) || a.text;
  const hashes = parseHashFragment(fragment);
  if (typeof hashes === 'string') return `${hashes} for ${filename}`;
  // pip: data-yanked written without a value (html.parser's None) is not yanked; an empty value is, without a reason
  const yanked = a.attrs.get('data-yanked');
  const file: IndexFile = {
    filename,
    url: abs.toString(),
    hashes,
    yanked: typeof yanked === 'string',
    coreMetadata: metadataAttr(a.attrs.get('data-core-metadata') ?? a.attrs.get('data-dist-info-metadata') ?? undefined),
  };
  if (typeof yanked === 'string') file.yankedReason = yanked;
  const rp = a.attrs.get('data-requires-python')?.trim();
  if (rp) file.requiresPython = rp;
  return file;
}

function jsonBad(pageUrl: string, why: string): PackagerError {
  return new PackagerError('EBADINDEX', `Malformed PEP 691 JSON index page: ${redactUrl(pageUrl)}: ${why}`, {
    url: redactUrl(pageUrl),
    hint: 'Check that the index URL points at a PEP 691 simple index, or ask for HTML.',
  });
}

function metadataJson(value: unknown, pageUrl: string, filename: string): IndexFile['coreMetadata'] {
  if (value === undefined || value === null || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string') throw jsonBad(pageUrl, `core-metadata hash of ${filename} is not a string`);
      out[k.toLowerCase()] = v.toLowerCase();
    }
    return Object.keys(out).length ? out : true;
  }
  throw jsonBad(pageUrl, `core-metadata of ${filename} is neither a boolean nor a hash object`);
}

/** Parses a PEP 691 JSON project page. Throws EBADINDEX when it does not follow the spec. */
export function parseSimpleJson(text: string, pageUrl: string): ProjectPage {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw jsonBad(pageUrl, `not JSON (${(err as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw jsonBad(pageUrl, 'the document is not an object');
  const d = doc as Record<string, unknown>;
  const meta = d.meta as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object' || typeof meta['api-version'] !== 'string') throw jsonBad(pageUrl, 'meta.api-version is missing');
  checkApiVersion(meta['api-version'], pageUrl);
  if (!Array.isArray(d.files)) throw jsonBad(pageUrl, '"files" is not a list');
  const page: ProjectPage = {
    url: pageUrl,
    files: [],
    apiVersion: meta['api-version'],
    tracks: Array.isArray(meta.tracks) ? meta.tracks.filter((x): x is string => typeof x === 'string') : [],
    alternateLocations: Array.isArray(d['alternate-locations']) ? (d['alternate-locations'] as unknown[]).filter((x): x is string => typeof x === 'string') : [],
    warnings: [],
  };
  if (typeof d.name === 'string') page.name = d.name;
  if (Array.isArray(d.versions)) page.versions = d.versions.filter((x): x is string => typeof x === 'string');
  d.files.forEach((raw: unknown, i: number) => {
    if (!raw || typeof raw !== 'object') throw jsonBad(pageUrl, `files[${i}] is not an object`);
    const f = raw as Record<string, unknown>;
    if (typeof f.filename !== 'string' || !f.filename) throw jsonBad(pageUrl, `files[${i}].filename is missing`);
    if (typeof f.url !== 'string') throw jsonBad(pageUrl, `files[${i}].url is missing (${f.filename})`);
    if (!f.hashes || typeof f.hashes !== 'object' || Array.isArray(f.hashes)) throw jsonBad(pageUrl, `files[${i}].hashes is not an object (${f.filename})`);
    let abs: URL;
    try {
      abs = new URL(f.url, pageUrl);
    } catch {
      throw jsonBad(pageUrl, `files[${i}].url is not a URL: ${f.url}`);
    }
    abs.hash = '';
    const hashes: Record<string, string> = {};
    for (const [k, v] of Object.entries(f.hashes as Record<string, unknown>)) {
      if (typeof v !== 'string' || !/^[0-9a-fA-F]+$/.test(v)) throw jsonBad(pageUrl, `files[${i}].hashes.${k} is not a hex digest (${f.filename})`);
      hashes[k.toLowerCase()] = v.toLowerCase();
    }
    const yanked = f.yanked;
    if (yanked !== undefined && typeof yanked !== 'boolean' && typeof yanked !== 'string') throw jsonBad(pageUrl, `files[${i}].yanked must be a boolean or a string`);
    const file: IndexFile = {
      filename: f.filename,
      url: abs.toString(),
      hashes,
      yanked: yanked === true || typeof yanked === 'string',
      coreMetadata: metadataJson(f['core-metadata'] ?? f['data-dist-info-metadata'] ?? f['dist-info-metadata'], pageUrl, f.filename),
    };
    if (file.yanked) file.yankedReason = typeof yanked === 'string' ? yanked : '';
    if (typeof f['requires-python'] === 'string' && f['requires-python'].trim()) file.requiresPython = f['requires-python'].trim();
    if (f.size !== undefined) {
      if (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 0) throw jsonBad(pageUrl, `files[${i}].size is not a byte count (${f.filename})`);
      file.size = f.size;
    }
    if (typeof f['upload-time'] === 'string') file.uploadTime = f['upload-time'];
    page.files.push(file);
  });
  return page;
}

/**
 * Which parser a response needs, from its Content-Type (PEP 691 content
 * negotiation); a body starting with `{` under a type that says neither
 * (a static server's application/octet-stream) is JSON.
 */
export function pageFormat(contentType: string | undefined, body = ''): 'json' | 'html' {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/vnd.pypi.simple.v1+json' || ct === 'application/json') return 'json';
  if (ct.includes('html')) return 'html';
  return body.trimStart().startsWith('{') ? 'json' : 'html';
}

/** Parses an index page in whichever format the response carries. */
export function parseSimplePage(body: string, pageUrl: string, contentType?: string): ProjectPage {
  return pageFormat(contentType, body) === 'json' ? parseSimpleJson(body, pageUrl) : parseSimpleHtml(body, pageUrl);
}

/** Accept header for project pages: PEP 691 JSON preferred, HTML as the fallback. */
export const SIMPLE_ACCEPT = 'application/vnd.pypi.simple.v1+json, text/html;q=0.1';
