// What every lock-file reader returns: the complete, pinned environment a lock
// names for one target, taken as it is (never re-resolved), each package with
// the exact file and sha256 the lock records.
import { type MarkerEnvironment, markerEnvironmentFor } from '../markers.js';
import { type Version, parseVersion } from '../pep440.js';
import { tagPriorities } from '../wheel-tags.js';

/** The interpreter and platform a lock is read for (resolver.ts's Target satisfies it). */
export interface LockTarget {
  /** CPython major.minor, for messages. */
  python: [number, number];
  /** Full version for requires-python checks (`3.11` reads as 3.11.0). */
  pythonFull: Version;
  markerEnv: MarkerEnvironment;
  /** Wheel tag -> priority (lower is better), as wheel-tags.ts computes it. */
  priorities: ReadonlyMap<string, number>;
}

/** A target from a Python version (`3.11.9`), an architecture and platform tags, best first (wheel-tags.ts expandPlatforms/glibcPlatforms). */
export function lockTarget(opts: { pythonVersion: string; arch: string; platforms: readonly string[] }): LockTarget {
  const markerEnv = markerEnvironmentFor({ pythonVersion: opts.pythonVersion, arch: opts.arch });
  const [major, minor] = markerEnv.python_version.split('.').map(Number) as [number, number];
  return {
    python: [major, minor],
    pythonFull: parseVersion(markerEnv.python_full_version),
    markerEnv,
    priorities: tagPriorities({ python: [major, minor], platforms: [...opts.platforms] }),
  };
}

export interface LockReadOptions {
  /** The lock as messages name it: `uv.lock`, `apps/web/poetry.lock`. */
  file: string;
  target: LockTarget;
  /**
   * Dependency groups to install besides the default one, by the names the
   * lock uses: uv.lock and pylock.toml dependency groups (`dev`, `test`),
   * poetry groups (`dev`), Pipfile.lock categories (`develop`, or `dev` for it).
   * Default: none (main/default dependencies only, as a deployment installs).
   */
  groups?: readonly string[];
  /** Extras of the app's own project (uv.lock root optional-dependencies, poetry.lock `[extras]`, pylock.toml `extras`). Default: none. */
  extras?: readonly string[];
}

/** One file the lock names for a package. */
export interface LockedFile {
  kind: 'wheel' | 'sdist';
  filename: string;
  /** Where the lock says it lives (absent when the lock gives only a name, as poetry.lock does). */
  url?: string;
  /** Path relative to the lock's directory, for a file inside the app (uv/poetry/pylock `path`). */
  path?: string;
  /** Lower-case hex. */
  sha256: string;
  size?: number;
}

export interface LockedPackage {
  name: string;
  /** PEP 503 normalised name. */
  key: string;
  /** Exact version as the lock writes it. */
  version: string;
  /**
   * The file to install for the target. Absent only for Pipfile.lock, which
   * records hashes but not file names: the packager then takes the best file
   * for the target whose sha256 is one of `hashes`.
   */
  file?: LockedFile;
  /** Every sha256 the lock accepts for this package (the chosen file's alone when the lock names files). */
  hashes: string[];
  /** Base URL of the index the lock names for it (`https://pypi.org/simple` when the lock implies PyPI). */
  index?: string;
  /** Where the lock declares it: `uv.lock line 42`. */
  source: string;
}

/** A project the app carries in its own tree (the app itself, a workspace member, a path dependency inside the app). */
export interface LocalProject {
  name: string;
  /** Relative to the lock's directory, POSIX separators, never leaving it. */
  path: string;
  editable: boolean;
}

export interface LockedEnvironment {
  format: LockFormat;
  file: string;
  /** Selected packages to bundle and install, sorted by key. */
  packages: LockedPackage[];
  /** Projects installed from the app's own tree (not bundled; their dependencies are in `packages`). */
  localProjects: LocalProject[];
  /** Every index URL the selected packages name, in first-seen order. */
  indexes: string[];
}

export type LockFormat = 'pylock.toml' | 'uv.lock' | 'poetry.lock' | 'Pipfile.lock';

export const PYPI_SIMPLE = 'https://pypi.org/simple';
