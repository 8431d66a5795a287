// The byte-heavy work, off the main thread. A few worker threads compute
// sha256 (+ md5) and CRC-32 for byte streams fed to them chunk by chunk and
// for files they read themselves; a session can also write the bytes it is
// fed to a file (a download's partial file), and copyInPool copies a file
// range into another open file (a STORED zip entry). The main thread only
// moves bytes from sockets to the workers and keeps the books: on a 2-core
// machine a download, its hash, its write and the zip copy then run side by
// side instead of one after another (bench/BENCHMARKS.md has the figures).
// Workers start on first use (or warmHashPool) and are unref'd while idle, so
// an idle pool never keeps the process alive. Feeding is bounded: update()
// returns false once too many bytes wait in a worker, like stream.write().
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What a hash session or a file hash yields. */
export interface HashResult {
  size: number;
  sha256: string;
  md5?: string;
  /** CRC-32 (ISO 3309, as zip stores it), unsigned. */
  crc32: number;
  /**
   * With HashSpec.fingerprint, for a file read whole: its stat fingerprint
   * (verified-files.ts), when it was the same before and after the read.
   */
  fingerprint?: string;
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
  return { size: s.size, sha256: s.sha ? s.sha.digest('hex') : '', md5: s.md5 ? s.md5.digest('hex') : undefined, crc32: s.crc === undefined ? 0 : s.crc >>> 0, fingerprint: s.fingerprint };
}
// Runs fn (sync I/O on file); an error it throws names that file, as fs
// would, for the main thread's messages.
function onFile(file, fn) {
  try {
    return fn();
  } catch (err) {
    if (err && !err.path) err.path = file;
    throw err;
  }
}
// A session with a sink writes every data chunk to its file before hashing
// it (sync writes: this thread does nothing else meanwhile, and the main
// thread no longer pays for a write stream per download).
function writeAll(s, b) {
  onFile(s.sinkPath, () => {
    let off = 0;
    while (off < b.length) off += fs.writeSync(s.fd, b, off, b.length - off);
  });
}
function closeSink(s) {
  if (s.fd === undefined) return;
  const fd = s.fd;
  s.fd = undefined;
  onFile(s.sinkPath, () => fs.closeSync(fd));
}
// A sink's sidecar (a download's validator) is written just after the sink is
// opened, or removed when it has no text; finish with dropSidecar removes it
// after the sink is closed. Here, not on the main thread: each is a file
// created or removed per download, and the main thread is what a cold run of
// many small downloads waits on (bench/BENCHMARKS.md).
function unlinkQuietly(file) {
  onFile(file, () => {
    try {
      fs.unlinkSync(file);
    } catch (err) {
      if (!err || err.code !== 'ENOENT') throw err;
    }
  });
}
function writeSidecar(sidecar, skip) {
  if (sidecar.text === undefined || skip) return unlinkQuietly(sidecar.file);
  onFile(sidecar.file, () => fs.writeFileSync(sidecar.file, sidecar.text));
}
function fail(id, err) {
  const s = sessions.get(id);
  if (s) try { closeSink(s); } catch {}
  sessions.delete(id);
  parentPort.postMessage({ id, error: { message: String(err && err.message || err), code: err && err.code, syscall: err && err.syscall, path: err && err.path, side: err && err.side, bytes: err && err.bytes } });
}
// Copies m.size bytes from offset m.from of the open file m.src (a descriptor the
// main thread opened: this process shares it) to m.offset of the open file
// m.dst, with sync positional reads and writes on this thread (no thread-pool
// round trip per chunk). err.side says which file failed. With m.feed, the
// bytes also go to session m.id on the way (a file verified as it is copied:
// one read for both), and the reply is that session's fileDone.
function copy(m) {
  const s = m.feed ? sessions.get(m.id) : undefined;
  if (m.feed && !s) return; // dropped
  const buf = spare.pop() || Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  try {
    while (pos < m.size) {
      const want = Math.min(CHUNK, m.size - pos);
      let n;
      try {
        n = fs.readSync(m.src, buf, 0, want, m.from + pos);
      } catch (err) {
        throw Object.assign(err, { side: 'src' });
      }
      if (n === 0) throw Object.assign(new Error('file ended early'), { code: 'ESHORT', side: 'src', bytes: m.from + pos });
      if (s) feed(s, buf.subarray(0, n));
      let off = 0;
      try {
        while (off < n) off += fs.writeSync(m.dst, buf, off, n - off, m.offset + pos + off);
      } catch (err) {
        throw Object.assign(err, { side: 'dst' });
      }
      pos += n;
    }
    parentPort.postMessage(s ? { id: m.id, fileDone: true } : { id: m.id, result: { size: pos, sha256: '', crc32: 0 } });
  } catch (err) {
    fail(m.id, err);
  } finally {
    spare.push(buf);
  }
}
// Reads [start, end) of a file (to its end when end is undefined) into s, one
// 1 MiB sync read per event-loop turn: other sessions' messages on this
// worker go on in between, and no read waits on the thread pool (an async
// open, read and close each cost a pool thread's wake-up, which for 300 small
// cache hits took longer than hashing them). done() or fail() always come
// on a later turn, never from within this call.
// Read buffers are reused (one per file being read at a time), not left to the GC.
const spare = [];
// With s.wantFingerprint, the file's stat fingerprint (verified-files.ts:
// dev:ino:size:mtimeNs:ctimeNs) is taken before and after the read, and kept
// in s.fingerprint only when the two agree (nothing wrote the file meanwhile).
function fingerprintOf(fd) {
  const st = fs.fstatSync(fd, { bigint: true });
  return st.dev + ':' + st.ino + ':' + st.size + ':' + st.mtimeNs + ':' + st.ctimeNs;
}
function feedFile(id, s, file, start, end, done) {
  setImmediate(() => {
    let fd;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      return fail(id, err);
    }
    const buf = spare.pop() || Buffer.allocUnsafe(CHUNK);
    let before;
    try {
      if (s.wantFingerprint) before = fingerprintOf(fd);
    } catch {}
    const finish = (e) => {
      if (!e && before !== undefined) {
        try {
          if (fingerprintOf(fd) === before) s.fingerprint = before;
        } catch {}
      }
      try {
        fs.closeSync(fd);
      } catch {}
      spare.push(buf);
      if (e) fail(id, e);
      else done();
    };
    let pos = start;
    const step = () => {
      const want = end === undefined ? CHUNK : Math.min(CHUNK, end - pos);
      if (want <= 0) return finish();
      let n;
      try {
        n = fs.readSync(fd, buf, 0, want, pos);
      } catch (e) {
        return finish(e);
      }
      if (n === 0) {
        if (end !== undefined) return finish(Object.assign(new Error('file ended early: ' + file), { code: 'ESHORT' }));
        return finish();
      }
      feed(s, buf.subarray(0, n));
      pos += n;
      setImmediate(step);
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
        s.fd = onFile(m.file, () => fs.openSync(m.file, m.append ? 'a' : 'w'));
        // opened and finished in one message: a validator would be removed at once
        if (m.sidecar) writeSidecar(m.sidecar, m.dropSidecar);
      } catch (err) {
        return fail(id, err);
      }
      if (m.sidecar && m.sidecar.text !== undefined && !m.dropSidecar) s.sidecar = m.sidecar.file;
    } else if (m.op === 'data') {
      if (s.fd !== undefined) {
        try {
          writeAll(s, m.chunk);
        } catch (err) {
          return fail(id, err);
        }
      }
      feed(s, m.chunk);
      // the buffer goes back to be filled again: no garbage for either heap to
      // collect; the last batch also carries the result (one message, not two)
      const reply = { id, ack: m.chunk.length, chunk: m.chunk };
      if (m.last && !end(id, s, reply, m.dropSidecar)) return;
      parentPort.postMessage(reply, [m.chunk.buffer]);
    } else if (m.op === 'file') {
      s.busy = true;
      feedFile(id, s, m.file, m.start || 0, m.end, () => {
        s.busy = false;
        if (m.last) {
          const reply = { id };
          if (end(id, s, reply)) parentPort.postMessage(reply);
          return;
        }
        parentPort.postMessage({ id, fileDone: true });
        if (sessions.get(id) === s) pump(id, s);
      });
    } else if (m.op === 'end') {
      const reply = { id };
      if (end(id, s, reply, m.dropSidecar)) parentPort.postMessage(reply);
    }
  }
}
// Closes the session (and its file) and puts its digests in reply; false when that failed (reported).
function end(id, s, reply, dropSidecar) {
  try {
    closeSink(s);
    if (dropSidecar && s.sidecar) unlinkQuietly(s.sidecar);
  } catch (err) {
    fail(id, err);
    return false;
  }
  sessions.delete(id);
  reply.result = finish(s);
  return true;
}
parentPort.on('message', (m) => {
  try {
    // a session starts with its first message (which carries its spec)
    if (m.spec) {
      const spec = m.spec;
      sessions.set(m.id, { sha: spec.sha256 ? createHash('sha256') : null, md5: spec.md5 ? createHash('md5') : null, crc: spec.crc32 ? 0 : undefined, wantFingerprint: !!spec.fingerprint, size: 0, queue: [], busy: false });
    }
    if (m.op === 'copy') {
      copy(m);
    } else if (m.op === 'drop') {
      const s = sessions.get(m.id);
      if (s) try { closeSink(s); } catch {}
      sessions.delete(m.id);
    } else {
      const s = sessions.get(m.id);
      if (!s) return;
      // a sink rides on the session's next message too, and comes first
      // (only a session's last message, from finish(), carries dropSidecar)
      if (m.sink) s.queue.push({ op: 'sink', file: m.sink.file, append: m.sink.append, sidecar: m.sink.sidecar, dropSidecar: m.dropSidecar });
      s.queue.push(m);
      pump(m.id, s);
    }
  } catch (err) {
    fail(m.id, err);
  }
});
`;

/** Bytes a session may have in flight to its worker before update() asks the caller to wait. */
export const MAX_IN_FLIGHT = 1 << 20;
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
  /** The session keeping other work off this worker (HashSpec.exclusive), if any. */
  heldBy: number | undefined;
  private waiting = 0;
  private readonly pending = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (m: { id: number; ack?: number; chunk?: Uint8Array; fileDone?: boolean; result?: HashResult; error?: { message: string; code?: string; syscall?: string; path?: string; side?: string; bytes?: number } }) => {
      if (m.chunk) recycle(m.chunk);
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.ack !== undefined) p.onAck(m.ack);
      if (m.fileDone) p.onFileDone();
      else if (m.result) p.onResult(m.result);
      else if (m.error) p.onError(Object.assign(new Error(m.error.message), { code: m.error.code, syscall: m.error.syscall, path: m.error.path, side: m.error.side, bytes: m.error.bytes }));
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
    if (this.heldBy === id) this.heldBy = undefined;
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
const MAX_SPARE = 8;

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

let own: PoolWorker | undefined;
/** The worker outside the pool (HashSession's `ownThread`), started on first use. */
function ownWorker(): PoolWorker {
  if (!own || own.broken) own = new PoolWorker();
  return own;
}

function pool(): PoolWorker[] {
  return (workers ??= Array.from({ length: hashPoolSize() }, () => new PoolWorker()));
}

function pickWorker(): PoolWorker {
  const workers = pool();
  for (let i = 0; i < workers.length; i++) {
    if (workers[i]!.broken) workers[i] = new PoolWorker();
  }
  return leastLoaded(workers);
}

/**
 * The worker with the fewest open sessions and copies, leaving out those an
 * exclusive session holds while any other is left.
 */
export function leastLoaded<W extends { open: number; heldBy: number | undefined }>(workers: W[]): W {
  const free = workers.filter((w) => w.heldBy === undefined);
  return (free.length ? free : workers).reduce((a, b) => (b.open < a.open ? b : a));
}

/**
 * A small file kept beside a session's sink (a download's validator): the
 * worker writes `text` to `file` right after it opens the sink, or removes
 * `file` when `text` is undefined.
 */
export interface Sidecar {
  file: string;
  text?: string;
}

interface SinkSpec {
  file: string;
  append: boolean;
  sidecar?: Sidecar;
}

/** Which digests a session computes. */
export interface HashSpec {
  sha256?: boolean;
  md5?: boolean;
  crc32?: boolean;
  /** Also report the stat fingerprint of a file read whole (HashResult.fingerprint). */
  fingerprint?: boolean;
  /**
   * Run on a worker outside the pool, shared with no copy or other session
   * but other ownThread ones: a long hash that everything else would
   * otherwise hold up, such as the zip's own (write-zip.ts).
   */
  ownThread?: boolean;
  /**
   * Keep copies and new sessions off this session's pool worker until it
   * ends, when the pool has another: the zip's own hash again, without a
   * worker more (a copy message is one sync block of up to 8 MiB, and a
   * hash that shares its worker with them falls behind until they are over).
   */
  exclusive?: boolean;
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
    this.w = spec.ownThread ? ownWorker() : pickWorker();
    if (spec.exclusive && !spec.ownThread) this.w.heldBy ??= this.id;
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
    // Sent with the first message, not on its own: waking a worker costs
    // about as much as hashing a small file here (bench/BENCHMARKS.md).
    this.startSpec = { ...spec };
  }

  private startSpec: HashSpec | undefined;
  /** A file given to writeTo() and not yet posted: it rides on the next message. */
  private pendingSink: SinkSpec | undefined;

  /** Posts `m` for this session to its worker (the first one also starts the session there). */
  private post(m: Record<string, unknown>, transfer?: ArrayBuffer[]): void {
    const msg = { ...m, id: this.id, ...(this.startSpec ? { spec: this.startSpec } : {}), ...(this.pendingSink ? { sink: this.pendingSink } : {}) };
    this.startSpec = undefined;
    this.pendingSink = undefined;
    this.w.worker.postMessage(msg, transfer);
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
    await this.postAndWait({ op: 'file', file, start, end });
  }

  /**
   * Copies `size` bytes at `from` of the open file `srcFd` to `offset` of the
   * open file `dstFd`, in this session's worker, feeding them to the session
   * on the way: a file is verified as it is copied, with one read for both.
   * Waits for the copy; rejects with a PoolCopyError. Calls must not overlap
   * each other or fromFile().
   */
  async copyRange(srcFd: number, from: number, dstFd: number, offset: number, size: number): Promise<void> {
    if (this.closed) throw new Error('hash session already finished');
    this.flush();
    if (this.failed) throw this.failed;
    this.size += size;
    await this.postAndWait({ op: 'copy', feed: true, src: srcFd, from, dst: dstFd, offset, size });
  }

  /** Posts an op the worker answers with fileDone (a file range read, a range copied), and waits for that. */
  private async postAndWait(m: Record<string, unknown>): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.fileWaiters.push({ resolve, reject }));
    this.post(m);
    await this.w.hold(done);
  }

  /**
   * From now on the worker also writes every chunk fed to `file` (created, or
   * appended to), before hashing it; finish() resolves only once the file is
   * written and closed. A write error fails the session (finish() rejects
   * with it: code, syscall and path as fs gives them). The file is opened
   * with the next batch (or by finish()), not by a message of its own:
   * waking a worker costs about as much as hashing a small file here. A
   * `sidecar` is written (or removed) right after the file is opened.
   */
  writeTo(file: string, o: { append: boolean; sidecar?: Sidecar }): void {
    if (this.closed) throw new Error('hash session already finished');
    this.flush();
    this.sinking = true;
    this.pendingSink = { file, append: o.append, ...(o.sidecar ? { sidecar: o.sidecar } : {}) };
  }

  /**
   * The digests of everything fed. With `dropSidecar`, the worker also
   * removes the sink's sidecar once the file is closed (before it answers).
   */
  async finish(o: { dropSidecar?: boolean } = {}): Promise<HashResult> {
    // the last batch carries the end (one message)
    const last = this.takeBatch();
    this.closed = true;
    if (this.failed) throw this.failed;
    const result = new Promise<HashResult>((resolve, reject) => (this.resultWaiter = { resolve, reject }));
    const drop = o.dropSidecar ? { dropSidecar: true } : {};
    if (last) this.post({ op: 'data', chunk: last, last: true, ...drop }, [last.buffer as ArrayBuffer]);
    else this.post({ op: 'end', ...drop });
    return this.w.hold(result);
  }

  /** Hashes a whole file, read by the worker, and finishes: one message each way. */
  async fileThenFinish(file: string): Promise<HashResult> {
    if (this.closed || this.size > 0 || this.used > 0) throw new Error('fileThenFinish needs a fresh session');
    this.closed = true;
    const result = new Promise<HashResult>((resolve, reject) => (this.resultWaiter = { resolve, reject }));
    this.post({ op: 'file', file, start: 0, last: true });
    return this.w.hold(result);
  }

  /** Forgets the session (an abandoned download). */
  abort(): void {
    if (this.resultWaiter || this.failed) return; // finished (or failed) already
    this.closed = true;
    this.buf = undefined;
    this.used = 0;
    this.pendingSink = undefined; // never opened: nothing to close
    if (!this.w.broken && !this.startSpec) this.post({ op: 'drop' });
    // nothing may wait on a dropped session: that would hold the worker's ref forever
    this.fail(new Error('hash session aborted'));
  }

  private flush(): void {
    const chunk = this.takeBatch();
    if (!chunk) return;
    this.inFlight += chunk.length;
    this.post({ op: 'data', chunk }, [chunk.buffer as ArrayBuffer]);
  }

  /** The part-filled batch, taken out to be sent (undefined when empty or the session failed). */
  private takeBatch(): Buffer | undefined {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (!this.buf || this.used === 0) return undefined;
    const chunk = this.buf.subarray(0, this.used);
    this.buf = undefined;
    this.used = 0;
    return this.failed ? undefined : chunk;
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
  return new HashSession(spec).fileThenFinish(file);
}

/** Why copyInPool failed: `side` is the file that failed ('src' or 'dst'); a source that ended early has code ESHORT and `bytes` read. */
export interface PoolCopyError extends Error {
  code?: string;
  side?: 'src' | 'dst';
  bytes?: number;
}

/**
 * Copies `size` bytes at `srcOffset` of the open file `srcFd` to `dstOffset`
 * of the open file `dstFd`, in a worker (sync positional I/O on its thread).
 * Rejects with a PoolCopyError. HashSession.copyRange also hashes the bytes.
 */
export async function copyInPool(srcFd: number, srcOffset: number, dstFd: number, dstOffset: number, size: number): Promise<void> {
  const w = pickWorker();
  const id = nextId++;
  const done = new Promise<HashResult>((resolve, reject) => {
    w.attach(id, {
      onAck: () => {},
      onFileDone: () => {},
      onResult: (r) => {
        w.detach(id);
        resolve(r);
      },
      onError: (e) => {
        w.detach(id);
        reject(e);
      },
    });
  });
  w.worker.postMessage({ op: 'copy', id, src: srcFd, from: srcOffset, dst: dstFd, offset: dstOffset, size });
  await w.hold(done);
}
