// Resolution of PEP 508 requirements against index pages, for one target
// (CPython version + platform tags + marker environment). Documents come in
// through a ResolverSource (index.ts does the I/O); this file decides, with
// pip 26's rules evaluated for the TARGET, not this machine: newest version
// with a compatible wheel (an sdist only when no wheel fits, as with
// --prefer-binary), Requires-Python, markers and extras, yanked files only when
// pinned, pre-releases as pip 26 admits them (candidates.ts). The search is
// conflict-driven (pubgrub.ts): a conflict is learned and the search jumps back
// to the choice that caused it, so the answer does not depend on the order of
// the requirements, and a failure is explained from its proof (explain.ts).
import { type Logger, PackagerError, redactUrl } from '../../core/index.js';
import {
  type Admission,
  type Candidate,
  type Offer,
  admissionFor,
  admitted,
  isExactPin,
  preferenceOrder,
} from './candidates.js';
import { type ResolutionContext, describeRequirement, explainBudget, explainFailure } from './explain.js';
import { Projects } from './project-data.js';
import { type MarkerEnvironment, evaluateMarker, markerEnvironmentFor } from './markers.js';
import { type CoreMetadata } from './metadata.js';
import { type Version, formatVersion, matchesSpecifier, parseVersion } from './pep440.js';
import { BudgetExceeded, type Incompatibility, NoSolution, Solver, type SolverProvider, bitCount } from './pubgrub.js';
import { type Requirement, formatRequirement } from './requirement.js';
import { type IndexFile } from './simple-index.js';
import { tagPriorities } from './wheel-tags.js';

export type { Candidate } from './candidates.js';

/** One interpreter + platform the packager resolves for (one or more stacks share it). */
export interface Target {
  /** `cp311 on cflinuxfs4` for messages. */
  label: string;
  stacks: string[];
  python: [number, number];
  /** Full version used for Requires-Python (`3.11` means 3.11.0). */
  pythonFull: Version;
  platforms: string[];
  priorities: Map<string, number>;
  markerEnv: MarkerEnvironment;
}

/** Builds a target from a python version (`3.11` or `3.11.9`), an architecture and platform tags (best first). */
export function makeTarget(opts: { pythonVersion: string; arch: string; platforms: string[]; stacks: string[] }): Target {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(opts.pythonVersion.trim());
  if (!m) {
    throw new PackagerError('EMANIFEST', `pip.python_version must look like 3.11 or 3.11.9, found: ${opts.pythonVersion}`, {
      key: 'pip.python_version',
      found: opts.pythonVersion,
    });
  }
  const python: [number, number] = [Number(m[1]), Number(m[2])];
  const markerEnv = markerEnvironmentFor({ pythonVersion: opts.pythonVersion, arch: opts.arch });
  return {
    label: `cp${python[0]}${python[1]} on ${opts.stacks.join(', ') || opts.platforms[0]}`,
    stacks: opts.stacks,
    python,
    pythonFull: parseVersion(markerEnv.python_full_version),
    platforms: opts.platforms,
    priorities: tagPriorities({ python, platforms: opts.platforms }),
    markerEnv,
  };
}

/** What the index says about a project: its files, the pages asked (`where`), `missing` when no index knows it. */
export interface ProjectFiles {
  files: IndexFile[];
  where: string;
  missing?: boolean;
}

/** Where index pages and metadata come from (index.ts implements it over HTTP). */
export interface ResolverSource {
  /** Every file of a project across the configured indexes; undefined or `missing` when no index knows it. */
  projectFiles(key: string): Promise<ProjectFiles | undefined>;
  /** Core metadata of one file (PEP 658 sidecar, the wheel's METADATA or the sdist's PKG-INFO). */
  metadata(candidate: Candidate): Promise<CoreMetadata>;
}

/** A root requirement or constraint with where it was written. */
export interface InputRequirement {
  requirement: Requirement;
  /** `requirements.txt line 3`, `manifest pip.requirements[0]`. */
  source: string;
  /** `sha256:<hex>` from --hash. */
  hashes?: string[];
}

export interface ResolveInput {
  requirements: InputRequirement[];
  constraints?: InputRequirement[];
  target: Target;
  /** --pre */
  pre?: boolean;
  /** Fully pinned, hashed input: take it as complete; a missing dependency is an error. */
  complete?: boolean;
  /** Give up after this many decisions + conflicts (a safety net; default 100000). */
  maxSteps?: number;
}

export interface ResolvedDist {
  key: string;
  /** Name as the distribution spells it (metadata Name, else the file name). */
  name: string;
  version: Version;
  candidate: Candidate;
  extras: string[];
  /** Requires-Dist that apply to the target with these extras, without markers: `idna>=2.8`. */
  depends: string[];
  requiresPython?: string;
  /** Who asked for it: `requirements.txt line 3`, `anyio 4.3.0`. */
  requiredBy: string[];
}

/** The solver's name for the root (never a project key: those are non-empty). */
export const ROOT = '';

/** Solver package of an extra: `anyio[trio]`. */
const extraPkg = (key: string, extra: string) => `${key}[${extra}]`;
const splitPkg = (pkg: string): { key: string; extra?: string } => {
  const m = /^(.*)\[(.*)\]$/.exec(pkg);
  return m ? { key: m[1]!, extra: m[2]! } : { key: pkg };
};

/** Resolves requirements for one target. Throws PackagerError (ERESOLVE, ENOTFOUND, ENOMATCH, EINTEGRITY, EINPUT). */
export async function resolveRequirements(input: ResolveInput, source: ResolverSource, logger: Logger): Promise<ResolvedDist[]> {
  const roots = rootRequirements(input, logger);
  const projects = new Projects(source, input.target, { url: (k) => roots.urls.get(k), hashes: (k) => roots.hashes.get(k) }, logger);
  const constraints = applicableConstraints(input);
  const admission = await initialAdmission(roots, constraints, projects, input.pre === true);
  for (;;) {
    const attempt = new Attempt({ input, roots, constraints, projects, admission });
    let decided: Map<string, number>;
    try {
      decided = await attempt.solver.solve(input.maxSteps ?? 100_000);
    } catch (err) {
      if (err instanceof AdmissionGrew) {
        logger.debug(`Restarting: ${err.message}`);
        continue;
      }
      if (err instanceof NoSolution) throw await explainFailure(err.incompatibility, attempt.context());
      if (err instanceof BudgetExceeded) throw explainBudget(err.steps, attempt.context());
      throw err;
    }
    return attempt.result(decided, logger);
  }
}

// ---------------------------------------------------------------------------
// Step 1: the root requirements (markers, hash-checking mode), in a canonical
// order so that nothing downstream depends on the order they were written in.

interface Roots {
  list: InputRequirement[];
  keys: Set<string>;
  /** The file a root `name @ URL` names, per project. */
  urls: Map<string, string>;
  /** Allowed sha256 per project (hash-checking mode). */
  hashes: Map<string, Set<string>>;
  complete: boolean;
}

function rootRequirements(input: ResolveInput, logger: Logger): Roots {
  const env = input.target.markerEnv;
  const out: Roots = { list: [], keys: new Set(), urls: new Map(), hashes: new Map(), complete: input.complete === true };
  for (const r of input.requirements) {
    const req = r.requirement;
    if (req.marker && !evaluateMarker(req.marker, env)) {
      logger.debug(`Skipping ${describeRequirement(req)} from ${r.source}: its marker is false for ${input.target.label}`);
      continue;
    }
    if (out.complete) checkHashedLine(r);
    if (r.hashes?.length) {
      const set = out.hashes.get(req.key) ?? new Set<string>();
      for (const h of r.hashes) set.add(h.replace(/^sha256:/, ''));
      out.hashes.set(req.key, set);
    }
    out.keys.add(req.key);
    out.list.push(r);
  }
  const urls = out.urls;
  for (const r of out.list) {
    const url = r.requirement.url;
    if (!url) continue;
    const other = urls.get(r.requirement.key);
    if (other !== undefined && other !== url) {
      throw new PackagerError('ERESOLVE', `Conflicting URLs for ${r.requirement.key}: ${redactUrl(other)} and ${redactUrl(url)}`, {
        hint: 'Name one file per project.',
      });
    }
    urls.set(r.requirement.key, url);
  }
  out.list.sort((a, b) => compareText(a.requirement.key, b.requirement.key) || compareText(formatRequirement(a.requirement), formatRequirement(b.requirement)));
  return out;
}

function checkHashedLine(r: InputRequirement): void {
  const req = r.requirement;
  if (!isExactPin(req.specifier) && !req.url) {
    throw new PackagerError('EINPUT', `Hash-checking mode needs every requirement pinned with ==: ${formatRequirement(req)} (${r.source})`, {
      hint: 'Pin it (pip-compile --generate-hashes writes such files) or drop the --hash options everywhere.',
    });
  }
  if (!r.hashes || r.hashes.length === 0) {
    throw new PackagerError('EINPUT', `Hash-checking mode needs --hash on every requirement: ${formatRequirement(req)} (${r.source})`, {
      hint: 'Add --hash=sha256:<hex> for it, as pip install --require-hashes would demand.',
    });
  }
}

function applicableConstraints(input: ResolveInput): Map<string, InputRequirement[]> {
  const out = new Map<string, InputRequirement[]>();
  for (const c of input.constraints ?? []) {
    if (c.requirement.marker && !evaluateMarker(c.requirement.marker, input.target.markerEnv)) continue;
    out.set(c.requirement.key, [...(out.get(c.requirement.key) ?? []), c]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Step 2: what the index offers (project-data.ts: pages, offers, metadata,
// read once for every attempt).

// ---------------------------------------------------------------------------
// Step 3: which pre-releases and yanked versions pip admits. A requirement
// admits them by itself (candidates.ts `admitted`); pip also admits them for
// every requirement on a project when the requirements in force together call
// for it. Those project-wide admissions only grow: when one grows, the attempt
// restarts with it (learned facts built on the narrower sets would be wrong).

type AdmissionMap = Map<string, { pre: boolean; yanked: Set<string> }>;

class AdmissionGrew extends Error {}

async function initialAdmission(roots: Roots, constraints: Map<string, InputRequirement[]>, projects: Projects, pre: boolean): Promise<AdmissionMap> {
  const out: AdmissionMap = new Map();
  const keys = [...new Set(roots.list.map((r) => r.requirement.key))];
  const offers = await Promise.all(keys.map((k) => projects.offer(k)));
  keys.forEach((key, i) => {
    const specs = [...roots.list, ...(constraints.get(key) ?? [])].filter((r) => r.requirement.key === key).map((r) => r.requirement.specifier);
    const a = admissionFor(offers[i]!, specs);
    out.set(key, { pre: pre || a.pre, yanked: new Set(a.yanked) });
  });
  return out;
}

function grow(map: AdmissionMap, key: string, offer: Offer, specs: Requirement['specifier'][], pre: boolean): string | undefined {
  const cur = map.get(key) ?? { pre, yanked: new Set<string>() };
  map.set(key, cur);
  const a = admissionFor(offer, specs);
  const newYanked = a.yanked.filter((v) => !cur.yanked.has(v));
  if ((a.pre && !cur.pre) || newYanked.length) {
    cur.pre ||= a.pre;
    for (const v of newYanked) cur.yanked.add(v);
    return `the requirements on ${key} admit ${a.pre ? 'pre-releases' : `yanked ${newYanked.join(', ')}`}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Step 4: one attempt of the search; the solver asks it for versions,
// dependencies and which package to decide next.

/** A requirement on `key` in force while `parent` is at version `v`. */
interface Edge {
  parent: string;
  v: number;
  req: Requirement;
  /** Root requirements: where it was written. */
  source?: string;
}

class Attempt implements SolverProvider {
  readonly solver: Solver;
  private readonly edges = new Map<string, Edge[]>();
  private readonly registered = new Set<string>();

  constructor(
    private readonly s: {
      input: ResolveInput;
      roots: Roots;
      constraints: Map<string, InputRequirement[]>;
      projects: Projects;
      admission: AdmissionMap;
    },
  ) {
    this.solver = new Solver(this, ROOT);
  }

  context(): ResolutionContext {
    return {
      target: this.s.input.target,
      root: ROOT,
      offer: (key) => this.s.projects.loadedOffer(key),
      files: (key) => this.s.projects.files(key),
      hashes: (key) => this.s.roots.hashes.get(key),
      conflicts: this.solver.conflicts,
    };
  }

  // -- which package next: pip's order (pinned, upper-bounded, requested by you, with any specifier), then the name

  pick(open: { pkg: string; bits: bigint }[], decided: ReadonlyMap<string, number>): string {
    // Read ahead, in parallel, the metadata of the version each needed project would get: deciding one
    // at a time otherwise waits for each read in turn. A read that fails fails when its version is decided.
    for (const o of open) {
      if (o.pkg === ROOT) continue;
      const offered = this.s.projects.loadedOffer(splitPkg(o.pkg).key).versions[this.choose(o.pkg, o.bits, decided)]!;
      this.s.projects.deps(offered.candidate).catch(() => undefined);
    }
    let best: { pkg: string; rank: (number | string)[] } | undefined;
    for (const o of open) {
      const rank = this.rank(o.pkg, o.bits, decided);
      if (!best || compareRank(rank, best.rank) < 0) best = { pkg: o.pkg, rank };
    }
    return best!.pkg;
  }

  private rank(pkg: string, bits: bigint, decided: ReadonlyMap<string, number>): (number | string)[] {
    const { key, extra } = splitPkg(pkg);
    if (extra !== undefined && decided.has(key)) return [0, pkg];
    const reqs = this.activeEdges(key, decided).map((e) => e.req);
    const ops = reqs.flatMap((r) => r.specifier.specs);
    const tier = reqs.some((r) => r.url)
      ? 1
      : bitCount(bits) === 1 || ops.some((s) => (s.operator === '==' && !s.wildcard) || s.operator === '===')
        ? 2
        : ops.some((s) => s.operator === '<' || s.operator === '<=' || s.operator === '~=' || (s.operator === '==' && s.wildcard))
          ? 3
          : 4;
    return [tier, this.s.roots.keys.has(key) ? 0 : 1, ops.length ? 0 : 1, pkg];
  }

  private activeEdges(key: string, decided: ReadonlyMap<string, number>): Edge[] {
    return (this.edges.get(key) ?? []).filter((e) => decided.get(e.parent) === e.v);
  }

  // -- which version: the one already chosen for an extra's project, else the best admitted one

  choose(pkg: string, bits: bigint, decided: ReadonlyMap<string, number>): number {
    if (pkg === ROOT) return 0;
    const { key, extra } = splitPkg(pkg);
    const base = decided.get(key);
    if (extra !== undefined && base !== undefined && bits & (1n << BigInt(base))) return base;
    const offer = this.s.projects.loadedOffer(key);
    const inBits = offer.versions.filter((_, i) => bits & (1n << BigInt(i)));
    return offer.versions.indexOf(preferenceOrder(inBits)[0]!);
  }

  // -- what choosing a version brings

  async dependencies(pkg: string, v: number, decided: ReadonlyMap<string, number>): Promise<Incompatibility[]> {
    if (pkg === ROOT) return this.edgesFrom(ROOT, 0, this.s.roots.list.map((r) => ({ req: r.requirement, source: r.source })), decided);
    const { key, extra } = splitPkg(pkg);
    const offered = this.s.projects.loadedOffer(key).versions[v]!;
    const fd = await this.s.projects.deps(offered.candidate);
    if ('unusable' in fd) return [this.solver.incompatibility([this.solver.positive(pkg, 1n << BigInt(v))], { kind: 'unusable', pkg, v, reason: fd.unusable })];
    const env = this.s.input.target.markerEnv;
    const reqs = fd.deps.filter((d) => {
      if (!d.marker) return extra === undefined;
      return extra === undefined ? evaluateMarker(d.marker, env, '') : evaluateMarker(d.marker, env, extra) && !evaluateMarker(d.marker, env, '');
    });
    const out = await this.edgesFrom(pkg, v, reqs.map((req) => ({ req })), decided);
    if (extra !== undefined) {
      const one = 1n << BigInt(v);
      out.push(this.solver.incompatibility([this.solver.positive(pkg, one), this.solver.negative(key, one)], { kind: 'extra-base', pkg, v }));
    }
    return out;
  }

  /** Incompatibilities for `parent` at `v` requiring each of `reqs`. */
  private async edgesFrom(parent: string, v: number, reqs: { req: Requirement; source?: string }[], decided: ReadonlyMap<string, number>): Promise<Incompatibility[]> {
    const { solver } = this;
    const self = solver.positive(parent, 1n << BigInt(v));
    const out: Incompatibility[] = [];
    if (this.s.roots.complete && parent !== ROOT) {
      const unlisted = reqs.find((r) => !this.s.roots.keys.has(r.req.key));
      if (unlisted) return [solver.incompatibility([self], { kind: 'unlisted', pkg: parent, v, req: unlisted.req })];
    }
    const offers = await Promise.all(reqs.map((r) => this.s.projects.offer(r.req.key)));
    for (let i = 0; i < reqs.length; i++) {
      const { req, source } = reqs[i]!;
      const offer = offers[i]!;
      const edge: Edge = { parent, v, req, ...(source !== undefined ? { source } : {}) };
      this.checkAdmission(req.key, offer, edge, decided);
      out.push(...this.register(req.key, offer));
      const bits = this.requirementBits(offer, req);
      const fact = { kind: 'requires', pkg: parent, v, req, ...(source !== undefined ? { source } : {}), ...(bits === 0n ? { empty: true } : {}) };
      out.push(solver.incompatibility([self, solver.negative(req.key, bits)], fact));
      for (const x of req.extras) {
        this.register(extraPkg(req.key, x), offer);
        out.push(solver.incompatibility([self, solver.negative(extraPkg(req.key, x), bits)], fact));
      }
      this.edges.set(req.key, [...(this.edges.get(req.key) ?? []), edge]);
    }
    return out;
  }

  /** Declares a package to the solver; the first time, its -c constraints come with it. */
  private register(pkg: string, offer: Offer): Incompatibility[] {
    if (this.registered.has(pkg)) return [];
    this.registered.add(pkg);
    this.solver.register(pkg, offer.versions.length);
    if (pkg !== offer.key) return [];
    const out: Incompatibility[] = [];
    for (const c of this.s.constraints.get(pkg) ?? []) {
      const ok = this.bitsOf(offer, (o) => c.requirement.specifier.specs.every((s) => matchesSpecifier(o.version, s)) && urlMatches(c.requirement, o.candidate));
      const outside = ((1n << BigInt(offer.versions.length)) - 1n) & ~ok;
      if (outside === 0n) continue;
      out.push(this.solver.incompatibility([this.solver.positive(ROOT, 1n), this.solver.positive(pkg, outside)], { kind: 'constraint', req: c.requirement, source: c.source }));
    }
    return out;
  }

  /** Restarts the attempt when the requirements in force with this new one widen what pip admits. */
  private checkAdmission(key: string, offer: Offer, edge: Edge, decided: ReadonlyMap<string, number>): void {
    const specs = [
      edge.req.specifier,
      ...this.activeEdges(key, decided).map((e) => e.req.specifier),
      ...(this.s.constraints.get(key) ?? []).map((c) => c.requirement.specifier),
    ];
    const why = grow(this.s.admission, key, offer, specs, this.s.input.pre === true);
    if (why) throw new AdmissionGrew(why);
  }

  private requirementBits(offer: Offer, req: Requirement): bigint {
    const a = this.s.admission.get(offer.key);
    const admission: Admission = { pre: a?.pre ?? this.s.input.pre === true, yanked: a?.yanked ?? new Set() };
    const ok = new Set(admitted(offer, [req.specifier], admission).filter((o) => urlMatches(req, o.candidate)));
    return this.bitsOf(offer, (o) => ok.has(o));
  }

  private bitsOf(offer: Offer, pred: (o: Offer['versions'][number]) => boolean): bigint {
    let bits = 0n;
    offer.versions.forEach((o, i) => {
      if (pred(o)) bits |= 1n << BigInt(i);
    });
    return bits;
  }

  // -- the answer

  result(decided: Map<string, number>, logger: Logger): ResolvedDist[] {
    const out: ResolvedDist[] = [];
    const keys = [...decided.keys()].filter((p) => p !== ROOT && splitPkg(p).extra === undefined).sort(compareText);
    for (const key of keys) {
      const offered = this.s.projects.loadedOffer(key).versions[decided.get(key)!]!;
      const c = offered.candidate;
      const fd = this.s.projects.knownDeps(c);
      const extras = [...decided.keys()].filter((p) => splitPkg(p).key === key && splitPkg(p).extra !== undefined).map((p) => splitPkg(p).extra!).sort();
      const name = fd.md.name ?? c.wheel?.name ?? key;
      const declared = new Set(fd.md.providesExtra);
      for (const e of extras) if (declared.size > 0 && !declared.has(e)) logger.warn(`${name} ${formatVersion(c.version)} does not provide the extra '${e}'`);
      const env = this.s.input.target.markerEnv;
      const applies = (d: Requirement) => !d.marker || evaluateMarker(d.marker, env, '') || extras.some((e) => evaluateMarker(d.marker!, env, e));
      const requiredBy = [
        ...new Set(
          [...this.activeEdges(key, decided), ...extras.flatMap((e) => this.activeEdges(extraPkg(key, e), decided))]
            .map((e) => (e.parent === ROOT ? e.source! : this.label(splitPkg(e.parent).key, e.v)))
            .sort(compareText),
        ),
      ];
      const dist: ResolvedDist = {
        key,
        name,
        version: c.version,
        candidate: c,
        extras,
        depends: [...new Set(fd.deps.filter(applies).map((d) => formatRequirement(d)))],
        requiredBy,
      };
      const rp = c.file.requiresPython ?? fd.md.requiresPython;
      if (rp) dist.requiresPython = rp;
      if (offered.yanked) logger.warn(`Using yanked ${c.file.filename}${c.file.yankedReason ? ` (reason: ${c.file.yankedReason})` : ''}: it is pinned with ==`);
      if (c.kind === 'sdist') {
        logger.warn(`No wheel of ${name} ${formatVersion(c.version)} fits ${this.s.input.target.label}; bundling the sdist ${c.file.filename}: staging will build it from source (a compiler may be needed)`);
      }
      out.push(dist);
    }
    return out;
  }

  private label(pkg: string, v: number): string {
    const { key, extra } = splitPkg(pkg);
    const o = this.s.projects.loadedOffer(key).versions[v]!;
    return `${key}${extra !== undefined ? `[${extra}]` : ''} ${formatVersion(o.version)}`;
  }
}

/** A requirement with a URL admits only that file (fragment aside). */
function urlMatches(req: Requirement, c: Candidate): boolean {
  return !req.url || req.url.replace(/#.*$/, '') === c.file.url.replace(/#.*$/, '');
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRank(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
