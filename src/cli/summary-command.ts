// `bin/package summary`: the markdown libbuildpack's `buildpack-packager
// summary` prints for GitHub release notes (packager/summary.go, reproduced
// byte for byte: `Packaged binaries:` sorted by name then version, a `modules`
// column only when some dependency has sub-dependencies, `Default binary
// versions:` in manifest order, `Packaging profiles:` as `  %-12s %s` lines),
// with the resolved installers among the packaged binaries, followed by the
// locked conda packages (one table per channel) and Python packages with their
// sizes. `--json` prints the same as one JSON object.
import type { CommandContext } from './run.js';
import { loadManifestReporting } from './common.js';
import { hasResolvedSections, lockPathFor } from './lock-step.js';
import { DEFAULT_ENVIRONMENT, entryEnvironments, loadLock, type Lock, type LockEntry, type Manifest } from '../manifest/index.js';
import { normalizeProjectName } from '../core/index.js';
import { condaChannelName, installerDependencyName } from '../bundle/index.js';
import { formatBytes } from './console.js';

/** Markdown (or JSON) summary of the manifest and its lock. */
export async function summaryCommand(o: { manifest?: string }, ctx: CommandContext): Promise<number> {
  const { manifest: m } = await loadManifestReporting(o.manifest, ctx.reporter);
  const lock = hasResolvedSections(m) ? await loadLock(lockPathFor(m)) : undefined;
  if (hasResolvedSections(m) && !lock) {
    ctx.reporter.warn(`No ${lockPathFor(m)}: run \`bin/package resolve\` to list the installers, conda packages and wheels the zip will carry`);
  }
  if (ctx.json) process.stdout.write(JSON.stringify(summaryJson(m, lock, lock ? lockPathFor(m) : undefined), null, 2) + '\n');
  else process.stdout.write(summaryMarkdown(m, lock));
  return 0;
}

/** One row of `Packaged binaries:`. */
export interface BinaryRow {
  name: string;
  version: string;
  cf_stacks: string[];
  modules: string[];
  /** `manifest` (dependencies:) or `lock` (a resolved installer). */
  from: 'manifest' | 'lock';
}

/** Manifest dependencies plus resolved installers, in libbuildpack's order (name, then semver; ties keep manifest order). */
export function packagedBinaries(m: Manifest, lock: Lock | undefined): BinaryRow[] {
  const rows: BinaryRow[] = m.dependencies.map((d) => ({
    name: d.name,
    version: d.version,
    cf_stacks: [...d.cf_stacks].sort(),
    modules: subDependencyNames(d.raw),
    from: 'manifest' as const,
  }));
  for (const e of lock?.artifacts ?? []) {
    if (e.kind === 'installer') rows.push({ name: installerDependencyName(e), version: e.version, cf_stacks: [...e.cf_stacks].sort(), modules: [], from: 'lock' });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
}

/** libbuildpack's SubDependency names (`dependencies: [{name: ...}]` on a dependency), sorted. */
function subDependencyNames(raw: Record<string, unknown>): string[] {
  const subs = raw.dependencies;
  if (!Array.isArray(subs)) return [];
  return subs
    .map((s) => (s && typeof s === 'object' && typeof (s as { name?: unknown }).name === 'string' ? (s as { name: string }).name : undefined))
    .filter((n): n is string => n !== undefined)
    .sort();
}

// Masterminds/semver as libbuildpack uses it: `1.2`, `v1.2.3`, `1.2.3-rc.1`
// parse (missing parts are 0); anything else compares as plain text.
const SEMVER = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** libbuildpack's Dependencies.Less on versions: semver when both parse, else byte order. */
export function compareVersions(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  for (const i of [1, 2, 3]) {
    const d = Number(x[i] ?? 0) - Number(y[i] ?? 0);
    if (d) return d;
  }
  const [pa, pb] = [x[4], y[4]];
  if (pa === pb) return 0;
  if (pa === undefined) return 1; // a release sorts after its pre-releases
  if (pb === undefined) return -1;
  const sa = pa.split('.');
  const sb = pb.split('.');
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const [p, q] = [sa[i], sb[i]];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const [np, nq] = [/^\d+$/.test(p), /^\d+$/.test(q)];
    if (np && nq) return Number(p) - Number(q);
    if (np !== nq) return np ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

function sizeText(e: Pick<LockEntry, 'size' | 'size_approximate'>): string {
  if (!e.size) return 'unknown';
  return `${e.size_approximate ? '~' : ''}${formatBytes(e.size)}`;
}

function total(list: readonly LockEntry[]): string {
  const bytes = list.reduce((n, e) => n + (e.size || 0), 0);
  const partial = list.some((e) => !e.size);
  return `${list.length} file${list.length === 1 ? '' : 's'}, ${partial ? 'at least ' : ''}${formatBytes(bytes)}`;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Locked conda packages grouped by channel (display name), each group sorted by name, version, subdir. */
function condaGroups(lock: Lock | undefined): [string, LockEntry[]][] {
  const groups = new Map<string, LockEntry[]>();
  for (const e of lock?.artifacts ?? []) {
    if (e.kind !== 'conda') continue;
    const channel = e.channel ? condaChannelName(e.channel) : 'local';
    groups.set(channel, [...(groups.get(channel) ?? []), e]);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => byText(a.name, b.name) || compareVersions(a.version, b.version) || byText(a.subdir ?? '', b.subdir ?? '') || byText(a.filename, b.filename));
  }
  return [...groups].sort((a, b) => byText(a[0], b[0]));
}

function pythonPackages(lock: Lock | undefined): LockEntry[] {
  return (lock?.artifacts ?? [])
    .filter((e) => e.kind === 'wheel' || e.kind === 'sdist')
    .sort((a, b) => byText(normalizeProjectName(a.name), normalizeProjectName(b.name)) || compareVersions(a.version, b.version) || byText(a.filename, b.filename));
}

/**
 * Environments x artifacts, when the lock serves more than `default`: every
 * artifact once (a shared one is marked in each column that needs it), with
 * each environment's own total and the union the zip carries.
 */
function environmentMatrix(lock: Lock | undefined): { names: string[]; rows: LockEntry[]; totals: Map<string, LockEntry[]> } | undefined {
  const rows = lock?.artifacts ?? [];
  const names = [...new Set(rows.flatMap(entryEnvironments))].sort(byText);
  if (names.every((n) => n === DEFAULT_ENVIRONMENT)) return undefined;
  const totals = new Map(names.map((n) => [n, rows.filter((e) => entryEnvironments(e).includes(n))]));
  return { names, rows, totals };
}

function artifactLabel(e: LockEntry): string {
  return `${e.kind === 'installer' ? installerDependencyName(e) : e.name} ${e.version}${e.build ? ` ${e.build}` : ''}`;
}

/** The summary as libbuildpack-style markdown (+ locked packages). */
export function summaryMarkdown(m: Manifest, lock: Lock | undefined): string {
  const rows = packagedBinaries(m, lock);
  let out = '';
  if (rows.length) {
    const modules = rows.some((r) => r.modules.length > 0);
    out += '\nPackaged binaries:\n\n';
    out += modules ? '| name | version | cf_stacks | modules |\n|-|-|-|-|\n' : '| name | version | cf_stacks |\n|-|-|-|\n';
    for (const r of rows) {
      out += modules
        ? `| ${r.name} | ${r.version} | ${r.cf_stacks.join(', ')} | ${r.modules.join(', ')} |\n`
        : `| ${r.name} | ${r.version} | ${r.cf_stacks.join(', ')} |\n`;
    }
  }
  if (m.default_versions.length) {
    out += '\nDefault binary versions:\n\n| name | version |\n|-|-|\n';
    for (const d of m.default_versions) out += `| ${d.name} | ${d.version} |\n`;
  }
  const profiles = Object.keys(m.packaging_profiles).sort(byText);
  if (profiles.length) {
    out += '\nPackaging profiles:\n\n';
    for (const name of profiles) out += `  ${name.padEnd(12)} ${m.packaging_profiles[name]!.description ?? ''}\n`;
  }
  for (const [channel, list] of condaGroups(lock)) {
    out += `\nConda packages from ${channel} (${total(list)}):\n\n| name | version | build | subdir | cf_stacks | size |\n|-|-|-|-|-|-|\n`;
    for (const e of list) out += `| ${e.name} | ${e.version} | ${e.build ?? ''} | ${e.subdir ?? ''} | ${[...e.cf_stacks].sort().join(', ')} | ${sizeText(e)} |\n`;
  }
  const matrix = environmentMatrix(lock);
  if (matrix) {
    const { names, rows, totals } = matrix;
    out += `\nEnvironments (${names.length}; the zip carries each artifact once: ${total(rows)}):\n\n`;
    out += `| artifact | kind | size | ${names.join(' | ')} |\n|-|-|-|${names.map(() => '-|').join('')}\n`;
    for (const e of rows) {
      const envs = entryEnvironments(e);
      out += `| ${artifactLabel(e)} | ${e.kind} | ${sizeText(e)} | ${names.map((n) => (envs.includes(n) ? 'x' : '')).join(' | ')} |\n`;
    }
    out += `| total | | ${total(rows)} | ${names.map((n) => total(totals.get(n)!)).join(' | ')} |\n`;
  }
  const py = pythonPackages(lock);
  if (py.length) {
    out += `\nPython packages (${total(py)}):\n\n| name | version | file | cf_stacks | size |\n|-|-|-|-|-|\n`;
    for (const e of py) {
      // an sdist built at packaging time: the zip installs the wheel
      const file = e.built ? `${e.built.filename} (built from ${e.filename})` : e.filename;
      out += `| ${e.name} | ${e.version} | ${file} | ${[...e.cf_stacks].sort().join(', ')} | ${sizeText(e)} |\n`;
    }
  }
  return out;
}

/** The summary as data (`--json`). */
export function summaryJson(m: Manifest, lock: Lock | undefined, lockFile?: string) {
  const entry = (e: LockEntry) => ({
    name: e.name,
    version: e.version,
    filename: e.filename,
    size: e.size,
    ...(e.size_approximate ? { size_approximate: true } : {}),
    cf_stacks: [...e.cf_stacks].sort(),
  });
  const sum = (list: readonly LockEntry[]) => ({ count: list.length, bytes: list.reduce((n, e) => n + (e.size || 0), 0) });
  const groups = condaGroups(lock);
  const py = pythonPackages(lock);
  return {
    language: m.language,
    packaged_binaries: packagedBinaries(m, lock),
    default_versions: m.default_versions,
    packaging_profiles: Object.keys(m.packaging_profiles)
      .sort(byText)
      .map((name) => ({ name, description: m.packaging_profiles[name]!.description ?? '', exclude: m.packaging_profiles[name]!.exclude })),
    lock: lock
      ? {
          file: lockFile ?? null,
          conda: groups.map(([channel, list]) => ({
            channel,
            ...sum(list),
            packages: list.map((e) => ({ ...entry(e), build: e.build ?? null, subdir: e.subdir ?? null })),
          })),
          python: {
            ...sum(py),
            packages: py.map((e) => ({ kind: e.kind, ...entry(e), ...(e.built ? { built: { filename: e.built.filename, sha256: e.built.sha256, size: e.built.size, backend: e.built.backend } } : {}) })),
          },
          ...((matrix) =>
            matrix
              ? {
                  environments: matrix.names.map((name) => ({ name, ...sum(matrix.totals.get(name)!), artifacts: matrix.totals.get(name)!.map((e) => e.filename) })),
                  union: sum(matrix.rows),
                }
              : {})(environmentMatrix(lock)),
        }
      : null,
  };
}
