// Selective packaging (libbuildpack 2026, packager.go resolveExclusions and the
// packager README's "Selective Dependency Packaging"): a manifest's
// `packaging_profiles: {name: {description, exclude: [dep names]}}` plus the
// flags --profile NAME, --exclude a,b, --include a,b. Resolution order:
//   1. the profile's exclude list;
//   2. --exclude names are added;
//   3. --include names are taken out again (each must have been excluded).
// Excluded dependencies are neither downloaded nor written into the packaged
// manifest, and the zip name says what was built: `-<profile>`,
// `-<profile>+custom` (an extra --exclude, or an --include that restored
// something), `-custom` (--exclude without a profile).
//
// Names are manifest dependency names and installer names (`miniconda3`,
// `miniforge3`: the names installers get in the packaged manifest). Locked conda
// packages and wheels are not: the lock is one closed environment, and dropping
// a package out of it would leave its dependents unsatisfiable at staging, so
// those are dropped by editing the manifest's conda:/pip: sections and
// re-resolving. Every error message is libbuildpack's, word for word.
import { PackagerError } from '../core/errors.js';
import { versionMatches } from '../manifest/version-pattern.js';
import type { Dependency, Lock, LockEntry, Manifest } from '../manifest/types.js';
import { dependencyOnStack, installerDependencyName, lockEntryOnStack } from './packaged-manifest.js';

/** libbuildpack's profileNameRe: safe inside a zip file name. */
export const PROFILE_NAME_RE = /^[a-z0-9_-]+$/;

export interface SelectionFlags {
  profile?: string;
  exclude?: string[];
  include?: string[];
}

export interface PackagingSelection {
  profile?: string;
  /** Zip name infix: `minimal`, `minimal+custom`, `custom`; undefined for a full build. */
  infix?: string;
  /** Names left out, sorted. */
  excluded: string[];
}

/** `a,b` -> [a, b] (blanks dropped); repeated flags accumulate. */
export function splitNames(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/**
 * Checks the flags against the manifest and returns what to leave out. Throws
 * EUSAGE with libbuildpack's messages. `modeWord` is how the user named cached
 * zips (`offline` or `cached`), so the message uses their word.
 */
export function resolvePackagingSelection(
  m: Manifest,
  flags: SelectionFlags,
  o: { cached: boolean; modeWord?: string; lock?: Lock },
): PackagingSelection {
  const profile = flags.profile || undefined;
  const exclude = flags.exclude ?? [];
  const include = flags.include ?? [];
  if (!o.cached && (profile !== undefined || exclude.length || include.length)) {
    throw new PackagerError('EUSAGE', `--profile/--exclude/--include are only valid for ${o.modeWord ?? 'cached'} buildpacks`, {
      hint: 'package with `bin/package offline` (alias `cached`): an online zip carries no dependencies to leave out',
    });
  }
  if (profile === undefined && include.length) {
    throw new PackagerError('EUSAGE', '--include requires --profile', {
      hint: '--include restores what a profile excludes; without a profile, simply do not --exclude it',
    });
  }
  if (!o.cached) return { excluded: [] };

  const known = selectableNames(m);
  const unknown = (name: string, message: string, inManifest = false) =>
    new PackagerError('EUSAGE', message, { hint: unknownHint(name, known, o.lock), ...(inManifest ? { file: m.path, key: `packaging_profiles.${profile}.exclude` } : {}) });

  const result = new Set<string>();
  if (profile !== undefined) {
    if (!PROFILE_NAME_RE.test(profile)) {
      throw new PackagerError('EUSAGE', `profile name "${profile}" is invalid: must match ^[a-z0-9_-]+$`, {
        hint: 'profile names use lowercase letters, digits, hyphens and underscores (they become part of the zip name)',
      });
    }
    const p = Object.hasOwn(m.packaging_profiles, profile) ? m.packaging_profiles[profile] : undefined;
    if (!p) {
      const names = Object.keys(m.packaging_profiles).sort();
      throw new PackagerError('EUSAGE', `packaging profile "${profile}" not found in manifest`, {
        file: m.path,
        hint: names.length ? `the manifest's packaging_profiles are: ${names.join(', ')}` : 'the manifest has no packaging_profiles: add one, or use --exclude',
      });
    }
    for (const name of p.exclude) {
      if (!known.has(name)) throw unknown(name, `profile "${profile}" references unknown dependency "${name}"`, true);
      result.add(name);
    }
  }
  for (const name of exclude) {
    if (!known.has(name)) throw unknown(name, `dependency "${name}" not found in manifest`);
    result.add(name);
  }
  let effectiveIncludes = 0;
  for (const name of include) {
    if (!known.has(name)) throw unknown(name, `dependency "${name}" not found in manifest`);
    if (!result.has(name)) {
      throw new PackagerError('EUSAGE', `--include "${name}" has no effect: dependency is not excluded by the profile or --exclude`, {
        hint: `profile "${profile}" excludes: ${m.packaging_profiles[profile!]?.exclude.join(', ') || 'nothing'}`,
      });
    }
    effectiveIncludes++;
    result.delete(name);
  }

  let infix: string | undefined;
  if (profile !== undefined) infix = exclude.length || effectiveIncludes ? `${profile}+custom` : profile;
  else if (exclude.length) infix = 'custom';
  return { ...(profile !== undefined ? { profile } : {}), ...(infix ? { infix } : {}), excluded: [...result].sort() };
}

/** Manifest dependency names and installer names (`miniconda3`, `miniforge3`). */
export function selectableNames(m: Manifest): Set<string> {
  return new Set([...m.dependencies.map((d) => d.name), ...m.miniconda.map((s) => s.flavor.toLowerCase())]);
}

function unknownHint(name: string, known: Set<string>, lock: Lock | undefined): string {
  const locked = lock?.artifacts.find((a) => a.kind !== 'installer' && a.name.toLowerCase() === name.toLowerCase());
  if (locked) {
    const what = locked.kind === 'conda' ? 'a locked conda package' : 'a locked Python package';
    return (
      `${name} is ${what}: profiles and --exclude leave out manifest dependencies and installers only. ` +
      `The lock is one closed environment, so remove ${name} from the manifest's ${locked.kind === 'conda' ? 'conda:' : 'pip:'} section and run \`bin/package resolve\``
    );
  }
  return known.size ? `names that can be left out: ${[...known].sort().join(', ')}` : 'the manifest has no dependencies or installers to leave out';
}

/** True when a manifest dependency is left out. */
export function isExcludedDependency(d: Pick<Dependency, 'name'>, excluded: ReadonlySet<string>): boolean {
  return excluded.has(d.name);
}

/** True when a lock entry is left out (only installers can be). */
export function isExcludedLockEntry(e: Pick<LockEntry, 'kind' | 'flavor' | 'name'>, excluded: ReadonlySet<string>): boolean {
  return e.kind === 'installer' && excluded.has(installerDependencyName(e));
}

/** The manifest and lock as packaged: excluded dependencies and installers removed (same objects otherwise). */
export function applySelection(m: Manifest, lock: Lock | undefined, excluded: ReadonlySet<string>): { manifest: Manifest; lock: Lock | undefined } {
  if (!excluded.size) return { manifest: m, lock };
  return {
    manifest: { ...m, dependencies: m.dependencies.filter((d) => !isExcludedDependency(d, excluded)) },
    lock: lock ? { ...lock, artifacts: lock.artifacts.filter((e) => !isExcludedLockEntry(e, excluded)) } : undefined,
  };
}

/**
 * What a selection breaks, as warnings: a default version with no dependency
 * left for the stack, or no installer left (this buildpack's Python comes from
 * Miniconda/Miniforge, so every app would fail to stage).
 */
export function selectionWarnings(m: Manifest, lock: Lock | undefined, stack: string | undefined, excluded: ReadonlySet<string>): string[] {
  if (!excluded.size) return [];
  const out: string[] = [];
  for (const dv of m.default_versions) {
    const matching = m.dependencies.filter((d) => d.name === dv.name && dependencyOnStack(d, stack) && versionMatches(dv.version, d.version));
    if (matching.length && matching.every((d) => isExcludedDependency(d, excluded))) {
      out.push(`default_versions names ${dv.name} ${dv.version}, but every matching dependency is left out: apps that rely on the default will fail to stage`);
    }
  }
  const installers = (lock?.artifacts ?? []).filter((e) => e.kind === 'installer' && lockEntryOnStack(e, stack));
  if (installers.length && installers.every((e) => isExcludedLockEntry(e, excluded))) {
    out.push(`every installer (${[...new Set(installers.map(installerDependencyName))].join(', ')}) is left out: staging installs Python from one, so every app will fail to stage`);
  }
  return out;
}
