// Everything that goes into one zip, decided in one place so that the packaged
// manifest, index.tsv, names.tsv, the conda channels and the PyPI tree always
// name the same paths. cli/ fetches what selectDependencies/selectLockEntries
// return, then hands the verified files and their digests here and writes the
// plan with writeZip.
import { PackagerError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { redactUrl } from '../core/redact.js';
import { isPlainName, PLAIN_NAME_RULE } from '../core/plain-name.js';
import type { Dependency, Lock, LockEntry, Manifest } from '../manifest/types.js';
import { collectBuildpackFiles, type CollectOptions } from './buildpack-files.js';
import { condaChannelDirs, condaChannelEntries, condaEntryPath, type CondaChannelConfig, type ShippedFile } from './conda-channel.js';
import { indexTsv, lockTsv, namesTsv, urlMapTsv, type IndexRow, type NamesRow } from './index-tsv.js';
import { INDEX_TSV, LOCK_TSV, NAMES_TSV, URL_MAP_TSV, dependencyZipPath, pypiBuildPath, pypiFilePath } from './layout.js';
import { dependencyOnStack, installerDependencyName, lockEntryOnStack, packagedManifestYaml } from './packaged-manifest.js';
import { pypiTreeEntries } from './pypi-tree.js';
import { DEPRECATIONS_TSV, deprecationsTsv } from './deprecations.js';
import type { ZipEntry } from './write-zip.js';

/** Cloud Controller refuses a buildpack whose manifest.yml is larger than this. */
export const CC_MANIFEST_LIMIT = 1024 * 1024;

export interface BundlePlanInput {
  /** Buildpack root the files are collected from (the temp copy when pre_package ran). */
  root: string;
  manifest: Manifest;
  /** Buildpack version: written to VERSION (as libbuildpack's -version does). */
  version: string;
  /** Target stack; undefined = any stack. */
  stack?: string;
  cached: boolean;
  lock?: Lock;
  /** Cached zips: every dependency selectDependencies() returned -> its verified file. */
  dependencyFiles?: Map<Dependency, ShippedFile>;
  /** Cached zips: every lock entry selectLockEntries() returned -> its verified file. */
  artifactFiles?: Map<LockEntry, ShippedFile>;
  /** Cached zips: sdists built into wheels (src/build/) -> the wheel, whose `built` the entry records. */
  builtFiles?: Map<LockEntry, ShippedFile>;
  /** Cached zips: the wheels those builds used (pypi/build/), by file name. */
  buildRequirementFiles?: Map<string, ShippedFile>;
  /**
   * The manifest's conda channels as URLs (cli/ expands names like `conda-forge`
   * with the resolver's channel alias rules). Default: conda.channels as written.
   */
  condaChannels?: CondaChannelConfig[];
  /** The buildpack's own files (buildpackOwnFiles), when cli/ collected them before downloading; default: collected here. */
  ownFiles?: ZipEntry[];
  logger?: Logger;
}

export interface BundlePlan {
  entries: ZipEntry[];
  /** Rows of dependencies/index.tsv (URLs redacted); empty for uncached zips. */
  index: IndexRow[];
  /** The packaged manifest.yml text. */
  manifestYaml: string;
}

/** The manifest dependencies a zip for `stack` carries (all of them for any stack). */
export function selectDependencies(m: Manifest, stack: string | undefined): Dependency[] {
  return m.dependencies.filter((d) => dependencyOnStack(d, stack));
}

/** The lock entries a zip for `stack` carries (entries without cf_stacks apply to every stack). */
export function selectLockEntries(lock: Lock | undefined, stack: string | undefined): LockEntry[] {
  return (lock?.artifacts ?? []).filter((e) => lockEntryOnStack(e, stack));
}

/** Refuses a buildpack version that cannot name the zip or fill VERSION: empty, or with spaces or slashes. */
export function checkBuildpackVersion(version: string): void {
  if (!isPlainName(version)) {
    throw new PackagerError('EUSAGE', `Not a usable buildpack version: ${JSON.stringify(version)}`, { hint: `use a version like 1.2.3 (${PLAIN_NAME_RULE})` });
  }
}

/**
 * The buildpack's own files for the zip (include_files, or everything but
 * the exclusions), without manifest.yml and VERSION, which the plan writes;
 * refuses a missing include_files entry or a buildpack with no bin/compile.
 */
export async function buildpackOwnFiles(root: string, m: Manifest, o: CollectOptions = {}): Promise<ZipEntry[]> {
  const own = (await collectBuildpackFiles(root, m, o)).filter((e) => e.name !== 'manifest.yml' && e.name !== 'VERSION');
  if (!own.some((e) => e.name === 'bin/compile')) {
    throw new PackagerError('EBUNDLE', `The buildpack has no bin/compile, which cf create-buildpack requires: ${root}`, {
      file: m.path,
      hint: m.include_files ? 'add bin/compile to the buildpack and to include_files' : 'add bin/compile to the buildpack (and do not exclude it)',
    });
  }
  return own;
}

/** Every entry of the zip (buildpack files, packaged manifest, VERSION, cached artifacts and their indexes). */
export async function planBundle(input: BundlePlanInput): Promise<BundlePlan> {
  const { manifest: m, stack, cached } = input;
  const logger = input.logger ?? silentLogger;

  const own = input.ownFiles ?? (await buildpackOwnFiles(input.root, m));
  checkBuildpackVersion(input.version);

  const entries: ZipEntry[] = [...own, { name: 'VERSION', source: { data: `${input.version}\n` } }];
  const index: IndexRow[] = [];
  const names: NamesRow[] = [];
  const depFiles = new Map<Dependency, { file: string; sha256?: string }>();
  const lockFiles = new Map<LockEntry, string>();
  const byPath = new Map<string, string>();
  const addFile = (name: string, file: ShippedFile, what: string) => {
    const seen = byPath.get(name);
    if (seen !== undefined) {
      if (seen !== file.sha256.toLowerCase()) {
        throw new PackagerError('EBUNDLE', `Two different files want the same place in the zip: ${name} (${what})`, { wanted: `sha256 ${seen}`, found: `sha256 ${file.sha256}` });
      }
      return;
    }
    byPath.set(name, file.sha256.toLowerCase());
    entries.push({ name, source: { path: file.path }, sha256: file.sha256.toLowerCase(), size: file.size, crc32: file.crc32 });
  };

  const locked = selectLockEntries(input.lock, stack);
  if (cached) {
    for (const d of selectDependencies(m, stack)) {
      const file = required(input.dependencyFiles?.get(d), `${d.name} ${d.version} (${redactUrl(d.uri)})`);
      if (d.sha256 && d.sha256.toLowerCase() !== file.sha256.toLowerCase()) {
        throw mismatch(`${d.name} ${d.version}`, d.sha256, file);
      }
      const path = dependencyZipPath(d.uri);
      addFile(path, file, `${d.name} ${d.version}`);
      depFiles.set(d, { file: path, sha256: file.sha256.toLowerCase() });
      index.push({ url: d.uri, path, sha256: file.sha256, size: file.size });
      names.push({ name: d.name, version: d.version, path, sha256: file.sha256, size: file.size, url: d.uri, cf_stacks: stack ? [] : d.cf_stacks });
    }
    for (const e of locked.filter((x) => x.kind === 'installer')) {
      const file = required(input.artifactFiles?.get(e), `${e.name} ${e.version} (${redactUrl(e.uri)})`);
      if (e.sha256.toLowerCase() !== file.sha256.toLowerCase()) throw mismatch(e.filename, e.sha256, file);
      const path = dependencyZipPath(e.uri);
      addFile(path, file, e.filename);
      lockFiles.set(e, path);
      index.push({ url: e.uri, path, sha256: file.sha256, size: file.size });
      names.push({ name: installerDependencyName(e), version: e.version, path, sha256: file.sha256, size: file.size, url: e.uri, cf_stacks: stack ? [] : e.cf_stacks });
    }

    const artifactFiles = input.artifactFiles ?? new Map<LockEntry, ShippedFile>();
    const conda = locked.filter((e) => e.kind === 'conda');
    const channels: CondaChannelConfig[] =
      input.condaChannels ?? (m.conda?.channels ?? []).map((url) => ({ url, subdirs: m.conda?.subdirs ?? [] }));
    if (conda.length || channels.length) {
      entries.push(...condaChannelEntries(conda, artifactFiles, channels));
      const dirs = condaChannelDirs(conda, channels);
      for (const e of conda) {
        const path = condaEntryPath(e, dirs);
        const file = artifactFiles.get(e)!;
        lockFiles.set(e, path);
        index.push({ url: e.uri, path, sha256: file.sha256, size: file.size });
      }
    }
    const dists = locked.filter((e) => e.kind === 'wheel' || e.kind === 'sdist');
    const builtFiles = input.builtFiles ?? new Map<LockEntry, ShippedFile>();
    if (dists.length) {
      entries.push(...pypiTreeEntries(dists, artifactFiles, builtFiles));
      for (const e of dists) {
        const path = pypiFilePath(e.filename);
        const file = artifactFiles.get(e)!;
        lockFiles.set(e, path);
        index.push({ url: e.uri, path, sha256: file.sha256, size: file.size });
      }
    }
    for (const [filename, file] of [...(input.buildRequirementFiles ?? [])].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      addFile(pypiBuildPath(filename), file, filename);
    }

    entries.push({ name: INDEX_TSV, source: { data: indexTsv(index) } });
    entries.push({ name: URL_MAP_TSV, source: { data: urlMapTsv(m.url_to_dependency_map) } });
    entries.push({ name: NAMES_TSV, source: { data: namesTsv(names) } });
  }

  if (!cached && locked.length) {
    entries.push({
      name: LOCK_TSV,
      source: { data: lockTsv(locked.map((e) => ({ kind: e.kind, name: e.kind === 'installer' ? installerDependencyName(e) : e.name, version: e.version, filename: e.filename, uri: e.uri, sha256: e.sha256, md5: e.md5, channel: e.channel, subdir: e.subdir }))) },
    });
  }

  // Cached and uncached zips alike: staging prints end-of-life warnings from it.
  if (m.dependency_deprecation_dates.length) {
    entries.push({ name: DEPRECATIONS_TSV, source: { data: deprecationsTsv(m.dependency_deprecation_dates) } });
  }

  const builtPaths = new Map([...(input.builtFiles ?? new Map<LockEntry, ShippedFile>()).keys()].filter((e) => e.built).map((e) => [e, pypiFilePath(e.built!.filename)]));
  const manifestYaml = packagedManifestYaml(m, { stack, cached, files: depFiles, lock: input.lock, lockFiles, builtFiles: builtPaths });
  if (Buffer.byteLength(manifestYaml) > CC_MANIFEST_LIMIT) {
    logger.warn(
      `The packaged manifest.yml is ${Buffer.byteLength(manifestYaml)} bytes; Cloud Controller refuses more than ${CC_MANIFEST_LIMIT} ("buildpack manifest is too large")`,
    );
  }
  entries.push({ name: 'manifest.yml', source: { data: manifestYaml } });
  return { entries, index: index.map((r) => ({ ...r, url: redactUrl(r.url) })), manifestYaml };
}

function required(file: ShippedFile | undefined, what: string): ShippedFile {
  if (!file) throw new PackagerError('EINTERNAL', `No downloaded file for ${what}`, { hint: 'download every selected artifact before planning the zip' });
  return file;
}

function mismatch(what: string, wanted: string, file: ShippedFile): PackagerError {
  return new PackagerError('EINTEGRITY', `Downloaded file does not match its checksum: ${what}`, {
    wanted: `sha256 ${wanted.toLowerCase()}`,
    found: `sha256 ${file.sha256.toLowerCase()}`,
    file: file.path,
    hint: 'the cache is stale or corrupt: re-run with --force-download',
  });
}
