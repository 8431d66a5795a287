// Whole loopback worlds for the CLI (fixtures/demo/world.mjs: an installer
// index, a conda channel, a PyPI index and a plain dependency on one origin),
// and buildpack roots pointed at them, with or without a ready lock.
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDemoWorld, writeDemoBuildpack } from '../../../fixtures/demo/world.mjs';
import type { Origin, OriginOptions } from '../../../fixtures/origin/origin.mjs';
import { loadManifest, resolveInputsSha256 } from '../../../src/manifest/index.js';
import { caseDir } from './dirs.js';
import { runPackage } from './cli.js';

export { startDemoWorld };

/** URL paths of the demo world that the suites fault. */
export const PATHS = {
  installerIndex: '/miniconda/',
  installer: '/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
  repodata: '/conda-forge/noarch/repodata.json',
  condaPackage: '/conda-forge/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2',
  simplePage: '/pypi/simple/wheel/',
  wheel: '/pypi/files/wheel-0.40.0-py3-none-any.whl',
  dependency: '/deps/simple-1.0.tar.gz',
} as const;

/** A demo buildpack root for `url` (no lock yet). */
export async function demoRoot(url: string): Promise<{ root: string; manifest: string }> {
  const root = await caseDir('bp-rel-root-');
  const manifest = await writeDemoBuildpack(root, url);
  return { root, manifest };
}

/** Recomputes the lock's inputs_sha256 the way `resolve` does, so the lock counts as fresh. */
export async function refreshLockInputs(manifestPath: string): Promise<void> {
  const { manifest: m } = await loadManifest(manifestPath);
  const dir = path.dirname(manifestPath);
  const names = [...(m.conda?.files ?? []), ...(m.pip?.files ?? [])];
  const files = await Promise.all(names.map(async (n) => ({ path: n, bytes: await readFile(path.resolve(dir, n)) })));
  const lockPath = path.join(dir, 'manifest.lock.yml');
  const lock = await readFile(lockPath, 'utf8');
  await writeFile(lockPath, lock.replace(/^inputs_sha256: .*$/m, `inputs_sha256: ${resolveInputsSha256(m, files)}`));
}

/** A demo buildpack root resolved once (its lock names `template.url`), to copy per case. */
export interface LockedTemplate {
  root: string;
  url: string;
  lock: string;
}

/** Resolves the demo buildpack once against a fault-free world. */
export async function lockedTemplate(): Promise<LockedTemplate> {
  const world = await startDemoWorld();
  try {
    const { root, manifest } = await demoRoot(world.url);
    const r = await runPackage(['resolve', '--manifest', manifest, '--cache-dir', path.join(root, '.template-cache')]);
    if (r.code !== 0) throw new Error(`template resolve failed:\n${r.stderr}`);
    return { root, url: world.url, lock: await readFile(path.join(root, 'manifest.lock.yml'), 'utf8') };
  } finally {
    await world.close();
  }
}

/**
 * Copies the template for a world at `url`: manifest and lock rewritten to it,
 * the lock still fresh, so `offline` downloads without resolving. `rewrite`
 * edits the lock text further (e.g. one artifact moved to another origin).
 */
export async function lockedRootFor(t: LockedTemplate, url: string, rewrite: (lock: string) => string = (s) => s): Promise<{ root: string; manifest: string }> {
  const root = await caseDir('bp-rel-root-');
  await cp(t.root, root, { recursive: true, filter: (src) => !src.includes('.template-cache') });
  const manifest = path.join(root, 'manifest.yml');
  const text = (await readFile(manifest, 'utf8')).split(t.url).join(url);
  await writeFile(manifest, text);
  await writeFile(path.join(root, 'manifest.lock.yml'), rewrite(t.lock.split(t.url).join(url)));
  await refreshLockInputs(manifest);
  return { root, manifest };
}

/** Starts a demo world with extra origin options. */
export function world(options: Omit<OriginOptions, 'files'> = {}): Promise<Origin> {
  return startDemoWorld(options);
}

/**
 * A demo world whose installer is `installer`, served 256 KiB per 8 ms (so a
 * run spends its time downloading it), and a locked buildpack root for it.
 */
export async function slowInstallerWorld(installer: Buffer): Promise<{ w: Origin; root: string; manifest: string }> {
  const template = await lockedTemplate();
  const w = await world();
  w.setFile(PATHS.installer, installer);
  w.setFaults(PATHS.installer, [{ forever: { slow: { chunk: 256 * 1024, intervalMs: 8 } } }]);
  const installerSha = /sha256: ([0-9a-f]{64})/.exec(template.lock.slice(template.lock.indexOf('kind: installer')))![1]!;
  const sha = createHash('sha256').update(installer).digest('hex');
  return { w, ...(await lockedRootFor(template, w.url, (lock) => lock.replace(installerSha, sha))) };
}
