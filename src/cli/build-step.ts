// `bin/package offline`: every locked sdist becomes a wheel before the zip is
// written (src/build/). The resolver and fetcher the builds need are handed in
// here, as for the resolvers; a lock whose `built:` records changed is written
// back (its inputs did not change, so it stays fresh).
import path from 'node:path';
import { sriFromHex, unredactUrl } from '../core/index.js';
import { fetchArtifact, fetchDocument, type CachedFile } from '../fetch/index.js';
import { writeLock, serializeLock, type Lock, type LockEntry, type Manifest } from '../manifest/index.js';
import { resolvePypi } from '../resolve/pypi/index.js';
import { buildSdists } from '../build/index.js';
import type { ShippedFile } from '../bundle/index.js';
import type { CommandContext } from './run.js';
import { fetchTuning } from './common.js';
import { lockPathFor } from './lock-step.js';
import { knownSourceUrls } from './package-command.js';

export interface BuildStepResult {
  /** sdist entry -> the wheel built from it (the entry's `built` describes it). */
  builtFiles: Map<LockEntry, ShippedFile>;
  /** The build requirements of those wheels, by file name. */
  requirementFiles: Map<string, ShippedFile>;
  /** What --json reports. */
  report: { sdist: string; wheel: string; sha256: string; size: number; from_cache: boolean }[];
}

/** Builds the sdists among `locked` (whose downloaded files are `files`, same order). */
export async function buildStep(x: {
  m: Manifest;
  fullLock: Lock | undefined;
  locked: LockEntry[];
  files: CachedFile[];
  cacheDir: string;
  ctx: CommandContext;
}): Promise<BuildStepResult> {
  const result: BuildStepResult = { builtFiles: new Map(), requirementFiles: new Map(), report: [] };
  const sdists = x.locked.flatMap((entry, i) => (entry.kind === 'sdist' ? [{ entry, file: x.files[i]! }] : []));
  if (!sdists.length || !x.fullLock) return result;
  const log = x.ctx.reporter;
  const before = serializeLock(x.fullLock);
  const fetchOpts = { cacheDir: x.cacheDir, logger: log, signal: x.ctx.signal, ...fetchTuning() };
  const pip = x.m.pip ?? { index_url: 'https://pypi.org/simple', extra_index_urls: [], find_links: [], python_version: '3.11', requirements: [], files: [] };
  const known = knownSourceUrls(x.m);
  log.info(`Building wheels from ${sdists.length} sdist(s)`);
  const built = await buildSdists(
    sdists,
    { pythonVersion: pip.python_version, requireWheels: pip.require_wheels === true, sourceDateEpoch: epochFromEnv() },
    {
      cacheDir: x.cacheDir,
      logger: log,
      resolveRequirements: (requirements, stacks, forWhat) => {
        log.info(`Resolving ${forWhat}: ${requirements.join(', ') || '(none)'}`);
        return resolvePypi(
          { pip: { ...pip, requirements, files: [] }, stacks, manifestDir: path.dirname(x.m.path) },
          {
            fetchDocument: (u, h) => fetchDocument(u, { ...fetchOpts, headers: h }),
            fetchFile: (a) => fetchArtifact(a, fetchOpts),
            logger: log,
          },
        );
      },
      fetchRequirement: (q) =>
        fetchArtifact({ kind: 'wheel', name: q.name, version: q.version, url: unredactUrl(q.uri, known), integrity: sriFromHex(q.sha256, 'sha256'), size: q.size }, fetchOpts),
    },
  );
  for (const [e, b] of built) {
    result.builtFiles.set(e, b.wheel);
    for (const r of b.requirements) result.requirementFiles.set(r.requirement.filename, r.file);
    result.report.push({ sdist: e.filename, wheel: b.wheel.filename, sha256: b.wheel.sha256, size: b.wheel.size, from_cache: b.fromCache });
  }
  if (serializeLock(x.fullLock) !== before) {
    await writeLock(lockPathFor(x.m), x.fullLock);
    log.info(`Recorded the built wheels in ${lockPathFor(x.m)}`);
  }
  return result;
}

/** SOURCE_DATE_EPOCH for new builds when the environment sets one (the zip step has already refused a malformed one). */
function epochFromEnv(): number | undefined {
  const v = process.env.SOURCE_DATE_EPOCH;
  return v && /^\d+$/.test(v) && Number(v) >= 315532800 ? Number(v) : undefined;
}
