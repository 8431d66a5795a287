import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchArtifact, fetchDocument } from '../../src/fetch/index.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { FAST, listFiles, origin, rejection, ZLIB, zlibArtifact } from './support.js';

const mounted: string[] = [];
afterEach(() => {
  while (mounted.length) execFileSync('umount', [mounted.pop()!]);
});

/** A 64 KiB tmpfs, or the reason one cannot be mounted here. */
async function smallDisk(): Promise<{ dir: string } | { reason: string }> {
  const dir = await tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return { reason: `cannot mount a small tmpfs here (needs root): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}` };
  }
  mounted.push(dir);
  return { dir };
}

describe('a full disk', () => {
  it('maps ENOSPC while downloading to ENOSPC and removes the partial file', async (ctx) => {
    const disk = await smallDisk();
    if ('reason' in disk) return ctx.skip(disk.reason);
    const o = await origin({ files: { [ZLIB.urlPath]: ZLIB.file } });
    const err = await rejection(fetchArtifact(zlibArtifact(o.url + ZLIB.urlPath), { cacheDir: disk.dir, ...FAST }));
    expect(err.code).toBe('ENOSPC');
    expect(err.message).toBe(`Cannot write zlib 1.2.11 to ${disk.dir}: no space left on device (ENOSPC)`);
    expect(err.details?.hint).toContain('--cache-dir');
    expect(o.requests).toHaveLength(1); // a full disk is not retried
    expect(await listFiles(disk.dir)).toEqual([]);
  });

  it('maps ENOSPC while saving a document to ENOSPC', async (ctx) => {
    const disk = await smallDisk();
    if ('reason' in disk) return ctx.skip(disk.reason);
    const o = await origin({ files: { '/repodata.json': path.join(UPSTREAM, 'conda/conda/repodata/main_noarch.json') } });
    const err = await rejection(fetchDocument(`${o.url}/repodata.json`, { cacheDir: disk.dir, ...FAST }));
    expect(err.code).toBe('ENOSPC');
    expect(await listFiles(disk.dir)).toEqual([]);
  });
});
