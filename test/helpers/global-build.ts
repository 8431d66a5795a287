// Tests that run bin/package or bin/mirror execute the compiled dist/: compile
// once before any test file runs, so no test runs stale JavaScript, but only
// when something under src/ (or tsconfig.json) is newer than tsc's last
// incremental build, so `npx vitest run <file>` costs no compile otherwise.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_INFO = path.join(root, 'dist/.tsbuildinfo');

/** Newest mtime of `dir` and everything under it: a directory's changes when an entry is added, removed or renamed. */
function newestMtime(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/ was compiled after the last change to the sources. */
export function distUpToDate(): boolean {
  let built: number;
  try {
    built = statSync(BUILD_INFO).mtimeMs;
  } catch {
    return false;
  }
  return Math.max(newestMtime(path.join(root, 'src')), statSync(path.join(root, 'tsconfig.json')).mtimeMs) <= built;
}

export default function setup(): void {
  if (distUpToDate()) return;
  const started = new Date();
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  // tsc leaves the build info alone when no source changed in content (a touched file, a checkout)
  utimesSync(BUILD_INFO, started, started);
}
