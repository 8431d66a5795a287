// resolve/conda: turns the manifest's `conda:` section (channels, subdirs,
// specs, files) into exact, checksummed conda lock entries for every target
// stack. This file is the only one that fetches (through the injected
// fetchDocument) and reads the user's files; parsing and solving are pure.
// It must not download package files (that is bundle/) nor import other resolvers.

import { rm, stat } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact } from '../../core/artifact.js';
import { downloadLimits, type DocumentKind, type DownloadLimits } from '../../core/download-limits.js';
import { PackagerError, isPackagerError } from '../../core/errors.js';
import { sriFromHex } from '../../core/integrity.js';
import { readRegularFile } from '../../core/regular-file.js';
import type { Logger } from '../../core/log.js';
import { redactUrl } from '../../core/redact.js';
import { stackInfo, type StackInfo } from '../../core/stacks.js';
import type { CondaSection, LockEntry } from '../../manifest/types.js';
import { decodeText } from '../../core/text.js';
import { condaLockForPlatform, isPackageFile, parseEnvFile, type CondaInput, type UrlEntry } from './env-files.js';
import { readLocalPackage, type LocalPackage } from './local-package.js';
import { KNOWN_SUBDIRS, MatchSpec, canonicalChannelName, parseDistName, type ChannelRef } from './match-spec.js';
import { IndexedRecordSource, packageBaseUrl, type SubdirIndex } from './record-source.js';
import { RepodataIndex, decompressRepodata, toRepodataRecord } from './repodata.js';
import { SHARD_INDEX_FILE, ShardedIndex, type SubdirRecords } from './shards.js';
import { compareCandidates, virtualPackages, type SolverRecord } from './select.js';
import { describeRecord, solve, verifyClosed } from './solver.js';

export { VersionOrder, VersionSpec, compareVersions } from './version-order.js';
export { MatchSpec } from './match-spec.js';
export { RepodataIndex } from './repodata.js';

export interface CondaResolveContext {
  /** Fetches a document into a file (`kind` picks its size limit; default `document`); `url` is the final URL, redacted. */
  fetchDocument(url: string, kind?: DocumentKind): Promise<{ path: string; url: string }>;
  /** Size limits for what this resolver decompresses itself (.zst repodata, shards); default core's. */
  limits?: DownloadLimits;
  logger: Logger;
  /**
   * Downloads a package file (verified by the md5 it is given) into the
   * cache and returns its sha256: how the lock gets a sha256 for a record of
   * a channel that publishes md5 only (the old `free` channel, old conda-index).
   */
  fetchFile?(a: Artifact): Promise<{ sha256: string; size: number }>;
  /**
   * Try CEP-16 sharded repodata (`repodata_shards.msgpack.zst`) first (default
   * true): only the shards of the names the solver needs are fetched. A 4xx
   * answer falls back to repodata.json(.zst).
   */
  preferShards?: boolean;
  /**
   * Try `repodata.json.zst` before `repodata.json` (default true): conda-forge
   * serves it at a tenth of the size. A 4xx answer falls back to the plain file.
   */
  preferZst?: boolean;
  /**
   * One run's opened repodata, shared by every environment resolved with it
   * (each channel/subdir fetched and indexed once); the caller closes it.
   */
  repodata?: RepodataCache;
}

export interface CondaResolveResult {
  entries: LockEntry[];
  /** requirements.txt lines conda inputs hand to pip (environment.yml `pip:`, `pypi_0` entries, conda-lock pip packages). */
  pipRequirements: string[];
  /** Every channel (redacted URL) with every subdir the bundle must publish a repodata.json for. */
  channels: { url: string; subdirs: string[] }[];
}

/** Default base for short channel names (`conda-forge` -> https://conda.anaconda.org/conda-forge). */
export const DEFAULT_CHANNEL_ALIAS = 'https://conda.anaconda.org';
/** Channel dir (in the bundle and in lock entries) that local package files join. */
export const LOCAL_CHANNEL = 'local';

const LOCAL_REF: ChannelRef = { url: LOCAL_CHANNEL, names: [LOCAL_CHANNEL] };

/**
 * Maps a channel as the manifest writes it to one or more channel refs:
 * URLs stay (trailing slash dropped); `defaults` is pkgs/main + pkgs/r;
 * `pkgs/<x>` is repo.anaconda.com/pkgs/<x>; other names go under the alias.
 * With a custom channel_alias, `defaults` and `pkgs/*` live under it too (a mirror).
 */
export function channelRefs(channel: string, alias?: string): ChannelRef[] {
  const c = channel.trim().replace(/\/+$/, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(c)) {
    const name = canonicalChannelName(c);
    const pathName = name === c ? c.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+\/?/i, '').replace(/^t\/[^/]+\//, '') : name;
    return [{ url: c, names: [...new Set([pathName, name === c ? '' : name].filter(Boolean))] }];
  }
  const anaconda = alias ? alias.replace(/\/+$/, '') : 'https://repo.anaconda.com';
  if (c === 'defaults') {
    return ['main', 'r'].map((x) => ({ url: `${anaconda}/pkgs/${x}`, names: [`pkgs/${x}`, 'defaults'] }));
  }
  if (c.startsWith('pkgs/')) return [{ url: `${anaconda}/${c}`, names: [c, 'defaults'] }];
  return [{ url: `${(alias ?? DEFAULT_CHANNEL_ALIAS).replace(/\/+$/, '')}/${c}`, names: [c] }];
}

export interface CondaResolveInput {
  conda: CondaSection;
  stacks: string[];
  manifestDir: string;
  /**
   * Resolving against a bundle's own channels (`bin/package check`): the
   * channels environment files name are not added (conda.channels already
   * lists every bundled channel), and a package URL of an @EXPLICIT or
   * conda-lock file is looked up in the bundled copy of its channel
   * (`channelCopy(upstream channel URL)`, undefined when the bundle has none).
   */
  bundled?: { channelCopy(url: string): string | undefined };
}

interface Loaded {
  file: string;
  input?: CondaInput;
  local?: LocalPackage;
}

/** Resolves the `conda:` section for the given stacks into lock entries. */
export async function resolveConda(input: CondaResolveInput, ctx: CondaResolveContext): Promise<CondaResolveResult> {
  const repodata = ctx.repodata ?? new RepodataCache(ctx);
  const run = new CondaRun(input.conda, input.manifestDir, ctx, repodata, input.bundled);
  try {
    return await run.resolve(input.stacks);
  } finally {
    if (!ctx.repodata) await repodata.close();
  }
}

class CondaRun {
  /** Channels that only @EXPLICIT / conda-lock URLs named (not in conda.channels), with the subdirs used. */
  private readonly urlChannels = new Map<string, Set<string>>();

  constructor(
    private readonly conda: CondaSection,
    private readonly manifestDir: string,
    private readonly ctx: CondaResolveContext,
    private readonly repodata: RepodataCache,
    private readonly bundled?: CondaResolveInput['bundled'],
  ) {}

  async resolve(stackNames: string[]): Promise<CondaResolveResult> {
    const log = this.ctx.logger;
    const stacks = stackNames.map((name) => {
      const s = stackInfo(name);
      if (!s) throw new PackagerError('EMANIFEST', `Unknown stack: ${name}`, { found: name, hint: 'use cflinuxfs3, cflinuxfs4 or cflinuxfs5' });
      return s;
    });
    const loaded = await this.loadFiles();
    const specInputs = loaded.flatMap((l) => (l.input?.kind === 'specs' ? [l.input] : []));
    const completeInputs = loaded.flatMap((l) => (l.input && l.input.kind !== 'specs' ? [l.input] : []));
    const locals = loaded.flatMap((l) => (l.local ? [l.local] : []));
    // The manifest's specs are checked before any channel is asked: a typo
    // should be reported as such, not as whatever the network does first.
    (this.conda.specs ?? []).forEach((text, i) => checkManifestSpec(text, i));
    const specs = [...(this.conda.specs ?? []), ...specInputs.flatMap((i) => i.specs.map((s) => s.spec))];
    if (completeInputs.length && specs.length) {
      throw new PackagerError(
        'EINPUT',
        `conda specs cannot be combined with a complete environment file: ${completeInputs.map((i) => i.file).join(', ')}`,
        { hint: 'a complete environment (conda list -e, @EXPLICIT, conda-lock) is taken as it is: move the extra specs into it, or drop it and list specs only' },
      );
    }

    // channels: the manifest's, then those environment.yml files add
    const channelTexts = [...(this.conda.channels ?? [])];
    if (!this.bundled) for (const i of specInputs) for (const c of i.channels) if (!channelTexts.includes(c)) channelTexts.push(c);
    const refs: ChannelRef[] = [];
    for (const c of channelTexts) for (const r of channelRefs(c, this.conda.channel_alias)) if (!refs.some((x) => x.url === r.url)) refs.push(r);
    const configuredSubdirs = this.conda.subdirs?.length ? [...this.conda.subdirs] : [...new Set([...stacks.map((s) => s.condaSubdir), 'noarch'])];
    for (const s of configuredSubdirs) {
      if (!KNOWN_SUBDIRS.has(s)) throw new PackagerError('EMANIFEST', `Unknown conda subdir: ${s}`, { key: 'conda.subdirs', found: s, hint: 'use e.g. linux-64, linux-aarch64, noarch' });
    }

    const groups = new Map<string, StackInfo[]>();
    for (const s of stacks) groups.set(s.condaSubdir, [...(groups.get(s.condaSubdir) ?? []), s]);

    const pip: string[] = [];
    for (const l of loaded) if (l.input && l.input.kind !== 'urls') pip.push(...l.input.pip);
    const entries = new Map<string, LockEntry>();

    for (const [platform, groupStacks] of groups) {
      const subdirs = configuredSubdirs.filter((s) => s === platform || s === 'noarch');
      if (!subdirs.includes(platform)) log.warn(`conda.subdirs does not list ${platform} (needed by ${groupStacks.map((s) => s.name).join(', ')}): only noarch packages can be chosen for it`);
      const virtual = virtualPackages(groupStacks);
      const localRecords = locals.map((p) => this.localRecord(p, platform, subdirs));
      let chosen: SolverRecord[];
      if (completeInputs.length) {
        chosen = await this.completeEnvironment(completeInputs, refs, subdirs, platform, localRecords, virtual, pip);
      } else if (specs.length || localRecords.length) {
        const source = new IndexedRecordSource(await this.subdirIndexes(refs, subdirs), virtual, localRecords);
        const roots = [...specs, ...localRecords.map((r) => `${LOCAL_CHANNEL}::${r.name}==${r.version}=${r.build}`)];
        log.info(`Solving ${roots.length} conda spec(s) for ${platform} (${groupStacks.map((s) => s.name).join(', ')})`);
        chosen = await solve(roots, source, { warn: (t) => log.warn(t) });
      } else {
        chosen = [];
      }
      for (const r of chosen) {
        const e = toLockEntry(r, groupStacks.map((s) => s.name));
        if (!e.sha256) await this.addSha256(e, r);
        const key = `${e.channel}|${e.subdir}|${e.filename}`;
        const prev = entries.get(key);
        if (prev) prev.cf_stacks = [...new Set([...prev.cf_stacks, ...e.cf_stacks])].sort();
        else entries.set(key, e);
      }
    }

    const channels = refs.map((r) => ({ url: redactUrl(r.url), subdirs: configuredSubdirs }));
    for (const [url, subs] of this.urlChannels) {
      if (!channels.some((c) => c.url === redactUrl(url))) channels.push({ url: redactUrl(url), subdirs: [...new Set([...configuredSubdirs, ...subs])] });
    }
    if (locals.length) channels.push({ url: LOCAL_CHANNEL, subdirs: [...new Set([...configuredSubdirs, ...locals.map((l) => String(l.record.subdir))])] });
    return {
      entries: [...entries.values()].sort(compareEntries),
      pipRequirements: [...new Set(pip)],
      channels,
    };
  }

  /** Downloads a record that has md5 only, to record the sha256 of its bytes beside the md5. */
  private async addSha256(e: LockEntry, r: SolverRecord): Promise<void> {
    const shown = redactUrl(r.url);
    if (!r.md5) {
      throw new PackagerError('EBADINDEX', `The channel publishes neither sha256 nor md5 for ${r.fn}: ${shown}`, {
        url: shown,
        hint: 'the file cannot be verified; pin another build (name=version=build) or fix the channel index',
      });
    }
    if (!this.ctx.fetchFile) {
      throw new PackagerError('EINTERNAL', `No way to download ${r.fn} to compute its sha256 (the channel publishes md5 only)`, { url: shown });
    }
    this.ctx.logger.info(`${shown}: the channel publishes md5 only; downloading it to record its sha256`);
    const f = await this.ctx.fetchFile({ kind: 'conda', name: r.name, version: r.version, url: r.url, integrity: sriFromHex(r.md5, 'md5'), ...(r.size ? { size: r.size } : {}) });
    e.sha256 = f.sha256;
    e.size = f.size;
  }

  /** Reads every `conda.files` entry: environment files are parsed, package files read. */
  private async loadFiles(): Promise<Loaded[]> {
    const out: Loaded[] = [];
    for (const ref of this.conda.files ?? []) {
      if (isPackageFile(ref)) {
        out.push({ file: ref, local: await readLocalPackage(ref, this.manifestDir) });
        continue;
      }
      const file = /^file:\/\//i.test(ref) ? fileURLToPath(ref) : path.resolve(this.manifestDir, ref);
      let text: string;
      try {
        text = decodeText(await readRegularFile(file, { code: 'EINPUT', maxBytes: 64 << 20, what: 'conda environment file', shown: ref }), ref, 'EINPUT');
      } catch (err) {
        if (isPackagerError(err)) throw err;
        throw new PackagerError('EINPUT', `Cannot read the conda file named in conda.files: ${ref}`, { file: ref, key: 'conda.files', hint: 'paths are relative to the manifest' }, { cause: err });
      }
      out.push({ file: ref, input: parseEnvFile(ref, text, path.dirname(file)) });
    }
    return out;
  }

  private localRecord(p: LocalPackage, platform: string, subdirs: string[]): SolverRecord {
    const subdir = String(p.record.subdir);
    if (subdir !== 'noarch' && subdir !== platform) {
      throw new PackagerError('EINPUT', `Local conda package ${p.fn} is built for ${subdir}, the target stack needs ${platform} or noarch: ${p.path}`, { file: p.path, wanted: `${platform} or noarch`, found: subdir });
    }
    if (!subdirs.includes(subdir)) this.ctx.logger.warn(`local package ${p.fn} is for ${subdir}, which conda.subdirs does not list; it is bundled anyway`);
    const rec = toRepodataRecord(p.fn, p.format, p.record, subdir);
    return { ...rec, channel: LOCAL_REF, channelIndex: -1, url: p.url };
  }

  /** Opens (once) the repodata of every channel × subdir. */
  private async subdirIndexes(refs: ChannelRef[], subdirs: string[]): Promise<SubdirIndex[]> {
    const list = refs.flatMap((channel, channelIndex) => subdirs.map((subdir) => ({ channel, channelIndex, subdir })));
    return Promise.all(
      list.map(async ({ channel, channelIndex, subdir }) => {
        const repodataUrl = `${channel.url}/${subdir}/repodata.json`;
        return { channel, channelIndex, subdir, repodataUrl, index: await this.index(repodataUrl, subdir) };
      }),
    );
  }

  private index(repodataUrl: string, subdir: string): Promise<SubdirRecords> {
    return this.repodata.index(repodataUrl, subdir);
  }

  /** Looks up a complete environment's records as they are, then checks it is closed. */
  private async completeEnvironment(
    inputs: CondaInput[],
    refs: ChannelRef[],
    subdirs: string[],
    platform: string,
    localRecords: SolverRecord[],
    virtual: SolverRecord[],
    pip: string[],
  ): Promise<SolverRecord[]> {
    const chosen: SolverRecord[] = [...localRecords];
    let source: IndexedRecordSource | undefined;
    for (const input of inputs) {
      if (input.kind === 'list') {
        checkPlatform(input.file, input.platform, platform);
        source ??= new IndexedRecordSource(await this.subdirIndexes(refs, subdirs), virtual);
        for (const e of input.entries) {
          const spec = MatchSpec.parse(`${e.name}==${e.version}=${e.build}`);
          const found = (await source.records(e.name)).filter((r) => spec.match(r) && r.version === e.version);
          if (found.length === 0) {
            throw new PackagerError('ENOTFOUND', `No configured channel has ${e.name} ${e.version} build ${e.build} (${input.file} line ${e.line})`, {
              file: input.file,
              line: e.line,
              wanted: `${e.name}=${e.version}=${e.build}`,
              found: source.describe(),
              hint: 'add the channel the environment was built from to conda.channels',
            });
          }
          chosen.push(found.sort(compareCandidates)[0]!);
        }
      } else if (input.kind === 'urls') {
        let list: UrlEntry[] = input.entries;
        if (input.format === 'conda-lock') {
          const split = condaLockForPlatform(input, platform);
          if (split.conda.length === 0 && split.pip.length === 0) {
            throw new PackagerError('EINPUT', `${input.file} has no packages for ${platform}`, { file: input.file, wanted: platform, found: input.platform ?? 'no platforms', hint: `run conda-lock with -p ${platform}` });
          }
          list = split.conda;
          pip.push(...split.pip);
        } else {
          checkPlatform(input.file, input.platform, platform);
        }
        for (const e of list) chosen.push(await this.recordForUrl(input.file, e));
      }
    }
    // one record per name, as conda would install
    const byName = new Map<string, SolverRecord>();
    for (const r of chosen) {
      const prev = byName.get(r.name);
      if (prev && prev.fn !== r.fn) {
        throw new PackagerError('EINPUT', `The complete environment lists ${r.name} twice: ${prev.fn} and ${r.fn}`, { wanted: 'one record per package', found: `${prev.fn}, ${r.fn}` });
      }
      byName.set(r.name, r);
    }
    const records = [...byName.values()];
    verifyClosed(records, virtual, inputs.map((i) => i.file).join(' + ') + (localRecords.length ? ' + local packages' : ''));
    return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The repodata record behind an @EXPLICIT / conda-lock URL, with its hash checked. */
  private async recordForUrl(file: string, e: UrlEntry): Promise<SolverRecord> {
    const where = `${file}${e.line !== undefined ? ` line ${e.line}` : ''}`;
    if (/^file:\/\//i.test(e.url)) {
      const local = await readLocalPackage(e.url, '/');
      checkHash(where, e, local.record);
      const rec = toRepodataRecord(local.fn, local.format, local.record, String(local.record.subdir));
      return { ...rec, channel: LOCAL_REF, channelIndex: -1, url: local.url };
    }
    const u = new URL(e.url);
    const parts = u.pathname.split('/');
    const subdir = parts[parts.length - 2] ?? '';
    if (!KNOWN_SUBDIRS.has(subdir)) {
      throw new PackagerError('EINPUT', `Package URL is not inside a conda channel subdir (${where}): ${redactUrl(e.url)}`, { file, line: e.line, hint: 'URLs look like <channel>/<subdir>/<file>, e.g. .../conda-forge/linux-64/zlib-1.2.13-hd590300_5.conda' });
    }
    const upstream = e.url.slice(0, e.url.lastIndexOf(`/${subdir}/`));
    const channelUrl = this.bundled ? this.bundled.channelCopy(redactUrl(upstream)) : upstream;
    if (channelUrl === undefined) {
      throw new PackagerError('ENOTFOUND', `The bundle has no copy of the channel of ${e.fn} (${where}): ${redactUrl(upstream)}`, { file, line: e.line, url: redactUrl(e.url), hint: 'add the channel and the package to the manifest the buildpack is packaged from' });
    }
    const ref = channelRefs(channelUrl)[0]!;
    this.urlChannels.set(channelUrl, (this.urlChannels.get(channelUrl) ?? new Set()).add(subdir));
    const index = await this.index(`${channelUrl}/${subdir}/repodata.json`, subdir);
    const name = e.name ?? parseDistName(e.fn).name;
    const rec = (await index.records(name, { keepTwins: true })).find((r) => r.fn === e.fn);
    if (!rec) {
      throw new PackagerError('ENOTFOUND', `${e.fn} is not listed in ${redactUrl(`${channelUrl}/${subdir}/repodata.json`)} (${where})`, {
        file,
        line: e.line,
        url: redactUrl(e.url),
        hint: 'the channel no longer publishes this file; regenerate the environment file',
      });
    }
    checkHash(where, e, rec.record);
    const sub: SubdirIndex = { channel: ref, channelIndex: 0, subdir, repodataUrl: `${channelUrl}/${subdir}/repodata.json`, index };
    return { ...rec, channel: ref, channelIndex: 0, url: `${packageBaseUrl(sub)}/${rec.fn}` };
  }
}

/** Repodata opened once per URL (sharded, .json.zst or .json); close() releases the files. */
export class RepodataCache {
  private readonly indexes = new Map<string, Promise<SubdirRecords>>();
  private readonly opened: SubdirRecords[] = [];
  private tmp?: string;

  private readonly limits: DownloadLimits;

  constructor(private readonly ctx: Pick<CondaResolveContext, 'fetchDocument' | 'logger' | 'preferShards' | 'preferZst' | 'limits'>) {
    this.limits = ctx.limits ?? downloadLimits();
  }

  async close(): Promise<void> {
    for (const i of this.opened) await i.close().catch(() => undefined);
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true });
  }

  index(repodataUrl: string, subdir: string): Promise<SubdirRecords> {
    let p = this.indexes.get(repodataUrl);
    if (!p) {
      p = this.openIndex(repodataUrl, subdir);
      this.indexes.set(repodataUrl, p);
    }
    return p;
  }

  private async openIndex(repodataUrl: string, subdir: string): Promise<SubdirRecords> {
    const log = this.ctx.logger;
    let file: string;
    let shown: string | undefined;
    const sharded = /^https?:\/\//i.test(repodataUrl) && this.ctx.preferShards !== false ? await this.openShards(repodataUrl, subdir) : undefined;
    if (sharded) return sharded;
    if (/^file:\/\//i.test(repodataUrl)) {
      file = fileURLToPath(repodataUrl);
      try {
        await stat(file);
      } catch (err) {
        throw new PackagerError('EIO', `Cannot read repodata: ${redactUrl(repodataUrl)}`, { url: redactUrl(repodataUrl), hint: 'a conda channel directory needs <subdir>/repodata.json for every subdir in conda.subdirs' }, { cause: err });
      }
    } else {
      ({ file, url: shown } = await this.fetchRepodata(repodataUrl));
    }
    const index = await RepodataIndex.open(file, subdir, shown);
    this.opened.push(index);
    const infoSubdir = index.info.subdir;
    if (typeof infoSubdir === 'string' && infoSubdir !== subdir) {
      throw new PackagerError('EBADINDEX', `repodata.json says it is for ${infoSubdir}, not ${subdir}: ${redactUrl(repodataUrl)}`, { url: redactUrl(repodataUrl), wanted: subdir, found: infoSubdir });
    }
    log.debug(`${redactUrl(repodataUrl)}: ${index.count} records`);
    return index;
  }

  /** The CEP-16 shard index next to `repodata.json`, or undefined when the channel has none (a 4xx answer). */
  private async openShards(repodataUrl: string, subdir: string): Promise<ShardedIndex | undefined> {
    const indexUrl = repodataUrl.replace(/repodata\.json$/, SHARD_INDEX_FILE);
    let file: string;
    try {
      file = (await this.ctx.fetchDocument(indexUrl)).path;
    } catch (err) {
      const status = isPackagerError(err, 'EHTTP') ? Number(err.details.status) : NaN;
      if (!(status >= 400 && status < 500)) throw err;
      this.ctx.logger.debug(`${redactUrl(indexUrl)}: HTTP ${status}, no sharded repodata`);
      return undefined;
    }
    const index = await ShardedIndex.open(file, indexUrl, redactUrl(indexUrl), subdir, async (url) => (await this.ctx.fetchDocument(url)).path, this.limits.documentBytes);
    const infoSubdir = index.info.subdir;
    if (typeof infoSubdir === 'string' && infoSubdir !== subdir) {
      throw new PackagerError('EBADINDEX', `${SHARD_INDEX_FILE} says it is for ${infoSubdir}, not ${subdir}: ${redactUrl(indexUrl)}`, { url: redactUrl(indexUrl), wanted: subdir, found: infoSubdir });
    }
    this.opened.push(index);
    this.ctx.logger.debug(`${redactUrl(indexUrl)}: ${index.count} package names (sharded)`);
    return index;
  }

  /** Fetches repodata.json (trying .json.zst first unless told not to): a local JSON file and the redacted URL it came from. */
  private async fetchRepodata(url: string): Promise<{ file: string; url: string }> {
    if (this.ctx.preferZst !== false) {
      const shown = redactUrl(`${url}.zst`);
      let zst;
      try {
        zst = await this.ctx.fetchDocument(`${url}.zst`, 'repodata');
      } catch (err) {
        const status = isPackagerError(err, 'EHTTP') ? Number(err.details.status) : NaN;
        if (!(status >= 400 && status < 500)) throw err;
        this.ctx.logger.debug(`${shown}: HTTP ${status}, using repodata.json`);
      }
      if (zst) {
        this.tmp ??= await mkdtemp(path.join(os.tmpdir(), 'conda-repodata-'));
        const out = path.join(this.tmp, `${this.opened.length}-${Math.random().toString(36).slice(2)}.json`);
        try {
          await decompressRepodata(zst.path, out, 'zst', shown, this.limits.repodataBytes);
          return { file: out, url: shown };
        } catch (err) {
          if (!isPackagerError(err, 'EBADINDEX')) throw err;
          // as conda does: "Could not decompress ... as zstd. Fall back to .json."
          this.ctx.logger.warn(`${shown} is not zstd (${(err.cause as Error | undefined)?.message ?? err.message}); using repodata.json`);
        }
      }
    }
    return { file: (await this.ctx.fetchDocument(url, 'repodata')).path, url: redactUrl(url) };
  }

}

function checkPlatform(file: string, stated: string | undefined, platform: string): void {
  if (stated && stated !== platform) {
    throw new PackagerError('EINPUT', `${file} was made for ${stated}, the target stack needs ${platform}`, { file, wanted: platform, found: stated, hint: `export the environment on (or for) ${platform}` });
  }
}

function checkHash(where: string, e: UrlEntry, record: Record<string, unknown>): void {
  for (const alg of ['md5', 'sha256'] as const) {
    const want = e[alg];
    const have = typeof record[alg] === 'string' ? (record[alg] as string).toLowerCase() : undefined;
    if (want && have && want !== have) {
      throw new PackagerError('EINTEGRITY', `${alg} of ${e.fn} in ${where} does not match the channel's repodata`, {
        url: redactUrl(e.url),
        wanted: want,
        found: have,
        hint: 'the file was rebuilt upstream or the environment file is stale; regenerate it',
      });
    }
  }
}

function toLockEntry(r: SolverRecord, stacks: string[]): LockEntry {
  const e: LockEntry = {
    kind: 'conda',
    name: r.name,
    version: r.version,
    build: r.build,
    build_number: r.build_number,
    filename: r.fn,
    uri: r.channel === LOCAL_REF ? r.url : redactUrl(r.url),
    sha256: r.sha256 ?? '',
    size: r.size ?? 0,
    channel: r.channel === LOCAL_REF ? LOCAL_CHANNEL : redactUrl(r.channel.url),
    subdir: r.subdir,
    depends: [...r.depends],
    constrains: [...r.constrains],
    cf_stacks: [...stacks].sort(),
    record: r.record,
  };
  if (r.md5) e.md5 = r.md5;
  return e;
}

function compareEntries(a: LockEntry, b: LockEntry): number {
  const ka = [a.name, a.version, a.build ?? '', a.subdir ?? '', a.channel ?? '', a.filename];
  const kb = [b.name, b.version, b.build ?? '', b.subdir ?? '', b.channel ?? '', b.filename];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/** For messages elsewhere: `numpy 1.26.4`. */
export { describeRecord };

/** Parses `conda.specs[i]`; a spec that cannot be solved for is EMANIFEST naming the key. */
function checkManifestSpec(text: string, i: number): void {
  const key = `conda.specs[${i}]`;
  let spec: MatchSpec;
  try {
    spec = MatchSpec.parse(text);
  } catch (err) {
    if (!isPackagerError(err)) throw err;
    throw new PackagerError('EMANIFEST', `Invalid conda spec in ${key}: ${text}: ${err.message}`, {
      key,
      found: text,
      hint: 'write a conda MatchSpec, e.g. `numpy>=1.26,<2` or `pandas=2.2.1=py311h*`',
    }, { cause: err });
  }
  if (!spec.exactName) {
    throw new PackagerError('EMANIFEST', `Unsupported conda spec in ${key}: ${text} (the package name must be exact, not a pattern)`, {
      key,
      found: text,
      hint: 'name the package, e.g. `numpy>=1.26`',
    });
  }
}
