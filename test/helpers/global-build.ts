// Tests that run bin/package or bin/mirror execute the build in dist/ (tsc,
// then the bundle of scripts/bundle-cli.mjs): build once before any test file
// runs, so no test runs stale JavaScript, but only when a source is newer than
// the last build, so `npx vitest run <file>` costs no build otherwise.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_INFO = path.join(root, 'dist/.tsbuildinfo');
const BUNDLE = path.join(root, 'dist/bundled/package.js');
const BUNDLER = path.join(root, 'scripts/bundle-cli.mjs');

/** Newest mtime of `dir` and everything under it: a directory's changes when an entry is added, removed or renamed. */
function newestMtime(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const mtime = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -Infinity;

/** True when tsc ran after the last change to the sources, and the bundle after tsc. */
export function distUpToDate(): boolean {
  const compiled = mtime(BUILD_INFO);
  const sources = Math.max(newestMtime(path.join(root, 'src')), mtime(path.join(root, 'tsconfig.json')), mtime(BUNDLER));
  return sources <= compiled && compiled <= mtime(BUNDLE);
}

export default function setup(): void {
  if (distUpToDate()) return;
  const started = new Date();
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  // tsc leaves its build info alone when no source changed in content (a touched file, a checkout)
  utimesSync(BUILD_INFO, started, started);
  execFileSync(process.execPath, [BUNDLER], { stdio: 'inherit' });
}
