// `pip.files` entries that are Python lock files (pylock.toml, uv.lock, poetry.lock,
// Pipfile.lock): taken as complete environments, never re-resolved. Each package the
// lock selects for a target becomes a lock entry for the exact file the lock names
// (by file name, or for Pipfile.lock by one of its hashes), found on the manifest's
// indexes and checked against the lock's sha256.
import { PackagerError, redactUrl } from '../../core/index.js';
import type { LockEntry } from '../../manifest/types.js';
import { type CandidateFile, chooseFile } from './lockfiles/choose-file.js';
import { type LockedPackage, type LockFormat, readLockFile } from './lockfiles/index.js';
import { parseVersion, formatVersion } from './pep440.js';
import type { Candidate, Target } from './resolver.js';
import type { IndexFile } from './simple-index.js';
import { parseSdistFilename, parseWheelFilename } from './wheel-filename.js';

/** What this module needs of the index: a project's files, and a file's verified digest. */
export interface LockedSource {
  projectFiles(key: string): Promise<{ files: IndexFile[]; where: string; missing?: boolean } | undefined>;
  digest(c: Candidate): Promise<{ sha256: string; size: number }>;
}

export interface LockFileInput {
  format: LockFormat;
  /** As messages name it (relative to the manifest). */
  file: string;
  text: string;
}

/** Lock entries (one per file, cf_stacks merged over targets) for every package the locks select. */
export async function lockedEntries(locks: readonly LockFileInput[], targets: readonly Target[], source: LockedSource): Promise<LockEntry[]> {
  const byFile = new Map<string, LockEntry>();
  for (const target of targets) {
    for (const lock of locks) {
      const env = readLockFile(lock.format, lock.text, { file: lock.file, target });
      for (const pkg of env.packages) {
        if (pkg.file?.path !== undefined) continue; // a file inside the app: staging installs it from there
        const { file, sha256 } = await locate(pkg, lock.file, target, source);
        const kind = file.filename.endsWith('.whl') ? 'wheel' : 'sdist';
        const candidate: Candidate = { key: pkg.key, version: parseVersion(pkg.version), kind, file };
        if (kind === 'wheel') candidate.wheel = parseWheelFilename(file.filename);
        const known = await source.digest(candidate);
        if (known.sha256 !== sha256) {
          throw new PackagerError('EINTEGRITY', `Hash mismatch for ${file.filename} (${pkg.source})`, {
            url: redactUrl(file.url),
            wanted: `sha256:${sha256}`,
            found: `sha256:${known.sha256}`,
            hint: `The index serves other bytes under this name than ${lock.file} locked: check the index, or lock again.`,
          });
        }
        const uri = redactUrl(file.url);
        const existing = byFile.get(uri);
        if (existing) {
          existing.cf_stacks = [...new Set([...existing.cf_stacks, ...target.stacks])].sort();
          continue;
        }
        const entry: LockEntry = {
          kind,
          name: pkg.key,
          version: formatVersion(candidate.version),
          filename: file.filename,
          uri,
          sha256,
          size: known.size,
          depends: [],
          cf_stacks: [...target.stacks].sort(),
        };
        if (candidate.wheel) entry.tags = candidate.wheel.tags;
        byFile.set(uri, entry);
      }
    }
  }
  return [...byFile.values()];
}

/**
 * The index file for a locked package: the one with the lock's file name on the
 * manifest's indexes (the operator's choice of source; a URL in the lock is never
 * fetched, so an app's file cannot send the packager elsewhere); for
 * Pipfile.lock (hashes, no names) the best file for the target among the index's
 * files of that version whose published sha256 the lock lists.
 */
async function locate(pkg: LockedPackage, lockFile: string, target: Target, source: LockedSource): Promise<{ file: IndexFile; sha256: string }> {
  const page = await source.projectFiles(pkg.key);
  const files = page?.files ?? [];
  if (pkg.file) {
    const wanted = pkg.file;
    const onIndex = files.find((f) => f.filename === wanted.filename);
    if (onIndex) return { file: onIndex, sha256: wanted.sha256 };
    throw notOnIndex(pkg, lockFile, wanted.filename, page?.where);
  }
  const accepted = new Set(pkg.hashes);
  const want = formatVersion(parseVersion(pkg.version));
  const ofVersion = files.filter((f) => versionOf(f.filename, pkg.key) === want && f.hashes.sha256 !== undefined && accepted.has(f.hashes.sha256));
  if (ofVersion.length === 0) throw notOnIndex(pkg, lockFile, `a file of ${pkg.name} ${pkg.version} with one of its ${pkg.hashes.length} hashes`, page?.where);
  const candidates: CandidateFile[] = ofVersion.map((f) => ({ kind: f.filename.endsWith('.whl') ? 'wheel' : 'sdist', filename: f.filename, url: f.url, sha256: f.hashes.sha256 }));
  const chosen = chooseFile(pkg.name, pkg.version, candidates, target, { file: lockFile });
  return { file: ofVersion.find((f) => f.filename === chosen.filename)!, sha256: chosen.sha256 };
}

function versionOf(filename: string, key: string): string | undefined {
  try {
    const v = filename.endsWith('.whl') ? parseWheelFilename(filename).version : parseSdistFilename(filename, key)?.version;
    return v && formatVersion(v);
  } catch {
    return undefined;
  }
}

function notOnIndex(pkg: LockedPackage, lockFile: string, what: string, where: string | undefined): PackagerError {
  return new PackagerError('ERESOLVE', `${pkg.source}: ${pkg.name} ${pkg.version} is locked to ${what}, which is on none of the manifest's indexes${where ? ` (${where})` : ''}`, {
    wanted: `${pkg.name}==${pkg.version}`,
    hint: `Point pip.index_url (or pip.find_links) at an index that serves the files ${lockFile} names, or lock again against it.`,
  });
}
