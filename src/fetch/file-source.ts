// file:// URIs (vendored files, local mirrors): read straight from disk, but
// hashed, verified and cached exactly like a download, so bundle/ only ever
// copies from the cache.
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { overLimitError } from '../core/download-limits.js';
import { PackagerError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { Artifact } from '../core/artifact.js';
import type { ContentCache, ContentKey } from './content-cache.js';
import { Digester, hexOf, integrityOf } from './digests.js';
import { diskError, isDiskError, integrityError, longerThanPublishedError, readError, sizeError, type Subject } from './fetch-errors.js';
import type { CachedFile, ResolvedOptions } from './options.js';

/** Local path of a file:// URI (userinfo ignored, as the Ruby packager did). */
export function filePathOf(uri: string, what?: string): string {
  // WHATWG URL refuses userinfo in file: URLs, so drop it before parsing.
  const plain = uri.replace(/^file:\/\/[^/?#@]*@/i, 'file://');
  try {
    return fileURLToPath(new URL(plain));
  } catch (err) {
    throw new PackagerError('EINPUT', `Not a local file URI${what ? ` for ${what}` : ''}: ${redactUrl(uri)}`, {
      url: redactUrl(uri),
      hint: 'Use file:///absolute/path (no host part).',
    }, { cause: err });
  }
}

/** Copies a file:// artifact into the cache, verifying it on the way. */
export async function copyFileArtifact(
  a: Artifact,
  key: ContentKey,
  what: string,
  shown: string,
  ctx: { cache: ContentCache; opts: ResolvedOptions },
): Promise<CachedFile> {
  const { cache, opts } = ctx;
  const subject: Subject = { what, url: shown };
  const source = filePathOf(a.url, what);
  opts.logger.info(`Downloading ${what} from ${shown}`);
  opts.onProgress({ type: 'start', id: shown, name: what, ...(a.size !== undefined ? { total: a.size } : {}) });
  const tmp = cache.tempPath();
  const digester = new Digester({ md5: key.algorithm === 'md5' });
  // A published size cuts the copy there; without one, the limit for files does (a device never ends).
  const max = a.size ?? opts.limits.fileBytes;
  let tooLong: PackagerError | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (digester.size + chunk.length > max) {
        tooLong = a.size !== undefined ? longerThanPublishedError(subject, a.size) : overLimitError({ what, url: shown, limit: max, key: 'fileBytes' });
        return cb(tooLong);
      }
      digester.update(chunk);
      opts.onProgress({ type: 'bytes', id: shown, bytes: digester.size });
      cb(null, chunk);
    },
  });
  let readErr: unknown;
  let writeErr: unknown;
  const input = createReadStream(source, { highWaterMark: 1 << 20 });
  input.on('error', (e) => (readErr ??= e));
  const out = createWriteStream(tmp, { flags: 'w', highWaterMark: 1 << 20 });
  out.on('error', (e) => (writeErr ??= e));
  try {
    try {
      await pipeline(input, tap, out);
    } catch (err) {
      if (!out.closed) await once(out, 'close').catch(() => {});
      if (tooLong) throw tooLong;
      if (readErr) throw readError(readErr, subject);
      if (isDiskError(writeErr)) throw diskError(writeErr, what, cache.dir);
      throw readError(err, subject);
    }
    const result = digester.digest();
    const found = hexOf(result, key.algorithm)!;
    if (found !== key.hex.toLowerCase()) throw integrityError(subject, key.algorithm, key.hex.toLowerCase(), found);
    if (a.size !== undefined && a.size !== result.size) throw sizeError(subject, a.size, result.size);
    const final = cache.publish(tmp, key);
    opts.onProgress({ type: 'done', id: shown, bytes: result.size, cached: false });
    return { path: final, ...result, integrity: integrityOf(result), fromCache: false };
  } finally {
    await rm(tmp, { force: true });
  }
}
