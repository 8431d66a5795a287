// The knobs every fetch entry point takes, and their defaults in one place so
// fetchArtifact, fetchArtifacts and fetchDocument behave the same.
import type { Logger, OnProgress } from '../core/log.js';
import { silentLogger } from '../core/log.js';

export interface FetchOptions {
  /** Root of the content-addressed cache (see ContentCache for the layout). */
  cacheDir: string;
  /** Downloads in flight at once in fetchArtifacts (default 8). */
  concurrency?: number;
  /** Ignore cache hits (the fresh download still replaces the cache entry). */
  forceDownload?: boolean;
  /**
   * fetchArtifacts: return cache hits keyed by sha256 without re-hashing them
   * (CachedFile.unverified). For a caller that checks their bytes as it reads
   * them anyway (writeZip does), and fetches again without this option when
   * one turns out corrupt.
   */
  verifyHitsLater?: boolean;
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
  signal?: AbortSignal;
}

/** What a fetch put (or found) in the cache. */
export interface CachedFile {
  /** Absolute path of the verified cache entry; read it, never write it. */
  path: string;
  size: number;
  /** Hex sha256 of the content, always computed (md5-only manifests too). */
  sha256: string;
  /** Hex md5, computed only when the artifact's checksum is md5. */
  md5?: string;
  /** SRI string of every digest computed (`sha256-... md5-...`). */
  integrity: string;
  /** CRC-32 of the content (what a zip entry records), computed in the same pass as the sha256. */
  crc32?: number;
  /** True when no byte was transferred: the entry was already cached and re-verified (or, with `unverified`, found). */
  fromCache: boolean;
  /**
   * A cache hit returned unread (FetchOptions.verifyHitsLater): `sha256` is
   * its cache key and `size` its stat size, not yet checked against its bytes.
   */
  unverified?: true;
}

export interface ResolvedOptions {
  cacheDir: string;
  concurrency: number;
  forceDownload: boolean;
  verifyHitsLater: boolean;
  logger: Logger;
  onProgress: OnProgress;
  retries: number;
  minRetryDelayMs: number;
  maxRetryDelayMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Fills in defaults. */
export function resolveOptions(o: FetchOptions): ResolvedOptions {
  return {
    cacheDir: o.cacheDir,
    concurrency: Math.max(1, o.concurrency ?? 8),
    forceDownload: o.forceDownload ?? false,
    verifyHitsLater: o.verifyHitsLater ?? false,
    logger: o.logger ?? silentLogger,
    onProgress: o.onProgress ?? (() => {}),
    retries: Math.max(0, o.retries ?? 5),
    minRetryDelayMs: Math.max(0, o.minRetryDelayMs ?? 500),
    maxRetryDelayMs: Math.max(0, o.maxRetryDelayMs ?? 30_000),
    headersTimeoutMs: o.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: o.bodyTimeoutMs ?? 60_000,
    signal: o.signal,
  };
}
