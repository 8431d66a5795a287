// The shapes of manifest.yml (Cloud Foundry keys + this buildpack's resolved
// sections) and of manifest.lock.yml. These types are the contract between
// manifest/, resolve/*, bundle/ and cli/; see docs/MANIFEST.md.

/** Where a value sits in its YAML file (1-based). */
export interface Position {
  line: number;
  column: number;
}

export interface Dependency {
  name: string;
  /** Always a string, even when YAML wrote `1.0` (a float) or `3` (an int). */
  version: string;
  /** Exactly as written (may carry credentials: never log it raw). */
  uri: string;
  sha256?: string;
  /** Legacy checksum of 2017-era manifests; sha256 is preferred when both exist. */
  md5?: string;
  cf_stacks: string[];
  source?: string;
  source_sha256?: string;
  /** Set only in packaged manifests: `dependencies/<md5(uri)>/<basename>`. */
  file?: string;
  /** The entry as loaded, every key kept (osl, modules, dependencies, ...), for rewriting. */
  raw: Record<string, unknown>;
}

export interface DefaultVersion {
  name: string;
  version: string;
}

export interface DeprecationDate {
  name: string;
  version_line: string;
  /** ISO date `YYYY-MM-DD`. */
  date: string;
  link?: string;
  match?: string;
}

export interface UrlToDependency {
  match: string;
  name: string;
  version: string;
}

export interface PackagingProfile {
  description?: string;
  exclude: string[];
}

/** `miniconda:` entries: installers whose URL and sha256 are resolved from the installer index. */
export interface MinicondaSpec {
  flavor: 'Miniconda3' | 'Miniforge3';
  /** `py311_24.1.2-0` (Miniconda), `24.7.1-0` (Miniforge) or `latest`. */
  version: string;
  cf_stacks: string[];
  /** Installer index base URL override (tests point it at loopback). */
  index_url?: string;
  /** The installer's base Python exactly (`3.11.7`), when known: pip markers are evaluated at it. */
  python?: string;
}

export interface CondaSection {
  channels: string[];
  subdirs: string[];
  specs: string[];
  /** conda list -e, @EXPLICIT, environment.yml, conda-lock.yml, local .conda/.tar.bz2 packages. */
  files: string[];
  /** `conda-forge` -> base URL; lets short channel names point at a mirror. */
  channel_alias?: string;
}

export interface PipSection {
  index_url: string;
  extra_index_urls: string[];
  find_links: string[];
  python_version: string;
  platforms?: string[];
  requirements: string[];
  files: string[];
  /** Fail (exit 4) instead of keeping an sdist that cannot be built into a wheel for the stack. */
  require_wheels?: boolean;
}

/**
 * One environment the bundle serves: its own conda and/or pip inputs, resolved
 * on its own. The top-level `conda:`/`pip:` sections are the environment
 * `default`; `environments:` and `apps:` add more (docs/MANIFEST.md).
 */
export interface Environment {
  name: string;
  conda?: CondaSection;
  pip?: PipSection;
  /** `apps:` entries: the app directory as the manifest writes it. */
  app?: string;
  /**
   * `apps:` entries that are a project pip can install (`-e .` at staging, or a
   * lock's editable `.`): its pyproject.toml and/or setup.py, relative to the
   * manifest. Their `[build-system]` closure is bundled (cli/lock-step.ts).
   */
  project_files?: string[];
}

export interface Manifest {
  language: string;
  /** Top-level `stack:`; present only in packaged manifests. */
  stack?: string;
  default_versions: DefaultVersion[];
  dependency_deprecation_dates: DeprecationDate[];
  dependencies: Dependency[];
  include_files?: string[];
  exclude_files?: string[];
  pre_package?: string;
  url_to_dependency_map: UrlToDependency[];
  packaging_profiles: Record<string, PackagingProfile>;
  miniconda: MinicondaSpec[];
  conda?: CondaSection;
  pip?: PipSection;
  /**
   * `default` (top-level conda:/pip:) then each `environments:` entry, in file
   * order; `apps:` are read later (they name files: manifest/apps.ts).
   */
  environments: Environment[];
  /** `apps:` directories, relative to the manifest. */
  apps: string[];
  /** The whole document as loaded (key order kept), for rewriting into the packaged manifest. */
  raw: Record<string, unknown>;
  /** Absolute path it was loaded from (errors and relative `files:` resolve against it). */
  path: string;
}

export interface ManifestWarning {
  message: string;
  key?: string;
  line?: number;
  column?: number;
}

// ---------------------------------------------------------------------------
// manifest.lock.yml

export type LockKind = 'installer' | 'conda' | 'wheel' | 'sdist';

/**
 * One resolved artifact. URLs in the lock are REDACTED (the lock is a file users
 * commit and share); the packager re-attaches credentials from the manifest's
 * channel/index URLs when it downloads (core/redact.ts: unredactUrl).
 */
export interface LockEntry {
  kind: LockKind;
  name: string;
  version: string;
  /** conda build string. */
  build?: string;
  /** conda build number. */
  build_number?: number;
  /** File name as it will sit in the bundle (`numpy-1.26.4-py311h..._0.conda`, a wheel file name). */
  filename: string;
  uri: string;
  sha256: string;
  md5?: string;
  size: number;
  /**
   * True when `size` is an estimate (the Miniconda index prints `143.4M`) or
   * unknown (0: Miniforge publishes no size): fetch must not enforce it, the
   * sha256 still decides.
   */
  size_approximate?: boolean;
  /** conda: channel URL (redacted) and subdir. */
  channel?: string;
  subdir?: string;
  /** wheels: the compatible tags from the file name (`cp311-cp311-manylinux_2_17_x86_64`). */
  tags?: string[];
  requires_python?: string;
  /** conda `depends` / wheel `Requires-Dist` that apply to the target. */
  depends: string[];
  /** conda `constrains`. */
  constrains?: string[];
  cf_stacks: string[];
  /** conda: the original repodata record, verbatim, so repodata.json can be written offline. */
  record?: Record<string, unknown>;
  /** installers: flavor (`Miniconda3`). */
  flavor?: string;
  /** The environments that need this artifact (sorted); absent means only `default`. */
  environments?: string[];
  /** sdists: the wheel `bin/package offline` built from it (the zip carries that wheel; docs/BUNDLE.md). */
  built?: BuiltWheel;
}

/** A wheel built from a locked sdist at packaging time, and how (src/build/). */
export interface BuiltWheel {
  filename: string;
  sha256: string;
  size: number;
  /** The PEP 517 backend that built it (`flit_core.buildapi`, `setuptools.build_meta:__legacy__`). */
  backend: string;
  /** The full version of the Python that ran the build (`3.11.4`). */
  python: string;
  /** The zip timestamps inside the wheel: re-building with it gives the same bytes. */
  source_date_epoch: number;
  /** How the build was kept off the network: `unshare -n`, `unshare -rn` or `none`. */
  isolation: string;
  /** The build requirements, resolved and locked like any wheel; the zip carries them under pypi/build/. */
  requires: BuildRequirement[];
}

export interface BuildRequirement {
  name: string;
  version: string;
  filename: string;
  uri: string;
  sha256: string;
  size: number;
}

export interface Lock {
  lock_version: 1;
  /** sha256 over the resolve inputs (sections + named files); a mismatch means stale. */
  inputs_sha256: string;
  artifacts: LockEntry[];
}
