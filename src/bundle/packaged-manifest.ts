// The manifest.yml that goes into the zip, rewritten as libbuildpack's packager
// does (packager.go): with a stack, a top-level `stack:`, other-stack
// dependencies dropped and `cf_stacks` removed from the kept ones; when cached,
// `file: dependencies/<md5(uri)>/<basename>` on each dependency. Resolved
// installers become ordinary `dependencies` entries, and the lock's artifacts
// are listed under `locked_artifacts:`. Every other key is kept, in order.
// Credentials never reach the zip: every URL-looking string is redacted.
import { PackagerError } from '../core/errors.js';
import { redactText, redactUrl } from '../core/redact.js';
import { DEFAULT_ENVIRONMENT, dumpYaml, entryEnvironments } from '../manifest/index.js';
import type { Dependency, Lock, LockEntry, Manifest } from '../manifest/types.js';
import { dependencyZipPath } from './layout.js';

/** Key under which the lock's artifacts are listed in a packaged manifest. */
export const LOCKED_ARTIFACTS_KEY = 'locked_artifacts';

/** Where a cached manifest dependency sits in the zip (+ its sha256 when the manifest gave only md5). */
export type DependencyFile = string | { file: string; sha256?: string };

export interface PackagedManifestOptions {
  /** Target stack; undefined = any stack (no `stack:` key, `cf_stacks` kept). */
  stack?: string;
  cached: boolean;
  /** Each cached manifest dependency -> its path in the zip. */
  files: Map<Dependency, DependencyFile>;
  lock?: Lock;
  /** Installers to list as dependencies; default: the lock's `installer` entries. */
  installers?: LockEntry[];
  /** Paths in the zip of cached lock entries (conda packages, wheels, sdists). */
  lockFiles?: Map<LockEntry, string>;
  /** Cached zips: sdists whose built wheel the zip carries -> that wheel's path in the zip. */
  builtFiles?: Map<LockEntry, string>;
}

/** True when a manifest dependency is packaged for `stack` (all of them when no stack). */
export function dependencyOnStack(d: Pick<Dependency, 'cf_stacks'>, stack: string | undefined): boolean {
  return stack === undefined || d.cf_stacks.includes(stack);
}

/** True when a lock entry applies to `stack` (an entry with no cf_stacks applies to all). */
export function lockEntryOnStack(e: Pick<LockEntry, 'cf_stacks'>, stack: string | undefined): boolean {
  return stack === undefined || e.cf_stacks.length === 0 || e.cf_stacks.includes(stack);
}

/** `miniconda3` / `miniforge3`: the dependency name an installer gets. */
export function installerDependencyName(e: Pick<LockEntry, 'flavor' | 'name'>): string {
  return (e.flavor ?? e.name).toLowerCase();
}

/** The packaged manifest.yml text (docs/BUNDLE.md). */
export function packagedManifestYaml(m: Manifest, o: PackagedManifestOptions): string {
  const deps = m.dependencies.filter((d) => dependencyOnStack(d, o.stack)).map((d) => packagedDependency(d, o));
  const installers = (o.installers ?? o.lock?.artifacts.filter((a) => a.kind === 'installer') ?? []).filter((e) => lockEntryOnStack(e, o.stack));
  for (const inst of installers) deps.push(installerDependency(inst, o));
  const locked = o.lock?.artifacts.filter((e) => lockEntryOnStack(e, o.stack)).map((e) => lockedArtifact(e, o));

  const doc: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) doc[k] = v;
  };
  let placedDeps = false;
  for (const [key, value] of Object.entries(m.raw)) {
    if (key === 'stack' || key === LOCKED_ARTIFACTS_KEY) continue;
    if (key === 'dependencies') {
      put('dependencies', deps);
      if (locked) put(LOCKED_ARTIFACTS_KEY, locked);
      placedDeps = true;
      continue;
    }
    put(key, value);
    if (key === 'language' && o.stack) put('stack', o.stack);
  }
  if (o.stack && !('stack' in doc)) put('stack', o.stack);
  if (!placedDeps) {
    put('dependencies', deps);
    if (locked) put(LOCKED_ARTIFACTS_KEY, locked);
  }
  // a string another YAML reader could take for a date, bool or number
  // (`2026-10-04`, `yes`, `3.10`, R's `0.1_3`) gets quoted
  return dumpYaml(redactDeep(doc));
}

function packagedDependency(d: Dependency, o: PackagedManifestOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.raw)) {
    if (k === 'file') continue;
    if (k === 'cf_stacks' && o.stack) continue;
    if (k === 'uri') out.uri = redactUrl(d.uri);
    else if (k === 'version') out.version = d.version;
    else out[k] = v;
  }
  out.name ??= d.name;
  out.version ??= d.version;
  out.uri ??= redactUrl(d.uri);
  if (o.cached) {
    const f = o.files.get(d);
    if (f === undefined) {
      throw new PackagerError('EINTERNAL', `Cached dependency has no file in the bundle: ${d.name} ${d.version} (${redactUrl(d.uri)})`, {
        hint: 'every dependency packaged for the stack must be downloaded before the manifest is written',
      });
    }
    const file = typeof f === 'string' ? f : f.file;
    if (typeof f !== 'string' && f.sha256 && out.sha256 === undefined) out.sha256 = f.sha256;
    out.file = file;
  }
  return out;
}

function installerDependency(e: LockEntry, o: PackagedManifestOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: installerDependencyName(e),
    version: e.version,
    uri: redactUrl(e.uri),
    sha256: e.sha256,
  };
  if (!o.stack && e.cf_stacks.length) out.cf_stacks = [...e.cf_stacks];
  if (o.cached) out.file = o.lockFiles?.get(e) ?? dependencyZipPath(e.uri);
  return out;
}

function lockedArtifact(e: LockEntry, o: PackagedManifestOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: e.kind, name: e.name, version: e.version };
  if (e.build !== undefined) out.build = e.build;
  if (e.channel !== undefined) out.channel = redactUrl(e.channel);
  if (e.subdir !== undefined) out.subdir = e.subdir;
  out.filename = e.filename;
  out.uri = redactUrl(e.uri);
  out.sha256 = e.sha256;
  out.size = e.size;
  if (!o.stack && e.cf_stacks.length) out.cf_stacks = [...e.cf_stacks];
  const envs = entryEnvironments(e);
  if (envs.some((n) => n !== DEFAULT_ENVIRONMENT)) out.environments = [...envs].sort();
  if (o.cached) {
    const file = o.lockFiles?.get(e) ?? (e.kind === 'installer' ? dependencyZipPath(e.uri) : undefined);
    if (file !== undefined) out.file = file;
    const built = o.builtFiles?.get(e);
    if (built !== undefined && e.built) {
      out.built = { filename: e.built.filename, sha256: e.built.sha256, size: e.built.size, backend: e.built.backend, python: e.built.python, file: built };
    }
  }
  return out;
}

/** Redacts credentials in every string of a YAML-bound value (keys are left alone). */
function redactDeep(v: unknown): unknown {
  // Only strings with a scheme separator can hold a URL (and redactText is slow on long runs of word characters).
  if (typeof v === 'string') return v.includes('://') ? redactText(v) : v;
  if (Array.isArray(v)) return v.map(redactDeep);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactDeep(x);
    return out;
  }
  return v;
}
