// Installer file names and their versions. Pure.
//
//   Miniconda3-py311_24.1.2-0-Linux-x86_64.sh   flavor Miniconda3, version py311_24.1.2-0
//   Miniconda3-py39_4.12.0-Linux-x86_64.sh      (no build number before 23.x)
//   Miniconda3-4.7.12.1-Linux-x86_64.sh         (no python tag before 4.8)
//   Miniconda3-latest-Linux-x86_64.sh           moving alias: never locked
//   Miniforge3-24.7.1-0-Linux-aarch64.sh        flavor Miniforge3, version 24.7.1-0
//
// Naming as published at https://repo.anaconda.com/miniconda/ and
// https://github.com/conda-forge/miniforge/releases.

const FLAVORS = ['Mambaforge-pypy3', 'Miniforge-pypy3', 'Mambaforge', 'Miniforge3', 'Miniconda3', 'Miniconda2', 'Miniconda'];
const NAME = new RegExp(`^(${FLAVORS.join('|')})-(.+)-(Linux|MacOSX|Windows)-([A-Za-z0-9_]+)\\.(sh|exe|pkg)$`);

export interface InstallerName {
  flavor: string;
  /** `py311_24.1.2-0`, `24.7.1-0`, or `latest` for the moving alias. */
  version: string;
  /** `Linux-x86_64`, as core/stacks.ts installerPlatform spells it. */
  platform: string;
  ext: string;
}

/** Splits an installer file name; undefined for anything else (README, .pkg.sha256, ...). */
export function parseInstallerName(filename: string): InstallerName | undefined {
  const m = NAME.exec(filename);
  if (!m) return undefined;
  return { flavor: m[1]!, version: m[2]!, platform: `${m[3]}-${m[4]}`, ext: m[5]! };
}

/** The file name an installer has: `Miniforge3-24.7.1-0-Linux-x86_64.sh`. */
export function installerFilename(flavor: string, version: string, platform: string): string {
  return `${flavor}-${version}-${platform}.sh`;
}

export interface InstallerVersion {
  /** `311` from `py311_`; undefined for old unprefixed versions. */
  python?: number[];
  /** conda version `24.1.2` as numbers. */
  release: number[];
  /** `-0` build suffix; -1 when absent (older names). */
  build: number;
}

const VERSION = /^(?:py(\d)(\d+)_)?(\d+(?:\.\d+)*)(?:-(\d+))?$/;

/** Reads `py311_24.1.2-0` / `24.7.1-0` / `4.7.12.1`; undefined for `latest` and anything else. */
export function parseInstallerVersion(version: string): InstallerVersion | undefined {
  const m = VERSION.exec(version);
  if (!m) return undefined;
  return {
    ...(m[1] !== undefined ? { python: [Number(m[1]), Number(m[2])] } : {}),
    release: m[3]!.split('.').map(Number),
    build: m[4] !== undefined ? Number(m[4]) : -1,
  };
}

function compareNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Orders installer versions oldest -> newest: by conda release (24.1.2 >
 * 4.12.0), then build number, then python (py312 > py311 > py39), so "the
 * newest" is the latest release built for the highest python.
 */
export function compareInstallerVersions(a: string, b: string): number {
  const x = parseInstallerVersion(a);
  const y = parseInstallerVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : a < b ? -1 : a > b ? 1 : 0;
  return compareNumbers(x.release, y.release) || x.build - y.build || compareNumbers(x.python ?? [0], y.python ?? [0]);
}

/** `latest` -> any python; `py311_latest` -> only py311 builds; undefined when not a latest request. */
export function latestRequest(version: string): { python?: string } | undefined {
  if (version === 'latest') return {};
  const m = /^py(\d+)_latest$/.exec(version);
  return m ? { python: m[1] } : undefined;
}
