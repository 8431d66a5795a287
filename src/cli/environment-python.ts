// Which Python each environment stages with, as staging picks it: the conda
// `python` of its own closure; else an installer whose base Python is the one
// it asks for; else a conda `python` another environment bundles. A bundle
// that has none for an environment cannot stage its apps (docs/MANIFEST.md).
import { PackagerError } from '../core/index.js';
import { DEFAULT_PIP_PYTHON_VERSION, type Environment, type LockEntry, type Manifest } from '../manifest/index.js';
import { parseInstallerVersion } from '../resolve/miniconda/installer-name.js';

export interface PythonSource {
  /** `Miniconda3 py311_24.1.2-0`, `conda python 3.12.4 (https://...)`. */
  label: string;
  /** `3.11.7` when known exactly, `3.11` when only the line is known (an installer's py311 tag). */
  version: string;
  kind: 'installer' | 'conda';
}

export interface EnvironmentPython {
  source: PythonSource;
  /** The version pip markers are evaluated at: exact when the bundle's Python is known exactly. */
  markerVersion: string;
}

const EXACT = /^\d+\.\d+\.\d+$/;

/**
 * The base Python of each installer: `miniconda[].python` when the manifest
 * states it, else the line in the name (`py311_` -> 3.11); an installer whose
 * name carries no Python (Miniforge) and whose entry states none has no known Python.
 */
export function installerPythons(m: Manifest, installers: Pick<LockEntry, 'flavor' | 'name' | 'version'>[]): PythonSource[] {
  const out: PythonSource[] = [];
  const add = (flavor: string, version: string) => {
    const spec = m.miniconda.find((s) => s.flavor.toLowerCase() === flavor.toLowerCase() && (s.version === version || s.version.includes('latest')));
    const tag = parseInstallerVersion(version)?.python;
    const stated = spec?.python;
    const py = stated ?? (tag ? tag.join('.') : undefined);
    if (py !== undefined) out.push({ label: `${flavor} ${version}`, version: py, kind: 'installer' });
  };
  for (const e of installers) add(e.flavor ?? e.name, e.version);
  for (const d of m.dependencies) if (/^mini(conda|forge)3$/i.test(d.name)) add(d.name, d.version);
  return out;
}

/** The conda `python` records among `entries`. */
export function condaPythons(entries: LockEntry[]): PythonSource[] {
  return entries.filter((e) => e.kind === 'conda' && e.name === 'python').map((e) => ({ label: `conda python ${e.version} (${e.filename})`, version: e.version, kind: 'conda' as const }));
}

/** True when a Python of `have` serves an environment asking for `want` (`3.11` = any 3.11; `3.11.7` = that one where known exactly). */
export function pythonServes(want: string, have: string): boolean {
  const w = want.split('.');
  const h = have.split('.');
  if (w[0] !== h[0] || w[1] !== h[1]) return false;
  return w.length < 3 || h.length < 3 || w[2] === h[2];
}

/** The Python the environment asks for when its conda closure has none: pip.python_version (default 3.11). */
export function wantedPython(env: Environment): string {
  return env.pip?.python_version ?? DEFAULT_PIP_PYTHON_VERSION;
}

/** The environment's Python, or undefined when the bundle carries none for it. */
export function environmentPython(env: Environment, own: LockEntry[], installers: PythonSource[], bundled: PythonSource[]): EnvironmentPython | undefined {
  const mine = condaPythons(own)[0];
  if (mine) return { source: mine, markerVersion: EXACT.test(mine.version) ? mine.version : wantedPython(env) };
  const want = wantedPython(env);
  const source = installers.find((s) => pythonServes(want, s.version)) ?? bundled.find((s) => pythonServes(want, s.version));
  if (!source) return undefined;
  return { source, markerVersion: EXACT.test(source.version) ? source.version : want };
}

/** ERESOLVE naming every environment without a Python, with what the bundle does carry. */
export function missingPythonError(missing: Environment[], installers: PythonSource[], bundled: PythonSource[]): PackagerError {
  const have = [...installers, ...bundled].map((s) => `${s.label} (Python ${s.version})`);
  const line = (e: Environment) => `environment ${e.name} needs Python ${wantedPython(e)}, and the bundle carries no Python ${wantedPython(e)}`;
  const problems = missing.map(line);
  return new PackagerError('ERESOLVE', `${problems[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, {
    found: have.length ? have.join(', ') : 'no installer and no conda python',
    hint: `add an installer with that base Python to miniconda: (e.g. Miniconda3 py${wantedPython(missing[0]!).split('.').slice(0, 2).join('')}_<version>), or \`python=${wantedPython(missing[0]!)}\` to a conda environment's specs`,
    ...(missing.length > 1 ? { problems } : {}),
  });
}
