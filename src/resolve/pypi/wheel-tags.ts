// Which wheel tags a target interpreter accepts, best first, computed the way
// `packaging.tags` does for CPython (cpython_tags() + compatible_tags()), so the
// index of a tag in the list is its priority (lower = preferred).
// Spec: https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/
// (manylinux: PEP 600 and legacy PEP 513/571/599 aliases; musllinux: PEP 656).
// `linux_<arch>` comes first, as in packaging >= 26.3; pip 23 puts it last.

/** What a wheel must run on: CPython major.minor and platform tags, best first. */
export interface TagTarget {
  python: [number, number];
  platforms: string[];
}

const LEGACY_MANYLINUX: Record<string, string> = { '2_17': 'manylinux2014', '2_12': 'manylinux2010', '2_5': 'manylinux1' };

/**
 * Platform tags of a glibc Linux system, best first: `linux_<arch>`, then
 * manylinux_2_<minor> down to the oldest the architecture has (2_5 on x86,
 * 2_17 elsewhere), each followed by its legacy alias.
 */
export function glibcPlatforms(arch: string, glibc: [number, number]): string[] {
  const out = [`linux_${arch}`];
  const [major, minor] = glibc;
  if (major !== 2) return out;
  const oldest = arch === 'x86_64' || arch === 'i686' ? 5 : 17;
  for (let m = minor; m >= oldest; m--) {
    out.push(`manylinux_2_${m}_${arch}`);
    const legacy = LEGACY_MANYLINUX[`2_${m}`];
    if (legacy) out.push(`${legacy}_${arch}`);
  }
  return out;
}

/** Platform tags of a musl Linux system: `linux_<arch>`, then musllinux_1_<minor> down to 1_0. */
export function muslPlatforms(arch: string, musl: [number, number]): string[] {
  const out = [`linux_${arch}`];
  for (let m = musl[1]; m >= 0; m--) out.push(`musllinux_${musl[0]}_${m}_${arch}`);
  return out;
}

const MANYLINUX_RE = /^manylinux_(\d+)_(\d+)_(.+)$/;
const LEGACY_RE = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/;
const MUSLLINUX_RE = /^musllinux_(\d+)_(\d+)_(.+)$/;
const LEGACY_GLIBC: Record<string, [number, number]> = { manylinux1: [2, 5], manylinux2010: [2, 12], manylinux2014: [2, 17] };

/**
 * Expands `pip.platforms` from the manifest: each manylinux / musllinux tag
 * stands for a system of that libc version (so `manylinux_2_35_x86_64` means
 * what a glibc 2.35 stack means, `linux_x86_64` included); any other tag
 * (macosx_14_0_arm64, win_amd64, linux_aarch64) is taken as it is.
 * Duplicates are dropped, first occurrence wins.
 */
export function expandPlatforms(platforms: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (list: string[]) => {
    for (const p of list) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
    }
  };
  for (const p of platforms) {
    let m;
    if ((m = MANYLINUX_RE.exec(p))) add(glibcPlatforms(m[3]!, [Number(m[1]), Number(m[2])]));
    else if ((m = LEGACY_RE.exec(p))) add(glibcPlatforms(m[2]!, LEGACY_GLIBC[m[1]!]!));
    else if ((m = MUSLLINUX_RE.exec(p))) add(muslPlatforms(m[3]!, [Number(m[1]), Number(m[2])]));
    else add([p]);
  }
  return out;
}

function cpythonAbi(python: [number, number]): string {
  // Before 3.8 the default build carried the pymalloc flag.
  const [maj, min] = python;
  return maj === 3 && min < 8 ? `cp${maj}${min}m` : `cp${maj}${min}`;
}

/**
 * Every tag the target accepts, best first (packaging's order):
 * cpXY-cpXY-*, cpXY-abi3-*, cpXY-none-*, cpXW-abi3-* for W < Y down to cp32,
 * pyXY-none-*, pyX-none-*, pyXW-none-*..., cpXY-none-any, pyXY-none-any,
 * pyX-none-any, pyXW-none-any...
 */
export function supportedTags(target: TagTarget): string[] {
  const [maj, min] = target.python;
  const interp = `cp${maj}${min}`;
  const plats = target.platforms;
  const tags: string[] = [];
  for (const p of plats) tags.push(`${interp}-${cpythonAbi(target.python)}-${p}`);
  const abi3 = maj === 3 && min >= 2;
  if (abi3) for (const p of plats) tags.push(`${interp}-abi3-${p}`);
  for (const p of plats) tags.push(`${interp}-none-${p}`);
  if (abi3) for (let m = min - 1; m >= 2; m--) for (const p of plats) tags.push(`cp${maj}${m}-abi3-${p}`);
  const pyRange = [`py${maj}${min}`, `py${maj}`];
  for (let m = min - 1; m >= 0; m--) pyRange.push(`py${maj}${m}`);
  for (const py of pyRange) for (const p of plats) tags.push(`${py}-none-${p}`);
  tags.push(`${interp}-none-any`);
  for (const py of pyRange) tags.push(`${py}-none-any`);
  return tags;
}

/** tag -> priority (index in supportedTags; lower is better). */
export function tagPriorities(target: TagTarget): Map<string, number> {
  const map = new Map<string, number>();
  supportedTags(target).forEach((t, i) => {
    if (!map.has(t)) map.set(t, i);
  });
  return map;
}

/** Best (lowest) priority among a wheel's tags, or undefined when none is supported. */
export function bestTagPriority(wheelTags: readonly string[], priorities: ReadonlyMap<string, number>): number | undefined {
  let best: number | undefined;
  for (const t of wheelTags) {
    const p = priorities.get(t);
    if (p !== undefined && (best === undefined || p < best)) best = p;
  }
  return best;
}
