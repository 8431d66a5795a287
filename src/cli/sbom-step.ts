// Gathers what the SBOM says about each packaged artifact: where it sits in
// the zip (from the bundle plan), its verified bytes (sha256, size), and its
// license, read from the metadata that has one: the conda repodata record kept
// in the lock (`license`), or the wheel's METADATA / the sdist's PKG-INFO
// (`License-Expression`, else `License`), read from the downloaded file itself
// so that any lock, old or new, gets licenses without re-resolving.
import pLimit from 'p-limit';
import { PackagerError, normalizeProjectName, redactUrl } from '../core/index.js';
import { DEFAULT_ENVIRONMENT, entryEnvironments, type Dependency, type LockEntry } from '../manifest/index.js';
import { dependencyZipPath, installerDependencyName, pypiBuildPath, pypiFilePath, urlBasename, type BundlePlan, type SbomArtifact, type ShippedFile } from '../bundle/index.js';
import { parseCoreMetadata, readSdistMetadata, readWheelMetadata } from '../resolve/pypi/index.js';

/** License text of a wheel or sdist, from its own metadata; undefined when absent or unreadable. */
export async function distLicense(file: string, e: Pick<LockEntry, 'kind' | 'name' | 'filename'>): Promise<string | undefined> {
  try {
    const text =
      e.kind === 'wheel' ? await readWheelMetadata(file, e.filename, normalizeProjectName(e.name)) : (await readSdistMetadata(file, e.filename)).pkgInfo;
    return text === undefined ? undefined : parseCoreMetadata(text).license;
  } catch {
    // A license is optional in an SBOM; a wheel whose metadata cannot be read
    // is pip's (and verify's) problem, not a reason to refuse the zip.
    return undefined;
  }
}

/** Every packaged artifact as an SbomArtifact, with its path in the zip and its license. */
export async function sbomArtifacts(o: {
  plan: BundlePlan;
  dependencies: Map<Dependency, ShippedFile>;
  locked: Map<LockEntry, ShippedFile>;
  /** sdists built into wheels -> the wheel (src/build/), and the wheels those builds used, by file name. */
  built?: Map<LockEntry, ShippedFile>;
  buildRequirements?: Map<string, { file: ShippedFile; name: string; version: string; uri: string }>;
}): Promise<SbomArtifact[]> {
  const pathByUrl = new Map(o.plan.index.map((r) => [r.url, r.path]));
  const pathOf = (uri: string, fallback?: string): string => {
    const p = pathByUrl.get(redactUrl(uri)) ?? fallback;
    if (p === undefined) throw new PackagerError('EINTERNAL', `The bundle plan has no path for ${redactUrl(uri)}`);
    return p;
  };
  const out: SbomArtifact[] = [];
  for (const [d, f] of o.dependencies) {
    out.push({
      kind: 'dependency',
      name: d.name,
      version: d.version,
      filename: urlBasename(d.uri),
      url: d.uri,
      sha256: f.sha256,
      ...(d.md5 ? { md5: d.md5 } : {}),
      size: f.size,
      ...(typeof d.raw.license === 'string' ? { license: d.raw.license } : {}),
      path: pathOf(d.uri, dependencyZipPath(d.uri)),
      cf_stacks: d.cf_stacks,
    });
  }
  const limit = pLimit(8);
  // named only when the lock serves more than `default`, so an old bundle's SBOM is unchanged
  const named = [...o.locked.keys()].some((e) => entryEnvironments(e).some((n) => n !== DEFAULT_ENVIRONMENT));
  const locked = await Promise.all(
    [...o.locked].map(([e, f]) =>
      limit(async (): Promise<SbomArtifact> => {
        let license: string | undefined;
        if (e.kind === 'conda' && typeof e.record?.license === 'string') license = e.record.license;
        else if (e.kind === 'wheel' || e.kind === 'sdist') license = await distLicense(f.path, e);
        return {
          kind: e.kind,
          name: e.kind === 'installer' ? installerDependencyName(e) : e.name,
          version: e.version,
          ...(e.build !== undefined ? { build: e.build } : {}),
          ...(e.channel !== undefined ? { channel: e.channel } : {}),
          ...(e.subdir !== undefined ? { subdir: e.subdir } : {}),
          filename: e.filename,
          url: e.uri,
          sha256: f.sha256,
          ...(e.md5 ? { md5: e.md5 } : {}),
          size: f.size,
          ...(license !== undefined ? { license } : {}),
          path: pathOf(e.uri, e.kind === 'installer' ? dependencyZipPath(e.uri) : undefined),
          cf_stacks: e.cf_stacks,
          depends: e.depends,
          ...(named ? { environments: entryEnvironments(e) } : {}),
        };
      }),
    ),
  );
  for (const [e, f] of o.built ?? []) {
    if (!e.built) continue;
    out.push({
      kind: 'wheel',
      name: e.name,
      version: e.version,
      filename: e.built.filename,
      url: e.uri,
      sha256: f.sha256,
      size: f.size,
      ...(await distLicense(f.path, { ...e, kind: 'wheel', filename: e.built.filename }).then((license) => (license !== undefined ? { license } : {}))),
      path: pypiFilePath(e.built.filename),
      cf_stacks: e.cf_stacks,
      depends: e.depends,
      builtFrom: e.filename,
    });
  }
  for (const [filename, q] of o.buildRequirements ?? []) {
    out.push({ kind: 'wheel', name: q.name, version: q.version, filename, url: q.uri, sha256: q.file.sha256, size: q.file.size, path: pypiBuildPath(filename), cf_stacks: [], buildRequirement: true });
  }
  return [...out, ...locked];
}
