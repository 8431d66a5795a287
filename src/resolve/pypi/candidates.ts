// Which files of a project a target can use, and which versions requirements
// admit, by pip 26's rules (pure functions of the needs, the index's files and
// the target). The resolver builds its version sets from `offerFor` +
// `admitted`; `filterCandidates` is the same decision for a set of needs, with
// the reason when nothing is left.
import {
  type SpecifierSet,
  type Version,
  compareVersions,
  formatVersion,
  isPrerelease,
  matchesSpecifier,
  parseSpecifierSet,
  setAllowsPrereleases,
  setContains,
} from './pep440.js';
import { type IndexFile } from './simple-index.js';
import { type WheelFilename, compareBuildTags, parseSdistFilename, parseWheelFilename } from './wheel-filename.js';
import { bestTagPriority, supportedTags } from './wheel-tags.js';

/** What of a target the filter needs (resolver.ts's Target has it). */
export interface FileTarget {
  label: string;
  python: [number, number];
  pythonFull: Version;
  platforms: string[];
  priorities: ReadonlyMap<string, number>;
}

/** One file of one project as the resolver sees it. */
export interface Candidate {
  key: string;
  version: Version;
  kind: 'wheel' | 'sdist';
  file: IndexFile;
  wheel?: WheelFilename;
  /** Index of the wheel's best tag in the target's list (wheels only; undefined: the target cannot use it). */
  tagPriority?: number;
}

/** One version the target can install: its best file. */
export interface OfferedVersion {
  version: Version;
  candidate: Candidate;
  /** Every usable file of this version is yanked (PEP 592). */
  yanked: boolean;
}

/** The versions of a project the target can install, ascending. */
export interface Offer {
  key: string;
  versions: OfferedVersion[];
}

/** A file as a candidate for project `key`, or undefined when its name is not a wheel or sdist of it. */
export function candidateFromFile(key: string, f: IndexFile, target: FileTarget): Candidate | undefined {
  if (f.filename.endsWith('.whl')) {
    let w: WheelFilename;
    try {
      w = parseWheelFilename(f.filename);
    } catch {
      return undefined;
    }
    if (w.key !== key) return undefined;
    const c: Candidate = { key, version: w.version, kind: 'wheel', file: f, wheel: w };
    const p = bestTagPriority(w.tags, target.priorities);
    if (p !== undefined) c.tagPriority = p;
    return c;
  }
  const s = parseSdistFilename(f.filename, key);
  return s ? { key, version: s.version, kind: 'sdist', file: f } : undefined;
}

/** Requires-Python against the target (pip ignores an invalid one). */
export function requiresPythonOk(rp: string | undefined, target: FileTarget): boolean {
  if (!rp) return true;
  let set: SpecifierSet;
  try {
    set = parseSpecifierSet(rp);
  } catch {
    return true;
  }
  return setContains(set, target.pythonFull, true);
}

/** Order of files of one version: wheels by best tag then higher build tag, then sdists (.tar.gz first). */
export function betterFile(a: Candidate, b: Candidate): number {
  if (a.kind !== b.kind) return a.kind === 'wheel' ? -1 : 1;
  if (a.kind === 'wheel') {
    const d = (a.tagPriority ?? Infinity) - (b.tagPriority ?? Infinity);
    if (d) return d;
    return -compareBuildTags(a.wheel!.build, b.wheel!.build);
  }
  return (a.file.filename.endsWith('.tar.gz') ? 0 : 1) - (b.file.filename.endsWith('.tar.gz') ? 0 : 1);
}

function usable(c: Candidate): boolean {
  return c.kind === 'sdist' || c.tagPriority !== undefined;
}

function hashAllowed(c: Candidate, hashes: ReadonlySet<string> | undefined): boolean {
  return !hashes || !c.file.hashes.sha256 || hashes.has(c.file.hashes.sha256);
}

/** Every candidate file of `key` (first of each file name), whatever the target. */
function parseFiles(key: string, files: readonly IndexFile[], target: FileTarget): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const f of files) {
    if (seen.has(f.filename)) continue;
    seen.add(f.filename);
    const c = candidateFromFile(key, f, target);
    if (c) out.push(c);
  }
  return out;
}

/**
 * The versions of `key` the target can install from `files`: a wheel with a
 * supported tag or an sdist, Requires-Python (as the index states it) met,
 * the published sha256 allowed when `hashes` is given; per version the best
 * non-yanked file (a yanked one only when all are).
 */
export function offerFor(key: string, files: readonly IndexFile[], target: FileTarget, hashes?: ReadonlySet<string>): Offer {
  const byVersion = new Map<string, Candidate[]>();
  for (const c of parseFiles(key, files, target)) {
    if (!usable(c) || !requiresPythonOk(c.file.requiresPython, target) || !hashAllowed(c, hashes)) continue;
    const k = formatVersion(c.version);
    byVersion.set(k, [...(byVersion.get(k) ?? []), c]);
  }
  const versions: OfferedVersion[] = [];
  for (const cands of byVersion.values()) {
    const live = cands.filter((c) => !c.file.yanked);
    const pool = live.length ? live : cands;
    const best = pool.reduce((a, b) => (betterFile(b, a) < 0 ? b : a));
    versions.push({ version: best.version, candidate: best, yanked: live.length === 0 });
  }
  versions.sort((a, b) => compareVersions(a.version, b.version));
  return { key, versions };
}

/** `==X` (not `==X.*`) or `===X`: pip's "pinned" (PEP 592 lets a pin take a yanked release). */
export function isExactPin(set: SpecifierSet): boolean {
  return set.specs.some((s) => (s.operator === '==' && !s.wildcard) || s.operator === '===');
}

/** What the resolver admits beyond each requirement's own rule (grows during one resolution). */
export interface Admission {
  /** Pre-releases admitted for every requirement on the project (--pre, or pip's rule for the requirements in force). */
  pre?: boolean;
  /** Yanked versions (formatted) admitted because requirements in force pin them. */
  yanked?: ReadonlySet<string>;
}

function matchesAll(specs: readonly SpecifierSet[], v: Version): boolean {
  return specs.every((set) => set.specs.every((s) => matchesSpecifier(v, s)));
}

/**
 * Which offered versions requirements with these specifier sets admit
 * together (ascending), as pip 26 filters them: pre-releases only with --pre,
 * when a specifier names one, or when no final release matches; yanked
 * versions only when a specifier pins (== / ===) and every match is yanked.
 */
export function admitted(offer: Offer, specs: readonly SpecifierSet[], admission: Admission = {}): OfferedVersion[] {
  const matched = offer.versions.filter((o) => matchesAll(specs, o.version));
  const pre = admission.pre || specs.some((s) => setAllowsPrereleases(s)) || matched.every((o) => isPrerelease(o.version));
  const kept = matched.filter((o) => pre || !isPrerelease(o.version));
  const pinnedYanked = specs.some(isExactPin) && kept.every((o) => o.yanked);
  return kept.filter((o) => !o.yanked || pinnedYanked || admission.yanked?.has(formatVersion(o.version)));
}

/** What pip's rule admits for these requirements together beyond each one alone (for `Admission`). */
export function admissionFor(offer: Offer, specs: readonly SpecifierSet[]): { pre: boolean; yanked: string[] } {
  const matched = offer.versions.filter((o) => matchesAll(specs, o.version));
  const pre = specs.some((s) => setAllowsPrereleases(s)) || (matched.length > 0 && matched.every((o) => isPrerelease(o.version)));
  const kept = matched.filter((o) => pre || !isPrerelease(o.version));
  const yanked = specs.some(isExactPin) && kept.length > 0 && kept.every((o) => o.yanked) ? kept.map((o) => formatVersion(o.version)) : [];
  return { pre, yanked };
}

/** Preference among admitted versions: not yanked, then versions with a wheel, newest first, then sdist-only ones. */
export function preferenceOrder(versions: readonly OfferedVersion[]): OfferedVersion[] {
  return [...versions].sort((a, b) => {
    if (a.yanked !== b.yanked) return a.yanked ? 1 : -1;
    if (a.candidate.kind !== b.candidate.kind) return a.candidate.kind === 'wheel' ? -1 : 1;
    return compareVersions(b.version, a.version);
  });
}

/** Why no file is left for a set of needs, in the order pip's filters apply. */
export type FilterFailure =
  | { why: 'no-match'; available: string[] }
  | { why: 'yanked'; yanked: string[]; example: string }
  | { why: 'python'; needs: string[] }
  | { why: 'no-wheel'; newest: string; seen: string[]; accepted: string[] }
  | { why: 'hash'; best: Candidate };

/**
 * The candidate filter: the files of `key` that needs with these specifier
 * sets admit on `target`, best first (one per version), or why there are none.
 */
export function filterCandidates(
  key: string,
  specs: readonly SpecifierSet[],
  files: readonly IndexFile[],
  target: FileTarget,
  opts: { pre?: boolean; hashes?: ReadonlySet<string> } = {},
): { candidates: Candidate[] } | { failure: FilterFailure } {
  const ok = admitted(offerFor(key, files, target, opts.hashes), specs, { pre: opts.pre });
  if (ok.length) return { candidates: preferenceOrder(ok).map((o) => o.candidate) };
  return { failure: whyNone(key, specs, files, target, opts.hashes) };
}

function versionList(cands: readonly Candidate[]): string[] {
  return [...new Map(cands.map((c) => [formatVersion(c.version), c.version])).values()].sort(compareVersions).map(formatVersion);
}

/** The first of pip's filters that leaves nothing (call only when `admitted` is empty). */
export function whyNone(key: string, specs: readonly SpecifierSet[], files: readonly IndexFile[], target: FileTarget, hashes?: ReadonlySet<string>): FilterFailure {
  const all = parseFiles(key, files, target);
  const matched = all.filter((c) => matchesAll(specs, c.version));
  if (matched.length === 0) return { why: 'no-match', available: versionList(all) };
  const pyOk = matched.filter((c) => requiresPythonOk(c.file.requiresPython, target));
  if (pyOk.length === 0) return { why: 'python', needs: [...new Set(matched.map((c) => `${formatVersion(c.version)} needs Python ${c.file.requiresPython}`))] };
  const fits = pyOk.filter(usable);
  if (fits.length === 0) {
    const newest = [...pyOk].sort((a, b) => compareVersions(b.version, a.version))[0]!;
    return {
      why: 'no-wheel',
      newest: formatVersion(newest.version),
      seen: [...new Set(pyOk.flatMap((c) => c.wheel?.tags ?? []))].sort(),
      accepted: supportedTags({ python: target.python, platforms: target.platforms }).slice(0, 5),
    };
  }
  const hashed = fits.filter((c) => hashAllowed(c, hashes));
  if (hashed.length === 0) return { why: 'hash', best: [...fits].sort((a, b) => compareVersions(b.version, a.version) || betterFile(a, b))[0]! };
  // what is left is yanked (pre-releases always pass when nothing else matches)
  const sorted = [...hashed].sort((a, b) => compareVersions(a.version, b.version));
  const yanked = [...new Set(sorted.map((c) => `${formatVersion(c.version)}${c.file.yankedReason ? ` (yanked: ${c.file.yankedReason})` : ' (yanked)'}`))];
  return { why: 'yanked', yanked, example: `${key}==${formatVersion(sorted[sorted.length - 1]!.version)}` };
}
