// `bin/package summary`: what libbuildpack's `summary` prints for release notes
// (Packaged binaries / Default binary versions / Packaging profiles), plus the
// locked conda packages and wheels when a lock exists.
import type { CommandContext } from './run.js';
import { loadManifestReporting } from './common.js';
import { lockPathFor } from './lock-step.js';
import { loadLock, type Lock, type Manifest } from '../manifest/index.js';
import { formatBytes } from './console.js';

/** Markdown (or JSON) summary of the manifest and its lock. */
export async function summaryCommand(o: { manifest?: string }, ctx: CommandContext): Promise<number> {
  const { manifest: m } = await loadManifestReporting(o.manifest, ctx.reporter);
  const lock = await loadLock(lockPathFor(m));
  if (ctx.json) {
    process.stdout.write(JSON.stringify(summaryJson(m, lock), null, 2) + '\n');
  } else {
    process.stdout.write(summaryMarkdown(m, lock));
  }
  return 0;
}

/** The summary as data. */
export function summaryJson(m: Manifest, lock: Lock | undefined) {
  return {
    dependencies: m.dependencies.map((d) => ({ name: d.name, version: d.version, cf_stacks: d.cf_stacks })),
    default_versions: m.default_versions,
    packaging_profiles: Object.entries(m.packaging_profiles).map(([name, p]) => ({ name, description: p.description ?? '', exclude: p.exclude })),
    locked: (lock?.artifacts ?? []).map((a) => ({ kind: a.kind, name: a.name, version: a.version, build: a.build, filename: a.filename, size: a.size, cf_stacks: a.cf_stacks })),
  };
}

/** The summary as libbuildpack-style markdown. */
export function summaryMarkdown(m: Manifest, lock: Lock | undefined): string {
  const out: string[] = ['Packaged binaries:', '', '| name | version | cf_stacks |', '|-|-|-|'];
  const rows = m.dependencies
    .map((d) => [d.name, d.version, [...d.cf_stacks].sort().join(', ')])
    .sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!, undefined, { numeric: true }));
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  for (const a of (lock?.artifacts ?? []).filter((x) => x.kind === 'installer')) {
    out.push(`| ${a.name} | ${a.version} | ${[...a.cf_stacks].sort().join(', ')} |`);
  }
  out.push('', 'Default binary versions:', '', '| name | version |', '|-|-|');
  for (const d of m.default_versions) out.push(`| ${d.name} | ${d.version} |`);
  const profiles = Object.entries(m.packaging_profiles);
  if (profiles.length) {
    out.push('', 'Packaging profiles:', '', '| name | description | excluded dependencies |', '|-|-|-|');
    for (const [name, p] of profiles.sort(([a], [b]) => a.localeCompare(b))) out.push(`| ${name} | ${p.description ?? ''} | ${p.exclude.join(', ')} |`);
  }
  for (const [kind, title] of [['conda', 'Conda packages'], ['wheel', 'Python wheels'], ['sdist', 'Python source distributions']] as const) {
    const items = (lock?.artifacts ?? []).filter((a) => a.kind === kind);
    if (!items.length) continue;
    const total = items.reduce((n, a) => n + a.size, 0);
    out.push('', `${title} (${items.length}, ${formatBytes(total)}):`, '', '| name | version | file | size |', '|-|-|-|-|');
    for (const a of items) out.push(`| ${a.name} | ${a.version} | ${a.filename} | ${formatBytes(a.size)} |`);
  }
  return out.join('\n') + '\n';
}
