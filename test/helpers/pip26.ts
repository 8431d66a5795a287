// Real pip 26 from this machine's PyPI mirror, for the tests that ask it what pip
// does. Run from its wheel, every start compiles pip again (a zip holds no
// bytecode): it is unpacked and byte-compiled once per test run instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILES = '/opt/pypi/files';

/** The pip 26 wheel of /opt/pypi/files, when this machine has one. */
export const PIP26_WHEEL: string | undefined = existsSync(FILES)
  ? readdirSync(FILES)
      .filter((f) => /^pip-26\..*\.whl$/.test(f))
      .map((f) => path.join(FILES, f))
      .sort()
      .pop()
  : undefined;

/** `python3 <this> ...` runs that pip (undefined without the wheel). */
export function pip26Script(): string | undefined {
  if (!PIP26_WHEEL) return undefined;
  const parent = process.env.STANDIN_TEMPLATE_DIR ?? os.tmpdir();
  const dir = path.join(parent, path.basename(PIP26_WHEEL, '.whl'));
  if (!existsSync(path.join(dir, 'pip/__main__.py'))) {
    const tmp = mkdtempSync(`${dir}.`);
    execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', PIP26_WHEEL, tmp]);
    execFileSync('python3', ['-m', 'compileall', '-q', tmp], { stdio: 'ignore' });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test file unpacked it first
    }
  }
  return path.join(dir, 'pip');
}
