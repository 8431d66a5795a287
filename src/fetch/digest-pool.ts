// Digests whole files (cache hits) on worker threads, so a warm run hashes on
// every core while the main thread writes the zip (bench/NOTES.md has the figures).
// The worker is compiled to dist/fetch/digest-worker.js; the CLI bundle sits in
// dist/cli/, so `../fetch/` finds it from either.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileDigests } from './digests.js';

export interface DigestRequest {
  id: number;
  file: string;
  md5: boolean;
}

export type DigestReply = { id: number; digests: FileDigests } | { id: number; error: { message: string; code?: string; syscall?: string; path?: string } };

function workerUrl(): URL {
  const compiled = new URL('../fetch/digest-worker.js', import.meta.url);
  // under vitest this module runs from src/ as TypeScript: use the build in dist/ (test/helpers/global-build.ts)
  return existsSync(compiled) ? compiled : new URL('../../dist/fetch/digest-worker.js', import.meta.url);
}

interface Waiting {
  resolve(d: FileDigests): void;
  reject(e: Error): void;
}

class PoolWorker {
  readonly waiting = new Map<number, Waiting>();
  private readonly worker: Worker;

  constructor(onExit: (w: PoolWorker) => void) {
    this.worker = new Worker(workerUrl());
    this.worker.on('message', (r: DigestReply) => {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) this.worker.unref();
      if ('digests' in r) w?.resolve(r.digests);
      else w?.reject(Object.assign(new Error(r.error.message), r.error));
    });
    const fail = (err: Error) => {
      onExit(this);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`digest worker exited with code ${code}`)));
    this.worker.unref();
  }

  digest(req: DigestRequest): Promise<FileDigests> {
    return new Promise((resolve, reject) => {
      // a pending request keeps the process alive; an idle worker does not
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(req.id, { resolve, reject });
      this.worker.postMessage(req);
    });
  }
}

const workers: PoolWorker[] = [];
let nextId = 1;

/** The digests of a whole file, computed on the least busy of one worker per core (at most 4). */
export function digestFileOffThread(file: string, o: { md5: boolean }): Promise<FileDigests> {
  if (workers.length < Math.min(4, availableParallelism()) && !workers.some((w) => w.waiting.size === 0)) {
    workers.push(
      new PoolWorker((dead) => {
        const i = workers.indexOf(dead);
        if (i >= 0) workers.splice(i, 1);
      }),
    );
  }
  const w = workers.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
  return w.digest({ id: nextId++, file, md5: o.md5 });
}
