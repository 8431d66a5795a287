// The knobs every fetch entry point takes, and their defaults in one place so
// fetchArtifact, fetchArtifacts and fetchDocument behave the same.
import { downloadLimits, type DownloadLimits } from '../core/download-limits.js';
import type { Logger, OnProgress } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import type { FileDigests } from './digests.js';

export interface FetchOptions {
  /** Root of the content-addressed cache (see ContentCache for the layout). */
  cacheDir: string;
  /** Downloads in flight at once in fetchArtifacts (default 8). */
  concurrency?: number;
  /** Ignore cache hits (the fresh download still replaces the cache entry). */
  forceDownload?: boolean;
  logger?: Logger;
  onProgress?: OnProgress;
  /** Attempts after the first one (default 5). */
  retries?: number;
  /** First backoff delay; doubled per attempt, with jitter (default 500). */
  minRetryDelayMs?: number;
  /** Ceiling for backoff and for a server's Retry-After (default 30000). */
  maxRetryDelayMs?: number;
  /** Time allowed to connect and receive response headers (default 30000). */
  headersTimeoutMs?: number;
  /** Longest silence allowed between two body chunks (default 60000). */
  bodyTimeoutMs?: number;
  /** Size and time limits (core/download-limits.ts has the defaults). */
  limits?: Partial<DownloadLimits>;
  signal?: AbortSignal;
}

/** What a fetch put (or found) in the cache: the entry and its digests (sha256 always, md5 when the artifact is md5-keyed). */
export interface CachedFile extends FileDigests {
  /** Absolute path of the verified cache entry; read it, never write it. */
  path: string;
  /** SRI string of every digest computed (`sha256-... md5-...`). */
  integrity: string;
  /** True when no byte was transferred: the entry was already cached and re-verified. */
  fromCache: boolean;
}

export interface ResolvedOptions {
  cacheDir: string;
  concurrency: number;
  forceDownload: boolean;
  logger: Logger;
  onProgress: OnProgress;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  limits: DownloadLimits;
  signal: AbortSignal | undefined;
}

/** Fills in defaults. */
export function resolveOptions(o: FetchOptions): ResolvedOptions {
  return {
    cacheDir: o.cacheDir,
    concurrency: Math.max(1, o.concurrency ?? 8),
    forceDownload: o.forceDownload ?? false,
    logger: o.logger ?? silentLogger,
    onProgress: o.onProgress ?? (() => {}),
    retries: Math.max(0, o.retries ?? 5),
    minRetryDelayMs: Math.max(0, o.minRetryDelayMs ?? 500),
    maxRetryDelayMs: Math.max(0, o.maxRetryDelayMs ?? 30_000),
    headersTimeoutMs: o.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: o.bodyTimeoutMs ?? 60_000,
    limits: downloadLimits(o.limits),
    signal: o.signal,
  };
}
