// `bin/package resolve`: writes manifest.lock.yml; exit 4 with a precise
// report when anything cannot be resolved (the old lock is left untouched).
import type { CommandContext } from './run.js';
import { checkCacheDir, loadManifestReporting, resolveCacheDir } from './common.js';
import { ensureLock, hasResolvedSections, lockPathFor } from './lock-step.js';
import { redactUrl } from '../core/index.js';

/** Resolves (or confirms) the lock and prints where it is. */
export async function resolveCommand(
  o: { manifest?: string; update?: boolean; cacheDir?: string },
  ctx: CommandContext,
): Promise<number> {
  const { manifest: m } = await loadManifestReporting(o.manifest, ctx.reporter);
  if (!hasResolvedSections(m)) {
    ctx.reporter.info('The manifest has no miniconda:, conda: or pip: section: nothing to resolve');
    if (ctx.json) process.stdout.write(JSON.stringify({ ok: true, lock: null, artifacts: [] }, null, 2) + '\n');
    return 0;
  }
  const cacheDir = resolveCacheDir(o.cacheDir);
  await checkCacheDir(cacheDir);
  const lock = (await ensureLock(m, { cacheDir, ctx, update: Boolean(o.update) }))!;
  const file = lockPathFor(m);
  if (ctx.json) {
    const artifacts = lock.artifacts.map((a) => ({ kind: a.kind, name: a.name, version: a.version, filename: a.filename, uri: redactUrl(a.uri), sha256: a.sha256, size: a.size }));
    process.stdout.write(JSON.stringify({ ok: true, lock: file, inputs_sha256: lock.inputs_sha256, artifacts }, null, 2) + '\n');
  } else {
    const counts = new Map<string, number>();
    for (const a of lock.artifacts) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
    ctx.reporter.info(`Locked ${[...counts].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ') || 'nothing'}`);
    process.stdout.write(file + '\n');
  }
  return 0;
}
