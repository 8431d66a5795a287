// Reads a lock fixture for a target (CPython x86_64 glibc 2.35 unless told), for the lock-file tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readLockFile, lockTarget, type LockFormat, type LockedEnvironment } from '../../../../src/resolve/pypi/lockfiles/index.js';
import { glibcPlatforms } from '../../../../src/resolve/pypi/wheel-tags.js';
import { thrownPackagerError } from '../../../helpers/errors.js';
import { FIXTURES, UPSTREAM } from '../../../helpers/paths.js';

export const LOCKS = path.join(FIXTURES, 'lockfiles');
export const UPSTREAM_LOCKS = path.join(UPSTREAM, 'lockfiles');

export interface ReadOpts {
  python?: string;
  arch?: string;
  groups?: string[];
  extras?: string[];
  /** Edits the text before reading (a derived case of a real file). */
  edit?: (text: string) => string;
}

export function target(python = '3.11.9', arch = 'x86_64') {
  return lockTarget({ pythonVersion: python, arch, platforms: glibcPlatforms(arch, [2, 35]) });
}

export function textOf(file: string): string {
  return readFileSync(file, 'utf8');
}

export function read(format: LockFormat, file: string, o: ReadOpts = {}): LockedEnvironment {
  const text = (o.edit ?? ((t) => t))(textOf(file));
  return readLockFile(format, text, { file: format, target: target(o.python, o.arch), groups: o.groups ?? [], extras: o.extras ?? [] });
}

export function refused(format: LockFormat, file: string, o: ReadOpts = {}) {
  const err = thrownPackagerError(() => read(format, file, o));
  if (err.code !== 'EINPUT') throw new Error(`expected EINPUT, got ${err.code}: ${err.message}`);
  return err;
}

/** `name version filename` for each selected package (Pipfile.lock: `name version #hashes`). */
export function summary(env: LockedEnvironment): string[] {
  return env.packages.map((p) => `${p.name} ${p.version} ${p.file ? p.file.filename : `#${p.hashes.length}`}`);
}

export function names(env: LockedEnvironment): string[] {
  return env.packages.map((p) => p.key);
}
