// Backtracking resolution of PEP 508 requirements against index pages, for one
// target (CPython version + platform tags + marker environment). Documents
// come in through a ResolverSource (index.ts does the I/O); this file decides.
// Rules (pip with --prefer-binary, evaluated for the TARGET, not this machine):
// newest version that satisfies every specifier collected so far and has a
// compatible wheel; an sdist only when no wheel fits; yanked files only when
// pinned with ==/===; requires-python checked against the target; markers and
// extras honoured; on a conflict, earlier choices are revisited.
import { type Logger, PackagerError, type ErrorCode, redactUrl } from '../../core/index.js';
import { type CoreMetadata } from './metadata.js';
import { type MarkerEnvironment, evaluateMarker, formatMarker, markerEnvironmentFor } from './markers.js';
import {
  type SpecifierSet,
  type Version,
  compareVersions,
  filterVersions,
  formatVersion,
  intersectSpecifierSets,
  parseSpecifierSet,
  parseVersion,
  setContains,
  tryParseVersion,
} from './pep440.js';
import { type Requirement, formatRequirement, normalizeName, parseRequirement } from './requirement.js';
import { type IndexFile } from './simple-index.js';
import { type WheelFilename, compareBuildTags, parseSdistFilename, parseWheelFilename } from './wheel-filename.js';
import { bestTagPriority, supportedTags, tagPriorities } from './wheel-tags.js';

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
  const tagTarget = { python, platforms: opts.platforms };
  return {
    label: `cp${python[0]}${python[1]} on ${opts.stacks.join(', ') || opts.platforms[0]}`,
    stacks: opts.stacks,
    python,
    pythonFull: parseVersion(markerEnv.python_full_version),
    platforms: opts.platforms,
    priorities: tagPriorities(tagTarget),
    markerEnv,
  };
}

/** One file of one project as the resolver sees it. */
export interface Candidate {
  key: string;
  version: Version;
  kind: 'wheel' | 'sdist';
  file: IndexFile;
  wheel?: WheelFilename;
  /** Index of the wheel's best tag in the target's list (wheels only). */
  tagPriority?: number;
}

/** Where index pages and metadata come from (index.ts implements it over HTTP). */
export interface ResolverSource {
  /**
   * Every file of a project across the configured indexes. When no index knows
   * it: undefined, or `missing` with the pages that were asked in `where`.
   */
  projectFiles(key: string): Promise<{ files: IndexFile[]; where: string; missing?: boolean } | undefined>;
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
  /** Give up after this many candidate attempts (default 5000). */
  maxAttempts?: number;
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

interface Need {
  req: Requirement;
  /** Root source label, or the key of the pinned dist that requires it. */
  from: { root: string } | { parent: string };
}

interface Pin {
  candidate: Candidate;
  name: string;
  metadata: CoreMetadata;
  deps: Requirement[];
  extras: Set<string>;
}

interface State {
  needs: Map<string, Need[]>;
  pins: Map<string, Pin>;
  order: string[];
}

class Failure {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly details: Record<string, unknown> = {},
  ) {}
}

function describeReq(req: Requirement): string {
  const base = formatRequirement(req);
  return req.marker ? `${base} (${formatMarker(req.marker)})` : base;
}

function isExactPin(set: SpecifierSet): boolean {
  return set.specs.some((s) => (s.operator === '==' && !s.wildcard) || s.operator === '===');
}

/** Resolves requirements for one target. Throws PackagerError (ERESOLVE, ENOTFOUND, ENOMATCH, EINTEGRITY, EINPUT). */
export async function resolveRequirements(input: ResolveInput, source: ResolverSource, logger: Logger): Promise<ResolvedDist[]> {
  const { target } = input;
  const env = target.markerEnv;
  const maxAttempts = input.maxAttempts ?? 5000;
  let attempts = 0;
  const projectCache = new Map<string, Promise<{ files: IndexFile[]; where: string; missing?: boolean } | undefined>>();
  const metadataCache = new Map<string, Promise<CoreMetadata>>();
  const rejected = new Set<string>(); // candidate urls whose metadata failed
  const allowedHashes = new Map<string, Set<string>>();
  const rootKeys = new Set<string>();

  const projectFiles = (key: string) => {
    let p = projectCache.get(key);
    if (!p) {
      p = source.projectFiles(key);
      projectCache.set(key, p);
    }
    return p;
  };
  const metadataOf = (c: Candidate) => {
    let p = metadataCache.get(c.file.url);
    if (!p) {
      p = source.metadata(c);
      metadataCache.set(c.file.url, p);
    }
    return p;
  };

  const constraints = new Map<string, InputRequirement[]>();
  for (const c of input.constraints ?? []) {
    if (c.requirement.marker && !evaluateMarker(c.requirement.marker, env)) continue;
    const list = constraints.get(c.requirement.key) ?? [];
    list.push(c);
    constraints.set(c.requirement.key, list);
  }

  const initial: State = { needs: new Map(), pins: new Map(), order: [] };
  for (const r of input.requirements) {
    const req = r.requirement;
    if (req.marker && !evaluateMarker(req.marker, env)) {
      logger.debug(`Skipping ${describeReq(req)} from ${r.source}: its marker is false for ${target.label}`);
      continue;
    }
    if (input.complete) {
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
    if (r.hashes?.length) {
      const set = allowedHashes.get(req.key) ?? new Set<string>();
      for (const h of r.hashes) set.add(h.replace(/^sha256:/, ''));
      allowedHashes.set(req.key, set);
    }
    rootKeys.add(req.key);
    addNeed(initial, req.key, { req, from: { root: r.source } });
  }

  function addNeed(state: State, key: string, need: Need): void {
    const list = state.needs.get(key);
    if (list) list.push(need);
    else {
      state.needs.set(key, [need]);
      state.order.push(key);
    }
  }

  function clone(s: State): State {
    return { needs: new Map([...s.needs].map(([k, v]) => [k, [...v]])), pins: new Map(s.pins), order: [...s.order] };
  }

  function needLabel(n: Need, state: State): string {
    if ('root' in n.from) return n.from.root;
    const p = state.pins.get(n.from.parent);
    return p ? `${p.name} ${formatVersion(p.candidate.version)}` : n.from.parent;
  }

  /** The chain of requirers from a root down to `key` (first path found). */
  function chainTo(key: string, state: State, seen = new Set<string>()): string[] {
    const first = state.needs.get(key)?.[0];
    if (!first || 'root' in first.from || seen.has(key)) return first && 'root' in first.from ? [first.from.root] : [];
    seen.add(key);
    const parent = first.from.parent;
    const p = state.pins.get(parent);
    return [...chainTo(parent, state, seen), p ? `${p.name} ${formatVersion(p.candidate.version)}` : parent];
  }

  function applicableDeps(pin: { deps: Requirement[] }, extras: Set<string>): Requirement[] {
    return pin.deps.filter((d) => {
      if (!d.marker) return true;
      if (evaluateMarker(d.marker, env, '')) return true;
      for (const e of extras) if (evaluateMarker(d.marker, env, e)) return true;
      return false;
    });
  }

  function candidateFromFile(key: string, f: IndexFile): Candidate | undefined {
    if (f.filename.endsWith('.whl')) {
      let w: WheelFilename;
      try {
        w = parseWheelFilename(f.filename);
      } catch {
        logger.debug(`Ignoring ${f.filename}: not a valid wheel file name`);
        return undefined;
      }
      if (w.key !== key) return undefined;
      const c: Candidate = { key, version: w.version, kind: 'wheel', file: f, wheel: w };
      const p = bestTagPriority(w.tags, target.priorities);
      if (p !== undefined) c.tagPriority = p;
      return c;
    }
    const s = parseSdistFilename(f.filename, key);
    if (!s) return undefined;
    return { key, version: s.version, kind: 'sdist', file: f };
  }

  function requiresPythonOk(rp: string | undefined): boolean {
    if (!rp) return true;
    let set: SpecifierSet;
    try {
      set = parseSpecifierSet(rp);
    } catch {
      return true; // pip ignores an invalid Requires-Python
    }
    return setContains(set, target.pythonFull, true);
  }

  function betterFile(a: Candidate, b: Candidate): number {
    // wheels: best tag first, then higher build tag; sdists: .tar.gz first
    if (a.kind !== b.kind) return a.kind === 'wheel' ? -1 : 1;
    if (a.kind === 'wheel') {
      const d = (a.tagPriority ?? Infinity) - (b.tagPriority ?? Infinity);
      if (d) return d;
      return -compareBuildTags(a.wheel!.build, b.wheel!.build);
    }
    const ta = a.file.filename.endsWith('.tar.gz') ? 0 : 1;
    const tb = b.file.filename.endsWith('.tar.gz') ? 0 : 1;
    return ta - tb;
  }

  /** Candidates for `key` under the current needs, best first, or a Failure saying why there are none. */
  async function candidatesFor(key: string, state: State): Promise<Candidate[] | Failure> {
    const needs = state.needs.get(key)!;
    const cons = constraints.get(key) ?? [];
    const spec = intersectSpecifierSets(...needs.map((n) => n.req.specifier), ...cons.map((c) => c.requirement.specifier));
    const reqList = [...needs.map((n) => `${describeReq(n.req)} (${needLabel(n, state)})`), ...cons.map((c) => `${formatRequirement(c.requirement)} (constraint, ${c.source})`)];
    const urls = [...new Set(needs.map((n) => n.req.url).filter((u): u is string => !!u))];
    const chain = chainTo(key, state);
    const first = needs[0]!;
    const isRoot = 'root' in first.from;

    let files: IndexFile[];
    let where: string;
    if (urls.length > 1) {
      return new Failure('ERESOLVE', `Conflicting URLs for ${key}: ${urls.map(redactUrl).join(' and ')}`, { requirements: reqList });
    } else if (urls.length === 1) {
      const u = new URL(urls[0]!);
      const fragment = u.hash.replace(/^#/, '');
      u.hash = '';
      const hashes: Record<string, string> = {};
      const fm = /^(sha256|md5)=([0-9a-fA-F]+)$/.exec(fragment);
      if (fm) hashes[fm[1]!] = fm[2]!.toLowerCase();
      files = [{ filename: decodeURIComponent(u.pathname.split('/').pop() ?? ''), url: u.toString(), hashes, yanked: false, coreMetadata: false }];
      where = redactUrl(u.toString());
    } else {
      const found = await projectFiles(key);
      if (!found || found.files.length === 0) {
        if (isRoot) {
          const missing = !found || found.missing === true;
          return new Failure('ENOTFOUND', missing ? `No project named ${first.req.name} on any configured index` : `No project named ${first.req.name} on the index: ${found.where}`, {
            hint: `Check the spelling of ${first.req.name} (${needLabel(first, state)}) and pip.index_url.`,
            requirement: describeReq(first.req),
            // the pages that answered 404, so a wrong index URL shows at once
            ...(found?.missing && found.where ? { looked_in: found.where } : {}),
          });
        }
        return new Failure('ERESOLVE', `${needLabel(first, state)} requires ${describeReq(first.req)}, which the index does not have`, {
          chain: [...chain, describeReq(first.req)],
          hint: `Add ${first.req.name} to the index (or a --find-links location), or change pip.python_version if the marker should not apply.`,
        });
      }
      files = found.files;
      where = found.where;
    }

    const all: Candidate[] = [];
    const seenNames = new Set<string>();
    for (const f of files) {
      if (seenNames.has(f.filename)) continue;
      seenNames.add(f.filename);
      const c = candidateFromFile(key, f);
      if (c && !rejected.has(c.file.url)) all.push(c);
    }
    const available = [...new Map(all.map((c) => [formatVersion(c.version), c.version])).values()].sort(compareVersions);
    const availableText = available.map(formatVersion).join(', ') || 'none';
    const describeNeeds = reqList.join(', ');

    // 1. versions the specifiers admit (pre-releases aside)
    let pool = all.filter((c) => spec.specs.every((s) => setContains({ specs: [s] }, c.version, true)));
    if (pool.length === 0) {
      if (!isRoot && needs.length === 1 && cons.length === 0 && available.length > 0) {
        return new Failure('ERESOLVE', `${needLabel(first, state)} requires ${describeReq(first.req)}, but the index has only: ${availableText}`, {
          chain: [...chain, describeReq(first.req)],
          available: available.map(formatVersion),
        });
      }
      return new Failure('ERESOLVE', `No version of ${key} satisfies ${describeNeeds}; the index has: ${availableText}`, {
        requirements: reqList,
        available: available.map(formatVersion),
        chain,
        hint: needs.length + cons.length > 1 ? 'These requirements conflict: relax one of them.' : `Pick one of the versions the index has (${where}).`,
      });
    }
    // 2. yanked files only for an exact pin (PEP 592)
    const exact = isExactPin(spec);
    const unyanked = pool.filter((c) => !c.file.yanked || exact);
    if (unyanked.length === 0) {
      const yv = [...new Set(pool.map((c) => `${formatVersion(c.version)}${c.file.yankedReason ? ` (yanked: ${c.file.yankedReason})` : ' (yanked)'}`))];
      return new Failure('ERESOLVE', `Only yanked versions of ${key} satisfy ${describeNeeds}: ${yv.join(', ')}`, {
        requirements: reqList,
        hint: `Pin one with == to use it anyway (PEP 592), e.g. ${key}==${formatVersion(pool[0]!.version)}.`,
      });
    }
    pool = unyanked;
    // 3. Requires-Python of the target
    const pyOk = pool.filter((c) => requiresPythonOk(c.file.requiresPython));
    if (pyOk.length === 0) {
      const rps = [...new Set(pool.map((c) => `${formatVersion(c.version)} needs Python ${c.file.requiresPython}`))];
      return new Failure('ERESOLVE', `No version of ${key} that satisfies ${describeNeeds} supports Python ${formatVersion(target.pythonFull)}: ${rps.slice(0, 5).join('; ')}`, {
        requirements: reqList,
        hint: 'Change pip.python_version, or pin an older release that supports it.',
      });
    }
    pool = pyOk;
    // 4. a file the target can use: a compatible wheel, else an sdist
    const usable = pool.filter((c) => c.kind === 'sdist' || c.tagPriority !== undefined);
    if (usable.length === 0) {
      const seen = [...new Set(pool.flatMap((c) => c.wheel?.tags ?? []))].sort();
      const best = supportedTags({ python: target.python, platforms: target.platforms }).slice(0, 5);
      const newest = [...pool].sort((a, b) => compareVersions(b.version, a.version))[0]!;
      return new Failure('ENOMATCH', `No wheel of ${key} ${formatVersion(newest.version)} matches the target ${target.label}: ${best[0]}`, {
        seen,
        accepted: best,
        requirements: reqList,
        hint: `The index has wheels for: ${seen.slice(0, 6).join(', ')}${seen.length > 6 ? ', ...' : ''}. Add an sdist or a compatible wheel, or change pip.python_version / pip.platforms.`,
      });
    }
    // 5. hash-checking mode: only files whose published hash is allowed (unknown hashes are checked after download)
    let hashed = usable;
    const allowed = allowedHashes.get(key);
    if (allowed) {
      const match = usable.filter((c) => c.file.hashes.sha256 && allowed.has(c.file.hashes.sha256));
      const unknown = usable.filter((c) => !c.file.hashes.sha256);
      hashed = match.length ? match : unknown;
      if (hashed.length === 0) {
        const best = [...usable].sort((a, b) => compareVersions(b.version, a.version) || betterFile(a, b))[0]!;
        return new Failure('EINTEGRITY', `Hash mismatch for ${best.file.filename} (${needLabel(first, state)}): the index publishes a sha256 that --hash does not allow`, {
          wanted: [...allowed].map((h) => `sha256:${h}`).join(' or '),
          found: `sha256:${best.file.hashes.sha256}`,
          url: redactUrl(best.file.url),
          hint: 'The file changed upstream or the requirements file is stale: re-run pip-compile --generate-hashes, or check where the index gets its files.',
        });
      }
    }
    // pre-releases: pip's rule over the versions left
    const versions = [...new Map(hashed.map((c) => [formatVersion(c.version), c.version])).values()];
    const admitted = new Set(filterVersions(spec, versions, (v) => v, input.pre ? true : undefined).map(formatVersion));
    const finalPool = hashed.filter((c) => admitted.has(formatVersion(c.version)));
    if (finalPool.length === 0) {
      return new Failure('ERESOLVE', `Only pre-releases of ${key} satisfy ${describeNeeds}: ${versions.map(formatVersion).join(', ')}`, {
        requirements: reqList,
        hint: `Ask for one explicitly (e.g. ${key}>=${formatVersion(versions[0]!)}) or add --pre to the requirements file.`,
      });
    }
    // one best file per version; versions with a wheel first (newest first), then sdist-only versions
    const byVersion = new Map<string, Candidate>();
    for (const c of finalPool) {
      const k = formatVersion(c.version);
      const cur = byVersion.get(k);
      if (!cur || betterFile(c, cur) < 0) byVersion.set(k, c);
    }
    return [...byVersion.values()].sort((a, b) => {
      if (a.kind !== b.kind) return a.kind === 'wheel' ? -1 : 1;
      return compareVersions(b.version, a.version);
    });
  }

  /** Pins `cand` for `key`, adding its dependencies; returns the new state or a Failure (conflict). */
  function pin(state: State, key: string, cand: Candidate, md: CoreMetadata, deps: Requirement[]): State | Failure {
    const next = clone(state);
    const extras = new Set(next.needs.get(key)!.flatMap((n) => n.req.extras));
    const name = md.name ?? cand.wheel?.name ?? key;
    next.pins.set(key, { candidate: cand, name, metadata: md, deps, extras });
    return addDepsOf(next, key, extras, new Set());
  }

  function addDepsOf(state: State, key: string, newExtras: Set<string>, alreadyAdded: Set<string>): State | Failure {
    const p = state.pins.get(key)!;
    const label = `${p.name} ${formatVersion(p.candidate.version)}`;
    for (const dep of applicableDeps(p, newExtras)) {
      const sig = `${key}->${formatRequirement(dep)}`;
      if (alreadyAdded.has(sig)) continue;
      alreadyAdded.add(sig);
      if (input.complete && !rootKeys.has(dep.key)) {
        return new Failure('ERESOLVE', `${label} requires ${describeReq(dep)}, which the fully pinned requirements do not list`, {
          chain: [...chainTo(key, state), label, describeReq(dep)],
          hint: `Add ${dep.key}==<version> with its --hash to the requirements file (pip-compile --generate-hashes does it).`,
        });
      }
      addNeed(state, dep.key, { req: dep, from: { parent: key } });
      const other = state.pins.get(dep.key);
      if (!other) continue;
      if (dep.url && dep.url !== other.candidate.file.url) {
        return new Failure('ERESOLVE', `${label} requires ${describeReq(dep)}, but ${other.name} ${formatVersion(other.candidate.version)} was already chosen from ${redactUrl(other.candidate.file.url)}`, {});
      }
      if (!dep.url && !setContains(dep.specifier, other.candidate.version, true)) {
        const holders = (state.needs.get(dep.key) ?? []).filter((n) => n.req !== dep).map((n) => `${describeReq(n.req)} (${needLabel(n, state)})`);
        return new Failure(
          'ERESOLVE',
          `${label} requires ${describeReq(dep)}, but ${other.name} ${formatVersion(other.candidate.version)} was chosen for ${holders.join(', ') || 'another requirement'}`,
          { chain: [...chainTo(key, state), label, describeReq(dep)] },
        );
      }
      // New extras on an already pinned project bring their own dependencies.
      const added = new Set(dep.extras.filter((e) => !other.extras.has(e)));
      if (added.size) {
        const updated: Pin = { ...other, extras: new Set([...other.extras, ...added]) };
        state.pins.set(dep.key, updated);
        const r = addDepsOf(state, dep.key, added, alreadyAdded);
        if (r instanceof Failure) return r;
      }
    }
    return state;
  }

  function nextKey(state: State): string | undefined {
    let best: string | undefined;
    for (const key of state.order) {
      if (state.pins.has(key)) continue;
      const exact = (state.needs.get(key) ?? []).some((n) => isExactPin(n.req.specifier) || n.req.url);
      if (exact) return key;
      if (best === undefined) best = key;
    }
    return best;
  }

  async function depsOf(cand: Candidate, md: CoreMetadata): Promise<Requirement[] | string> {
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
      if (!mv || compareVersions(mv, cand.version) !== 0) return `its metadata says version ${md.version}, the file name says ${formatVersion(cand.version)}`;
    }
    if (md.name !== undefined && normalizeName(md.name) !== cand.key) return `its metadata names a different project: ${md.name}`;
    if (!requiresPythonOk(md.requiresPython)) return `it requires Python ${md.requiresPython}; the target is ${formatVersion(target.pythonFull)}`;
    return deps;
  }

  async function solve(state: State): Promise<State | Failure> {
    const key = nextKey(state);
    if (key === undefined) return state;
    const cands = await candidatesFor(key, state);
    if (cands instanceof Failure) return cands;
    let firstFailure: Failure | undefined;
    const tried: string[] = [];
    for (const cand of cands) {
      if (++attempts > maxAttempts) {
        return new Failure('ERESOLVE', `Gave up resolving after ${maxAttempts} attempts (last at ${key} ${formatVersion(cand.version)})`, {
          hint: 'Pin more requirements (==) to narrow the search.',
        });
      }
      // Network, integrity and index errors are not resolution conflicts: they propagate.
      const md = await metadataOf(cand);
      const deps = await depsOf(cand, md);
      if (typeof deps === 'string') {
        logger.warn(`Skipping ${cand.file.filename}: ${deps}`);
        rejected.add(cand.file.url);
        tried.push(`${formatVersion(cand.version)} (${deps})`);
        firstFailure ??= new Failure('ERESOLVE', `Cannot use ${cand.file.filename}: ${deps}`, { url: redactUrl(cand.file.url) });
        continue;
      }
      const pinned = pin(state, key, cand, md, deps);
      if (pinned instanceof Failure) {
        logger.debug(`Backtracking: ${pinned.message}`);
        tried.push(formatVersion(cand.version));
        firstFailure ??= pinned;
        continue;
      }
      const result = await solve(pinned);
      if (!(result instanceof Failure)) return result;
      logger.debug(`Backtracking from ${key} ${formatVersion(cand.version)}: ${result.message}`);
      tried.push(formatVersion(cand.version));
      firstFailure ??= result;
    }
    const f = firstFailure ?? new Failure('ERESOLVE', `No usable version of ${key}`);
    if (tried.length > 1 && !f.details.tried) f.details.tried = tried;
    return f;
  }

  const result = await solve(initial);
  if (result instanceof Failure) {
    const details = { ...result.details };
    if (Array.isArray(details.tried) && details.tried.length > 1) {
      details.hint = `${details.hint ? `${details.hint} ` : ''}Also tried: ${(details.tried as string[]).join(', ')}.`;
    }
    throw new PackagerError(result.code, result.message, { target: target.label, ...details });
  }

  const out: ResolvedDist[] = [];
  for (const key of [...result.pins.keys()].sort()) {
    const p = result.pins.get(key)!;
    const c = p.candidate;
    const needs = result.needs.get(key) ?? [];
    const declared = new Set(p.metadata.providesExtra);
    for (const e of p.extras) {
      if (declared.size > 0 && !declared.has(e)) logger.warn(`${p.name} ${formatVersion(c.version)} does not provide the extra '${e}'`);
    }
    const depends = [...new Set(applicableDeps(p, p.extras).map((d) => formatRequirement(d)))];
    const dist: ResolvedDist = {
      key,
      name: p.name,
      version: c.version,
      candidate: c,
      extras: [...p.extras].sort(),
      depends,
      requiredBy: [...new Set(needs.map((n) => needLabel(n, result)))],
    };
    const rp = c.file.requiresPython ?? p.metadata.requiresPython;
    if (rp) dist.requiresPython = rp;
    if (c.file.yanked) logger.warn(`Using yanked ${c.file.filename}${c.file.yankedReason ? ` (reason: ${c.file.yankedReason})` : ''}: it is pinned with ==`);
    if (c.kind === 'sdist') {
      logger.warn(`No wheel of ${p.name} ${formatVersion(c.version)} fits ${target.label}; bundling the sdist ${c.file.filename}: staging will build it from source (a compiler may be needed)`);
    }
    out.push(dist);
  }
  return out;
}
