// `bin/package online|offline`: manifest -> (lock) -> downloads -> zip.
// The order follows libbuildpack (copy + pre_package first, so a broken build
// script fails before any download), then the Ruby gem's user-facing lines.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError, redactUrl, sriFromHex, unredactUrl, type Artifact } from '../core/index.js';
import { fetchArtifacts, type CachedFile } from '../fetch/index.js';
import {
  checkPackagingTarget,
  dependencyArtifact,
  type Dependency,
  type Lock,
  type LockEntry,
  type Manifest,
} from '../manifest/index.js';
import {
  copyBuildpackRoot,
  planBundle,
  runPrePackage,
  selectDependencies,
  selectLockEntries,
  writeZip,
  zipFileName,
  type ShippedFile,
} from '../bundle/index.js';
import { channelRefs } from '../resolve/conda/index.js';
import type { CommandContext } from './run.js';
import { formatBytes } from './console.js';
import { loadManifestReporting, resolveCacheDir, retryTuning } from './common.js';
import { ensureLock } from './lock-step.js';

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
  artifacts: { kind: string; name: string; version: string; uri: string; sha256: string; size: number; from_cache: boolean }[];
}

/** Builds the zip; returns what --json reports. */
export async function packageBuildpack(o: PackageOptions, ctx: CommandContext): Promise<PackageResult> {
  const log = ctx.reporter;
  if (o.stack && o.anyStack) throw new PackagerError('EUSAGE', 'Pass either --stack or --any-stack, not both');
  const cached = o.mode === 'offline';
  const { manifest: m, root } = await loadManifestReporting(o.manifest, log);
  const stack = o.stack || undefined;
  checkPackagingTarget(m, { stack });
  const version = o.version ?? (await readVersion(root, m));
  const cacheDir = resolveCacheDir(o.cacheDir);

  const lock = await ensureLock(m, { cacheDir, ctx, update: false });

  // pre_package runs in a temp copy before any download, as libbuildpack does.
  const work = await copyBuildpackRoot(root);
  try {
    if (m.pre_package) {
      log.info(`Running pre_package: ${m.pre_package}`);
      await runPrePackage(m.pre_package, work, { logger: log });
    }

    const dependencyFiles = new Map<Dependency, ShippedFile>();
    const artifactFiles = new Map<LockEntry, ShippedFile>();
    const report: PackageResult['artifacts'] = [];
    if (cached) {
      const deps = selectDependencies(m, stack);
      const locked = selectLockEntries(lock, stack);
      const artifacts: Artifact[] = [...deps.map(dependencyArtifact), ...locked.map((e) => lockArtifact(e, m))];
      const plannedBytes = artifacts.reduce((n, a) => n + (a.size ?? 0), 0);
      log.plan(artifacts.length, plannedBytes);
      log.info(`Fetching ${artifacts.length} artifacts for ${stack ?? 'any stack'} (cache: ${cacheDir})`);
      const files = await fetchArtifacts(artifacts, {
        cacheDir,
        concurrency: o.concurrency,
        forceDownload: o.forceDownload,
        logger: log,
        onProgress: log.onProgress,
        signal: ctx.signal,
        ...retryTuning(),
      });
      deps.forEach((d, i) => dependencyFiles.set(d, shipped(files[i]!)));
      // Installer pages only estimate sizes: the packaged manifest states the real ones.
      locked.forEach((e, i) => {
        const f = files[deps.length + i]!;
        if (e.size_approximate || e.size !== f.size) {
          e.size = f.size;
          delete e.size_approximate;
        }
        artifactFiles.set(e, shipped(f));
      });
      artifacts.forEach((a, i) => {
        const f = files[i]!;
        report.push({ kind: a.kind, name: a.name, version: a.version, uri: redactUrl(a.url), sha256: f.sha256, size: f.size, from_cache: f.fromCache });
      });
    }
    ctx.signal.throwIfAborted();

    const condaChannels = m.conda
      ? m.conda.channels.flatMap((c) => channelRefs(c, m.conda!.channel_alias)).map((r) => ({ url: r.url, subdirs: m.conda!.subdirs }))
      : undefined;
    const plan = await planBundle({ root: work, manifest: m, version, stack, cached, lock, dependencyFiles, artifactFiles, condaChannels, logger: log });
    const out = path.resolve(o.output ?? zipFileName({ language: m.language, cached, stack, version }));
    const zip = await writeZip(plan.entries, out, { logger: log, signal: ctx.signal });
    log.finish();
    const label = cached ? 'Cached buildpack' : 'Buildpack';
    log.info(`${label} for ${stack ?? 'any stack'} created and saved as ${zip.path} (${formatBytes(zip.size)})`);
    return { ok: true, zip: zip.path, size: zip.size, sha256: zip.sha256, cached, stack: stack ?? null, version, artifacts: report };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function shipped(f: CachedFile): ShippedFile {
  return { path: f.path, sha256: f.sha256, size: f.size };
}

/** A lock entry as something fetch can download, with credentials put back from the manifest. */
export function lockArtifact(e: LockEntry, m: Manifest): Artifact {
  return {
    kind: e.kind === 'installer' ? 'installer' : e.kind,
    name: e.name,
    version: e.version,
    url: unredactUrl(e.uri, knownSourceUrls(m)),
    // Some channels publish only md5 for old records (the lock then has sha256 '').
    integrity: e.sha256 ? sriFromHex(e.sha256, 'sha256') : e.md5 ? sriFromHex(e.md5, 'md5') : missingChecksum(e),
    size: e.size_approximate || !e.size ? undefined : e.size,
  };
}

/** Every URL in the manifest's resolved sections (they hold the real credentials). */
export function knownSourceUrls(m: Manifest): string[] {
  const urls: string[] = [];
  if (m.conda) urls.push(...m.conda.channels, ...(m.conda.channel_alias ? [m.conda.channel_alias] : []));
  if (m.pip) urls.push(m.pip.index_url, ...m.pip.extra_index_urls, ...m.pip.find_links);
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
