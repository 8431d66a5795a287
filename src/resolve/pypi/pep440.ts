// PEP 440 versions and version specifiers, as pip applies them.
// Spec: https://peps.python.org/pep-0440/ and
// https://packaging.python.org/en/latest/specifications/version-specifiers/
// Semantics follow `packaging` 26 (vendored by pip 26), including its
// pre-release rules: a specifier set admits pre-releases when --pre is given,
// when one of its specifiers names a pre-release (any operator but != and
// ==X.*), or when no final release matches it (PEP 440's "only if necessary").

/** A parsed PEP 440 version. Numbers are bigint: real versions carry dates and hashes. */
export interface Version {
  /** The text it was parsed from (trimmed), for `===`. */
  raw: string;
  epoch: bigint;
  release: bigint[];
  pre?: { label: 'a' | 'b' | 'rc'; n: bigint };
  post?: bigint;
  dev?: bigint;
  /** Lower-cased local segments, numbers as bigint. */
  local?: (bigint | string)[];
}

// https://packaging.python.org/en/latest/specifications/version-specifiers/#appendix-parsing-version-strings-with-regular-expressions
const VERSION_BODY =
  'v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)' +
  '(?<pre>[-_\\.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\\.]?(?<pre_n>[0-9]+)?)?' +
  '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_\\.]?(?<post_l>post|rev|r)[-_\\.]?(?<post_n2>[0-9]+)?))?' +
  '(?<dev>[-_\\.]?(?<dev_l>dev)[-_\\.]?(?<dev_n>[0-9]+)?)?)' +
  '(?:\\+(?<local>[a-z0-9]+(?:[-_\\.][a-z0-9]+)*))?';
const VERSION_RE = new RegExp(`^\\s*${VERSION_BODY}\\s*$`, 'i');

const PRE_LABELS: Record<string, 'a' | 'b' | 'rc'> = {
  a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', pre: 'rc', preview: 'rc', rc: 'rc',
};

/** Parses a version, or returns undefined when it is not PEP 440. */
export function tryParseVersion(text: string): Version | undefined {
  const m = VERSION_RE.exec(text);
  if (!m || !m.groups) return undefined;
  const g = m.groups;
  const v: Version = {
    raw: text.trim(),
    epoch: g.epoch ? BigInt(g.epoch) : 0n,
    release: g.release!.split('.').map((p) => BigInt(p)),
  };
  if (g.pre) v.pre = { label: PRE_LABELS[g.pre_l!.toLowerCase()]!, n: BigInt(g.pre_n ?? 0) };
  if (g.post) v.post = BigInt(g.post_n1 ?? g.post_n2 ?? 0);
  if (g.dev) v.dev = BigInt(g.dev_n ?? 0);
  if (g.local) v.local = g.local.toLowerCase().split(/[-_.]/).map((s) => (/^[0-9]+$/.test(s) ? BigInt(s) : s));
  return v;
}

/** Parses a version; throws a plain Error (callers wrap it with context) when invalid. */
export function parseVersion(text: string): Version {
  const v = tryParseVersion(text);
  if (!v) throw new Error(`Invalid PEP 440 version: ${JSON.stringify(text)}`);
  return v;
}

/** Canonical text: `1.0rc1.post2.dev3+abc.5` (packaging's str(Version)). */
export function formatVersion(v: Version): string {
  let s = publicVersion(v);
  if (v.local) s += '+' + v.local.map(String).join('.');
  return s;
}

/** The version without its local segment. */
export function publicVersion(v: Version): string {
  let s = v.epoch !== 0n ? `${v.epoch}!` : '';
  s += v.release.join('.');
  if (v.pre) s += v.pre.label + v.pre.n;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  return s;
}

/** Epoch and release only: `1!2.0`. */
export function baseVersion(v: Version): string {
  return (v.epoch !== 0n ? `${v.epoch}!` : '') + v.release.join('.');
}

/** Normalised version text, or the input unchanged when it is not PEP 440. */
export function normalizeVersion(text: string): string {
  const v = tryParseVersion(text);
  return v ? formatVersion(v) : text;
}

export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

export function isPostrelease(v: Version): boolean {
  return v.post !== undefined;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpRelease(a: bigint[], b: bigint[]): number {
  // Trailing zeros do not count: 1.0 == 1.0.0.
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmpBig(a[i] ?? 0n, b[i] ?? 0n);
    if (c) return c;
  }
  return 0;
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

// packaging's _cmpkey: a dev release without pre/post sorts before every
// pre-release of the same release; no pre-release sorts after all of them.
function cmpPre(a: Version, b: Version): number {
  const rank = (v: Version): [number, bigint] => {
    if (!v.pre && v.post === undefined && v.dev !== undefined) return [-1, 0n];
    if (!v.pre) return [3, 0n];
    return [PRE_RANK[v.pre.label], v.pre.n];
  };
  const [ra, na] = rank(a);
  const [rb, nb] = rank(b);
  return ra !== rb ? ra - rb : cmpBig(na, nb);
}

function cmpLocal(a?: (bigint | string)[], b?: (bigint | string)[]): number {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // Numeric segments sort after alphanumeric ones.
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      const c = cmpBig(x, y);
      if (c) return c;
    } else if (typeof x === 'bigint') return 1;
    else if (typeof y === 'bigint') return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Total order of PEP 440: negative, zero or positive like a sort comparator. */
export function compareVersions(a: Version, b: Version): number {
  return (
    cmpBig(a.epoch, b.epoch) ||
    cmpRelease(a.release, b.release) ||
    cmpPre(a, b) ||
    (a.post === undefined ? (b.post === undefined ? 0 : -1) : b.post === undefined ? 1 : cmpBig(a.post, b.post)) ||
    (a.dev === undefined ? (b.dev === undefined ? 0 : 1) : b.dev === undefined ? -1 : cmpBig(a.dev, b.dev)) ||
    cmpLocal(a.local, b.local)
  );
}

function withoutLocal(v: Version): Version {
  if (!v.local) return v;
  const { local: _drop, ...rest } = v;
  return rest;
}

function sameBase(a: Version, b: Version): boolean {
  return a.epoch === b.epoch && cmpRelease(a.release, b.release) === 0;
}

// ---------------------------------------------------------------------------
// Specifiers

export type Operator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

export interface Specifier {
  operator: Operator;
  /** Version text as written (without the operator), trimmed. */
  version: string;
  /** `==1.2.*` / `!=1.2.*`. */
  wildcard: boolean;
  /** Parsed version (undefined only for `===` with a non-PEP 440 string). */
  parsed?: Version;
}

const SPEC_RE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(\S(?:.*\S)?)\s*$/;

/** Parses one specifier (`>=1.0`); throws a plain Error with the reason when invalid. */
export function parseSpecifier(text: string): Specifier {
  const m = SPEC_RE.exec(text);
  if (!m) throw new Error(`Invalid specifier: ${JSON.stringify(text)}`);
  const operator = m[1] as Operator;
  let version = m[2]!;
  if (operator === '===') {
    if (/\s/.test(version)) throw new Error(`Invalid specifier: ${JSON.stringify(text)}`);
    const spec: Specifier = { operator, version, wildcard: false };
    const parsed = tryParseVersion(version);
    if (parsed) spec.parsed = parsed;
    return spec;
  }
  let wildcard = false;
  if (version.endsWith('.*')) {
    if (operator !== '==' && operator !== '!=') throw new Error(`Invalid specifier: ${JSON.stringify(text)} (a .* suffix needs == or !=)`);
    wildcard = true;
    version = version.slice(0, -2);
  }
  const parsed = tryParseVersion(version);
  const bad = (why: string) => new Error(`Invalid specifier: ${JSON.stringify(text)} (${why})`);
  if (!parsed) throw bad('not a PEP 440 version');
  if (wildcard && (parsed.pre || parsed.post !== undefined || parsed.dev !== undefined || parsed.local)) {
    throw bad('a .* prefix match takes a release number only');
  }
  if (parsed.local && operator !== '==' && operator !== '!=') throw bad('local versions only go with == and !=');
  if (operator === '~=' && parsed.release.length < 2) throw bad('~= needs at least two release numbers');
  return { operator, version: wildcard ? `${version}.*` : version, wildcard, parsed };
}

/**
 * Whether this specifier on its own opts in to pre-releases (packaging 26 rule:
 * it names one, with any operator but `!=` and `==X.*`; pip 23-24 left out `<` and `>`).
 */
export function specifierAllowsPrereleases(s: Specifier): boolean {
  if (s.operator === '!=' || s.wildcard) return false;
  return s.parsed ? isPrerelease(s.parsed) : false;
}

function prefixMatch(v: Version, spec: Version): boolean {
  // `==1.2.*`: epochs equal and the release, zero-padded, starts with 1.2.
  if (v.epoch !== spec.epoch) return false;
  return spec.release.every((n, i) => (v.release[i] ?? 0n) === n);
}

/** Whether `v` satisfies one specifier, pre-release policy aside. */
export function matchesSpecifier(v: Version, s: Specifier): boolean {
  const spec = s.parsed;
  switch (s.operator) {
    case '===':
      return v.raw.toLowerCase() === s.version.toLowerCase() || formatVersion(v).toLowerCase() === s.version.toLowerCase();
    case '==':
    case '!=': {
      let eq: boolean;
      if (s.wildcard) eq = prefixMatch(v, spec!);
      else eq = compareVersions(spec!.local ? v : withoutLocal(v), spec!) === 0;
      return s.operator === '==' ? eq : !eq;
    }
    case '<=':
      return compareVersions(withoutLocal(v), spec!) <= 0;
    case '>=':
      return compareVersions(withoutLocal(v), spec!) >= 0;
    case '<':
      if (!(compareVersions(v, spec!) < 0)) return false;
      // `<3.1` must not admit 3.1.dev0 or 3.1a1 unless it names a pre-release itself.
      if (!isPrerelease(spec!) && isPrerelease(v) && sameBase(v, spec!)) return false;
      return true;
    case '>':
      if (!(compareVersions(v, spec!) > 0)) return false;
      // `>3.1` must not admit 3.1.post1 (unless it names a post-release) nor 3.1+local.
      if (!isPostrelease(spec!) && isPostrelease(v) && sameBase(v, spec!)) return false;
      if (v.local && sameBase(v, spec!)) return false;
      return true;
    case '~=': {
      const prefix: Version = { raw: '', epoch: spec!.epoch, release: spec!.release.slice(0, -1) };
      return compareVersions(withoutLocal(v), spec!) >= 0 && prefixMatch(v, prefix);
    }
  }
}

/** A comma-separated set of specifiers, all of which must hold. */
export interface SpecifierSet {
  specs: Specifier[];
}

/** Parses `>=1.0, <2` (also the empty string); throws a plain Error when invalid. */
export function parseSpecifierSet(text: string): SpecifierSet {
  const trimmed = text.trim();
  if (!trimmed) return { specs: [] };
  return { specs: trimmed.split(',').map((part) => parseSpecifier(part)) };
}

/** `>=1.0,<2` as written back (spaces removed, order kept). */
export function formatSpecifierSet(set: SpecifierSet): string {
  return set.specs.map((s) => `${s.operator}${s.version}`).join(',');
}

/** Merges sets (logical AND). */
export function intersectSpecifierSets(...sets: SpecifierSet[]): SpecifierSet {
  return { specs: sets.flatMap((s) => s.specs) };
}

/** True when a specifier of the set names a pre-release; undefined otherwise (then only the PEP 440 fallback admits them). */
export function setAllowsPrereleases(set: SpecifierSet): true | undefined {
  return set.specs.some(specifierAllowsPrereleases) ? true : undefined;
}

/**
 * Whether `v` is in the set. `prereleases`: true admits them, false refuses them,
 * undefined admits them too (packaging's contains: a lone version has no alternatives).
 */
export function setContains(set: SpecifierSet, v: Version, prereleases?: boolean): boolean {
  const allow = prereleases ?? setAllowsPrereleases(set) ?? true;
  if (!allow && isPrerelease(v)) return false;
  return set.specs.every((s) => matchesSpecifier(v, s));
}

/**
 * The versions of `items` the set admits, in input order (packaging 26's
 * SpecifierSet.filter). With `prereleases` undefined, pre-releases pass if a
 * specifier names one, or if no final release passes.
 */
export function filterVersions<T>(set: SpecifierSet, items: readonly T[], key: (item: T) => Version, prereleases?: boolean): T[] {
  const setPre = setAllowsPrereleases(set);
  const allow = prereleases ?? setPre;
  const matched = items.filter((it) => set.specs.every((s) => matchesSpecifier(key(it), s)));
  if (allow === true) return matched;
  const finals = matched.filter((it) => !isPrerelease(key(it)));
  if (allow === false) return finals;
  return finals.length > 0 ? finals : matched;
}
