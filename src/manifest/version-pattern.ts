// `default_versions` may name an exact version (`2.7.13`, `py312_24.5.0-0`) or a
// wildcard line (`3.10.x`, `3.x`, `3.*`), as both Cloud Foundry packagers
// accept: the Ruby gem's manifest_validator matches `X.Y.x`/`X.x` by major and
// minor, libbuildpack's FindMatchingVersion reads them as semver ranges
// (https://github.com/Masterminds/semver#wildcards-in-comparisons).

const WILDCARD = /^[xX*]$/;

/**
 * True when `version` is matched by `pattern` (exact, or dotted with `x`/`*` wildcards).
 * A version with fewer segments than the pattern reads as zero-padded, as libbuildpack's
 * Masterminds semver reads `1.0` as 1.0.0, so `1.0.x` and `1.x` match `1.0`.
 */
export function versionMatches(pattern: string, version: string): boolean {
  if (pattern === version) return true;
  const want = pattern.split('.');
  if (!want.some((s) => WILDCARD.test(s))) return false;
  const have = version.split('.');
  for (let i = 0; i < want.length; i++) {
    // A wildcard segment matches it and everything after it (`3.x` matches 3.10.21).
    if (WILDCARD.test(want[i]!)) return true;
    if (want[i] !== (have[i] ?? '0')) return false;
  }
  return have.length === want.length;
}

/** The highest of `versions` that `pattern` matches (numeric-aware), or undefined. */
export function highestMatching(pattern: string, versions: readonly string[]): string | undefined {
  const hits = versions.filter((v) => versionMatches(pattern, v));
  hits.sort(compareLoose);
  return hits[hits.length - 1];
}

/** Orders `3.9.1` < `3.10.0` (numeric runs compared as numbers, the rest as text). */
export function compareLoose(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) return Number(x) - Number(y) || x.length - y.length;
    return x < y ? -1 : 1;
  }
  return 0;
}
