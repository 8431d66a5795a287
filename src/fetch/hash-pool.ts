// Hashing off the main thread. A few worker threads compute sha256 (+ md5)
// and CRC-32 for byte streams fed to them chunk by chunk and for files they
// read themselves, so the main thread only moves bytes between sockets and
// files: on a 2-core machine a download, its hash and the zip write then run
// side by side instead of one after another (bench/BENCHMARKS.md has the
// figures). Workers start on first use and are unref'd while idle, so an idle
// pool never keeps the process alive. Feeding is bounded: update() returns
// false once too many bytes wait in a worker, like stream.write().
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What a hash session or a file hash yields. */
export interface HashResult {
  size: number;
  sha256: string;
  md5?: string;
  /** CRC-32 (ISO 3309, as zip stores it), unsigned. */
  crc32: number;
}

// CommonJS evaluated with `eval: true`: the same source works from dist/ and
// under vitest (which does not transform worker files).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { crc32 } = require('node:zlib');
const fs = require('node:fs');
const sessions = new Map();
const CHUNK = 1 << 20;
function feed(s, b) {
  if (s.sha) s.sha.update(b);
  if (s.md5) s.md5.update(b);
  if (s.crc !== undefined) s.crc = crc32(b, s.crc);
  s.size += b.length;
}
function finish(s) {
  return { size: s.size, sha256: s.sha ? s.sha.digest('hex') : '', md5: s.md5 ? s.md5.digest('hex') : undefined, crc32: s.crc === undefined ? 0 : s.crc >>> 0 };
}
// A session with a sink writes every data chunk to its file before hashing
// it (sync writes: this thread does nothing else meanwhile, and the main
// thread no longer pays for a write stream per download).
function writeAll(s, b) {
  let off = 0;
  try {
    while (off < b.length) off += fs.writeSync(s.fd, b, off, b.length - off);
  } catch (err) {
    if (err && !err.path) err.path = s.sinkPath;
    throw err;
  }
}
function closeSink(s) {
  if (s.fd === undefined) return;
  const fd = s.fd;
  s.fd = undefined;
  try {
    fs.closeSync(fd);
  } catch (err) {
    if (err && !err.path) err.path = s.sinkPath;
    throw err;
  }
}
function fail(id, err) {
  const s = sessions.get(id);
  if (s) try { closeSink(s); } catch {}
  sessions.delete(id);
  parentPort.postMessage({ id, error: { message: String(err && err.message || err), code: err && err.code, syscall: err && err.syscall, path: err && err.path } });
}
// Reads [start, end) of a file (to its end when end is undefined) into s with
// async reads, so other sessions on this worker go on in between.
// Read buffers are reused (one per file being read at a time), not left to the GC.
const spare = [];
function feedFile(id, s, file, start, end, done) {
  fs.open(file, 'r', (err, fd) => {
    if (err) return fail(id, err);
    const buf = spare.pop() || Buffer.allocUnsafe(CHUNK);
    const finish = (e) => fs.close(fd, () => {
      spare.push(buf);
      if (e) fail(id, e);
      else done();
    });
    let pos = start;
    const step = () => {
      const want = end === undefined ? CHUNK : Math.min(CHUNK, end - pos);
      if (want <= 0) return finish();
      fs.read(fd, buf, 0, want, pos, (e, n) => {
        if (e) return finish(e);
        if (n === 0) {
          if (end !== undefined) return finish(Object.assign(new Error('file ended early: ' + file), { code: 'ESHORT' }));
          return finish();
        }
        feed(s, buf.subarray(0, n));
        pos += n;
        step();
      });
    };
    step();
  });
}
// One session's operations run strictly in order (a file range, then data, ...).
function pump(id, s) {
  while (!s.busy && s.queue.length) {
    const m = s.queue.shift();
    if (m.op === 'sink') {
      try {
        s.sinkPath = m.file;
        s.fd = fs.openSync(m.file, m.append ? 'a' : 'w');
      } catch (err) {
        if (err && !err.path) err.path = m.file;
        return fail(id, err);
      }
    } else if (m.op === 'data') {
      if (s.fd !== undefined) {
        try {
          writeAll(s, m.chunk);
        } catch (err) {
          return fail(id, err);
        }
      }
      feed(s, m.chunk);
      // the buffer goes back to be filled again: no garbage for either heap to collect
      parentPort.postMessage({ id, ack: m.chunk.length, chunk: m.chunk }, [m.chunk.buffer]);
    } else if (m.op === 'file') {
      s.busy = true;
      feedFile(id, s, m.file, m.start || 0, m.end, () => {
        s.busy = false;
        parentPort.postMessage({ id, fileDone: true });
        if (sessions.get(id) === s) pump(id, s);
      });
    } else if (m.op === 'end') {
      try {
        closeSink(s);
      } catch (err) {
        return fail(id, err);
      }
      sessions.delete(id);
      parentPort.postMessage({ id, result: finish(s) });
    }
  }
}
parentPort.on('message', (m) => {
  try {
    if (m.op === 'start') {
      sessions.set(m.id, { sha: m.sha256 ? createHash('sha256') : null, md5: m.md5 ? createHash('md5') : null, crc: m.crc32 ? 0 : undefined, size: 0, queue: [], busy: false });
    } else if (m.op === 'drop') {
      const s = sessions.get(m.id);
      if (s) try { closeSink(s); } catch {}
      sessions.delete(m.id);
    } else {
      const s = sessions.get(m.id);
      if (!s) return;
      s.queue.push(m);
      pump(m.id, s);
    }
  } catch (err) {
    fail(m.id, err);
  }
});
`;

/** Bytes a session may have in flight to its worker before update() asks the caller to wait. */
export const MAX_IN_FLIGHT = 2 << 20;
/** Bytes are gathered to this size before one message carries them (fewer, larger messages). */
export const BATCH = 512 << 10;
/** A part-filled batch of a session that writes a file waits at most this long. */
const SINK_FLUSH_MS = 10;

interface Pending {
  onAck(bytes: number): void;
  onFileDone(): void;
  onResult(r: HashResult): void;
  onError(err: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  /** Sessions open on this worker (load balancing and ref counting). */
  open = 0;
  broken: Error | undefined;
  private waiting = 0;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { id: number; ack?: number; chunk?: Uint8Array; fileDone?: boolean; result?: HashResult; error?: { message: string; code?: string; syscall?: string; path?: string } }) => {
      if (m.chunk) recycle(m.chunk);
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.ack !== undefined) p.onAck(m.ack);
      else if (m.fileDone) p.onFileDone();
      else if (m.result) p.onResult(m.result);
      else if (m.error) p.onError(Object.assign(new Error(m.error.message), { code: m.error.code, syscall: m.error.syscall, path: m.error.path }));
    });
    const die = (err: Error) => {
      this.broken ??= err;
      for (const p of this.pending.values()) p.onError(err);
      this.pending.clear();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`hash worker exited with code ${code}`)));
    // after the listeners: adding a 'message' listener refs the worker's port again
    this.worker.unref();
  }

  attach(id: number, p: Pending): void {
    this.open++;
    this.pending.set(id, p);
  }

  detach(id: number): void {
    if (this.pending.delete(id)) this.open--;
  }

  /**
   * Keeps the process alive while `p` (an answer from this worker) is awaited.
   * Only awaited answers hold a ref: an abandoned session never keeps the process running.
   */
  hold<T>(p: Promise<T>): Promise<T> {
    if (this.waiting++ === 0) this.worker.ref();
    const release = () => {
      if (--this.waiting === 0) this.worker.unref();
    };
    p.then(release, release);
    return p;
  }
}

let workers: PoolWorker[] | undefined;
// Batch buffers come back from the workers and are reused: a few MiB in all
// instead of a fresh one per MiB hashed.
const spare: Buffer[] = [];
const MAX_SPARE = 16;

function recycle(chunk: Uint8Array): void {
  if (chunk.buffer.byteLength === BATCH && spare.length < MAX_SPARE) spare.push(Buffer.from(chunk.buffer as ArrayBuffer));
}
let nextId = 1;

/** Workers in the pool: one per core, at most 4 (hashing is the only work they do). */
export function hashPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Starts the workers now rather than on the first hash: a worker takes ~0.1 s
 * to boot here, which then overlaps reading the manifest instead of delaying
 * the first check of the cache.
 */
export function warmHashPool(): void {
  pool();
}

function pool(): PoolWorker[] {
  return (workers ??= Array.from({ length: hashPoolSize() }, () => new PoolWorker()));
}

function pickWorker(): PoolWorker {
  const workers = pool();
  for (let i = 0; i < workers.length; i++) {
    if (workers[i]!.broken) workers[i] = new PoolWorker();
  }
  return workers.reduce((a, b) => (b.open < a.open ? b : a));
}

/** Which digests a session computes. */
export interface HashSpec {
  sha256?: boolean;
  md5?: boolean;
  crc32?: boolean;
}

/**
 * One running hash in a worker. Feed it with update() (and fromFile()), then
 * finish() once; abort() forgets it. Chunks passed to update() are copied, so
 * the caller may reuse its buffers at once.
 */
export class HashSession {
  private readonly id = nextId++;
  private readonly w: PoolWorker;
  private buf: Buffer | undefined;
  private used = 0;
  private inFlight = 0;
  private failed: Error | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly fileWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private resultWaiter: { resolve(r: HashResult): void; reject(e: Error): void } | undefined;
  private closed = false;
  /** Set once writeTo() gave the worker a file: a part-filled batch is then sent after SINK_FLUSH_MS. */
  private sinking = false;
  private flushTimer: NodeJS.Timeout | undefined;
  size = 0;

  constructor(spec: HashSpec) {
    this.w = pickWorker();
    this.w.attach(this.id, {
      onAck: (n) => {
        this.inFlight -= n;
        if (this.inFlight <= MAX_IN_FLIGHT / 2) this.wake();
      },
      onFileDone: () => this.fileWaiters.shift()?.resolve(),
      onResult: (r) => {
        this.w.detach(this.id);
        this.resultWaiter?.resolve(r);
      },
      onError: (e) => this.fail(e),
    });
    this.w.worker.postMessage({ op: 'start', id: this.id, ...spec });
  }

  /** Adds bytes (copied: the caller may reuse its buffer). Returns false when the caller should await drained(). */
  update(chunk: Uint8Array): boolean {
    if (this.closed) throw new Error('hash session already finished');
    this.size += chunk.length;
    // One copy into a batch buffer that is then transferred (not copied again) to the worker.
    let off = 0;
    while (off < chunk.length) {
      this.buf ??= spare.pop() ?? Buffer.allocUnsafeSlow(BATCH);
      const n = Math.min(BATCH - this.used, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === BATCH) this.flush();
    }
    // A slow download fills a batch slowly: its bytes still reach the file
    // within a few ms, so a killed run leaves them for the resume.
    if (this.sinking && this.used > 0 && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        if (!this.closed) this.flush();
      }, SINK_FLUSH_MS);
      this.flushTimer.unref();
    }
    return this.inFlight < MAX_IN_FLIGHT;
  }

  /** Resolves once the worker has caught up (at once when nothing waits). */
  drained(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.inFlight < MAX_IN_FLIGHT) return Promise.resolve();
    return this.w.hold(
      new Promise<void>((resolve, reject) => {
        this.drainWaiters.push(() => (this.failed ? reject(this.failed) : resolve()));
      }),
    );
  }

  /**
   * Feeds bytes [start, end) of a file (to its end by default), read by the
   * worker itself, after everything fed before. Calls may overlap: they are
   * applied in call order.
   */
  async fromFile(file: string, start = 0, end?: number): Promise<void> {
    if (this.closed) throw new Error('hash session already finished');
    this.flush();
    if (this.failed) throw this.failed;
    if (end !== undefined) this.size += end - start;
    const done = new Promise<void>((resolve, reject) => this.fileWaiters.push({ resolve, reject }));
    this.w.worker.postMessage({ op: 'file', id: this.id, file, start, end });
    await this.w.hold(done);
  }

  /**
   * From now on the worker also writes every chunk fed to `file` (created, or
   * appended to), before hashing it; finish() resolves only once the file is
   * written and closed. A write error fails the session (finish() rejects
   * with it: code, syscall and path as fs gives them).
   */
  writeTo(file: string, o: { append: boolean }): void {
    if (this.closed) throw new Error('hash session already finished');
    this.flush();
    this.sinking = true;
    this.w.worker.postMessage({ op: 'sink', id: this.id, file, append: o.append });
  }

  /** The digests of everything fed. */
  async finish(): Promise<HashResult> {
    this.flush();
    this.closed = true;
    if (this.failed) throw this.failed;
    const result = new Promise<HashResult>((resolve, reject) => (this.resultWaiter = { resolve, reject }));
    this.w.worker.postMessage({ op: 'end', id: this.id });
    return this.w.hold(result);
  }

  /** Forgets the session (an abandoned download). */
  abort(): void {
    if (this.resultWaiter || this.failed) return; // finished (or failed) already
    this.closed = true;
    this.buf = undefined;
    this.used = 0;
    if (!this.w.broken) this.w.worker.postMessage({ op: 'drop', id: this.id });
    // nothing may wait on a dropped session: that would hold the worker's ref forever
    this.fail(new Error('hash session aborted'));
  }

  private flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (!this.buf || this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    this.buf = undefined;
    this.used = 0;
    if (this.failed) return;
    this.inFlight += chunk.length;
    this.w.worker.postMessage({ op: 'data', id: this.id, chunk }, [chunk.buffer as ArrayBuffer]);
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.w.detach(this.id);
    this.wake();
    for (const f of this.fileWaiters.splice(0)) f.reject(e);
    this.resultWaiter?.reject(e);
  }

  private wake(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

/** Hashes a whole file in a worker (the main thread does no reading or hashing). */
export async function hashFileInPool(file: string, spec: HashSpec = { sha256: true, crc32: true }): Promise<HashResult> {
  const s = new HashSession(spec);
  try {
    await s.fromFile(file);
  } catch (err) {
    s.abort();
    throw err;
  }
  const r = await s.finish();
  return r;
}
