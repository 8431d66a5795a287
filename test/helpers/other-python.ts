// A real interpreter of this machine whose Python line (3.12, 3.9...) differs
// from the stand-in installer's base python (HOST_PYTHON): what a conda app that
// pins another Python than the installer's base stages with, wrapped as a conda
// `python` package (fixtures/conda/make-python-package.mjs). OTHER_PYTHON names
// one; else python3.N on PATH, pyenv's versions, pypy3. Absent (a machine with a
// single Python), the tests that need it are skipped and say so.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST_PYTHON_VERSION } from '../staging/run-script.js';

function lineOf(interpreter: string): string | undefined {
  const r = spawnSync(interpreter, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function candidates(): string[] {
  const out: string[] = [];
  if (process.env.OTHER_PYTHON) out.push(process.env.OTHER_PYTHON);
  for (let minor = 14; minor >= 8; minor--) out.push(`python3.${minor}`);
  const pyenv = process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  try {
    const newest = (a: string, b: string) => b.localeCompare(a, 'en', { numeric: true });
    for (const v of readdirSync(path.join(pyenv, 'versions')).sort(newest)) out.push(path.join(pyenv, 'versions', v, 'bin/python3'));
  } catch {
    // no pyenv
  }
  out.push('pypy3');
  return out;
}

/** An interpreter whose major.minor is not the base python's, or undefined. */
export const OTHER_PYTHON: string | undefined = (() => {
  const base = HOST_PYTHON_VERSION.split('.').slice(0, 2).join('.');
  return candidates().find((c) => {
    const line = lineOf(c);
    return line !== undefined && line !== base && Number(line.split('.')[0]) === 3;
  });
})();

/** Prints, when there is no other Python, which tests are skipped and how to run them. */
export function warnIfNoOtherPython(what: string): void {
  if (OTHER_PYTHON) return;
  console.warn(`[other python] this machine has no Python besides ${HOST_PYTHON_VERSION.split('.').slice(0, 2).join('.')}: ${what} SKIPPED. Set OTHER_PYTHON to another interpreter (e.g. apt-get install pypy3) to run them (docs/TESTING.md, "A second Python").`);
}
