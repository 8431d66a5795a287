// When to try again and how long to wait: exponential backoff with jitter,
// capped, and a server's Retry-After honoured up to the same cap. Only errors
// marked transient (connect errors, resets, timeouts, truncated bodies, 5xx,
// 408, 429) are retried; any other 4xx fails at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PackagerError } from '../core/errors.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal | undefined;
}

export interface RetryInfo {
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  /** Total attempts allowed. */
  of: number;
  delayMs: number;
  error: PackagerError;
}

// Marked errors are transient; the value is the server's Retry-After in ms, if any.
const transientErrors = new WeakMap<PackagerError, { retryAfterMs: number | undefined }>();

/** Marks `err` as worth retrying (optionally after the server's Retry-After). */
export function transient(err: PackagerError, retryAfterMs?: number): PackagerError {
  transientErrors.set(err, { retryAfterMs });
  return err;
}

/** True when `err` was marked transient. */
export function isTransient(err: unknown): boolean {
  return transientErrors.has(err as PackagerError);
}

/** HTTP statuses that mean "try again later" rather than "this will never work". */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Retry-After as milliseconds: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`), RFC 9110 section 10.2.3.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Delay before attempt `attempt` (2 = first retry): min * 2^(n-2), capped, jittered into [d/2, d]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.max(0, attempt - 2));
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Runs `run` until it succeeds, a non-transient error is thrown, or the
 * attempts run out (then the last error is thrown, with `details.attempts`).
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  run: (attempt: number) => Promise<T>,
  onRetry: (info: RetryInfo) => void,
): Promise<T> {
  const of = policy.retries + 1;
  for (let attempt = 1; ; attempt++) {
    policy.signal?.throwIfAborted();
    try {
      return await run(attempt);
    } catch (err) {
      const mark = transientErrors.get(err as PackagerError);
      if (!mark) throw err;
      const e = err as PackagerError;
      if (attempt >= of) {
        if (of > 1) {
          e.details.attempts = of;
          e.message += ` (gave up after ${of} attempts)`;
        }
        throw e;
      }
      const delayMs =
        mark.retryAfterMs !== undefined
          ? Math.min(policy.maxDelayMs, mark.retryAfterMs)
          : backoffDelay(attempt + 1, policy);
      onRetry({ attempt: attempt + 1, of, delayMs, error: e });
      try {
        await sleep(delayMs, undefined, policy.signal ? { signal: policy.signal } : {});
      } catch (abort) {
        throw policy.signal?.reason ?? abort;
      }
    }
  }
}
