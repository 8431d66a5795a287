// Shared by the fetch tests: a real conda package with its published
// checksums (from upstream repodata.json), loopback origins closed after each
// test, and fast retry settings so faults resolve in milliseconds.
import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanupAfterEach } from '../helpers/cleanup.js';
import { startOrigin, type Origin, type OriginOptions } from '../../fixtures/origin/origin.mjs';
import type { Artifact } from '../../src/core/artifact.js';
import { sriFromHex } from '../../src/core/integrity.js';
import { UPSTREAM } from '../helpers/paths.js';

/** zlib-1.2.11-h7b6447c_3.tar.bz2 with sha256/md5/size as repodata.json publishes them. */
export const ZLIB = {
  file: path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2'),
  urlPath: '/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2',
  sha256: '1f07873d6aa0cd18760a7b215d9956f7fa63c2f2761b03f293c659fe982923fa',
  md5: '2e5b81671cc2b53177b94b258b1658b2',
  size: 122456,
};

/** The .conda build of the same package (a second, distinct artifact). */
export const ZLIB_CONDA = {
  file: path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64/zlib-1.2.11-h7b6447c_3.conda'),
  urlPath: '/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  sha256: 'f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b',
  size: 105917,
};

export function zlibArtifact(url: string, extra: Partial<Artifact> = {}): Artifact {
  return { kind: 'conda', name: 'zlib', version: '1.2.11', url, integrity: sriFromHex(ZLIB.sha256), size: ZLIB.size, ...extra };
}

/** Retry settings that keep a faulty origin's test in milliseconds. */
export const FAST = { minRetryDelayMs: 1, maxRetryDelayMs: 20, headersTimeoutMs: 3000, bodyTimeoutMs: 3000 };

const open: Origin[] = [];

/** A loopback origin closed after the current test. */
export async function origin(options: OriginOptions = {}): Promise<Origin> {
  const o = await startOrigin(options);
  open.push(o);
  return o;
}

cleanupAfterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** Every file under `dir`, as sorted relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

/** Runs `p` and returns what it threw (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The partial file of a download of `sha256` in `<cacheDir>/tmp` (`sha256-<hex>.<owner>.partial`), or undefined. */
export async function partialOf(cacheDir: string, sha256: string): Promise<string | undefined> {
  const names = await readdir(path.join(cacheDir, 'tmp')).catch(() => [] as string[]);
  const name = names.find((n) => n.startsWith(`sha256-${sha256}.`) && n.endsWith('.partial'));
  return name === undefined ? undefined : path.join(cacheDir, 'tmp', name);
}

/** Where a process that has exited (a kill -9) left its partial download of `sha256` in `tmp`. */
export function deadOwnersPartial(tmp: string, sha256: string): string {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid;
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
  return path.join(tmp, `sha256-${sha256}.${pid}-0badc0de@${host}.partial`);
}
