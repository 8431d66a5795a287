// Candidate preference and virtual packages, as conda's classic solver sees them
// (conda/resolve.py @ 23.7.4: version_key, Resolve.solve's objective order;
// conda/plugins/virtual_packages for __glibc/__unix/__linux/__archspec/__cuda).
// Pure: records in, ordered records out.

import type { StackInfo } from '../../core/stacks.js';
import type { ChannelRef } from './match-spec.js';
import type { RepodataRecord } from './repodata.js';
import { VersionOrder } from './version-order.js';

/** A repodata record placed in a configured channel: what the solver chooses from. */
export interface SolverRecord extends RepodataRecord {
  channel: ChannelRef;
  features?: string;
  license?: string;
  license_family?: string;
  /** Position of the channel in the configured list (0 = highest priority). */
  channelIndex: number;
  /** Package URL (may carry credentials: redact before printing). */
  url: string;
  /** True for the stack's virtual packages (`__glibc`, ...): never locked. */
  virtual?: boolean;
}

const parsedVersions = new Map<string, VersionOrder | null>();

function versionOf(r: SolverRecord): VersionOrder | undefined {
  let v = parsedVersions.get(r.version);
  if (v === undefined) {
    try {
      v = VersionOrder.parse(r.version);
    } catch {
      v = null; // an unparsable version sorts last
    }
    if (parsedVersions.size > 100_000) parsedVersions.clear();
    parsedVersions.set(r.version, v);
  }
  return v ?? undefined;
}

function compareVersionDesc(a: SolverRecord, b: SolverRecord): number {
  const va = versionOf(a);
  const vb = versionOf(b);
  if (!va || !vb) return va ? -1 : vb ? 1 : 0;
  return vb.compare(va);
}

/**
 * conda's `Resolve.version_key` order, best first: channel rank, version,
 * build number, arch over noarch, timestamp, build string (conda/resolve.py
 * @ 23.7.4, channel_priority flexible). Records equal on all of these are
 * ordered .conda first, then by file name and URL: not a preference, only
 * determinism.
 */
export function compareCandidates(a: SolverRecord, b: SolverRecord): number {
  const ch = a.channelIndex - b.channelIndex;
  if (ch) return ch;
  const v = compareVersionDesc(a, b);
  if (v) return v;
  if (a.build_number !== b.build_number) return b.build_number - a.build_number;
  const noarch = Number(a.subdir === 'noarch') - Number(b.subdir === 'noarch');
  if (noarch) return noarch;
  if (a.timestamp !== b.timestamp) return b.timestamp - a.timestamp;
  if (a.build !== b.build) return a.build < b.build ? 1 : -1;
  if (a.format !== b.format) return a.format === 'conda' ? -1 : 1;
  return a.fn < b.fn ? -1 : a.fn > b.fn ? 1 : a.url < b.url ? -1 : a.url > b.url ? 1 : 0;
}

/** True when two records' versions are equal in conda's order (`1.0` == `1.0.0`). */
export function sameVersion(a: SolverRecord, b: SolverRecord): boolean {
  return a.version === b.version || compareVersionDesc(a, b) === 0;
}

/** A sorted copy of `records`, best candidate first. */
export function sortCandidates(records: readonly SolverRecord[]): SolverRecord[] {
  return [...records].sort(compareCandidates);
}

// Kernel series of the stemcells each stack runs on (Bionic 4.15, Jammy 5.15,
// Noble 6.8): conda reports the running kernel as __linux; packaging happens
// elsewhere, so the stack's stemcell kernel stands in for it.
const KERNEL_BY_GLIBC: Record<string, string> = { '2.27': '4.15', '2.35': '5.15', '2.39': '6.8' };

export const VIRTUAL_CHANNEL: ChannelRef = { url: '@virtual', names: ['@'] };

/**
 * The virtual packages the stacks provide, for solving. Rules: `__unix`,
 * `__linux` (stemcell kernel), `__glibc` (the lowest glibc of the stacks, so the
 * result loads on every one of them) and `__archspec` (version 1, build = the
 * plain architecture, e.g. x86_64: microarchitecture levels such as x86_64_v3
 * cannot be promised for Cloud Foundry cells). No `__cuda` (cells have no GPU),
 * no `__osx`/`__win`: a dependency on them is unsatisfiable.
 */
export function virtualPackages(stacks: readonly StackInfo[]): SolverRecord[] {
  if (stacks.length === 0) return [];
  const glibc = stacks.map((s) => s.glibc).sort((a, b) => a[0] - b[0] || a[1] - b[1])[0]!;
  const glibcText = `${glibc[0]}.${glibc[1]}`;
  const make = (name: string, version: string, build: string): SolverRecord => ({
    fn: `${name}-${version}-${build}`,
    format: 'conda',
    record: { name, version, build, build_number: 0 },
    name,
    version,
    build,
    build_number: 0,
    depends: [],
    constrains: [],
    track_features: [],
    timestamp: 0,
    subdir: stacks[0]!.condaSubdir,
    channel: VIRTUAL_CHANNEL,
    channelIndex: 0,
    url: '',
    virtual: true,
  });
  return [
    make('__unix', '0', '0'),
    make('__linux', KERNEL_BY_GLIBC[glibcText] ?? '5.15', '0'),
    make('__glibc', glibcText, '0'),
    make('__archspec', '1', stacks[0]!.arch),
  ];
}
