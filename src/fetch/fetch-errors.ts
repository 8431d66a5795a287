// Every failure a fetch can report, worded once. Messages name the artifact and
// the redacted URL; the raw URL never reaches this module. Transient failures
// are marked for retry.ts here, where the cause is understood.
import { DOWNLOAD_LIMITS } from '../core/download-limits.js';
import { PackagerError } from '../core/errors.js';
import type { HashAlgorithm } from '../core/integrity.js';
import { redactText } from '../core/redact.js';
import { isRetryableStatus, parseRetryAfter, transient } from './retry.js';

/** What is being fetched: `numpy 1.26.4` (artifacts) or undefined (documents), and from where (redacted). */
export interface Subject {
  what?: string | undefined;
  url: string;
}

function cannot(s: Subject): string {
  return s.what ? `Cannot download ${s.what} from ${s.url}` : `Cannot fetch ${s.url}`;
}

const NETWORK_HINT =
  'Check the URL and your network; behind a proxy set HTTPS_PROXY/HTTP_PROXY (and NO_PROXY for internal hosts).';
const TLS_HINT =
  'Check that the server speaks HTTPS on that port; for a private certificate authority set NODE_EXTRA_CA_CERTS=/path/to/ca.pem.';

// Connection-level failures that a later attempt may not see.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_HEADERS_TIMEOUT: 'no response headers',
  UND_ERR_CONNECT_TIMEOUT: 'could not connect',
  UND_ERR_BODY_TIMEOUT: 'the body stalled',
};

function isTlsError(code: string, message: string): boolean {
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    code.startsWith('UNABLE_TO_') ||
    code.includes('SELF_SIGNED') ||
    code === 'HOSTNAME_MISMATCH' ||
    /SSL routines|certificate/i.test(message)
  );
}

// OpenSSL messages look like `80CC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/...`.
function tlsReason(message: string): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(message);
  return m ? m[1]! : message;
}

/** Maps a thrown undici/Node network error to a PackagerError (marked transient when a retry may help). */
export function networkError(err: unknown, s: Subject, timeouts: { headersMs: number; bodyMs: number }): PackagerError {
  if (err instanceof PackagerError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = redactText(e.message ?? String(err));
  if (code in TIMEOUT_CODES) {
    const within = code === 'UND_ERR_BODY_TIMEOUT' ? `for ${timeouts.bodyMs / 1000}s` : `within ${timeouts.headersMs / 1000}s`;
    return transient(
      new PackagerError('ETIMEOUT', `${cannot(s)}: ${TIMEOUT_CODES[code]} ${within}`, { url: s.url, hint: NETWORK_HINT, cause: code }, { cause: err }),
    );
  }
  if (code === 'UND_ERR_INVALID_ARG' && /redirect loop/i.test(message)) {
    return new PackagerError('EHTTP', `${cannot(s)}: redirect loop`, {
      url: s.url,
      hint: 'The server redirects back to a URL it already sent us to; report it to its operator or use another mirror.',
    }, { cause: err });
  }
  if (isTlsError(code, message)) {
    return new PackagerError('ENETWORK', `${cannot(s)}: TLS handshake failed: ${tlsReason(message)}${code ? ` (${code})` : ''}`, {
      url: s.url,
      hint: TLS_HINT,
      cause: code,
    }, { cause: err });
  }
  if (code === 'ENOTFOUND') {
    return new PackagerError('ENETWORK', `${cannot(s)}: host not found (ENOTFOUND)`, { url: s.url, hint: NETWORK_HINT, cause: code }, { cause: err });
  }
  const described = code && !message.includes(code) ? `${message} (${code})` : message;
  const out = new PackagerError('ENETWORK', `${cannot(s)}: ${described}`, { url: s.url, hint: NETWORK_HINT, cause: code }, { cause: err });
  return TRANSIENT_CODES.has(code) ? transient(out) : out;
}

/** The body ended before the promised length: a later attempt (or a resume) may finish it. */
export function truncatedError(s: Subject, received: number, expected: number): PackagerError {
  return transient(
    new PackagerError('ENETWORK', `${cannot(s)}: the connection closed after ${received} of ${expected} bytes`, {
      url: s.url,
      hint: NETWORK_HINT,
      wanted: `${expected} bytes`,
      found: `${received} bytes`,
    }),
  );
}

const REDIRECTS = new Set([300, 301, 302, 303, 307, 308]);

/** A final non-2xx answer (after redirects). 5xx, 408 and 429 are marked transient. */
export function httpStatusError(status: number, statusText: string, s: Subject, retryAfter?: string | string[]): PackagerError {
  const hint =
    status === 401 || status === 403
      ? 'The server refused access: check the credentials or token in the URL.'
      : status === 404 || status === 410
        ? 'Check the URL; the file may have been removed or renamed upstream.'
        : REDIRECTS.has(status)
          ? 'The server redirected more than 10 times; check the URL.'
          : isRetryableStatus(status)
            ? 'The server is failing or rate-limiting us; try again later.'
            : 'Check the URL and any credentials it needs.';
  const text = REDIRECTS.has(status) ? 'too many redirects' : `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
  const err = new PackagerError('EHTTP', `${cannot(s)}: ${text}`, { url: s.url, status, hint });
  return isRetryableStatus(status) ? transient(err, parseRetryAfter(retryAfter)) : err;
}

/** Downloaded bytes do not match the published checksum. */
export function integrityError(s: Subject, algorithm: HashAlgorithm, wanted: string, found: string): PackagerError {
  return new PackagerError('EINTEGRITY', `Checksum mismatch for ${s.what ?? 'file'} from ${s.url}`, {
    url: s.url,
    algorithm,
    wanted: `${algorithm} ${wanted}`,
    found: `${algorithm} ${found}`,
    hint: `The upstream file changed or the manifest ${algorithm} is wrong: compare with the checksum its publisher lists, then correct the manifest.`,
  });
}

/** The published size and the size served differ. */
export function sizeError(s: Subject, wanted: number, found: number): PackagerError {
  return new PackagerError('ESIZE', `Size mismatch for ${s.what ?? 'file'} from ${s.url}: ${found} bytes instead of ${wanted}`, {
    url: s.url,
    wanted: `${wanted} bytes`,
    found: `${found} bytes`,
    hint: 'The upstream file changed or the published size is wrong: check the index or manifest entry.',
  });
}

/** The body ran past the size the index or lock publishes: cut there, never kept as a bigger file. */
export function longerThanPublishedError(s: Subject, published: number): PackagerError {
  return new PackagerError('ESIZE', `Size mismatch for ${s.what ?? 'file'} from ${s.url}: the server sent more than the ${published} bytes published for it`, {
    url: s.url,
    wanted: `${published} bytes`,
    found: `more than ${published} bytes`,
    hint: 'The upstream file changed or the published size is wrong: check the index or manifest entry.',
  });
}

/** A document took longer than its whole-time limit (a body that drips): not retried, the time is spent. */
export function deadlineError(s: Subject, ms: number): PackagerError {
  const env = DOWNLOAD_LIMITS.documentTimeoutMs.env;
  return new PackagerError('ETIMEOUT', `${cannot(s)}: not complete after ${ms / 1000}s (${env})`, {
    url: s.url,
    hint: `The origin sends too slowly. On a slow network raise ${env} (milliseconds); otherwise try another mirror.`,
  });
}

const DISK_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'I/O error',
  EFBIG: 'file too large for the file size limit (ulimit -f) or the file system',
};

/** A local write/read failed: out of space (ENOSPC) or any other disk error (EIO). */
export function diskError(err: unknown, what: string | undefined, place: string): PackagerError {
  const code = (err as { code?: string }).code ?? 'EIO';
  const reason = DISK_REASONS[code] ?? (err as Error).message ?? code;
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new PackagerError(
    full ? 'ENOSPC' : 'EIO',
    `Cannot write ${what ?? 'download'} to ${place}: ${reason} (${code})`,
    {
      file: place,
      cause: code,
      hint: full
        ? 'Free some disk space or point the cache (--cache-dir) at a larger disk, then run again.'
        : code === 'EFBIG'
          ? 'Raise the file size limit (ulimit -f) or point the cache (--cache-dir) at another disk, then run again.'
          : 'Check that the cache directory (--cache-dir) is writable, then run again.',
    },
    { cause: err },
  );
}

/** True for errors thrown by the local file system rather than the network. */
export function isDiskError(err: unknown): boolean {
  const e = err as { code?: string; syscall?: string };
  return typeof e?.syscall === 'string' && ['open', 'write', 'close', 'rename', 'mkdir', 'fsync', 'ftruncate', 'unlink', 'copyfile', 'link'].includes(e.syscall) && !!e.code && !e.code.startsWith('UND_');
}

/** A local source (file:// URI) could not be read. */
export function readError(err: unknown, s: Subject): PackagerError {
  const code = (err as { code?: string }).code ?? 'EIO';
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (DISK_REASONS[code] ?? (err as Error).message);
  return new PackagerError('EIO', `${cannot(s).replace('Cannot download', 'Cannot read')}: ${reason} (${code})`, {
    url: s.url,
    cause: code,
    hint: 'Check that the file exists and is readable, or fix the file:// URI.',
  }, { cause: err });
}
