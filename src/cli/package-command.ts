// `bin/package online|offline`: manifest -> (lock) -> downloads -> zip.
// The order follows libbuildpack (copy + pre_package first, so a broken build
// script fails before any download), then the Ruby gem's user-facing lines.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError, redactUrl, sriFromHex, unredactUrl, writeFileAtomic, type Artifact, type Logger } from '../core/index.js';
import { ContentCache, fetchArtifacts, type CachedFile } from '../fetch/index.js';
import {
  checkPackagingTarget,
  dependencyArtifact,
  entryEnvironments,
  fetchableUri,
  loadLock,
  manifestEnvironments,
  type Dependency,
  type Environment,
  type Lock,
  type LockEntry,
  type Manifest,
} from '../manifest/index.js';
import {
  SBOM_PATH,
  applySelection,
  buildpackOwnFiles,
  byProductsInside,
  checkBuildpackVersion,
  copyBuildpackRoot,
  deprecationHits,
  deprecationWarning,
  installerDependencyName,
  planBundle,
  resolvePackagingSelection,
  runPrePackage,
  sbomJson,
  selectDependencies,
  selectLockEntries,
  selectionWarnings,
  todayString,
  writeZip,
  zipFileName,
  zipTimestamp,
  type PackagingSelection,
  type ShippedFile,
  type WrittenZip,
  type ZipEntry,
} from '../bundle/index.js';
import { channelRefs } from '../resolve/conda/index.js';
import type { CommandContext } from './run.js';
import { formatBytes } from './console.js';
import { checkCacheDir, loadManifestReporting, prepareOutputFile, resolveCacheDir, fetchTuning } from './common.js';
import { ensureLock, lockPathFor } from './lock-step.js';
import { checkBudget, checkWrittenZip, environmentLines, estimateLine, estimateSize, type BudgetItem, type SizeEstimate } from './size-budget.js';
import { sbomArtifacts } from './sbom-step.js';
import { buildStep, type BuildStepResult } from './build-step.js';
import { TOOL_NAME, toolVersion } from './tool-version.js';

export interface PackageOptions {
  mode: 'online' | 'offline';
  manifest?: string;
  stack?: string;
  anyStack?: boolean;
  version?: string;
  cacheDir?: string;
  output?: string;
  concurrency?: number;
  forceDownload?: boolean;
  /** Selective packaging (cached only): a packaging_profiles name, more names to leave out, names to put back. */
  profile?: string;
  exclude?: string[];
  include?: string[];
  /** Also write the SBOM here (cached only). */
  sbom?: string;
  /** Fail when the zip would be larger (bytes); default: warn above 1 GiB. */
  maxSize?: number;
  /** The word the user typed for the mode (`offline`, `cached`, ...): messages use it. */
  modeWord?: string;
  /** `YYYY-MM-DD` for deprecation warnings; default BP_TODAY, else today (UTC). */
  today?: string;
}

/** What `--json` prints after a successful package run. */
export interface PackageResult {
  ok: true;
  zip: string;
  size: number;
  sha256: string;
  cached: boolean;
  stack: string | null;
  version: string;
  /** The packaging profile, or null. */
  profile: string | null;
  /** Dependencies and installers left out (profile, --exclude, --include). */
  excluded: string[];
  /** Where --sbom wrote the SBOM (the zip always holds sbom.cdx.json when cached), or null. */
  sbom: string | null;
  /** What the pre-download estimate said (cached zips). */
  expected_size: { bytes: number; at_least: boolean; approximate: boolean } | null;
  artifacts: { kind: string; name: string; version: string; uri: string; sha256: string; size: number; from_cache: boolean }[];
  /** Wheels built from locked sdists (src/build/). */
  built: BuildStepResult['report'];
}

/** Builds the zip; returns what --json reports. Each step below refuses what it can before the next, slower one. */
export async function packageBuildpack(o: PackageOptions, ctx: CommandContext): Promise<PackageResult> {
  const run = await checkRun(o, ctx);
  const contents = await selectContents(run, o, ctx);
  // pre_package runs in a temp copy before any download, as libbuildpack does;
  // without one, the files are collected from the root itself.
  const work = run.m.pre_package ? await copyBuildpackRoot(run.root, { byProducts: run.byProducts }) : run.root;
  try {
    const ownFiles = await collectOwnFiles(run, contents, work, ctx);
    const fetched = run.cached ? await fetchForZip({ deps: contents.deps, locked: contents.locked, manifest: run.m, stack: run.stack, cacheDir: run.cacheDir, o, ctx }) : undefined;
    ctx.signal.throwIfAborted();
    const built = fetched
      ? await buildStep({ m: run.m, fullLock: contents.fullLock, locked: contents.locked, files: fetched.files.slice(contents.deps.length), cacheDir: run.cacheDir, ctx })
      : undefined;
    ctx.signal.throwIfAborted();
    const { zip, sbomText } = await writeBundle(run, contents, { work, ownFiles, fetched, built }, ctx);
    if (sbomText !== undefined && run.sbomFile) await writeSbomCopy(run.sbomFile, sbomText, zip.path, ctx.reporter);
    ctx.reporter.info(`${run.cached ? 'Cached buildpack' : 'Buildpack'} for ${run.stack ?? 'any stack'} created and saved as ${zip.path} (${formatBytes(zip.size)})`);
    const { estimate, selection } = contents;
    return {
      ok: true,
      zip: zip.path,
      size: zip.size,
      sha256: zip.sha256,
      cached: run.cached,
      stack: run.stack ?? null,
      version: run.version,
      profile: selection.profile ?? null,
      excluded: selection.excluded,
      sbom: run.sbomFile,
      expected_size: estimate ? { bytes: estimate.bytes, at_least: estimate.unknown.length > 0, approximate: estimate.approximate > 0 } : null,
      artifacts: fetched?.report ?? [],
      built: built?.report ?? [],
    };
  } finally {
    if (work !== run.root) await rm(work, { recursive: true, force: true });
  }
}

/** What one run packages, and where, once every cheap check has passed. */
interface PackagingRun {
  m: Manifest;
  root: string;
  cached: boolean;
  cachedWord: string;
  stack: string | undefined;
  version: string;
  selection: PackagingSelection;
  cacheDir: string;
  out: string;
  sbomFile: string | null;
  /** Root-relative paths this run writes inside the root: never packaged. */
  byProducts: string[];
  /** --max-size in bytes. */
  maxSize: number | undefined;
}

/** Loads the manifest and refuses, before the lock and any download, whatever the later steps would refuse. */
async function checkRun(o: PackageOptions, ctx: CommandContext): Promise<PackagingRun> {
  const log = ctx.reporter;
  if (o.stack && o.anyStack) throw new PackagerError('EUSAGE', 'Pass either --stack or --any-stack, not both');
  const cached = o.mode === 'offline';
  // libbuildpack says "cached buildpacks"; a user who typed `online` reads "offline".
  const cachedWord = o.modeWord === 'uncached' || o.modeWord === 'cached' ? 'cached' : 'offline';
  if (!cached && o.sbom) {
    throw new PackagerError('EUSAGE', `--sbom is only valid for ${cachedWord} buildpacks`, {
      hint: 'an online zip carries no artifacts to describe: package with `bin/package offline --sbom FILE`',
    });
  }
  const { manifest: m, root } = await loadManifestReporting(o.manifest, log);
  const stack = o.stack || undefined;
  checkPackagingTarget(m, { stack });
  const flags = { profile: o.profile, exclude: o.exclude ?? [], include: o.include ?? [] };
  const wantsSelection = Boolean(flags.profile) || flags.exclude.length > 0 || flags.include.length > 0;
  // The lock only sharpens a hint here ("numpy is a locked conda package"); a broken one must not stop this check.
  const knownLock = wantsSelection && cached ? await loadLock(lockPathFor(m)).catch(() => undefined) : undefined;
  const selection = resolvePackagingSelection(m, flags, { cached, modeWord: cachedWord, lock: knownLock });
  const version = o.version ?? (await readVersion(root, m));
  // the version also names the zip, so it goes before making --output's directory
  checkBuildpackVersion(version);
  zipTimestamp();
  const cacheDir = resolveCacheDir(o.cacheDir);
  const defaultName = zipFileName({ language: m.language, cached, stack, version, profile: selection.infix });
  const out = path.resolve(o.output ?? defaultName);
  await checkCacheDir(cacheDir);
  await prepareOutputFile(out, { option: '--output', what: 'zip', example: defaultName });
  const sbomFile = cached && o.sbom ? path.resolve(o.sbom) : null;
  if (sbomFile) await prepareOutputFile(sbomFile, { option: '--sbom', what: 'SBOM', example: 'sbom.cdx.json' });
  const byProducts = byProductsInside(root, [cacheDir, out, ...(sbomFile ? [sbomFile] : [])]);
  return { m, root, cached, cachedWord, stack, version, selection, cacheDir, out, sbomFile, byProducts, maxSize: o.maxSize };
}

/** What the zip carries (cached) or what staging will download (online). */
interface Contents {
  selection: PackagingSelection;
  /** The manifest and lock with what the selection leaves out removed. */
  pm: Manifest;
  lock: Lock | undefined;
  /** The whole lock (the build step records built wheels in it). */
  fullLock: Lock | undefined;
  deps: Dependency[];
  locked: LockEntry[];
  estimate: SizeEstimate | null;
}

/** Loads (or resolves) the lock, applies the packaging selection, warns about deprecations and checks the size budget. */
async function selectContents(run: PackagingRun, o: PackageOptions, ctx: CommandContext): Promise<Contents> {
  const log = ctx.reporter;
  const { m, selection, stack } = run;
  const fullLock = await ensureLock(m, { cacheDir: run.cacheDir, ctx, update: false });
  const excluded = new Set(selection.excluded);
  const { manifest: pm, lock } = applySelection(m, fullLock, excluded);
  if (selection.excluded.length) {
    log.info(`Leaving out ${selection.excluded.join(', ')}${selection.profile ? ` (packaging profile ${selection.profile}${selection.infix !== selection.profile ? ' + custom' : ''})` : ''}`);
  }
  for (const w of selectionWarnings(m, fullLock, stack, excluded)) log.warn(w);
  const deps = selectDependencies(pm, stack);
  const locked = selectLockEntries(lock, stack);
  warnDeprecations(pm, deps, locked, o.today ?? todayString(new Date(), process.env.BP_TODAY), log);
  let estimate: SizeEstimate | null = null;
  if (run.cached) {
    const items = budgetItems(deps, locked, new ContentCache(run.cacheDir));
    estimate = estimateSize(items);
    log.info(estimateLine(estimate));
    for (const line of environmentLines(items)) log.info(line);
    checkBudget(estimate, items, o.maxSize, log);
  }
  return { selection, pm, lock, fullLock, deps, locked, estimate };
}

/**
 * Runs pre_package in `work`, then collects the buildpack's own files, before
 * any download: a missing include_files entry or bin/compile should not cost it.
 */
async function collectOwnFiles(run: PackagingRun, contents: Contents, work: string, ctx: CommandContext): Promise<ZipEntry[]> {
  if (run.m.pre_package) {
    ctx.reporter.info(`Running pre_package: ${run.m.pre_package}`);
    await runPrePackage(run.m.pre_package, work, { logger: ctx.reporter });
  }
  return buildpackOwnFiles(work, contents.pm, { byProducts: run.byProducts, alsoInside: work === run.root ? [] : [run.root] });
}

/** Lays out the zip (with its SBOM when cached), writes it, and checks its size; returns it and the SBOM text. */
async function writeBundle(
  run: PackagingRun,
  contents: Contents,
  files: { work: string; ownFiles: ZipEntry[]; fetched?: { files: CachedFile[] }; built?: BuildStepResult },
  ctx: CommandContext,
): Promise<{ zip: WrittenZip; sbomText?: string }> {
  const log = ctx.reporter;
  const { m, cached } = run;
  const { deps, locked, pm, lock, selection } = contents;
  const dependencyFiles = new Map<Dependency, ShippedFile>();
  const artifactFiles = new Map<LockEntry, ShippedFile>();
  if (files.fetched) {
    const fetched = files.fetched.files;
    deps.forEach((d, i) => dependencyFiles.set(d, shipped(fetched[i]!)));
    locked.forEach((e, i) => artifactFiles.set(e, shipped(fetched[deps.length + i]!)));
  }
  const condaChannels = condaChannelConfigs(await manifestEnvironments(m));
  const plan = await planBundle({
    root: files.work,
    manifest: pm,
    version: run.version,
    stack: run.stack,
    cached,
    lock,
    dependencyFiles,
    artifactFiles,
    builtFiles: files.built?.builtFiles,
    buildRequirementFiles: files.built?.requirementFiles,
    condaChannels,
    ownFiles: files.ownFiles,
    logger: log,
  });
  let sbomText: string | undefined;
  if (cached) {
    sbomText = sbomJson({
      buildpack: { language: m.language, version: run.version, stack: run.stack, profile: selection.infix, excluded: selection.excluded },
      tool: { name: TOOL_NAME, version: toolVersion() },
      artifacts: await sbomArtifacts({ plan, dependencies: dependencyFiles, locked: artifactFiles, built: files.built?.builtFiles, buildRequirements: buildRequirementInfo(files.built) }),
      // Reproducible by default: a timestamp only when the build pins one.
      timestamp: process.env.SOURCE_DATE_EPOCH ? zipTimestamp() : undefined,
    });
    plan.entries.push({ name: SBOM_PATH, source: { data: sbomText } });
  }
  const zip = await writeZip(plan.entries, run.out, { logger: log, signal: ctx.signal });
  log.finish();
  try {
    checkWrittenZip(zip.size, run.maxSize, zip.path, log);
  } catch (err) {
    await rm(zip.path, { force: true });
    throw err;
  }
  return { zip, sbomText };
}

/** The build requirements by file name, with what the SBOM says of each. */
function buildRequirementInfo(built: BuildStepResult | undefined): Map<string, { file: ShippedFile; name: string; version: string; uri: string }> {
  const out = new Map<string, { file: ShippedFile; name: string; version: string; uri: string }>();
  for (const e of built?.builtFiles.keys() ?? []) {
    for (const q of e.built?.requires ?? []) {
      const file = built!.requirementFiles.get(q.filename);
      if (file) out.set(q.filename, { file, name: q.name, version: q.version, uri: q.uri });
    }
  }
  return out;
}

/** Writes the SBOM beside the zip (--sbom); the zip is done and stays if this fails. */
async function writeSbomCopy(sbomFile: string, sbomText: string, zipPath: string, log: Logger): Promise<void> {
  try {
    await writeFileAtomic(sbomFile, sbomText);
  } catch (err) {
    throw new PackagerError(
      'EIO',
      `Could not write the SBOM to ${sbomFile}: ${(err as Error).message}`,
      { hint: `the zip was written (${zipPath}, sbom.cdx.json inside it); free space or fix the path, then run again or unzip that file` },
      { cause: err },
    );
  }
  log.info(`Wrote the SBOM (CycloneDX 1.5) to ${sbomFile}`);
}

/**
 * Fetches (or finds in the cache) every artifact a cached zip carries: the
 * files in `deps` then `locked` order, and what --json reports of them.
 */
async function fetchForZip(x: {
  deps: Dependency[];
  locked: LockEntry[];
  manifest: Manifest;
  stack: string | undefined;
  cacheDir: string;
  o: PackageOptions;
  ctx: CommandContext;
}): Promise<{ files: CachedFile[]; report: PackageResult['artifacts'] }> {
  const log = x.ctx.reporter;
  const artifacts: Artifact[] = [...x.deps.map(dependencyArtifact), ...x.locked.map((e) => lockArtifact(e, x.manifest))];
  const plannedBytes = artifacts.reduce((n, a) => n + (a.size ?? 0), 0);
  log.plan(artifacts.length, plannedBytes);
  log.info(`Fetching ${artifacts.length} artifacts for ${x.stack ?? 'any stack'} (cache: ${x.cacheDir})`);
  const files = await fetchArtifacts(artifacts, {
    cacheDir: x.cacheDir,
    concurrency: x.o.concurrency,
    forceDownload: x.o.forceDownload,
    logger: log,
    onProgress: log.onProgress,
    signal: x.ctx.signal,
    ...fetchTuning(),
  });
  // Installer pages only estimate sizes: the packaged manifest states the real ones.
  x.locked.forEach((e, i) => {
    const f = files[x.deps.length + i]!;
    if (e.size_approximate || e.size !== f.size) {
      e.size = f.size;
      delete e.size_approximate;
    }
  });
  const report = artifacts.map((a, i) => {
    const f = files[i]!;
    return { kind: a.kind, name: a.name, version: a.version, uri: redactUrl(a.url), sha256: f.sha256, size: f.size, from_cache: f.fromCache };
  });
  return { files, report };
}

/** Sizes for the budget: the lock's, else the download cache's (a manifest dependency fetched before), else unknown. */
function budgetItems(deps: Dependency[], locked: LockEntry[], cache: ContentCache): BudgetItem[] {
  const depSizes = deps.map((d) => cache.sizeOf(dependencyArtifact(d).integrity));
  const items: BudgetItem[] = deps.map((d, i) => ({ label: `${d.name} ${d.version} (dependency)`, size: depSizes[i], drop: `leave out with --exclude ${d.name}` }));
  for (const e of locked) {
    let size: number | undefined = e.size > 0 ? e.size : undefined;
    let approximate = Boolean(e.size_approximate) && size !== undefined;
    if (e.size_approximate || !e.size) {
      const known = e.sha256 ? cache.sizeOf(sriFromHex(e.sha256, 'sha256')) : undefined;
      if (known !== undefined) {
        size = known;
        approximate = false;
      }
    }
    const drop =
      e.kind === 'installer'
        ? `leave out with --exclude ${installerDependencyName(e)}`
        : e.kind === 'conda'
          ? 'remove it from conda: and run bin/package resolve'
          : 'remove it from pip: and run bin/package resolve';
    const label = `${e.kind === 'installer' ? installerDependencyName(e) : e.name} ${e.version}${e.build ? ` ${e.build}` : ''} (${e.kind})`;
    items.push({ label, size, ...(approximate ? { approximate } : {}), drop, environments: entryEnvironments(e) });
  }
  // what a locked build adds: its wheel, and each build requirement once
  const requirements = new Map<string, number>();
  for (const e of locked) {
    if (!e.built) continue;
    items.push({ label: `${e.built.filename} (built from ${e.filename})`, size: e.built.size, drop: 'remove it from pip: and run bin/package resolve' });
    for (const q of e.built.requires) requirements.set(q.filename, q.size);
  }
  for (const [filename, size] of requirements) items.push({ label: `${filename} (build requirement)`, size, drop: 'remove the sdists that need it from pip: and run bin/package resolve' });
  return items;
}

/** Warns for packaged versions whose deprecation date is past or less than 30 days away. */
function warnDeprecations(m: Manifest, deps: Dependency[], locked: LockEntry[], today: string, log: Logger): void {
  if (!m.dependency_deprecation_dates.length) return;
  const items = [
    ...deps.map((d) => ({ name: d.name, version: d.version })),
    ...locked.map((e) => ({ name: e.kind === 'installer' ? installerDependencyName(e) : e.name, version: e.version })),
  ];
  for (const hit of deprecationHits(m.dependency_deprecation_dates, items, today)) log.warn(deprecationWarning(hit));
}

function shipped(f: CachedFile): ShippedFile {
  return { path: f.path, sha256: f.sha256, size: f.size, crc32: f.crc32 };
}

/** A lock entry as something fetch can download, with credentials put back from the manifest. */
export function lockArtifact(e: LockEntry, m: Manifest): Artifact {
  return {
    kind: e.kind === 'installer' ? 'installer' : e.kind,
    name: e.name,
    version: e.version,
    url: fetchableUri(unredactUrl(e.uri, knownSourceUrls(m)), path.dirname(m.path)),
    // Some channels publish only md5 for old records (the lock then has sha256 '').
    integrity: e.sha256 ? sriFromHex(e.sha256, 'sha256') : e.md5 ? sriFromHex(e.md5, 'md5') : missingChecksum(e),
    size: e.size_approximate || !e.size ? undefined : e.size,
  };
}

/** The channels every environment names, as URLs, each once (its subdirs the union of what the environments ask); undefined when none has a conda: section. */
function condaChannelConfigs(envs: Environment[]): { url: string; subdirs: string[]; alias?: string }[] | undefined {
  if (!envs.some((e) => e.conda)) return undefined;
  const out: { url: string; subdirs: string[]; alias?: string }[] = [];
  for (const { conda } of envs) {
    if (!conda) continue;
    for (const r of conda.channels.flatMap((c) => channelRefs(c, conda.channel_alias))) {
      const prev = out.find((x) => x.url === r.url);
      if (prev) prev.subdirs = [...new Set([...prev.subdirs, ...conda.subdirs])];
      else out.push({ url: r.url, subdirs: [...conda.subdirs], ...(conda.channel_alias ? { alias: conda.channel_alias } : {}) });
    }
  }
  return out;
}

/** Every URL in the manifest's resolved sections, every environment's included (they hold the real credentials). */
export function knownSourceUrls(m: Manifest): string[] {
  const urls: string[] = [];
  for (const { conda, pip } of [{ conda: m.conda, pip: m.pip }, ...m.environments]) {
    if (conda) urls.push(...conda.channels, ...(conda.channel_alias ? [conda.channel_alias] : []));
    if (pip) urls.push(pip.index_url, ...pip.extra_index_urls, ...pip.find_links);
  }
  for (const s of m.miniconda) if (s.index_url) urls.push(s.index_url);
  return urls.filter((u) => /^[a-z][a-z0-9+.-]*:\/\//i.test(u));
}

function missingChecksum(e: LockEntry): never {
  throw new PackagerError('ELOCK', `The lock has no checksum for ${e.filename}`, {
    file: 'manifest.lock.yml',
    hint: 'run `bin/package resolve --update`; if the index publishes no checksum for it, pin another build',
  });
}

async function readVersion(root: string, m: Manifest): Promise<string> {
  const file = path.join(root, 'VERSION');
  try {
    const v = (await readFile(file, 'utf8')).trim();
    if (v) return v;
  } catch {
    // fall through to the error below
  }
  throw new PackagerError('EMANIFEST', `Could not read VERSION file: ${file}`, {
    file: m.path,
    hint: 'create VERSION beside manifest.yml (e.g. `echo 1.0.0 > VERSION`) or pass --version',
  });
}

/** Lock type re-export for callers that only import this module. */
export type { Lock };
