// An sdist's `[build-system]` (PEP 517/518): what to install before building and
// which backend to call. No pyproject.toml, or one without `[build-system]`,
// means the legacy setuptools build (PEP 517's fallback).
import { parse as parseToml } from 'smol-toml';
import { PackagerError } from '../core/index.js';

export interface BuildSystem {
  requires: string[];
  /** `module:object` */
  backend: string;
  /** Directories inside the sdist to put first on sys.path (in-tree backends). */
  backendPath: string[];
}

export const LEGACY_BUILD_SYSTEM: BuildSystem = {
  requires: ['setuptools>=40.8.0', 'wheel'],
  backend: 'setuptools.build_meta:__legacy__',
  backendPath: [],
};

/** Who a malformed [build-system] is reported to: the sdist's upstream (default) or the app's developer. */
export interface BuildSystemSource {
  /** What cannot be built, e.g. `flitpure-1.0.tar.gz` or `the app apps/web`. */
  label: string;
  hint?: string;
  code?: 'EBUILD' | 'EMANIFEST';
}

const SDIST_HINT = 'the sdist is malformed upstream: pin another version, or one with a wheel';

/** The build system of an sdist from its pyproject.toml text (undefined when it has none). */
export function buildSystemOf(pyproject: string | undefined, sdist: string | BuildSystemSource): BuildSystem {
  return readBuildSystem(pyproject === undefined ? undefined : parse(pyproject, sdist), sdist);
}

/**
 * The build system pip uses to install an app's own project (`pip install .`,
 * `-e .`): its pyproject.toml's, else the legacy setuptools one when there is a
 * setup.py or a `[project]` table; undefined when the directory is no
 * installable project (no setup.py, and a pyproject.toml only for tools' settings).
 */
export function projectBuildSystem(pyproject: string | undefined, hasSetupPy: boolean, app: BuildSystemSource): BuildSystem | undefined {
  const doc = pyproject === undefined ? undefined : parse(pyproject, app);
  if (!hasSetupPy && (doc === undefined || (doc['build-system'] === undefined && doc.project === undefined))) return undefined;
  return readBuildSystem(doc, app);
}

function parse(pyproject: string, src: string | BuildSystemSource): Record<string, unknown> {
  try {
    return parseToml(pyproject) as Record<string, unknown>;
  } catch (err) {
    throw invalid(src, `pyproject.toml is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function readBuildSystem(doc: Record<string, unknown> | undefined, sdist: string | BuildSystemSource): BuildSystem {
  if (doc === undefined) return LEGACY_BUILD_SYSTEM;
  const bs = doc['build-system'];
  if (bs === undefined) return LEGACY_BUILD_SYSTEM;
  if (!bs || typeof bs !== 'object' || Array.isArray(bs)) throw invalid(sdist, '[build-system] is not a table');
  const t = bs as Record<string, unknown>;
  const strings = (v: unknown, key: string): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(sdist, `[build-system] ${key} is not a list of strings`);
    return v as string[];
  };
  // PEP 518: `requires` is mandatory in [build-system]; pip and build refuse a table without it.
  if (t.requires === undefined) throw invalid(sdist, '[build-system] has no `requires`');
  const requires = strings(t.requires, 'requires');
  if (t['build-backend'] === undefined) return { requires, backend: LEGACY_BUILD_SYSTEM.backend, backendPath: [] };
  if (typeof t['build-backend'] !== 'string' || !/^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$/.test(t['build-backend'])) {
    throw invalid(sdist, `[build-system] build-backend is not a module:object name: ${JSON.stringify(t['build-backend'])}`);
  }
  const backendPath = t['backend-path'] === undefined ? [] : strings(t['backend-path'], 'backend-path');
  for (const p of backendPath) {
    if (p.startsWith('/') || p.split(/[/\\]/).includes('..')) throw invalid(sdist, `[build-system] backend-path leaves the source tree: ${p}`);
  }
  return { requires, backend: t['build-backend'], backendPath };
}

function invalid(src: string | BuildSystemSource, why: string): PackagerError {
  const s = typeof src === 'string' ? { label: src } : src;
  return new PackagerError(s.code ?? 'EBUILD', `Cannot build ${s.label}: ${why}`, { hint: s.hint ?? SDIST_HINT });
}
