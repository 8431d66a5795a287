import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { STREAM_CHUNK_MAX, STREAM_CHUNK_MIN, activeStreams, streamChunk, trackStream } from '../../src/mirror/stream-budget.js';

describe('stream budget', () => {
  it('gives a lone download the largest reads and many at once smaller ones, never below the floor', async () => {
    expect(activeStreams()).toBe(0);
    expect(streamChunk()).toBe(STREAM_CHUNK_MAX);
    const streams = Array.from({ length: 300 }, () => trackStream(new Readable({ read() {} })));
    expect(activeStreams()).toBe(300);
    expect(streamChunk()).toBe(STREAM_CHUNK_MIN);
    // read buffers of all bodies together stay within a fixed budget (3 chunks each)
    const few = streams.slice(0, 20);
    for (const s of streams.slice(20)) s.destroy();
    await new Promise((r) => setImmediate(r));
    expect(activeStreams()).toBe(20);
    expect(streamChunk() * 3 * 21).toBeLessThanOrEqual(12 * 1024 * 1024);
    expect(streamChunk()).toBeGreaterThan(STREAM_CHUNK_MIN);
    for (const s of few) s.destroy();
    await new Promise((r) => setImmediate(r));
    expect(activeStreams()).toBe(0);
  });
});
