// One error class for everything the product reports to a user. The `code` is
// stable (scripts and tests match on it); `cli/` maps codes to exit codes
// (docs/CLI.md). Data goes in fields, never only in the message.

/** Stable error codes, grouped by the exit code `cli/` gives them. */
export type ErrorCode =
  // exit 1: usage or bad input the user wrote (manifest, lock, flags, app files)
  | 'EUSAGE'
  | 'EMANIFEST'
  | 'ELOCK'
  | 'EINPUT'
  | 'EPREPACKAGE'
  | 'EBUNDLE'
  // exit 2: network, download or local I/O failure while fetching/writing
  | 'ENETWORK'
  | 'EHTTP'
  | 'ETIMEOUT'
  | 'EIO'
  | 'ENOSPC'
  // exit 3: checksum or size mismatch
  | 'EINTEGRITY'
  | 'ESIZE'
  // exit 4: resolution failure (missing, unsatisfiable, malformed upstream index)
  | 'ERESOLVE'
  | 'ENOMATCH'
  | 'ENOTFOUND'
  | 'EBADINDEX'
  // exit 4 too: an sdist could not be built into a wheel (src/build/)
  | 'EBUILD'
  // a bug: print the stack
  | 'EINTERNAL';

/** Optional structured data carried by a PackagerError. */
export interface ErrorDetails {
  /** Next step for the user; printed by cli/ on its own line. */
  hint?: string;
  /** Redacted URL involved. */
  url?: string;
  /** File involved (manifest, lock, requirements file...). */
  file?: string;
  /** Key path inside that file, e.g. `dependencies[3].sha256`. */
  key?: string;
  /** 1-based line and column in `file`, when known. */
  line?: number;
  column?: number;
  /** Expected vs actual (checksums, sizes, types). */
  wanted?: string;
  found?: string;
  /** Anything else worth a machine reading it (tags seen, chains...). */
  [extra: string]: unknown;
}

/** The product's error: a stable code, an actionable message, data in fields. */
export class PackagerError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PackagerError';
    this.code = code;
    this.details = details;
  }

  get hint(): string | undefined {
    return this.details.hint;
  }
}

/** True when `err` is a PackagerError (optionally with one of `codes`). */
export function isPackagerError(err: unknown, ...codes: ErrorCode[]): err is PackagerError {
  return err instanceof PackagerError && (codes.length === 0 || codes.includes(err.code));
}

/** Where in a file a problem is: `manifest.yml: dependencies[2].sha256 (line 14, column 5)`. */
export function formatLocation(d: Pick<ErrorDetails, 'file' | 'key' | 'line' | 'column'>): string {
  const parts: string[] = [];
  if (d.file) parts.push(d.file);
  if (d.key) parts.push(d.key);
  let where = parts.join(': ');
  if (d.line !== undefined) where += ` (line ${d.line}${d.column !== undefined ? `, column ${d.column}` : ''})`;
  return where;
}
