// Reads a response body into an open file, never pausing it. undici 7 throws
// an uncatchable `assert(!this.paused)` (nodejs/undici#5360, fixed only in
// undici 8, which needs Node 22) when a server closes the connection while a
// body is paused for backpressure, as `python3 -m http.server` does after
// every response. So chunks are written with blocking writes as they arrive
// (in batches of up to 1 MiB or 50 ms): the event loop, busy writing, is the
// backpressure, and memory holds one batch. A Content-Encoding decoder is fed
// without waiting either; its input queue is bounded by the wire bytes, which
// the limit also counts.
import { writeSync, writevSync } from 'node:fs';
import type { Readable, Transform } from 'node:stream';

export interface Received {
  /** Bytes that came over the wire. */
  wireBytes: number;
  /** Bytes written to the file (decoded, when there is a decoder). */
  fileBytes: number;
  /** The body failed (network, timeout, abort). */
  bodyError?: unknown;
  /** The decoder refused the bytes (corrupt gzip/br/deflate). */
  decodeError?: unknown;
  /** Writing the file failed (full disk...). */
  writeError?: unknown;
  /** More than `maxBytes` came (on the wire or decoded): the rest was not read. */
  overLimit?: boolean;
}

/** Writes `chunks` whole, in order (writev, then write for what a short writev left). */
function writeAll(fd: number, chunks: Buffer[]): void {
  let done = writevSync(fd, chunks);
  for (const chunk of chunks) {
    if (done >= chunk.length) {
      done -= chunk.length;
      continue;
    }
    for (let off = done; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
    done = 0;
  }
}

/**
 * Chunks are written in batches of about this much (a write per chunk made
 * cold downloads slower: bench/BENCHMARKS.md, "Packaging"), or after this
 * long: what arrived is on file soon, for a resume after a kill.
 */
const BATCH_BYTES = 1 << 20;
const BATCH_MS = 50;

/**
 * Reads `body` to its end (through `decoder`, if any) into `fd`, stopping
 * early on the first error or once more than `maxBytes` arrive. `onWire` sees
 * each wire chunk before it is written (hashing, progress). Never rejects.
 */
export function receiveBody(body: Readable, o: { fd: number; maxBytes: number; decoder?: Transform | undefined; onWire?: (chunk: Buffer) => void }): Promise<Received> {
  const r: Received = { wireBytes: 0, fileBytes: 0 };
  const dec = o.decoder;
  return new Promise((resolve) => {
    let done = false;
    let batch: Buffer[] = [];
    let batched = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (batched === 0 || r.writeError) return;
      try {
        writeAll(o.fd, batch);
      } catch (err) {
        r.writeError = err;
        r.fileBytes -= batched;
      }
      batch = [];
      batched = 0;
    };
    const finish = () => {
      if (done) return;
      done = true;
      flush();
      resolve(r);
    };
    // Error listeners stay: a destroyed stream may still emit one.
    const stop = () => {
      body.destroy();
      dec?.destroy();
      finish();
    };
    const flushOrStop = () => {
      flush();
      if (r.writeError) stop();
    };
    const write = (chunk: Buffer) => {
      if (r.fileBytes + chunk.length > o.maxBytes) {
        r.overLimit = true;
        return stop();
      }
      batch.push(chunk);
      batched += chunk.length;
      r.fileBytes += chunk.length;
      if (batched >= BATCH_BYTES) flushOrStop();
      else timer ??= setTimeout(flushOrStop, BATCH_MS);
    };
    body.on('data', (chunk: Buffer) => {
      if (done) return;
      r.wireBytes += chunk.length;
      if (r.wireBytes > o.maxBytes) {
        r.overLimit = true;
        return stop();
      }
      o.onWire?.(chunk);
      if (dec) dec.write(chunk);
      else write(chunk);
    });
    body.on('error', (err) => {
      if (done) return;
      r.bodyError = err;
      stop();
    });
    if (dec) {
      dec.on('data', (chunk: Buffer) => {
        if (!done) write(chunk);
      });
      dec.on('error', (err) => {
        if (done) return;
        r.decodeError = err;
        stop();
      });
      dec.on('end', finish);
      body.on('end', () => {
        if (!done) dec.end();
      });
    } else {
      body.on('end', finish);
    }
  });
}
