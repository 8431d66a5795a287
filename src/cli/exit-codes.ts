// docs/CLI.md, "Exit codes": 0 ok; 1 usage / bad manifest; 2 network / download
// failure; 3 checksum mismatch; 4 resolution failure. Only cli/ picks exit codes.
import type { ErrorCode } from '../core/index.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_NETWORK = 2;
export const EXIT_CHECKSUM = 3;
export const EXIT_RESOLVE = 4;
/** A bug (untyped error): distinct from every documented code. */
export const EXIT_INTERNAL = 70;

const BY_CODE: Record<ErrorCode, number> = {
  EUSAGE: EXIT_USAGE,
  EMANIFEST: EXIT_USAGE,
  ELOCK: EXIT_USAGE,
  EINPUT: EXIT_USAGE,
  EPREPACKAGE: EXIT_USAGE,
  EBUNDLE: EXIT_USAGE,
  ENETWORK: EXIT_NETWORK,
  EHTTP: EXIT_NETWORK,
  ETIMEOUT: EXIT_NETWORK,
  EIO: EXIT_NETWORK,
  ENOSPC: EXIT_NETWORK,
  EINTEGRITY: EXIT_CHECKSUM,
  ESIZE: EXIT_CHECKSUM,
  ERESOLVE: EXIT_RESOLVE,
  ENOMATCH: EXIT_RESOLVE,
  ENOTFOUND: EXIT_RESOLVE,
  EBADINDEX: EXIT_RESOLVE,
  EBUILD: EXIT_RESOLVE,
  EINTERNAL: EXIT_INTERNAL,
};

/** The process exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? EXIT_INTERNAL;
}
