// How much one download may hold and how long a document may take
// (docs/CLI.md, "Download limits"). The decoded size counts: a gzip, brotli or
// zstd body is cut as soon as its decoded bytes pass the limit. Fetch applies
// the limits to every download; resolve/conda applies them again where it
// decompresses repodata itself (.zst, shards). cli/ reads the overrides.
import { PackagerError } from './errors.js';

/** What a document fetch is: its kind picks its size limit. */
export type DocumentKind = 'document' | 'repodata' | 'file';

export interface DownloadLimits {
  /** Index pages, installer listings, checksum files, PEP 658 metadata, repodata shards. */
  documentBytes: number;
  /** One repodata.json, decoded. */
  repodataBytes: number;
  /** A file whose size nobody published (a hash-less `name @ URL`, a dependency without `size`). */
  fileBytes: number;
  /** Whole time one document may take, retries included (files have none: size and the idle timeout bound them). */
  documentTimeoutMs: number;
}

const MiB = 1024 * 1024;

/** Defaults and the environment variable that overrides each (the figures behind them: docs/CLI.md). */
export const DOWNLOAD_LIMITS: Record<keyof DownloadLimits, { default: number; env: string }> = {
  documentBytes: { default: 64 * MiB, env: 'PACKAGER_MAX_DOCUMENT_BYTES' },
  repodataBytes: { default: 1024 * MiB, env: 'PACKAGER_MAX_REPODATA_BYTES' },
  fileBytes: { default: 4096 * MiB, env: 'PACKAGER_MAX_FILE_BYTES' },
  documentTimeoutMs: { default: 10 * 60_000, env: 'PACKAGER_DOCUMENT_TIMEOUT_MS' },
};

/** `over` on top of the defaults. */
export function downloadLimits(over: Partial<DownloadLimits> = {}): DownloadLimits {
  const out = {} as DownloadLimits;
  for (const k of Object.keys(DOWNLOAD_LIMITS) as (keyof DownloadLimits)[]) out[k] = over[k] ?? DOWNLOAD_LIMITS[k].default;
  return out;
}

/** The size limit of a document kind. */
export function limitKeyOf(kind: DocumentKind): 'documentBytes' | 'repodataBytes' | 'fileBytes' {
  return kind === 'repodata' ? 'repodataBytes' : kind === 'file' ? 'fileBytes' : 'documentBytes';
}

/** `64 MiB` for whole MiB, else bytes. */
export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return n >= 1024 * MiB && n % (1024 * MiB) === 0 ? `${n / (1024 * MiB)} GiB` : `${n / MiB} MiB`;
  return `${n} bytes`;
}

/**
 * More bytes arrived (after decoding) than `limit` allows. ESIZE (exit 3): like
 * a size mismatch it is a property of the bytes the origin serves, so a retry
 * or a better network would not help.
 */
export function overLimitError(o: { what?: string | undefined; url: string; limit: number; key: 'documentBytes' | 'repodataBytes' | 'fileBytes'; decoded?: boolean }): PackagerError {
  const subject = o.what ? `${o.what} from ${o.url}` : o.url;
  const env = DOWNLOAD_LIMITS[o.key].env;
  return new PackagerError('ESIZE', `Refusing ${subject}: it is larger than the ${formatBytes(o.limit)} limit${o.decoded ? ' once decompressed' : ''} (${env})`, {
    url: o.url,
    wanted: `at most ${o.limit} bytes`,
    found: `more than ${o.limit} bytes`,
    hint: `If the origin really serves a file this large, raise ${env} (bytes); otherwise the origin is broken or hostile.`,
  });
}
