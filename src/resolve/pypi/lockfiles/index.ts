// The Python lock files an app may carry, in the order the buildpack prefers
// them (after conda's files, before requirements.txt), and one entry point
// that reads any of them for a target.
import { readPipfileLock } from './pipfile-lock.js';
import { readPoetryLock } from './poetry-lock.js';
import { readPylock } from './pylock.js';
import { type LockedEnvironment, type LockFormat, type LockReadOptions } from './types.js';
import { readUvLock } from './uv-lock.js';

export type { LocalProject, LockedEnvironment, LockedFile, LockedPackage, LockFormat, LockReadOptions, LockTarget } from './types.js';
export { lockTarget } from './types.js';

/** Lock file names, first wins: `pylock.toml`, `uv.lock`, `poetry.lock`, `Pipfile.lock` (requirements.txt comes after them). */
export const LOCK_FILES: readonly LockFormat[] = ['pylock.toml', 'uv.lock', 'poetry.lock', 'Pipfile.lock'];

const READERS: Record<LockFormat, (text: string, opts: LockReadOptions) => LockedEnvironment> = {
  'pylock.toml': readPylock,
  'uv.lock': readUvLock,
  'poetry.lock': readPoetryLock,
  'Pipfile.lock': readPipfileLock,
};

/** The lock format of a file name (its base name), or undefined. `pylock.<name>.toml` is a named pylock.toml (PEP 751). */
export function lockFormatOf(filename: string): LockFormat | undefined {
  const base = filename.split(/[\\/]/).pop() ?? '';
  if (/^pylock\.([^.]+\.)?toml$/.test(base)) return 'pylock.toml';
  return LOCK_FILES.find((f) => f === base);
}

/** Reads `text` as a lock of `format` for `opts.target`. Throws PackagerError EINPUT. */
export function readLockFile(format: LockFormat, text: string, opts: LockReadOptions): LockedEnvironment {
  return READERS[format](text, opts);
}
