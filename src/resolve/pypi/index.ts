// resolve/pypi: turns the manifest's `pip:` section (requirements, requirement
// files, index options) into lock entries, one per wheel/sdist, for every stack.
// This file does the I/O (index pages, PEP 658 sidecars, downloads through the
// injected fetchers); parsing and selection live in the pure modules beside it.
// It must not write to stdout/stderr, pick exit codes, or import other resolvers.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Artifact,
  type DocumentKind,
  type Logger,
  PackagerError,
  checkNetworkReference,
  decodeText,
  isPackagerError,
  normalizeProjectName,
  readRegularFile,
  redactUrl,
  sriFromHex,
  stackInfo,
  unredactUrl,
} from '../../core/index.js';
import type { LockEntry, PipSection } from '../../manifest/types.js';
import { readSdistMetadata, readWheelMetadata } from './dist-archive.js';
import { type CoreMetadata, parseCoreMetadata, parseEggRequires, sdistDependenciesAreStatic } from './metadata.js';
import { type LockFileInput, lockedEntries } from './locked-inputs.js';
import { lockFormatOf } from './lockfiles/index.js';
import { formatVersion } from './pep440.js';
import { parseRequirement, RequirementSyntaxError } from './requirement.js';
import { type RequirementLine, type RequirementsOptions, emptyRequirementsOptions, parseRequirementsFile } from './requirements-file.js';
import { type Candidate, type InputRequirement, type ResolvedDist, type ResolverSource, type Target, makeTarget, resolveRequirements } from './resolver.js';
import { type IndexFile, type ProjectPage, SIMPLE_ACCEPT, parseSimpleHtml, parseSimplePage } from './simple-index.js';
import { parseWheelFilename } from './wheel-filename.js';
import { expandPlatforms, glibcPlatforms } from './wheel-tags.js';

export { parseRequirement, formatRequirement } from './requirement.js';
export { parseWheelFilename, parseSdistFilename } from './wheel-filename.js';
export { parseSimpleHtml, parseSimpleJson, parseSimplePage, SIMPLE_ACCEPT } from './simple-index.js';
export { supportedTags, glibcPlatforms, expandPlatforms } from './wheel-tags.js';
export { parseCoreMetadata } from './metadata.js';
export { readWheelMetadata, readSdistMetadata } from './dist-archive.js';
export { parseRequirementsFile } from './requirements-file.js';
export type { IndexFile, ProjectPage } from './simple-index.js';

export interface PypiResolveContext {
  /** GETs a document (index page, PEP 658 sidecar; `kind` picks its size limit, default `document`) into a file; `url` is the final URL after redirects. */
  fetchDocument(url: string, headers?: Record<string, string>, kind?: DocumentKind): Promise<{ path: string; url: string; contentType?: string }>;
  /** Downloads an artifact into the content cache, verified against its integrity. */
  fetchFile(a: Artifact): Promise<{ path: string; sha256: string; size: number }>;
  logger: Logger;
  /**
   * One run's index pages and metadata, shared by every environment resolved
   * with it (each page fetched and parsed once): pass the same `new Map()`.
   */
  sources?: PypiSourceCache;
}

/** Opaque per-run cache of index sources (see PypiResolveContext.sources). */
export type PypiSourceCache = Map<string, unknown>;

export interface PypiResolveInput {
  pip: PipSection;
  stacks: string[];
  /** Directory of manifest.yml: `pip.files` are relative to it. */
  manifestDir: string;
  /** More requirements (e.g. the `pip:` list of a conda environment.yml). */
  extraRequirements?: string[];
  /** Environment for `${VAR}` in requirement files (default process.env). */
  env?: Record<string, string | undefined>;
}

function isNotFound(err: unknown): boolean {
  return isPackagerError(err) && (err.details.status === 404 || err.details.status === 410);
}

async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

interface Inputs {
  requirements: InputRequirement[];
  constraints: InputRequirement[];
  options: RequirementsOptions;
  hashLines: boolean;
}

/** The Python lock files among `pip.files` (lockedEntries reads them; they are never re-resolved). */
async function readLockInputs(input: PypiResolveInput): Promise<LockFileInput[]> {
  const out: LockFileInput[] = [];
  for (const f of input.pip.files) {
    const format = lockFormatOf(f);
    if (!format) continue;
    const file = path.resolve(input.manifestDir, f);
    const text = decodeText(await readRegularFile(file, { code: 'EINPUT', maxBytes: 64 << 20, what: `${format} lock file` }), file, 'EINPUT');
    out.push({ format, file: path.relative(input.manifestDir, file) || f, text });
  }
  return out;
}

async function readInputs(input: PypiResolveInput): Promise<Inputs> {
  const env = input.env ?? process.env;
  const out: Inputs = { requirements: [], constraints: [], options: emptyRequirementsOptions(), hashLines: false };
  const rel = (f: string) => path.relative(input.manifestDir, f) || f;
  const add = (list: InputRequirement[], l: RequirementLine) => {
    list.push({ requirement: l.requirement, source: `${rel(l.file)} line ${l.line}`, hashes: l.hashes });
    if (l.hashes.length) out.hashLines = true;
  };
  const inline = (texts: string[], label: (i: number) => string, key: (i: number) => string) =>
    texts.forEach((text, i) => {
      try {
        out.requirements.push({ requirement: parseRequirement(text), source: label(i) });
      } catch (err) {
        if (!(err instanceof RequirementSyntaxError)) throw err;
        throw new PackagerError('EMANIFEST', `Invalid requirement in ${label(i)}: ${text}: ${err.message}`, {
          key: key(i),
          found: text,
          hint: 'Write it as PEP 508, e.g. requests==2.31.0 or anyio[trio]>=4 ; python_version >= "3.8".',
        });
      }
    });
  inline(input.pip.requirements, (i) => `manifest pip.requirements[${i}]`, (i) => `pip.requirements[${i}]`);
  inline(input.extraRequirements ?? [], (i) => `conda environment pip requirement #${i + 1}`, () => 'conda.files');
  for (const f of input.pip.files) {
    if (lockFormatOf(f)) continue; // a Python lock file: lockedEntries reads it
    const file = path.resolve(input.manifestDir, f);
    const parsed = await parseRequirementsFile(file, { readText: async (p) => decodeText(await readRegularFile(p, { code: 'EINPUT', maxBytes: 64 << 20, what: 'requirements file' }), p, 'EINPUT'), env });
    for (const l of parsed.requirements) add(out.requirements, l);
    for (const l of parsed.constraints) add(out.constraints, l);
    const o = parsed.options;
    if (o.indexUrl !== undefined) out.options.indexUrl = o.indexUrl;
    out.options.extraIndexUrls.push(...o.extraIndexUrls);
    out.options.findLinks.push(...o.findLinks);
    out.options.noIndex ||= o.noIndex;
    out.options.pre ||= o.pre;
    out.options.requireHashes ||= o.requireHashes;
  }
  return out;
}

function targetsFor(input: PypiResolveInput): Target[] {
  const groups = new Map<string, { platforms: string[]; arch: string; stacks: string[] }>();
  for (const stack of input.stacks) {
    const info = stackInfo(stack);
    if (!info) {
      throw new PackagerError('EMANIFEST', `Unknown stack for pip wheels: ${stack}`, {
        key: 'cf_stacks',
        hint: 'Use cflinuxfs3, cflinuxfs4 or cflinuxfs5, or set pip.platforms explicitly.',
      });
    }
    let platforms = glibcPlatforms(info.arch, info.glibc);
    let arch: string = info.arch;
    if (input.pip.platforms?.length) {
      platforms = expandPlatforms(input.pip.platforms);
      const m = /^(?:manylinux_\d+_\d+|manylinux\d+|musllinux_\d+_\d+|linux)_(.+)$/.exec(platforms.find((p) => /linux/.test(p)) ?? '');
      if (m) arch = m[1]!;
    }
    const sig = JSON.stringify([platforms, arch]);
    const g = groups.get(sig) ?? { platforms, arch, stacks: [] };
    g.stacks.push(stack);
    groups.set(sig, g);
  }
  return [...groups.values()].map((g) => makeTarget({ pythonVersion: input.pip.python_version, arch: g.arch, platforms: g.platforms, stacks: g.stacks }));
}

/** Resolves the pip section for every stack into lock entries (one per distinct file, sorted). */
export async function resolvePypi(input: PypiResolveInput, ctx: PypiResolveContext): Promise<LockEntry[]> {
  const { logger } = ctx;
  const inputs = await readInputs(input);
  const locks = await readLockInputs(input);
  if (inputs.requirements.length === 0 && locks.length === 0) return [];
  const o = inputs.options;
  const indexUrls = o.noIndex ? [] : [o.indexUrl ?? input.pip.index_url, ...input.pip.extra_index_urls, ...o.extraIndexUrls].filter(Boolean);
  const findLinks = [...input.pip.find_links.map((f) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(f) ? f : path.resolve(input.manifestDir, f))), ...o.findLinks];
  const knownUrls = [...indexUrls, ...findLinks.filter((f) => /:\/\//.test(f))];
  const complete = inputs.hashLines || o.requireHashes;
  if (indexUrls.length === 0 && findLinks.length === 0) {
    throw new PackagerError('EMANIFEST', 'No package index: --no-index is set and no --find-links location is given', {
      key: 'pip.find_links',
      hint: 'Remove --no-index or add --find-links <dir or URL>.',
    });
  }

  const sourceKey = JSON.stringify([indexUrls, findLinks]);
  const source = (ctx.sources?.get(sourceKey) as HttpSource | undefined) ?? new HttpSource(ctx, indexUrls, findLinks, knownUrls);
  ctx.sources?.set(sourceKey, source);
  const byFile = new Map<string, { entry: LockEntry; dist?: ResolvedDist }>();
  const targets = targetsFor(input);
  for (const entry of await lockedEntries(locks, targets, source)) byFile.set(entry.uri, { entry });
  for (const target of inputs.requirements.length ? targets : []) {
    logger.info(`Resolving pip requirements for ${target.label} (Python ${input.pip.python_version})`);
    const dists = await resolveRequirements(
      { requirements: inputs.requirements, constraints: inputs.constraints, target, pre: o.pre, complete },
      source,
      logger,
    );
    const allowed = new Map<string, { hashes: Set<string>; source: string }>();
    for (const r of inputs.requirements) {
      if (r.hashes?.length) allowed.set(r.requirement.key, { hashes: new Set(r.hashes.map((h) => h.replace(/^sha256:/, ''))), source: r.source });
    }
    for (const d of dists) {
      const c = d.candidate;
      const known = await source.digest(c);
      const want = allowed.get(d.key);
      if (complete && want && !want.hashes.has(known.sha256)) {
        throw new PackagerError('EINTEGRITY', `Hash mismatch for ${c.file.filename} (${want.source})`, {
          url: redactUrl(c.file.url),
          wanted: [...want.hashes].map((h) => `sha256:${h}`).join(' or '),
          found: `sha256:${known.sha256}`,
          hint: 'The file changed upstream or the requirements file is stale: re-run pip-compile --generate-hashes, or check the index.',
        });
      }
      const uri = redactUrl(c.file.url);
      const existing = byFile.get(uri);
      if (existing) {
        existing.entry.cf_stacks = [...new Set([...existing.entry.cf_stacks, ...target.stacks])].sort();
        existing.entry.depends = [...new Set([...existing.entry.depends, ...d.depends])];
        continue;
      }
      const entry: LockEntry = {
        kind: c.kind,
        name: d.key,
        version: formatVersion(d.version),
        filename: c.file.filename,
        uri,
        sha256: known.sha256,
        size: known.size,
        depends: d.depends,
        cf_stacks: [...target.stacks].sort(),
      };
      if (c.wheel) entry.tags = c.wheel.tags;
      if (d.requiresPython) entry.requires_python = d.requiresPython;
      byFile.set(uri, { entry, dist: d });
    }
  }
  return [...byFile.values()]
    .map((v) => v.entry)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
}

/** ResolverSource over HTTP (through the injected fetchers) and local --find-links directories. */
class HttpSource implements ResolverSource {
  private readonly pages = new Map<string, Promise<{ files: IndexFile[]; where: string } | undefined>>();
  private findLinksFiles?: Promise<IndexFile[]>;
  private readonly files = new Map<string, Promise<{ path: string; sha256: string; size: number }>>();
  private readonly metadataByUrl = new Map<string, Promise<CoreMetadata>>();

  constructor(
    private readonly ctx: PypiResolveContext,
    private readonly indexUrls: string[],
    private readonly findLinks: string[],
    private readonly knownUrls: string[],
  ) {}

  projectFiles(key: string) {
    let p = this.pages.get(key);
    if (!p) {
      p = this.loadProject(key);
      this.pages.set(key, p);
    }
    return p;
  }

  private async loadProject(key: string): Promise<{ files: IndexFile[]; where: string; missing?: boolean }> {
    const files: IndexFile[] = [];
    const where: string[] = [];
    let anyPage = false;
    for (const index of this.indexUrls) {
      const pageUrl = `${index.replace(/\/+$/, '')}/${key}/`;
      where.push(redactUrl(pageUrl));
      let doc;
      try {
        doc = await this.ctx.fetchDocument(pageUrl, { accept: SIMPLE_ACCEPT });
      } catch (err) {
        if (isNotFound(err)) {
          this.ctx.logger.debug(`No page for ${key} on ${redactUrl(pageUrl)}`);
          continue;
        }
        throw err;
      }
      anyPage = true;
      const body = await readFile(doc.path, 'utf8');
      const finalUrl = unredactUrl(doc.url, this.knownUrls);
      files.push(...remoteOnly(this.logged(parseSimplePage(body, finalUrl, doc.contentType)), pageUrl));
    }
    for (const f of await this.findLinksIndex()) {
      if (projectOf(f.filename) === key) files.push(f);
    }
    if (files.length) anyPage = true;
    for (const fl of this.findLinks) where.push(/:\/\//.test(fl) ? redactUrl(fl) : fl);
    return anyPage ? { files, where: where.join(', ') } : { files: [], where: where.join(', '), missing: true };
  }

  /** The page's files, once its warnings (links left out) are logged. */
  private logged(page: ProjectPage): IndexFile[] {
    for (const w of page.warnings) this.ctx.logger.warn(w);
    return page.files;
  }

  private findLinksIndex(): Promise<IndexFile[]> {
    this.findLinksFiles ??= (async () => {
      const out: IndexFile[] = [];
      for (const fl of this.findLinks) {
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(fl) && !/^file:/i.test(fl)) {
          const doc = await this.ctx.fetchDocument(fl, { accept: 'text/html' });
          out.push(...remoteOnly(this.logged(parseSimpleHtml(await readFile(doc.path, 'utf8'), unredactUrl(doc.url, this.knownUrls))), fl));
          continue;
        }
        const dir = /^file:/i.test(fl) ? fileURLToPath(fl) : fl;
        let names: string[];
        try {
          names = (await readdir(dir)).sort();
        } catch (err) {
          throw new PackagerError('EINPUT', `Cannot read --find-links directory: ${dir}: ${(err as NodeJS.ErrnoException).code}`, {
            hint: 'Check the path; it is relative to the requirements file (or manifest) that names it.',
          });
        }
        for (const n of names) out.push({ filename: n, url: pathToFileURL(path.join(dir, n)).toString(), hashes: {}, yanked: false, coreMetadata: false });
      }
      return out;
    })();
    return this.findLinksFiles;
  }

  /** The file on disk with its sha256 and size (downloaded once, through the cache). */
  file(c: Candidate): Promise<{ path: string; sha256: string; size: number }> {
    let p = this.files.get(c.file.url);
    if (!p) {
      p = this.download(c);
      this.files.set(c.file.url, p);
    }
    return p;
  }

  /** sha256 and size without downloading when the index published both (PEP 691 + 700). */
  async digest(c: Candidate): Promise<{ sha256: string; size: number }> {
    if (c.file.hashes.sha256 && c.file.size !== undefined && !this.files.has(c.file.url)) return { sha256: c.file.hashes.sha256, size: c.file.size };
    const f = await this.file(c);
    return { sha256: f.sha256, size: f.size };
  }

  private async download(c: Candidate): Promise<{ path: string; sha256: string; size: number }> {
    const { url, hashes } = c.file;
    const algo = hashes.sha256 ? 'sha256' : hashes.md5 ? 'md5' : undefined;
    if (algo) {
      const a: Artifact = { kind: c.kind, name: c.key, version: formatVersion(c.version), url, integrity: sriFromHex(hashes[algo]!, algo) };
      if (c.file.size !== undefined) a.size = c.file.size;
      return this.ctx.fetchFile(a);
    }
    // No published digest: fetch it as a document and hash what arrived; the lock then pins that sha256.
    let file: string;
    if (/^file:/i.test(url)) file = fileURLToPath(url);
    else file = (await this.ctx.fetchDocument(url, undefined, 'file')).path;
    try {
      await stat(file);
    } catch (err) {
      throw new PackagerError('EIO', `Cannot read ${c.file.filename}: ${file}`, {}, { cause: err });
    }
    this.ctx.logger.debug(`${c.file.filename} has no published hash; pinning the sha256 of the downloaded file`);
    return { path: file, ...(await sha256File(file)) };
  }

  /** Core metadata of one file, read once however many targets ask. */
  metadata(c: Candidate): Promise<CoreMetadata> {
    let p = this.metadataByUrl.get(c.file.url);
    if (!p) {
      p = this.readMetadata(c);
      this.metadataByUrl.set(c.file.url, p);
    }
    return p;
  }

  private async readMetadata(c: Candidate): Promise<CoreMetadata> {
    if (c.file.coreMetadata && c.kind === 'wheel') {
      const md = await this.sidecar(c);
      if (md) return md;
    }
    const f = await this.file(c);
    if (c.kind === 'wheel') return parseCoreMetadata(await readWheelMetadata(f.path, c.file.filename, c.key));
    const sd = await readSdistMetadata(f.path, c.file.filename);
    const md = parseCoreMetadata(sd.pkgInfo ?? '');
    if (sd.pkgInfo === undefined) this.ctx.logger.warn(`${c.file.filename} has no PKG-INFO; its dependencies are unknown until staging builds it`);
    if (!sdistDependenciesAreStatic(md) && md.requiresDist.length === 0) {
      if (sd.eggRequires !== undefined) md.requiresDist = parseEggRequires(sd.eggRequires);
      else if (sd.pkgInfo !== undefined) {
        this.ctx.logger.warn(`${c.file.filename} does not declare its dependencies statically (Metadata-Version ${md.metadataVersion ?? '?'}); list them in requirements.txt if it has any`);
      }
    }
    return md;
  }

  /** PEP 658 `<file>.metadata`, verified against the published hash; undefined when the index does not really have it. */
  private async sidecar(c: Candidate): Promise<CoreMetadata | undefined> {
    const url = `${c.file.url}.metadata`;
    let doc;
    try {
      doc = await this.ctx.fetchDocument(url);
    } catch (err) {
      if (isNotFound(err)) {
        this.ctx.logger.debug(`The index advertises ${redactUrl(url)} but does not serve it; reading the wheel instead`);
        return undefined;
      }
      throw err;
    }
    const want = typeof c.file.coreMetadata === 'object' ? c.file.coreMetadata : undefined;
    const text = await readFile(doc.path);
    if (want?.sha256) {
      const found = createHash('sha256').update(text).digest('hex');
      if (found !== want.sha256) {
        throw new PackagerError('EINTEGRITY', `Checksum mismatch for the metadata of ${c.file.filename} from ${redactUrl(url)}`, {
          url: redactUrl(url),
          wanted: `sha256 ${want.sha256}`,
          found: `sha256 ${found}`,
          hint: 'The index serves metadata that does not match what it publishes; report it to the index operator.',
        });
      }
    }
    return parseCoreMetadata(text.toString('utf8'));
  }
}

/** The page's files, once each is checked to be http(s) when the page came over the network. */
function remoteOnly(files: IndexFile[], pageUrl: string): IndexFile[] {
  for (const f of files) {
    checkNetworkReference(pageUrl, f.url, { what: 'The index page', hint: 'an index served over http(s) may only link http(s) files; list local directories in pip.find_links instead' });
  }
  return files;
}

function projectOf(filename: string): string | undefined {
  if (filename.endsWith('.whl')) {
    try {
      return parseWheelFilename(filename).key;
    } catch {
      return undefined;
    }
  }
  // sdist: the name is everything before the last dash that starts a version
  const m = /^(.+?)-\d[^-]*\.(tar\.gz|tgz|zip|tar\.bz2|tar\.xz)$/i.exec(filename);
  return m ? normalizeProjectName(m[1]!) : undefined;
}
