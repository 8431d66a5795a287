// CEP-16 sharded repodata: the real shard index from conda's test data, and a
// loopback channel serving a real 2018 excerpt as shards, resolved with
// requests for the shards of the names the solver reached and nothing else.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../../fixtures/origin/origin.mjs';
import { PackagerError } from '../../../src/core/errors.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { resolveConda, type CondaResolveContext } from '../../../src/resolve/conda/index.js';
import { ShardedIndex } from '../../../src/resolve/conda/shards.js';
import { UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { shardedSubdir } from './sharded-channel.js';

const SNAP = path.join(UPSTREAM, 'conda/snapshots-2018');

async function excerpt(): Promise<string> {
  const dir = await tempDir('excerpts-');
  execFileSync('tar', ['-xJf', path.join(SNAP, 'excerpts.tar.xz'), '-C', dir]);
  return dir;
}

async function context(): Promise<CondaResolveContext> {
  const dir = await tempDir();
  let n = 0;
  return {
    logger: new MemoryLogger(),
    async fetchDocument(url: string) {
      const res = await fetch(url);
      if (!res.ok) throw new PackagerError('EHTTP', `HTTP ${res.status}: ${url}`, { url, status: res.status });
      const file = path.join(dir, `doc-${n++}`);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      return { path: file, url };
    },
  };
}

describe('sharded repodata (CEP-16)', () => {
  it("reads conda's real shard index: names, hashes and info", async () => {
    const file = path.join(UPSTREAM, 'conda/conda/conda_format_repo/linux-64/repodata_shards.msgpack.zst');
    const index = await ShardedIndex.open(file, 'https://example.invalid/ch/linux-64/repodata_shards.msgpack.zst', 'ch/linux-64', 'linux-64', () => {
      throw new Error('no shard should be fetched');
    });
    expect(index.count).toBe(2);
    expect(index.has('zlib') && index.has('libgcc-ng') && !index.has('numpy')).toBe(true);
    expect(index.info.subdir).toBe('linux-64');
  });

  it('resolves from a sharded channel fetching only the shards of the names it reaches', async () => {
    const dir = await excerpt();
    const files: Record<string, Uint8Array | string> = {};
    let total = 0;
    for (const [ch, url] of [['main2018', '/main'], ['r2018', '/r']] as const) {
      for (const subdir of ['linux-64', 'noarch']) {
        const repodata = JSON.parse(readFileSync(path.join(dir, 'r-caret', ch, subdir, 'repodata.json'), 'utf8'));
        const s = shardedSubdir(repodata, `${url}/${subdir}`);
        Object.assign(files, s.files);
        total += s.names.length;
      }
    }
    const origin = await startOrigin({ files });
    try {
      const ctx = await context();
      const r = await resolveConda(
        { conda: { channels: [`${origin.url}/main`, `${origin.url}/r`], subdirs: ['linux-64', 'noarch'], specs: ['zlib', 'r-base=3.4.3'], files: [] }, stacks: ['cflinuxfs4'], manifestDir: dir },
        ctx,
      );
      const names = r.entries.map((e) => e.name);
      expect(names).toContain('r-base');
      expect(names).toContain('zlib');
      const paths = origin.requests.map((q) => q.path);
      expect(paths.filter((p) => p.endsWith('repodata.json') || p.endsWith('repodata.json.zst'))).toEqual([]);
      expect(paths.filter((p) => p.endsWith('repodata_shards.msgpack.zst')).sort()).toEqual(['/main/linux-64/repodata_shards.msgpack.zst', '/main/noarch/repodata_shards.msgpack.zst', '/r/linux-64/repodata_shards.msgpack.zst', '/r/noarch/repodata_shards.msgpack.zst']);
      const shardRequests = paths.filter((p) => p.includes('/shards/'));
      // every shard asked for once, and far fewer than the channel has (r-caret's names are not reached)
      expect(new Set(shardRequests).size).toBe(shardRequests.length);
      expect(shardRequests.length).toBeLessThan(total / 2);
      expect(r.entries.every((e) => /^[0-9a-f]{64}$/.test(e.sha256) && e.uri.startsWith(`${origin.url}/`))).toBe(true);
      expect(r.entries.find((e) => e.name === 'zlib')!.uri).toMatch(/\/main\/linux-64\/zlib-[^/]+\.tar\.bz2$/);
    } finally {
      await origin.close();
    }
  });

  it('falls back to repodata.json when the channel has no shard index (HTTP 404)', async () => {
    const dir = await excerpt();
    const origin = await startOrigin({ files: { '/m/linux-64/repodata.json': path.join(dir, 'main-nomkl/main2018/linux-64/repodata.json'), '/m/noarch/repodata.json': path.join(dir, 'main-nomkl/main2018/noarch/repodata.json') } });
    try {
      const r = await resolveConda({ conda: { channels: [`${origin.url}/m`], subdirs: ['linux-64', 'noarch'], specs: ['numpy'], files: [] }, stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(r.entries.map((e) => e.name)).toContain('numpy');
      expect(origin.requests.map((q) => q.path)).toContain('/m/linux-64/repodata_shards.msgpack.zst');
    } finally {
      await origin.close();
    }
  });
});
