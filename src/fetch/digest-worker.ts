// Worker thread entry of digest-pool.ts: digests whole files, one request at a time.
import { parentPort } from 'node:worker_threads';
import { digestFile } from './digests.js';
import type { DigestReply, DigestRequest } from './digest-pool.js';

function digest(req: DigestRequest): DigestReply {
  try {
    return { id: req.id, digests: digestFile(req.file, req.md5 ? 'md5' : 'sha256') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { id: req.id, error: { message: e.message, code: e.code, syscall: e.syscall, path: e.path ?? req.file } };
  }
}

parentPort!.on('message', (req: DigestRequest) => parentPort!.postMessage(digest(req)));
