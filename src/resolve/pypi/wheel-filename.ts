// Distribution file names: wheels (PEP 427 / binary distribution format, with
// PEP 425 compressed tag sets such as `py2.py3-none-any`) and sdists
// (`name-version.tar.gz`). Installers select by these file-name tags, never by
// the WHEEL file inside the archive.
// Spec: https://packaging.python.org/en/latest/specifications/binary-distribution-format/#file-name-convention
// and https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/
import { normalizeProjectName } from '../../core/project-name.js';
import { type Version, tryParseVersion } from './pep440.js';

export interface WheelFilename {
  filename: string;
  /** Name as the file writes it (`has.script`). */
  name: string;
  /** PEP 503 normalised name. */
  key: string;
  version: Version;
  /** Build tag: the number sorts first, then the rest as text (`1abc` -> [1, 'abc']). */
  build?: { n: number; rest: string; raw: string };
  /** Every tag the compressed set stands for (`py2-none-any`, `py3-none-any`). */
  tags: string[];
}

/** Thrown for a file name that is not a wheel name; the message says why. */
export class FilenameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilenameError';
  }
}

/** Parses a wheel file name. Throws FilenameError when it is not one. */
export function parseWheelFilename(filename: string): WheelFilename {
  if (!filename.endsWith('.whl')) throw new FilenameError(`Not a wheel file name (no .whl): ${filename}`);
  const parts = filename.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    throw new FilenameError(`Not a wheel file name (expected 5 or 6 dash-separated fields): ${filename}`);
  }
  const [name, versionText] = parts as [string, string];
  const version = tryParseVersion(versionText);
  if (!version) throw new FilenameError(`Invalid version in wheel file name: ${filename}`);
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$/.test(name)) throw new FilenameError(`Invalid project name in wheel file name: ${filename}`);
  const result: WheelFilename = { filename, name, key: normalizeProjectName(name), version, tags: [] };
  if (parts.length === 6) {
    const raw = parts[2]!;
    const m = /^(\d+)(.*)$/.exec(raw);
    if (!m) throw new FilenameError(`Invalid build tag (must start with a digit) in wheel file name: ${filename}`);
    result.build = { n: Number(m[1]), rest: m[2]!, raw };
  }
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  for (const x of py.split('.')) for (const y of abi.split('.')) for (const z of plat.split('.')) result.tags.push(`${x}-${y}-${z}`);
  return result;
}

/** Compares build tags the way pip does: none < any; then number, then text. */
export function compareBuildTags(a?: WheelFilename['build'], b?: WheelFilename['build']): number {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  if (a.n !== b.n) return a.n - b.n;
  return a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0;
}

export interface SdistFilename {
  filename: string;
  key: string;
  version: Version;
  /** `.tar.gz`, `.zip`, ... */
  extension: string;
}

const SDIST_EXTENSIONS = ['.tar.gz', '.tgz', '.zip', '.tar.bz2', '.tbz', '.tar.xz', '.txz', '.tar'];

/** True for file names pip would consider a source distribution. */
export function isSdistFilename(filename: string): boolean {
  const lower = filename.toLowerCase();
  return SDIST_EXTENSIONS.some((e) => lower.endsWith(e));
}

/**
 * Parses `name-version.tar.gz`. With `projectKey`, the name part must
 * normalise to it (names may contain dashes: `zope-interface-5.0.tar.gz`);
 * returns undefined when the file is not an sdist of that project.
 */
export function parseSdistFilename(filename: string, projectKey?: string): SdistFilename | undefined {
  const lower = filename.toLowerCase();
  const extension = SDIST_EXTENSIONS.find((e) => lower.endsWith(e));
  if (!extension) return undefined;
  const stem = filename.slice(0, -extension.length);
  const dashes: number[] = [];
  for (let i = 0; i < stem.length; i++) if (stem[i] === '-') dashes.push(i);
  const order = projectKey ? dashes : [...dashes].reverse();
  for (const d of order) {
    const key = normalizeProjectName(stem.slice(0, d));
    if (projectKey && key !== projectKey) continue;
    const version = tryParseVersion(stem.slice(d + 1));
    if (version) return { filename, key, version, extension };
    if (projectKey) return undefined;
  }
  return undefined;
}
