// Built wheels live in the download cache's content store (by their sha256),
// found through `<cache>/built-v1/<key>.json`, where the key is a digest of
// everything that decides the wheel's bytes: the sdist, the build requirements,
// the target (Python minor version, stacks), SOURCE_DATE_EPOCH and the
// frontend's version. A warm re-package then builds nothing.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sriFromHex, writeFileAtomic } from '../core/index.js';
import { ContentCache, digestFile } from '../fetch/index.js';
import type { BuildRequirement } from '../manifest/index.js';
import { FRONTEND_VERSION } from './frontend.js';

export interface CachedWheel {
  path: string;
  filename: string;
  sha256: string;
  size: number;
  crc32: number;
  /** The full version of the Python that built it. */
  python?: string;
}

export function builtWheelKey(k: { sdistSha256: string; requires: BuildRequirement[]; pythonMinor: string; stacks: string[]; epoch: number }): string {
  const doc = JSON.stringify({
    frontend: FRONTEND_VERSION,
    sdist: k.sdistSha256,
    requires: k.requires.map((q) => q.sha256).sort(),
    python: k.pythonMinor,
    stacks: [...k.stacks].sort(),
    epoch: k.epoch,
  });
  return createHash('sha256').update(doc).digest('hex');
}

export class BuiltWheelCache {
  private readonly content: ContentCache;

  constructor(private readonly dir: string) {
    this.content = new ContentCache(dir);
  }

  private recordPath(key: string): string {
    return path.join(this.dir, 'built-v1', `${key}.json`);
  }

  /** The wheel built for `key`, re-hashed; undefined when absent or corrupt. */
  get(key: string): CachedWheel | undefined {
    let rec: { filename: string; sha256: string; size: number; python?: string };
    try {
      rec = JSON.parse(readFileSync(this.recordPath(key), 'utf8')) as typeof rec;
    } catch {
      return undefined;
    }
    const check = this.content.verify(sriFromHex(rec.sha256, 'sha256'), rec.size);
    if (check.status !== 'ok') return undefined;
    return { path: check.file.path, filename: rec.filename, sha256: rec.sha256, size: rec.size, crc32: check.file.crc32, ...(rec.python ? { python: rec.python } : {}) };
  }

  /** Stores a freshly built wheel under `key` (content first, then the record: a crash leaves no record without its wheel). */
  async put(key: string, wheel: string, filename: string, python: string): Promise<CachedWheel> {
    const tmp = this.content.tempPath('.whl');
    copyFileSync(wheel, tmp);
    const { sha256, size, crc32 } = digestFile(tmp, 'sha256');
    const final = this.content.publish(tmp, { algorithm: 'sha256', hex: sha256 });
    await writeFileAtomic(this.recordPath(key), `${JSON.stringify({ filename, sha256, size, python })}\n`);
    return { path: final, filename, sha256, size, crc32, python };
  }
}
