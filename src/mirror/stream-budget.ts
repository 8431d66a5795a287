// How much each read of a streamed body asks for. A few bodies at once get big
// reads (fewer syscalls and wakeups: 512 KiB reads doubled large-file
// throughput over 128 KiB in bench/BENCHMARKS.md); many at once share a fixed
// budget, so the memory held in read buffers stays flat however many clients
// download at the same time.
import type { Readable } from 'node:stream';

export const STREAM_CHUNK_MIN = 64 * 1024;
export const STREAM_CHUNK_MAX = 512 * 1024;
/** Read-buffer bytes shared by all streaming bodies (each holds up to ~3 chunks: reading, buffered, being sent). */
const STREAM_BUDGET = 12 * 1024 * 1024;

let active = 0;

/** Read size for a body that starts streaming now. */
export function streamChunk(): number {
  const share = Math.floor(STREAM_BUDGET / 3 / Math.max(1, active + 1) / 4096) * 4096;
  return Math.min(STREAM_CHUNK_MAX, Math.max(STREAM_CHUNK_MIN, share));
}

/** Counts `s` as streaming until it closes. */
export function trackStream<T extends Readable>(s: T): T {
  active++;
  s.once('close', () => active--);
  return s;
}

/** Bodies streaming now (tests). */
export function activeStreams(): number {
  return active;
}
