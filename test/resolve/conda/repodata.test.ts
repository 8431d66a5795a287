import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RepodataIndex, RepodataScanner, decompressRepodata } from '../../../src/resolve/conda/repodata.js';
import { UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

const CONDA = path.join(UPSTREAM, 'conda');

function findRepodata(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findRepodata(p));
    else if (/repodata\.json$/.test(e) || e === 'main_noarch.json') out.push(p);
  }
  return out.sort();
}

function scanInChunks(bytes: Buffer, size: number) {
  const s = new RepodataScanner();
  for (let i = 0; i < bytes.length; i += size) s.push(bytes.subarray(i, i + size));
  return s.end();
}

/** name -> sorted filenames, from a full JSON.parse (the reference). */
function reference(file: string): Map<string, string[]> {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const out = new Map<string, string[]>();
  for (const key of ['packages', 'packages.conda']) {
    for (const [fn, rec] of Object.entries<{ name: string }>(doc[key] ?? {})) {
      out.set(rec.name, [...(out.get(rec.name) ?? []), fn].sort());
    }
  }
  return out;
}

const files = findRepodata(CONDA);

describe('RepodataScanner', () => {
  it('finds every upstream repodata file', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    expect(files.some((f) => f.endsWith('main_noarch.json'))).toBe(true);
  });

  for (const file of files) {
    it(`indexes ${path.relative(UPSTREAM, file)} identically for any chunking`, async () => {
      const bytes = readFileSync(file);
      const ref = reference(file);
      const whole = scanInChunks(bytes, bytes.length);
      expect(whole.count).toBe([...ref.values()].reduce((n, l) => n + l.length, 0));
      expect([...whole.byName.keys()].sort()).toEqual([...ref.keys()].sort());
      for (const size of [1, 3, 64, 4093]) {
        const s = scanInChunks(bytes, size);
        expect(s.byName, `chunk ${size}`).toEqual(whole.byName);
        expect(s.topLevel).toEqual(whole.topLevel);
      }
      // and the records read back through the on-disk index are the verbatim originals
      const doc = JSON.parse(bytes.toString('utf8'));
      const idx = await RepodataIndex.open(file, 'noarch');
      try {
        for (const name of idx.names()) {
          for (const r of await idx.records(name)) {
            const original = (doc['packages.conda'] ?? {})[r.fn] ?? doc.packages[r.fn];
            expect(r.record).toEqual(original);
            expect(r.name).toBe(name);
          }
        }
        expect(idx.repodataVersion).toBe(doc.repodata_version ?? 1);
      } finally {
        await idx.close();
      }
    });
  }

  it('counts the 322 records of the real defaults noarch snapshot', async () => {
    const idx = await RepodataIndex.open(path.join(CONDA, 'conda/repodata/main_noarch.json'), 'noarch');
    try {
      expect(idx.count).toBe(322);
      expect(idx.info.subdir).toBe('noarch');
      let n = 0;
      for (const name of idx.names()) n += (await idx.records(name)).length;
      expect(n).toBe(322);
    } finally {
      await idx.close();
    }
  });

  it('drops the .tar.bz2 twin of a .conda record, as conda does', async () => {
    const idx = await RepodataIndex.open(path.join(CONDA, 'conda/conda_format_repo/linux-64/repodata.json'), 'linux-64');
    try {
      const zlib = await idx.records('zlib');
      expect(zlib.map((r) => r.fn)).toEqual(['zlib-1.2.11-h7b6447c_3.conda']);
      expect(zlib[0]!.format).toBe('conda');
      expect(zlib[0]!.md5).toMatch(/^[0-9a-f]{32}$/);
      expect(zlib[0]!.subdir).toBe('linux-64');
      expect((await idx.records('libgcc-ng')).map((r) => r.fn)).toEqual(['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2']);
    } finally {
      await idx.close();
    }
  });

  it('reads constrains, track_features and noarch from the test-recipes channel', async () => {
    const idx = await RepodataIndex.open(path.join(CONDA, 'conda/test-recipes/noarch/repodata.json'), 'noarch');
    try {
      const rc = await idx.records('run_constrained');
      expect(rc[0]!.constrains).toEqual(['dependency>=2.0']);
      const all = (await Promise.all(idx.names().map((n) => idx.records(n)))).flat();
      expect(all.some((r) => r.track_features.length > 0)).toBe(true);
      expect(all.some((r) => r.noarch === 'python')).toBe(true);
    } finally {
      await idx.close();
    }
  });

  it('keeps strings with escaped quotes and brackets out of the structure', () => {
    const doc = {
      info: { subdir: 'noarch', note: 'a "quoted" {brace} [x] \\' },
      packages: {
        'we"ird-1.0-0.tar.bz2': { name: 'we"ird', version: '1.0', build: '0', depends: ['x \\"}'], build_number: 0 },
        'plain-1.0-0.tar.bz2': { build: '0', build_number: 0, depends: [], nested: { name: 'not-this' }, name: 'plain', version: '1.0' },
      },
      'packages.conda': {},
      removed: [],
      repodata_version: 1,
    };
    const bytes = Buffer.from(JSON.stringify(doc, null, 2));
    for (const size of [1, 2, 5, 1000]) {
      const s = scanInChunks(bytes, size);
      expect([...s.byName.keys()].sort()).toEqual(['plain', 'we"ird']);
    }
  });

  it('rejects documents that are not a repodata object or are cut short', () => {
    expect(() => scanInChunks(Buffer.from('[1,2]'), 10)).toThrow(/top level is not an object/);
    expect(() => scanInChunks(Buffer.from(''), 10)).toThrow(/empty document/);
    expect(() => scanInChunks(Buffer.from('{"packages": {"a-1-0.tar.bz2": {"name": "a"'), 7)).toThrow(/truncated/);
    try {
      scanInChunks(Buffer.from('{"packages": {"a'), 3);
    } catch (err) {
      expect((err as { code: string }).code).toBe('EBADINDEX');
    }
  });

  it('reports a broken record when its name is asked for', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'repodata.json');
    writeFileSync(f, '{"packages": {"a-1-0.tar.bz2": {"name": "a", "version": 1.0.0}}, "packages.conda": {}}');
    const idx = await RepodataIndex.open(f, 'noarch');
    try {
      await expect(idx.records('a')).rejects.toMatchObject({ code: 'EBADINDEX' });
    } finally {
      await idx.close();
    }
  });

  it('hides records listed under removed', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'repodata.json');
    const rec = (v: string) => ({ name: 'a', version: v, build: '0', build_number: 0, depends: [] });
    writeFileSync(f, JSON.stringify({ info: { subdir: 'noarch' }, packages: { 'a-1-0.tar.bz2': rec('1'), 'a-2-0.tar.bz2': rec('2') }, removed: ['a-2-0.tar.bz2'] }));
    const idx = await RepodataIndex.open(f, 'noarch');
    try {
      expect((await idx.records('a')).map((r) => r.version)).toEqual(['1']);
    } finally {
      await idx.close();
    }
  });

  it('decompresses .json.zst and .json.bz2 repodata made by the real zstd and bzip2 tools', async () => {
    const dir = await tempDir();
    const src = path.join(CONDA, 'conda/test-recipes/noarch/repodata.json');
    const zst = path.join(dir, 'repodata.json.zst');
    const bz = path.join(dir, 'repodata.json.bz2');
    execFileSync('zstd', ['-q', '-19', src, '-o', zst]);
    writeFileSync(bz, execFileSync('bzip2', ['-c', src]));
    for (const [file, codec] of [[zst, 'zst'], [bz, 'bz2']] as const) {
      const out = path.join(dir, `out-${codec}.json`);
      await decompressRepodata(file, out, codec);
      expect(readFileSync(out)).toEqual(readFileSync(src));
    }
    writeFileSync(path.join(dir, 'bad.zst'), 'not zstd at all');
    await expect(decompressRepodata(path.join(dir, 'bad.zst'), path.join(dir, 'x.json'), 'zst')).rejects.toMatchObject({ code: 'EBADINDEX' });
  });
});
