// The mirror's URL space, built once at start from a Source: every servable
// path (decoded, `/pypi/files/x.whl`, `/pypi/simple/numpy/`) -> where its
// bytes are, its size, type and (when the bundle says) its sha256, and the
// PEP 691 JSON form of every simple page, made here once so that no request
// ever parses HTML. Requests are Map lookups; nothing is scanned per request.
// The same site is what `serve` answers and what `export` writes, so the two
// cannot disagree.
//
//   bundle layout (zip or unzipped dir)          URL
//   conda/<channel>/<subdir>/<file>              /conda/<channel>/<subdir>/<file>
//   pypi/simple/index.html                       /pypi/simple/
//   pypi/simple/<project>/index.html             /pypi/simple/<project>/
//   pypi/files/<file>  (+ <file>.metadata)       /pypi/files/<file>
//   dependencies/<md5>/<installer> (names.tsv)   /miniconda/<installer>
//   (generated)                                  /  /miniconda/  /healthz
//   (generated; an export's index.json)          JSON of /pypi/simple/[<project>/]
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { INDEX_TSV, NAMES_TSV, PYPI_FILES, PYPI_SIMPLE, compareBytes } from '../bundle/layout.js';
import { escapeHtml } from '../bundle/pypi-tree.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { SIMPLE_JSON, TEXT_HTML, projectJson, projectLinks, rootJson, rootProjects, type LinkedFile } from './pep691.js';
import { encodeSitePath } from './request-path.js';
import { readEntry, type Source } from './source.js';

export interface SiteFile {
  /** Decoded URL path. */
  path: string;
  size: number;
  contentType: string;
  /** sha256 (hex) when the bundle's indexes give it; otherwise hashed on first use. */
  sha256?: string;
  /** Source entry holding the bytes, or... */
  entry?: string;
  /** ...the bytes themselves (generated pages). */
  data?: Buffer;
}

/** A simple page's JSON form: the same file name beside its index.html in an export. */
export const SIMPLE_JSON_FILE = 'index.json';

export interface SiteOptions {
  logger?: Logger;
  /** Bodies up to this size are kept in memory once read (default 256 KiB). */
  smallBodyBytes?: number;
  /** Bytes of cached small bodies (default 32 MiB). */
  cacheBytes?: number;
}

/** Largest HTML page the mirror turns into JSON, and largest index file it reads. */
export const MAX_PAGE_BYTES = 32 * 1024 * 1024;
const MAX_INDEX_BYTES = 256 * 1024 * 1024;

export const HEALTHZ_PATH = '/healthz';
export const MINICONDA_PATH = '/miniconda/';
export const SIMPLE_ROOT_PATH = `/${PYPI_SIMPLE}/`;

/**
 * Content-Type of a site path (simple pages may be negotiated to JSON by the
 * server). Packages, wheels, installers and metadata sidecars are bytes to
 * download: no client reads a type from them. nginx-conf.ts says the same.
 */
export function contentTypeFor(sitePath: string): string {
  if (sitePath.endsWith('/') || sitePath.endsWith('.html')) return TEXT_HTML;
  if (sitePath === HEALTHZ_PATH) return 'text/plain; charset=utf-8';
  if (sitePath.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

/** Packages and wheels never change under their name; everything else may change with the next bundle. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

/** Cache-Control of a site path (nginx-conf.ts says the same). */
export function cacheControlFor(sitePath: string): string {
  return /^\/pypi\/files\/[^/]+$/.test(sitePath) || /^\/conda\/[^/]+\/[^/]+\/[^/]+\.(conda|tar\.bz2)$/.test(sitePath) ? IMMUTABLE : REVALIDATE;
}

/** Relative file an exported site path is written to: `/pypi/simple/x/` -> `pypi/simple/x/index.html`. */
export function sitePathToFile(sitePath: string): string {
  return sitePath.endsWith('/') ? `${sitePath.slice(1)}index.html` : sitePath.slice(1);
}

/** Inverse of sitePathToFile. */
export function fileToSitePath(file: string): string {
  if (file === 'index.html') return '/';
  if (file.endsWith('/index.html')) return `/${file.slice(0, -'index.html'.length)}`;
  return `/${file}`;
}

/** True for a simple page path (`/pypi/simple/` or `/pypi/simple/<project>/`), which Accept can turn into JSON. */
export function isSimplePage(sitePath: string): boolean {
  return sitePath === SIMPLE_ROOT_PATH || /^\/pypi\/simple\/[^/]+\/$/.test(sitePath);
}

/** Where the JSON form of a simple page is kept (and exported): `/pypi/simple/x/` -> `/pypi/simple/x/index.json`. */
export function simpleJsonPath(pagePath: string): string {
  return `${pagePath}${SIMPLE_JSON_FILE}`;
}

/** A site: servable paths and the means to read them. */
export class MirrorSite {
  /**
   * The PEP 691 JSON form of each simple page, by page path, made when the
   * site opens. A page without one (too large to convert) is served as HTML only.
   */
  readonly json = new Map<string, SiteFile>();
  private readonly digests = new Map<string, Promise<string>>();
  private readonly hashed = new Map<string, string>();
  private readonly cache = new Map<string, Buffer>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private cachedBytes = 0;
  private readonly smallBodyBytes: number;
  private readonly cacheBytes: number;
  readonly lastModified: Date;

  constructor(
    readonly source: Source,
    readonly files: ReadonlyMap<string, SiteFile>,
    o: SiteOptions = {},
  ) {
    this.lastModified = source.lastModified;
    this.smallBodyBytes = o.smallBodyBytes ?? 256 * 1024;
    this.cacheBytes = o.cacheBytes ?? 32 * 1024 * 1024;
  }

  get(sitePath: string): SiteFile | undefined {
    return this.files.get(sitePath);
  }

  /** sha256 of a file's bytes: from the bundle's index when known, else hashed once. */
  digest(f: SiteFile): Promise<string> {
    if (f.sha256) return Promise.resolve(f.sha256);
    let d = this.digests.get(f.path);
    if (!d) {
      d = this.hash(f);
      this.digests.set(f.path, d);
      d.then(
        (hex) => this.hashed.set(f.path, hex),
        () => this.digests.delete(f.path),
      );
    }
    return d;
  }

  /** The sha256 when known without reading anything: indexed, generated or hashed before. */
  knownDigest(f: SiteFile): string | undefined {
    return f.sha256 ?? this.hashed.get(f.path);
  }

  private async hash(f: SiteFile): Promise<string> {
    const h = createHash('sha256');
    if (f.data || f.size <= this.smallBodyBytes) return h.update(await this.whole(f)).digest('hex');
    if (f.size === 0) return h.digest('hex');
    const stream = await this.source.open(f.entry!, 0, f.size - 1);
    for await (const chunk of stream as AsyncIterable<Buffer>) h.update(chunk);
    return h.digest('hex');
  }

  /** True when `body` answers with a Buffer (generated or small and cached). */
  isSmall(f: SiteFile): boolean {
    return f.data !== undefined || f.size <= this.smallBodyBytes;
  }

  /** The whole body of a generated or small file (cached within the byte budget). */
  async whole(f: SiteFile): Promise<Buffer> {
    const hit = this.cachedWhole(f);
    if (hit) return hit;
    let p = this.reading.get(f.path);
    if (!p) {
      p = readEntry(this.source, f.entry!, Math.max(this.smallBodyBytes, MAX_PAGE_BYTES)).finally(() => this.reading.delete(f.path));
      this.reading.set(f.path, p);
      p.then((buf) => this.remember(f.path, buf)).catch(() => undefined);
    }
    return p;
  }

  /** The whole body when it is generated or already in memory; never reads. */
  cachedWhole(f: SiteFile): Buffer | undefined {
    if (f.data) return f.data;
    const hit = this.cache.get(f.path);
    if (hit) {
      // most recently used last
      this.cache.delete(f.path);
      this.cache.set(f.path, hit);
    }
    return hit;
  }

  private remember(key: string, buf: Buffer): void {
    if (buf.length > this.smallBodyBytes || this.cache.has(key)) return;
    this.cache.set(key, buf);
    this.cachedBytes += buf.length;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes) break;
      this.cache.delete(k);
      this.cachedBytes -= v.length;
    }
  }

  /** Bytes `start..end` (inclusive) of a file: a Buffer for small ones, else a stream from the source. */
  async body(f: SiteFile, start: number, end: number): Promise<Buffer | Readable> {
    if (this.isSmall(f)) {
      const buf = await this.whole(f);
      return start === 0 && end === buf.length - 1 ? buf : buf.subarray(start, end + 1);
    }
    return this.source.open(f.entry!, start, end);
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

interface IndexedDigest {
  sha256: string;
  size: number;
}

/** A file made in memory (generated page, JSON form), with its sha256. */
function generatedFile(sitePath: string, data: Buffer, contentType = contentTypeFor(sitePath)): SiteFile {
  return { path: sitePath, size: data.length, contentType, data, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Makes the JSON form of every simple page that has none yet (links the site
 * cannot serve are dropped; PEP 658 metadata advertised when served). Pages are
 * read one at a time; one that cannot be converted is served as HTML only.
 */
async function addSimpleJson(site: MirrorSite, logger: Logger): Promise<void> {
  for (const page of site.files.values()) {
    if (!isSimplePage(page.path) || site.json.has(page.path)) continue;
    try {
      site.json.set(page.path, generatedFile(simpleJsonPath(page.path), await simpleJsonOf(site, page), SIMPLE_JSON));
    } catch (err) {
      logger.warn(`Serving ${page.path} as HTML only: ${(err as Error).message}`);
    }
  }
}

async function simpleJsonOf(site: MirrorSite, page: SiteFile): Promise<Buffer> {
  if (page.size > MAX_PAGE_BYTES) throw new Error(`simple page too large to convert to JSON (${page.size} bytes)`);
  const html = (await site.whole(page)).toString('utf8');
  if (page.path === SIMPLE_ROOT_PATH) return Buffer.from(rootJson(rootProjects(html)));
  const project = page.path.split('/')[3]!;
  const links = projectLinks(page.path, html);
  const known = new Map<string, LinkedFile>();
  for (const link of links) {
    const f = link.sitePath ? site.files.get(link.sitePath) : undefined;
    if (!f || f.path.endsWith('/') || known.has(f.path)) continue;
    const meta = site.files.get(`${f.path}.metadata`);
    known.set(f.path, { size: f.size, sha256: await site.digest(f), metadataSha256: meta ? await site.digest(meta) : undefined });
  }
  return Buffer.from(projectJson(project, links, (l) => (l.sitePath ? known.get(l.sitePath) : undefined)));
}

/**
 * The site of a bundle (a zip, or a directory it was unzipped into). Missing
 * parts are simply absent (an uncached zip serves only the generated pages).
 */
export async function buildBundleSite(source: Source, o: SiteOptions = {}): Promise<MirrorSite> {
  const logger = o.logger ?? silentLogger;
  const files = new Map<string, SiteFile>();
  const index = new Map<string, IndexedDigest>();
  if (source.entries.has(INDEX_TSV)) {
    // url <TAB> path <TAB> sha256 <TAB> size   (bundle/index-tsv.ts)
    for (const line of (await readEntry(source, INDEX_TSV, MAX_INDEX_BYTES)).toString('utf8').split('\n')) {
      const f = line.split('\t');
      if (f.length === 4 && /^[0-9a-f]{64}$/.test(f[2]!) && /^\d+$/.test(f[3]!)) index.set(f[1]!, { sha256: f[2]!, size: Number(f[3]) });
    }
  }
  const add = (sitePath: string, entry: string, size: number, known?: IndexedDigest) => {
    if (files.has(sitePath)) {
      logger.warn(`Two bundle files want the same URL, keeping the first: ${sitePath} (${files.get(sitePath)!.entry}, ${entry})`);
      return;
    }
    let sha256: string | undefined;
    if (known && known.size === size) sha256 = known.sha256;
    else if (known) logger.warn(`${INDEX_TSV} gives ${entry} ${known.size} bytes but the bundle has ${size}; hashing it instead`);
    files.set(sitePath, { path: sitePath, size, contentType: contentTypeFor(sitePath), sha256, entry });
  };

  const channels = new Map<string, Set<string>>();
  for (const e of source.entries.values()) {
    const conda = /^conda\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(e.name);
    if (conda) {
      if (conda[3] === 'index.html') continue;
      add(`/${e.name}`, e.name, e.size, index.get(e.name));
      const subdirs = channels.get(conda[1]!) ?? new Set<string>();
      subdirs.add(conda[2]!);
      channels.set(conda[1]!, subdirs);
      continue;
    }
    if (e.name === `${PYPI_SIMPLE}/index.html`) {
      add(SIMPLE_ROOT_PATH, e.name, e.size);
      continue;
    }
    const page = /^pypi\/simple\/([^/]+)\/index\.html$/.exec(e.name);
    if (page) {
      add(`/${PYPI_SIMPLE}/${page[1]}/`, e.name, e.size);
      continue;
    }
    const dist = /^pypi\/files\/([^/]+)$/.exec(e.name);
    if (dist && dist[1] !== 'index.html') add(`/${PYPI_FILES}/${dist[1]}`, e.name, e.size, index.get(e.name));
  }

  const installers: { filename: string; size: number; sha256?: string }[] = [];
  if (source.entries.has(NAMES_TSV)) {
    // name <TAB> version <TAB> path <TAB> sha256 <TAB> size <TAB> url   (bundle/index-tsv.ts)
    for (const line of (await readEntry(source, NAMES_TSV, MAX_INDEX_BYTES)).toString('utf8').split('\n')) {
      const f = line.split('\t');
      if (f.length < 5 || !isInstaller(f[0]!, f[2]!)) continue;
      const entry = source.entries.get(f[2]!);
      if (!entry) {
        logger.warn(`${NAMES_TSV} names an installer the bundle does not hold: ${f[2]}`);
        continue;
      }
      const filename = f[2]!.slice(f[2]!.lastIndexOf('/') + 1);
      const sitePath = `${MINICONDA_PATH}${filename}`;
      if (filename === 'index.html' || files.has(sitePath)) continue;
      const known = /^[0-9a-f]{64}$/.test(f[3]!) && /^\d+$/.test(f[4]!) ? { sha256: f[3]!, size: Number(f[4]) } : undefined;
      add(sitePath, entry.name, entry.size, known ?? index.get(entry.name));
      installers.push({ filename, size: entry.size, sha256: files.get(sitePath)!.sha256 });
    }
  }

  const generated = (sitePath: string, text: string) => files.set(sitePath, generatedFile(sitePath, Buffer.from(text, 'utf8')));
  const site = new MirrorSite(source, files, o);
  // the listing shows every installer's sha256, so unknown ones are hashed now
  for (const inst of installers) inst.sha256 ??= await site.digest(files.get(`${MINICONDA_PATH}${inst.filename}`)!);
  generated(MINICONDA_PATH, minicondaPage(installers as { filename: string; size: number; sha256: string }[]));
  generated('/', rootPage(channels, files.has(SIMPLE_ROOT_PATH)));
  generated(HEALTHZ_PATH, 'ok\n');
  await addSimpleJson(site, logger);
  return site;
}

/**
 * The site of a directory `bin/mirror export` wrote, from its index. The
 * JSON forms it wrote beside the simple pages are used as they are; an export
 * without them (an older one) gets them made as a bundle does.
 */
export async function buildExportSite(source: Source, digests: ReadonlyMap<string, IndexedDigest>, o: SiteOptions = {}): Promise<MirrorSite> {
  const files = new Map<string, SiteFile>();
  const jsonFiles: SiteFile[] = [];
  for (const e of source.entries.values()) {
    const sitePath = fileToSitePath(e.name);
    const known = digests.get(e.name);
    const f = { path: sitePath, size: e.size, contentType: contentTypeFor(sitePath), sha256: known && known.size === e.size ? known.sha256 : undefined, entry: e.name };
    if (sitePath.endsWith(`/${SIMPLE_JSON_FILE}`) && isSimplePage(sitePath.slice(0, -SIMPLE_JSON_FILE.length))) jsonFiles.push({ ...f, contentType: SIMPLE_JSON });
    else files.set(sitePath, f);
  }
  const site = new MirrorSite(source, files, o);
  for (const f of jsonFiles) {
    const page = f.path.slice(0, -SIMPLE_JSON_FILE.length);
    if (files.has(page)) site.json.set(page, f);
  }
  await addSimpleJson(site, o.logger ?? silentLogger);
  return site;
}

// names.tsv rows are manifest dependencies and installers; the installers are
// Miniconda/Miniforge (bundle/packaged-manifest.ts names them by flavor).
function isInstaller(name: string, zipPath: string): boolean {
  const base = zipPath.slice(zipPath.lastIndexOf('/') + 1);
  return /^(miniconda|miniforge|mambaforge)/i.test(name) || /^(miniconda|miniforge|mambaforge)\d*-.*\.sh$/i.test(base);
}

/**
 * The installer listing, in the table shape of https://repo.anaconda.com/miniconda/
 * (Filename, Size, SHA256) so resolve/miniconda can read a mirror as its index_url.
 * Sizes are exact bytes; no dates, so the page depends only on the bundle.
 */
export function minicondaPage(installers: { filename: string; size: number; sha256: string }[]): string {
  const rows = [...installers]
    .sort((a, b) => compareBytes(a.filename, b.filename))
    .map(
      (i) =>
        `  <tr>\n    <td><a href="${escapeHtml(encodeSitePath(i.filename))}">${escapeHtml(i.filename)}</a></td>\n    <td class="s">${i.size}</td>\n    <td>${i.sha256}</td>\n  </tr>`,
    );
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head><meta charset="utf-8"><title>Installers</title></head>',
    '<body>',
    '<h2>Installers</h2>',
    '<table>',
    '  <tr>\n    <th>Filename</th>\n    <th>Size</th>\n    <th>SHA256</th>\n  </tr>',
    ...rows,
    '</table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function rootPage(channels: Map<string, Set<string>>, hasPypi: boolean): string {
  const items: string[] = [];
  for (const [channel, subdirs] of [...channels].sort((a, b) => compareBytes(a[0], b[0]))) {
    const links = [...subdirs]
      .sort(compareBytes)
      .map((s) => `<a href="${escapeHtml(encodeSitePath(`conda/${channel}/${s}/repodata.json`))}">${escapeHtml(s)}</a>`)
      .join(' ');
    items.push(`<li>conda channel <code>conda/${escapeHtml(channel)}</code>: ${links}</li>`);
  }
  if (hasPypi) items.push('<li><a href="pypi/simple/">PyPI simple index</a></li>');
  items.push('<li><a href="miniconda/">Installers</a></li>');
  return ['<!DOCTYPE html>', '<html>', '<head><meta charset="utf-8"><title>Dependency mirror</title></head>', '<body>', '<h1>Dependency mirror</h1>', '<ul>', ...items, '</ul>', '</body>', '</html>', ''].join('\n');
}
