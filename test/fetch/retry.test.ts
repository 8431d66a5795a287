import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../src/core/errors.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, transient, withRetry } from '../../src/fetch/retry.js';

const policy = { retries: 5, minDelayMs: 500, maxDelayMs: 30_000 };

describe('retry policy', () => {
  it('doubles the delay per attempt, jittered into the upper half, and caps it', () => {
    expect([2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect([2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(20, policy, () => 1)).toBe(30_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('retries 5xx, 408 and 429 but no other 4xx', () => {
    expect([500, 502, 503, 504, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 416].some(isRetryableStatus)).toBe(false);
  });

  it('stops at once on an error that is not transient', async () => {
    let calls = 0;
    const err = new PackagerError('EHTTP', 'nope');
    await expect(
      withRetry({ ...policy, minDelayMs: 1 }, async () => {
        calls++;
        throw err;
      }, () => {}),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('gives up after retries + 1 attempts and says so', async () => {
    const seen: number[] = [];
    const err = await withRetry({ retries: 2, minDelayMs: 1, maxDelayMs: 2 }, async () => {
      throw transient(new PackagerError('ENETWORK', 'reset'));
    }, (i) => seen.push(i.attempt)).catch((e: PackagerError) => e);
    expect(seen).toEqual([2, 3]);
    expect(err).toMatchObject({ message: 'reset (gave up after 3 attempts)', details: { attempts: 3 } });
  });

  it('uses Retry-After (capped) instead of backoff', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry({ retries: 2, minDelayMs: 1, maxDelayMs: 40 }, async () => {
      if (calls++ === 0) throw transient(new PackagerError('EHTTP', '503'), 10_000);
      return 'ok';
    }, (i) => delays.push(i.delayMs));
    expect(delays).toEqual([40]);
  });

  it('stops waiting when the signal aborts', async () => {
    const ac = new AbortController();
    const p = withRetry({ retries: 3, minDelayMs: 60_000, maxDelayMs: 60_000, signal: ac.signal }, async () => {
      throw transient(new PackagerError('ENETWORK', 'reset'));
    }, () => ac.abort(new Error('interrupted')));
    await expect(p).rejects.toThrow('interrupted');
  });
});
