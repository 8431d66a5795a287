// Small steps every command shares: finding and loading the manifest with its
// warnings shown, and choosing and checking the cache and output directories.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DOWNLOAD_LIMITS, PackagerError, downloadLimits, formatLocation, type DownloadLimits, type Logger } from '../core/index.js';
import { defaultCacheDir } from '../fetch/index.js';
import { loadManifest, type Manifest } from '../manifest/index.js';

/** npm package name: the default cache lives at ~/.cache/<this>. */
export const PACKAGE_NAME = 'conda-offline-buildpack';

/** Loads manifest.yml (default: ./manifest.yml), printing its warnings. */
export async function loadManifestReporting(file: string | undefined, log: Logger): Promise<{ manifest: Manifest; root: string }> {
  const manifestPath = path.resolve(file ?? 'manifest.yml');
  try {
    await access(manifestPath);
  } catch {
    throw new PackagerError('EMANIFEST', `Could not find manifest.yml: ${manifestPath}`, {
      file: manifestPath,
      hint: 'run from the buildpack root, or pass --manifest FILE',
    });
  }
  const { manifest, warnings } = await loadManifest(manifestPath);
  for (const w of warnings) {
    log.warn(`${formatLocation({ file: path.basename(manifestPath), key: w.key, line: w.line, column: w.column })}: ${w.message}`);
  }
  return { manifest, root: path.dirname(manifestPath) };
}

/** --cache-dir, else $XDG_CACHE_HOME/<package> or ~/.cache/<package>. */
export function resolveCacheDir(flag: string | undefined): string {
  return path.resolve(flag ?? defaultCacheDir(PACKAGE_NAME));
}

/**
 * Fails before any download when --cache-dir names something other than a
 * directory (a missing one is created on first write); found at the first
 * download instead, it read as a download failure.
 */
export async function checkCacheDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new PackagerError('EUSAGE', `The cache directory is not a directory: ${dir}`, {
      hint: 'pass --cache-dir with a directory (it is created when missing), or move that file away',
    });
  }
}

/**
 * Makes the directory of a file the run will write (the zip, --sbom), as
 * `bin/mirror export` does (mkdir -p), and fails before any download when
 * `file` is a directory or its directory cannot be made or written: found
 * only when the file was written, these cost the whole download and read as
 * a download failure, or as an internal error.
 */
export async function prepareOutputFile(file: string, o: { option: string; what: string; example: string }): Promise<void> {
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new PackagerError('EUSAGE', `${o.option} names a directory, not the ${o.what}'s file: ${file}`, {
      hint: `pass the ${o.what}'s file name, e.g. ${o.option} ${path.join(file, o.example)}`,
    });
  }
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : (code ?? String(err));
    throw new PackagerError('EUSAGE', `Cannot write the ${o.what} into ${dir}: ${why}`, {
      hint: `pass ${o.option} with a path in a directory you can write to`,
    });
  }
}

/**
 * Retry, timeout and size tuning from the environment: PACKAGER_RETRIES,
 * PACKAGER_RETRY_DELAY_MS, PACKAGER_TIMEOUT_MS (time allowed to connect
 * and get headers, and the longest silence inside a body; defaults 30 s and
 * 60 s), and the download limits of core/download-limits.ts (PACKAGER_MAX_*,
 * PACKAGER_DOCUMENT_TIMEOUT_MS). Flaky corporate proxies want more patience,
 * tests want less. A limit that is not a positive whole number is a usage error.
 */
export function fetchTuning(env: NodeJS.ProcessEnv = process.env): {
  retries?: number;
  minRetryDelayMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  limits: DownloadLimits;
} {
  const out: { retries?: number; minRetryDelayMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number } = {};
  const retries = Number(env.PACKAGER_RETRIES);
  if (env.PACKAGER_RETRIES && Number.isInteger(retries) && retries >= 0) out.retries = retries;
  const delay = Number(env.PACKAGER_RETRY_DELAY_MS);
  if (env.PACKAGER_RETRY_DELAY_MS && Number.isFinite(delay) && delay >= 0) out.minRetryDelayMs = delay;
  const timeout = Number(env.PACKAGER_TIMEOUT_MS);
  // 0 would mean "no timeout" to undici: a stalled server would then hang the run forever.
  if (env.PACKAGER_TIMEOUT_MS && Number.isInteger(timeout) && timeout > 0) {
    out.headersTimeoutMs = timeout;
    out.bodyTimeoutMs = timeout;
  }
  const limits: Partial<DownloadLimits> = {};
  for (const [key, { env: name }] of Object.entries(DOWNLOAD_LIMITS) as [keyof DownloadLimits, { env: string }][]) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (!/^\d+$/.test(text.trim()) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
      throw new PackagerError('EUSAGE', `${name} must be a positive whole number, not ${JSON.stringify(text)}`, {
        hint: `set ${name} to a number of ${key.endsWith('Ms') ? 'milliseconds' : 'bytes'} (default ${DOWNLOAD_LIMITS[key].default}), or unset it`,
      });
    }
    limits[key] = Number(text);
  }
  return { ...out, limits: downloadLimits(limits) };
}
