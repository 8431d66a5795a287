// Which of the files a lock names for a package the target installs: the wheel
// whose tags fit best (wheel-tags.ts priorities, as pip ranks them; a higher
// build tag breaks ties), else the sdist. Nothing else is ever considered.
import { normalizeName } from '../requirement.js';
import { compareBuildTags, FilenameError, parseWheelFilename, type WheelFilename } from '../wheel-filename.js';
import { bestTagPriority } from '../wheel-tags.js';
import { type LockedFile, type LockTarget } from './types.js';
import { describeWhere, lockError, type Where } from './lock-source.js';

/** Most file names quoted in a "nothing fits" error. */
const LIST_MAX = 8;

/** A file as the lock names it, before the choice (sha256 may be missing: that is checked on the chosen one). */
export type CandidateFile = Omit<LockedFile, 'sha256'> & { sha256?: string };

export function pythonLabel(target: LockTarget): string {
  return `CPython ${target.pythonFull.raw} on ${target.markerEnv.platform_machine}`;
}

/**
 * The file to install for `name` `version`. Throws EINPUT when no listed
 * file fits the target, or when the chosen one has no sha256 in the lock.
 */
export function chooseFile(name: string, version: string, files: readonly CandidateFile[], target: LockTarget, where: Where): LockedFile {
  let best: { file: CandidateFile; priority: number; wheel: WheelFilename } | undefined;
  const key = normalizeName(name);
  for (const file of files) {
    if (file.kind !== 'wheel') continue;
    let wheel: WheelFilename;
    try {
      wheel = parseWheelFilename(file.filename);
    } catch (err) {
      if (err instanceof FilenameError) throw lockError(`${describeWhere(where)}: ${name} ${version} lists ${JSON.stringify(file.filename)}, which is not a wheel file name`, where, { found: file.filename, hint: 'regenerate the lock file with its tool' });
      throw err;
    }
    if (wheel.key !== key) {
      throw lockError(`${describeWhere(where)}: ${name} ${version} lists ${file.filename}, a wheel of another project (${wheel.name})`, where, { found: file.filename, hint: 'regenerate the lock file with its tool' });
    }
    const priority = bestTagPriority(wheel.tags, target.priorities);
    if (priority === undefined) continue;
    if (!best || priority < best.priority || (priority === best.priority && compareBuildTags(wheel.build, best.wheel.build) > 0)) {
      best = { file, priority, wheel };
    }
  }
  const chosen = best?.file ?? files.find((f) => f.kind === 'sdist');
  if (!chosen) {
    const names = files.map((f) => f.filename);
    const shown = names.slice(0, LIST_MAX).join(', ') + (names.length > LIST_MAX ? `, and ${names.length - LIST_MAX} more` : '');
    throw lockError(
      `${describeWhere(where)}: ${name} ${version} has no file for ${pythonLabel(target)}: the lock lists ${names.length ? shown : 'no files at all'}${names.length ? ' (no wheel fits and there is no sdist)' : ''}`,
      where,
      { found: names.join(', '), hint: 'lock for this platform too (uv: environments / required-environments; pip lock: run it on Linux with this Python), or pick a version that publishes a fitting wheel or an sdist' },
    );
  }
  if (!chosen.sha256) {
    throw lockError(`${describeWhere(where)}: ${name} ${version}: ${chosen.filename} has no sha256 hash in the lock, so the buildpack cannot verify it`, where, {
      found: chosen.filename,
      hint: 'regenerate the lock with hashes (every tool records sha256 for index files)',
    });
  }
  return { ...chosen, sha256: chosen.sha256 };
}
