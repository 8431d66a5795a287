// Local conda channels inside the zip: one per upstream channel,
//   conda/<channel>/<subdir>/<file>            the package, as downloaded
//   conda/<channel>/<subdir>/repodata.json     every configured subdir + noarch
//   conda/channels.tsv                         dir <TAB> channel url <TAB> subdirs
// repodata.json follows conda's format (https://docs.conda.io/projects/conda-build/en/stable/concepts/generating-index.html;
// sample: conda/conda tests/data/conda_format_repo): `info.subdir`,
// `packages` (.tar.bz2), `packages.conda` (.conda), `removed: []`,
// `repodata_version: 1`, no base_url (CEP-15 is not understood by conda 23.x).
// Records are the resolver's originals, with md5/sha256/size from the bytes we
// ship (conda does not verify file:// packages: we must be right).
import { PackagerError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import type { LockEntry } from '../manifest/types.js';
import { CONDA_CHANNELS_TSV, assertSafeEntryName, channelDirNames, channelKey, compareBytes, condaPackagePath } from './layout.js';
import { tsv } from './index-tsv.js';
import type { ZipEntry } from './write-zip.js';

/** A downloaded, verified file that goes into the zip. */
export interface ShippedFile {
  /** Local path (content cache). */
  path: string;
  sha256: string;
  size: number;
  /** md5 of the same bytes when known (conda records carry it). */
  md5?: string;
  /** CRC-32 of the same bytes from the pass that verified them: the zip writer then does not hash them again. */
  crc32?: number;
}

export interface CondaChannelConfig {
  url: string;
  subdirs: string[];
  /** The manifest's channel_alias when it named this channel by a bare name (`mychan`). */
  alias?: string;
}

/** Where one conda lock entry sits in the zip, given the channel directory names. */
export function condaEntryPath(e: LockEntry, dirs: Map<string, string>): string {
  const { channel, subdir } = condaCoordinates(e);
  const dir = dirs.get(channelKey(channel));
  if (dir === undefined) throw new PackagerError('EINTERNAL', `No channel directory for ${redactUrl(channel)}`);
  return condaPackagePath(dir, subdir, e.filename);
}

/** Channel URL and subdir of a conda lock entry (from its fields, else from its URI `<channel>/<subdir>/<file>`). */
export function condaCoordinates(e: LockEntry): { channel: string; subdir: string } {
  const parts = e.uri.replace(/[?#].*$/s, '').split('/');
  const subdir = e.subdir ?? parts[parts.length - 2];
  const channel = e.channel ?? parts.slice(0, -2).join('/');
  if (!subdir || !channel) {
    throw new PackagerError('ELOCK', `Conda lock entry has no channel/subdir: ${e.name} ${e.version} (${redactUrl(e.uri)})`, {
      hint: 'run `bin/package resolve --update` to rewrite the lock',
    });
  }
  return { channel, subdir };
}

/** Channel directory names for the configured channels plus every channel a lock entry names. */
export function condaChannelDirs(entries: LockEntry[], channels: CondaChannelConfig[]): Map<string, string> {
  const aliases = [...new Set(channels.flatMap((c) => (c.alias ? [c.alias] : [])))];
  return channelDirNames([...channels.map((c) => c.url), ...entries.filter((e) => e.kind === 'conda').map((e) => condaCoordinates(e).channel)], aliases);
}

/**
 * Zip entries of the local channels: package files (sha256/size checked while
 * copied), one repodata.json per channel and subdir, and conda/channels.tsv.
 */
export function condaChannelEntries(entries: LockEntry[], files: Map<LockEntry, ShippedFile>, channels: CondaChannelConfig[]): ZipEntry[] {
  const conda = entries.filter((e) => e.kind === 'conda');
  const dirs = condaChannelDirs(conda, channels);

  // channel key -> subdir -> filename -> { record, file }
  const tree = new Map<string, Map<string, Map<string, { record: Record<string, unknown>; file: ShippedFile; entry: LockEntry }>>>();
  const subdirsOf = (key: string) => {
    let s = tree.get(key);
    if (!s) tree.set(key, (s = new Map()));
    return s;
  };
  for (const c of channels) {
    const s = subdirsOf(channelKey(c.url));
    for (const sd of [...c.subdirs, 'noarch']) if (!s.has(sd)) s.set(sd, new Map());
  }
  for (const e of conda) {
    const { channel, subdir } = condaCoordinates(e);
    const key = channelKey(channel);
    const s = subdirsOf(key);
    if (!s.has('noarch')) s.set('noarch', new Map());
    if (!s.has(subdir)) s.set(subdir, new Map());
    const byName = s.get(subdir)!;
    if (!/\.(conda|tar\.bz2)$/.test(e.filename) || e.filename.includes('/')) {
      throw new PackagerError('ELOCK', `Not a conda package file name: ${e.filename}`, { hint: 'conda packages end in .conda or .tar.bz2' });
    }
    const file = shippedFileFor(e, files);
    const seen = byName.get(e.filename);
    if (seen) {
      if (seen.file.sha256 !== file.sha256) {
        throw new PackagerError('EBUNDLE', `Two different files named ${e.filename} in ${redactUrl(channel)}/${subdir}`, {
          wanted: `sha256 ${seen.file.sha256}`,
          found: `sha256 ${file.sha256}`,
        });
      }
      continue;
    }
    byName.set(e.filename, { record: repodataRecord(e, subdir, file), file, entry: e });
  }

  const out: ZipEntry[] = [];
  const channelRows: string[][] = [];
  for (const [key, subdirs] of tree) {
    const dir = dirs.get(key)!;
    channelRows.push([dir, key, [...subdirs.keys()].sort(compareBytes).join(',')]);
    for (const [subdir, byName] of subdirs) {
      assertSafeEntryName(`conda/${dir}/${subdir}`);
      const packages: Record<string, unknown> = {};
      const packagesConda: Record<string, unknown> = {};
      for (const [filename, { record, file }] of byName) {
        (filename.endsWith('.conda') ? packagesConda : packages)[filename] = record;
        out.push({ name: condaPackagePath(dir, subdir, filename), source: { path: file.path }, sha256: file.sha256, size: file.size, crc32: file.crc32 });
      }
      const repodata = { info: { subdir }, packages, 'packages.conda': packagesConda, removed: [], repodata_version: 1 };
      out.push({ name: condaPackagePath(dir, subdir, 'repodata.json'), source: { data: sortedJson(repodata) } });
    }
  }
  channelRows.sort((a, b) => compareBytes(a[0]!, b[0]!));
  if (channelRows.length) out.push({ name: CONDA_CHANNELS_TSV, source: { data: tsv(channelRows) } });
  return out;
}

function shippedFileFor(e: LockEntry, files: Map<LockEntry, ShippedFile>): ShippedFile {
  const file = files.get(e);
  if (!file) throw new PackagerError('EINTERNAL', `No downloaded file for ${e.kind} ${e.filename}`);
  if (file.sha256.toLowerCase() !== e.sha256.toLowerCase()) {
    throw new PackagerError('EINTEGRITY', `Downloaded file does not match the lock: ${e.filename}`, {
      wanted: `sha256 ${e.sha256.toLowerCase()}`,
      found: `sha256 ${file.sha256.toLowerCase()}`,
      file: file.path,
      hint: 'the cache or the lock is stale: re-run with --force-download, or `bin/package resolve --update`',
    });
  }
  return { ...file, sha256: file.sha256.toLowerCase() };
}

// Keys that would send conda somewhere else than the file next to repodata.json.
const DROPPED_RECORD_KEYS = ['url', 'channel'];

/** The repodata record of one package: the original, with checksums and size of the shipped bytes. */
export function repodataRecord(e: LockEntry, subdir: string, file: ShippedFile): Record<string, unknown> {
  const base: Record<string, unknown> = e.record
    ? structuredClone(e.record)
    : {
        name: e.name,
        version: e.version,
        build: e.build ?? '',
        build_number: e.build_number ?? 0,
        depends: [...e.depends],
        ...(e.constrains?.length ? { constrains: [...e.constrains] } : {}),
      };
  for (const k of DROPPED_RECORD_KEYS) delete base[k];
  base.subdir = subdir;
  base.sha256 = file.sha256;
  base.size = file.size;
  // Same sha256 means same bytes, so the upstream md5 still holds.
  const md5 = file.md5 ?? e.md5 ?? (typeof base.md5 === 'string' ? base.md5 : undefined);
  if (md5) base.md5 = md5.toLowerCase();
  else delete base.md5;
  return base;
}

/** JSON with keys sorted at every level, 2-space indent, trailing newline (conda-index writes it so). */
export function sortedJson(v: unknown): string {
  return `${JSON.stringify(sortKeys(v), null, 2)}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareBytes)) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
