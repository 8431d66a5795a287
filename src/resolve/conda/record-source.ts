// Joins the scanned repodata of every configured channel/subdir (and the
// stack's virtual packages) into the one RecordSource the solver reads. Package
// URLs are `<channel>/<subdir>/<fn>`, or `info.base_url/<fn>` for CEP-15
// repodata (https://github.com/conda/ceps/blob/main/cep-0015.md).

import { checkNetworkReference } from '../../core/network-reference.js';
import { redactUrl } from '../../core/redact.js';
import type { ChannelRef } from './match-spec.js';
import type { SubdirRecords } from './shards.js';
import type { SolverRecord } from './select.js';
import type { RecordSource } from './solver.js';

/** One channel subdir's repodata: a scanned repodata.json or a CEP-16 shard index. */
export interface SubdirIndex {
  channel: ChannelRef;
  channelIndex: number;
  subdir: string;
  /** URL the repodata.json was fetched from (base for a relative base_url). */
  repodataUrl: string;
  index: SubdirRecords;
}

/** Where the package files of a subdir live: CEP-15 `info.base_url`, else next to repodata.json. */
export function packageBaseUrl(s: SubdirIndex): string {
  const base = s.index.info.base_url;
  if (typeof base === 'string' && base !== '') {
    let url: string | undefined;
    try {
      url = new URL(base, s.repodataUrl).toString().replace(/\/+$/, '');
    } catch {
      // fall through to the conventional layout
    }
    if (url !== undefined) {
      checkNetworkReference(s.repodataUrl, url, {
        what: `The repodata of channel ${redactUrl(s.channel.url)} (${s.subdir}),`,
        found: `${redactUrl(url)} (info.base_url)`,
        hint: 'a channel served over http(s) may only place its packages at http(s) URLs; copy the packages into a local channel (a file:// channel in conda.channels) if you trust them',
      });
      return url;
    }
  }
  return `${s.channel.url.replace(/\/+$/, '')}/${s.subdir}`;
}

/** A RecordSource over scanned repodata files plus virtual packages. */
export class IndexedRecordSource implements RecordSource {
  /** `extra`: records that exist outside any repodata (local packages). */
  constructor(
    private readonly subdirs: readonly SubdirIndex[],
    private readonly virtual: readonly SolverRecord[],
    private readonly extra: readonly SolverRecord[] = [],
  ) {}

  async records(name: string): Promise<SolverRecord[]> {
    if (name.startsWith('__')) return this.virtual.filter((v) => v.name === name);
    const out: SolverRecord[] = this.extra.filter((r) => r.name === name);
    for (const s of this.subdirs) {
      if (!s.index.has(name)) continue;
      const base = packageBaseUrl(s);
      for (const r of await s.index.records(name)) {
        const rec: SolverRecord = { ...r, channel: s.channel, channelIndex: s.channelIndex, url: `${base}/${r.fn}` };
        const raw = r.record;
        if (typeof raw.features === 'string') rec.features = raw.features;
        if (typeof raw.license === 'string') rec.license = raw.license;
        if (typeof raw.license_family === 'string') rec.license_family = raw.license_family;
        out.push(rec);
      }
    }
    return out;
  }

  describe(): string {
    const byChannel = new Map<string, string[]>();
    for (const s of this.subdirs) {
      const key = redactUrl(s.channel.url);
      byChannel.set(key, [...(byChannel.get(key) ?? []), s.subdir]);
    }
    return [...byChannel].map(([url, subdirs]) => `${url} (${subdirs.join(', ')})`).join(', ') || 'no channels';
  }
}
