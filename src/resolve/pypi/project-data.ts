// What the index offers a target, read once per resolution and shared by its
// attempts: each project's files (or the one file a root `name @ URL` names),
// the versions the target can install (candidates.ts `offerFor`), and each
// file's Requires-Dist checked against its name, version and Requires-Python.
import { type Logger, checkNetworkReference, redactUrl } from '../../core/index.js';
import { type Candidate, type Offer, offerFor, requiresPythonOk } from './candidates.js';
import { type CoreMetadata } from './metadata.js';
import { compareVersions, formatVersion, tryParseVersion } from './pep440.js';
import { type Requirement, normalizeName, parseRequirement } from './requirement.js';
import type { ProjectFiles, ResolverSource, Target } from './resolver.js';
import { type IndexFile } from './simple-index.js';

/** What the root requirements say about a project's files. */
export interface RootFiles {
  /** The URL of a root `name @ URL` requirement. */
  url(key: string): string | undefined;
  /** Allowed sha256 (hash-checking mode). */
  hashes(key: string): ReadonlySet<string> | undefined;
}

/** Dependencies of one file, or why it cannot be used. */
export type FileDeps = { deps: Requirement[]; md: CoreMetadata } | { unusable: string };

export class Projects {
  private readonly pages = new Map<string, Promise<ProjectFiles>>();
  private readonly offers = new Map<string, Promise<Offer>>();
  private readonly loaded = new Map<string, Offer>();
  private readonly fileDeps = new Map<string, Promise<FileDeps>>();
  private readonly known = new Map<string, { deps: Requirement[]; md: CoreMetadata }>();

  constructor(
    private readonly source: ResolverSource,
    readonly target: Target,
    private readonly roots: RootFiles,
    private readonly logger: Logger,
  ) {}

  /** The project's files: the file a root `name @ URL` names, else every index's. */
  files(key: string): Promise<ProjectFiles> {
    let p = this.pages.get(key);
    if (!p) {
      p = this.loadFiles(key);
      this.pages.set(key, p);
    }
    return p;
  }

  private async loadFiles(key: string): Promise<ProjectFiles> {
    const url = this.roots.url(key);
    if (url) return { files: [fileFromUrl(url)], where: redactUrl(url.replace(/#.*$/, '')) };
    return (await this.source.projectFiles(key)) ?? { files: [], where: '', missing: true };
  }

  /** The versions the target can install (see offerFor). */
  offer(key: string): Promise<Offer> {
    let p = this.offers.get(key);
    if (!p) {
      p = this.files(key).then((f) => {
        const o = offerFor(key, f.files, this.target, this.roots.hashes(key));
        this.loaded.set(key, o);
        return o;
      });
      this.offers.set(key, p);
    }
    return p;
  }

  /** An offer already loaded (the solver only asks about those). */
  loadedOffer(key: string): Offer {
    const o = this.loaded.get(key);
    if (!o) throw new Error(`resolver: ${key} used before its page was read`);
    return o;
  }

  /** Requires-Dist of a file, checked against its name, version and the target's Python. */
  deps(c: Candidate): Promise<FileDeps> {
    let p = this.fileDeps.get(c.file.url);
    if (!p) {
      p = this.readDeps(c);
      this.fileDeps.set(c.file.url, p);
    }
    return p;
  }

  private async readDeps(c: Candidate): Promise<FileDeps> {
    // Network, integrity and index errors are not resolution conflicts: they propagate.
    const md = await this.source.metadata(c);
    const why = metadataProblem(c, md, this.target);
    for (const d of typeof why === 'string' ? [] : why) {
      if (!d.url) continue;
      checkNetworkReference(c.file.url, d.url, {
        what: `The metadata of ${c.file.filename} from`,
        found: `Requires-Dist "${d.name} @ ${redactUrl(d.url)}"`,
        hint: 'a distribution fetched over the network may only require http(s) URLs; name that file in your own requirements instead, if you trust it',
      });
    }
    if (typeof why === 'string') {
      this.logger.warn(`Skipping ${c.file.filename}: ${why}`);
      return { unusable: why };
    }
    this.known.set(c.file.url, { deps: why, md });
    return { deps: why, md };
  }

  /** Dependencies of a file `deps` has read (every chosen version's). */
  knownDeps(c: Candidate): { deps: Requirement[]; md: CoreMetadata } {
    const d = this.known.get(c.file.url);
    if (!d) throw new Error(`resolver: no metadata read for ${c.file.filename}`);
    return d;
  }
}

function fileFromUrl(url: string): IndexFile {
  const u = new URL(url);
  const fragment = u.hash.replace(/^#/, '');
  u.hash = '';
  const hashes: Record<string, string> = {};
  const fm = /^(sha256|md5)=([0-9a-fA-F]+)$/.exec(fragment);
  if (fm) hashes[fm[1]!] = fm[2]!.toLowerCase();
  return { filename: decodeURIComponent(u.pathname.split('/').pop() ?? ''), url: u.toString(), hashes, yanked: false, coreMetadata: false };
}

/** The parsed Requires-Dist, or why the file's metadata rules it out. */
function metadataProblem(c: Candidate, md: CoreMetadata, target: Target): Requirement[] | string {
  const deps: Requirement[] = [];
  for (const text of md.requiresDist) {
    try {
      deps.push(parseRequirement(text));
    } catch (err) {
      return `its metadata has an invalid Requires-Dist: ${text} (${(err as Error).message})`;
    }
  }
  if (md.version !== undefined) {
    const mv = tryParseVersion(md.version);
    if (!mv || compareVersions(mv, c.version) !== 0) return `its metadata says version ${md.version}, the file name says ${formatVersion(c.version)}`;
  }
  if (md.name !== undefined && normalizeName(md.name) !== c.key) return `its metadata names a different project: ${md.name}`;
  if (!requiresPythonOk(md.requiresPython, target)) return `it requires Python ${md.requiresPython}; the target is ${formatVersion(target.pythonFull)}`;
  return deps;
}
