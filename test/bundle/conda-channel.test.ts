import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { condaChannelEntries, type ShippedFile } from '../../src/bundle/conda-channel.js';
import type { ZipEntry } from '../../src/bundle/write-zip.js';
import type { LockEntry } from '../../src/manifest/types.js';
import { UPSTREAM } from '../helpers/paths.js';
import { lockEntry } from './manifest-fixture.js';

const FORMAT_REPO = path.join(UPSTREAM, 'conda/conda/conda_format_repo');
const RECIPES = path.join(UPSTREAM, 'conda/conda/test-recipes/noarch');
const MAIN = 'https://repo.anaconda.com/pkgs/main';
const FORGE = 'https://conda.anaconda.org/conda-forge';

type Repodata = { info: { subdir: string }; packages: Record<string, any>; 'packages.conda': Record<string, any>; removed: unknown[]; repodata_version: number };

async function upstreamRepodata(file: string): Promise<Repodata> {
  return JSON.parse(await readFile(file, 'utf8')) as Repodata;
}

/** A lock entry for a real upstream package, its record taken verbatim from the upstream repodata. */
async function realEntry(dir: string, filename: string, channel: string): Promise<{ entry: LockEntry; file: ShippedFile }> {
  const rd = await upstreamRepodata(path.join(dir, 'repodata.json'));
  const record = (rd['packages.conda'][filename] ?? rd.packages[filename]) as Record<string, any>;
  const entry = lockEntry({
    kind: 'conda',
    name: record.name,
    version: record.version,
    build: record.build,
    build_number: record.build_number,
    subdir: record.subdir,
    channel,
    filename,
    uri: `${channel}/${record.subdir}/${filename}`,
    sha256: record.sha256,
    md5: record.md5,
    size: record.size,
    depends: record.depends,
    record,
  });
  return { entry, file: { path: path.join(dir, filename), sha256: record.sha256, size: record.size } };
}

const byName = (entries: ZipEntry[]) => new Map(entries.map((e) => [e.name, e]));
const json = (e: ZipEntry | undefined) => JSON.parse(String((e!.source as { data: string }).data)) as Repodata;

describe('condaChannelEntries', () => {
  it('rebuilds upstream repodata for the packages shipped: records verbatim, .conda and .tar.bz2 under their own keys', async () => {
    const a = await realEntry(path.join(FORMAT_REPO, 'linux-64'), 'zlib-1.2.11-h7b6447c_3.conda', MAIN);
    const b = await realEntry(path.join(FORMAT_REPO, 'linux-64'), 'zlib-1.2.11-h7b6447c_3.tar.bz2', MAIN);
    const out = byName(condaChannelEntries([a.entry, b.entry], new Map([[a.entry, a.file], [b.entry, b.file]]), [{ url: MAIN, subdirs: ['linux-64', 'noarch'] }]));
    expect([...out.keys()].sort()).toEqual([
      'conda/channels.tsv',
      'conda/pkgs-main/linux-64/repodata.json',
      'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
      'conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2',
      'conda/pkgs-main/noarch/repodata.json',
    ]);
    const upstream = await upstreamRepodata(path.join(FORMAT_REPO, 'linux-64/repodata.json'));
    delete upstream.packages['libgcc-ng-8.2.0-hdf63c60_1.tar.bz2']; // upstream lists a file it does not ship; we never do
    expect(json(out.get('conda/pkgs-main/linux-64/repodata.json'))).toEqual(upstream);
    expect(out.get('conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda')).toMatchObject({
      source: { path: a.file.path },
      sha256: 'f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b',
      size: 105917,
    });
  });

  it('writes an empty-but-valid repodata.json for every configured subdir, byte-identical to conda\'s own empty noarch', async () => {
    const out = byName(condaChannelEntries([], new Map(), [{ url: FORGE, subdirs: ['linux-64', 'linux-aarch64'] }]));
    expect([...out.keys()].sort()).toEqual([
      'conda/channels.tsv',
      'conda/conda-forge/linux-64/repodata.json',
      'conda/conda-forge/linux-aarch64/repodata.json',
      'conda/conda-forge/noarch/repodata.json',
    ]);
    const upstreamEmpty = await readFile(path.join(FORMAT_REPO, 'noarch/repodata.json'), 'utf8');
    expect((out.get('conda/conda-forge/noarch/repodata.json')!.source as { data: string }).data).toBe(upstreamEmpty);
    expect(json(out.get('conda/conda-forge/linux-aarch64/repodata.json'))).toEqual({
      info: { subdir: 'linux-aarch64' },
      packages: {},
      'packages.conda': {},
      removed: [],
      repodata_version: 1,
    });
  });

  it('bundles a channel named through channel_alias under the name the manifest writes (`mychan`), as apps and mirror users name it', async () => {
    const alias = 'https://repo.example/conda';
    const r = await realEntry(RECIPES, 'run_constrained-1.0-0.conda', `${alias}/mychan`);
    const out = byName(condaChannelEntries([r.entry], new Map([[r.entry, r.file]]), [{ url: `${alias}/mychan`, subdirs: ['linux-64'], alias }]));
    expect([...out.keys()].filter((k) => k.endsWith('.conda'))).toEqual(['conda/mychan/noarch/run_constrained-1.0-0.conda']);
    expect(String((out.get('conda/channels.tsv')!.source as { data: string }).data)).toMatch(/^mychan\thttps:\/\/repo\.example\/conda\/mychan\t/m);
  });

  it('sets sha256/size from the shipped bytes, keeps md5, and drops keys that would point conda elsewhere', async () => {
    const r = await realEntry(RECIPES, 'run_constrained-1.0-0.conda', FORGE);
    r.entry.record = { ...r.entry.record!, sha256: '0'.repeat(64), size: 1, url: 'https://elsewhere.example/x.conda', channel: 'https://elsewhere.example' };
    const out = byName(condaChannelEntries([r.entry], new Map([[r.entry, r.file]]), [{ url: FORGE, subdirs: ['linux-64'] }]));
    const rec = json(out.get('conda/conda-forge/noarch/repodata.json'))['packages.conda']['run_constrained-1.0-0.conda'];
    expect(rec.sha256).toBe('29718733c7a2abff955aa5212753bdc0b9971398d8296020354aa13398bb175d');
    expect(rec.size).toBe(3877);
    expect(rec.constrains).toEqual(['dependency>=2.0']);
    expect(rec.url).toBeUndefined();
    expect(rec.channel).toBeUndefined();
    expect(rec.md5).toBe(r.entry.md5);
  });

  it('writes deterministic JSON with sorted keys at every level', async () => {
    const r = await realEntry(RECIPES, 'sample_noarch_python-1.0-py_0.conda', FORGE);
    const shuffled: LockEntry = { ...r.entry, record: Object.fromEntries(Object.entries(r.entry.record!).reverse()) };
    const text = (e: LockEntry) =>
      String((byName(condaChannelEntries([e], new Map([[e, r.file]]), [{ url: FORGE, subdirs: ['noarch'] }])).get('conda/conda-forge/noarch/repodata.json')!.source as { data: string }).data);
    expect(text(shuffled)).toBe(text(r.entry));
    const keys = [...text(shuffled).matchAll(/^ {6}"([a-z_]+)":/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(5);
    expect(keys).toEqual([...keys].sort());
  });

  it('keeps channels apart: one directory per channel, colliding names made unique, channels.tsv maps them', async () => {
    const local = 'file:///srv/mirror/conda-forge';
    const a = await realEntry(RECIPES, 'run_constrained-1.0-0.conda', FORGE);
    const b = await realEntry(RECIPES, 'sample_noarch_python-1.0-py_0.conda', local);
    const out = byName(
      condaChannelEntries([a.entry, b.entry], new Map([[a.entry, a.file], [b.entry, b.file]]), [
        { url: `${FORGE}/`, subdirs: ['linux-64'] },
      ]),
    );
    expect(out.has('conda/conda-forge/noarch/sample_noarch_python-1.0-py_0.conda')).toBe(true); // file:///... sorts first
    expect(out.has('conda/conda-forge-2/noarch/run_constrained-1.0-0.conda')).toBe(true);
    expect((out.get('conda/channels.tsv')!.source as { data: string }).data).toBe(
      `conda-forge\t${local}\tnoarch\nconda-forge-2\thttps://conda.anaconda.org/conda-forge\tlinux-64,noarch\n`,
    );
  });

  it('refuses a downloaded file whose sha256 differs from the lock', async () => {
    const r = await realEntry(RECIPES, 'run_constrained-1.0-0.conda', FORGE);
    const err = (() => {
      try {
        condaChannelEntries([r.entry], new Map([[r.entry, { ...r.file, sha256: 'a'.repeat(64) }]]), []);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'EINTEGRITY', details: { wanted: `sha256 ${r.entry.sha256}`, found: `sha256 ${'a'.repeat(64)}` } });
  });
});
