// Tests that run bin/package or bin/mirror execute the compiled dist/ (as its
// one-file bundle, scripts/bundle-cli.mjs): build both
// once before any test file runs, so `npx vitest run <file>` never tests stale
// JavaScript. (`npm test` is then simply `vitest run`.)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  // bin/package and bin/mirror run the one-file bundle when it exists: rebuild it too, never test a stale one
  execFileSync(process.execPath, [path.join(root, 'scripts/bundle-cli.mjs')], { stdio: 'inherit' });
}
