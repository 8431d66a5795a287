// The "simple" repository API: PEP 503 HTML pages and PEP 691 JSON pages,
// with PEP 592 yanking, PEP 629 repository-version, PEP 658/714 metadata
// sidecars, PEP 700 (versions, size, upload-time) and PEP 708 (tracks,
// alternate-locations: read, not acted on).
// Spec: https://packaging.python.org/en/latest/specifications/simple-repository-api/
// HTML is scanned tag by tag (attributes in any order, any quoting, entities
// decoded, `<base href>` honoured); hrefs resolve against the page URL.
import { PackagerError, redactUrl } from '../../core/index.js';

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
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes HTML character references (`&lt;`, `&#62;`, `&#x3e;`). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

interface Tag {
  name: string;
  attrs: Map<string, string>;
  /** Text up to the matching close tag (only for `a`). */
  text?: string;
  line: number;
}

function lineAt(html: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < html.length; i++) if (html.charCodeAt(i) === 10) n++;
  return n;
}

function scanTags(html: string, pageUrl: string): Tag[] {
  const tags: Tag[] = [];
  const bad = (why: string, at: number) =>
    new PackagerError('EBADINDEX', `Malformed HTML index page: ${redactUrl(pageUrl)}: ${why} (line ${lineAt(html, at)})`, {
      url: redactUrl(pageUrl),
      line: lineAt(html, at),
      hint: 'Check that the index URL points at a PEP 503 simple index.',
    });
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) throw bad('unterminated comment', lt);
      i = end + 3;
      continue;
    }
    const nameMatch = /^<\/?([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(lt, lt + 64));
    if (!nameMatch) {
      // `<!DOCTYPE ...>`, `<?xml ...?>` or a stray `<` in text.
      const gt = html.indexOf('>', lt);
      i = html[lt + 1] === '!' || html[lt + 1] === '?' ? (gt < 0 ? html.length : gt + 1) : lt + 1;
      continue;
    }
    const closing = html[lt + 1] === '/';
    const name = nameMatch[1]!.toLowerCase();
    let j = lt + nameMatch[0].length;
    const attrs = new Map<string, string>();
    for (;;) {
      while (j < html.length && /\s/.test(html[j]!)) j++;
      if (j >= html.length) throw bad(`unterminated <${name}> tag`, lt);
      if (html[j] === '>') {
        j++;
        break;
      }
      if (html.startsWith('/>', j)) {
        j += 2;
        break;
      }
      const an = /^[^\s=>/"']+/.exec(html.slice(j, j + 256));
      if (!an) {
        j++; // a stray quote or slash: skip like browsers do
        continue;
      }
      const attr = an[0].toLowerCase();
      j += an[0].length;
      while (j < html.length && /\s/.test(html[j]!)) j++;
      let value = '';
      if (html[j] === '=') {
        j++;
        while (j < html.length && /\s/.test(html[j]!)) j++;
        const q = html[j];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, j + 1);
          if (end < 0) throw bad(`unterminated quoted value of ${attr} in <${name}>`, j);
          value = html.slice(j + 1, end);
          j = end + 1;
        } else {
          const uv = /^[^\s>]*/.exec(html.slice(j))![0];
          value = uv;
          j += uv.length;
        }
      }
      if (!attrs.has(attr)) attrs.set(attr, decodeEntities(value));
    }
    i = j;
    if (closing) continue;
    const tag: Tag = { name, attrs, line: lineAt(html, lt) };
    if (name === 'a') {
      const close = html.slice(j).search(/<\/a\s*>/i);
      const end = close < 0 ? html.length : j + close;
      tag.text = decodeEntities(html.slice(j, end).replace(/<[^>]*>/g, '')).trim();
      i = end;
    }
    tags.push(tag);
  }
  return tags;
}

function parseHashFragment(fragment: string, pageUrl: string, filename: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const m = /^([a-zA-Z0-9_]+)=(.*)$/.exec(fragment);
  if (!m) return hashes;
  const algo = m[1]!.toLowerCase();
  const hex = m[2]!;
  if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(algo)) return hashes;
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    throw new PackagerError('EBADINDEX', `Malformed ${algo} digest for ${filename} on index page: ${redactUrl(pageUrl)}`, {
      url: redactUrl(pageUrl),
      found: hex,
      hint: 'The index publishes a broken hash fragment; report it to the index operator.',
    });
  }
  hashes[algo] = hex.toLowerCase();
  return hashes;
}

function filenameFromUrl(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
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

/** Parses a PEP 503 HTML project (or root) page. Throws EBADINDEX when it cannot be read. */
export function parseSimpleHtml(html: string, pageUrl: string): ProjectPage {
  const tags = scanTags(html, pageUrl);
  let base = pageUrl;
  const page: ProjectPage = { url: pageUrl, files: [], tracks: [], alternateLocations: [] };
  for (const t of tags) {
    if (t.name === 'base' && t.attrs.get('href')) {
      try {
        base = new URL(t.attrs.get('href')!, pageUrl).toString();
      } catch {
        /* keep the page URL */
      }
    } else if (t.name === 'meta') {
      const name = t.attrs.get('name');
      const content = t.attrs.get('content') ?? '';
      if (name === 'pypi:repository-version') page.apiVersion = content;
      else if (name === 'pypi:tracks') page.tracks.push(content);
      else if (name === 'pypi:alternate-locations') page.alternateLocations.push(content);
    }
  }
  checkApiVersion(page.apiVersion, pageUrl);
  for (const t of tags) {
    if (t.name !== 'a') continue;
    const href = t.attrs.get('href');
    if (!href) continue;
    let abs: URL;
    try {
      abs = new URL(href, base);
    } catch {
      throw new PackagerError('EBADINDEX', `Malformed link on index page: ${redactUrl(pageUrl)}: ${href} (line ${t.line})`, {
        url: redactUrl(pageUrl),
        line: t.line,
      });
    }
    const fragment = abs.hash.replace(/^#/, '');
    abs.hash = '';
    const filename = filenameFromUrl(abs) || t.text || '';
    const file: IndexFile = {
      filename,
      url: abs.toString(),
      hashes: parseHashFragment(fragment, pageUrl, filename),
      yanked: t.attrs.has('data-yanked'),
      coreMetadata: metadataAttr(t.attrs.get('data-core-metadata') ?? t.attrs.get('data-dist-info-metadata')),
    };
    if (file.yanked) file.yankedReason = t.attrs.get('data-yanked') ?? '';
    const rp = t.attrs.get('data-requires-python')?.trim();
    if (rp) file.requiresPython = rp;
    page.files.push(file);
  }
  return page;
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
