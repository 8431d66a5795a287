// Bundles the CLIs tsc compiled (dist/cli/<name>-main.js and what they import)
// into dist/bundled/<name>.js, which bin/package and bin/mirror run: loading the
// ~80 separate ES modules instead costs more than 10 % of a warm packaging run
// (bench/BENCHMARKS.md, "Start-up"). A command's module stays a chunk of its
// own, loaded when it runs; undici stays out and loads on the first download.
// The source maps go through tsc's back to src/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bundled');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { package: path.join(root, 'dist/cli/package-main.js'), mirror: path.join(root, 'dist/cli/mirror-main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['undici'],
  sourcemap: 'linked',
  sourcesContent: false,
  // the CommonJS dependencies inside call require()
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
