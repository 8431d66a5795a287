// Builds Manifest / LockEntry values for bundle tests straight from YAML, so
// these tests depend only on src/manifest/types.ts (not on the loader, which
// validates far more and is tested in test/manifest/).
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import type { Dependency, LockEntry, Manifest } from '../../src/manifest/types.js';

/** A Manifest from YAML text (no validation beyond what the tests need). */
export function manifestFromYaml(text: string, file = '/virtual/manifest.yml'): Manifest {
  const raw = yaml.load(text) as Record<string, unknown>;
  const deps = ((raw.dependencies as Record<string, unknown>[] | undefined) ?? []).map(
    (d): Dependency => ({
      name: String(d.name),
      version: String(d.version),
      uri: String(d.uri),
      sha256: d.sha256 as string | undefined,
      md5: d.md5 as string | undefined,
      cf_stacks: (d.cf_stacks as string[] | undefined) ?? [],
      source: d.source as string | undefined,
      raw: d,
    }),
  );
  return {
    language: String(raw.language),
    default_versions: (raw.default_versions as Manifest['default_versions']) ?? [],
    dependency_deprecation_dates: [],
    dependencies: deps,
    include_files: raw.include_files as string[] | undefined,
    exclude_files: raw.exclude_files as string[] | undefined,
    pre_package: raw.pre_package as string | undefined,
    url_to_dependency_map: ((raw.url_to_dependency_map as Record<string, unknown>[] | undefined) ?? []).map((u) => ({
      match: String(u.match),
      name: String(u.name),
      version: String(u.version),
    })),
    packaging_profiles: {},
    miniconda: [],
    conda: raw.conda as Manifest['conda'],
    pip: raw.pip as Manifest['pip'],
    environments: raw.conda || raw.pip ? [{ name: 'default', conda: raw.conda as Manifest['conda'], pip: raw.pip as Manifest['pip'] }] : [],
    apps: [],
    raw,
    path: file,
  };
}

/** A Manifest read from a YAML file. */
export async function manifestFromFile(file: string): Promise<Manifest> {
  return manifestFromYaml(await readFile(file, 'utf8'), file);
}

/** A lock entry with sensible defaults. */
export function lockEntry(e: Partial<LockEntry> & Pick<LockEntry, 'kind' | 'name' | 'version' | 'filename' | 'uri' | 'sha256' | 'size'>): LockEntry {
  return { depends: [], cf_stacks: [], ...e };
}
