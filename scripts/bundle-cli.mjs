// Bundles each CLI (dist/cli/<name>-program.js and what it imports, compiled
// by tsc) into one CommonJS file beside it, dist/cli/<name>.bundle.cjs, which
// bin/package and bin/mirror load when present, through V8's code cache
// (src/cli/code-cache.ts). Why: Node 20 has no module compile cache, and
// resolving, reading and linking ~120 separate modules cost ~130 ms of every
// command's start; CommonJS, because node:vm can run a script with a code
// cache but not an ES module (bench/BENCHMARKS.md, "Start-up"). The bundle is
// the same code as dist/, so tests of either test both; undici stays out of
// it and lazily loaded.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

for (const name of ['package', 'mirror']) {
  await build({
    stdin: { contents: `export { main } from './dist/cli/${name}-program.js';`, resolveDir: root, sourcefile: `${name}-bundle-entry.js` },
    outfile: path.join(root, `dist/cli/${name}.bundle.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The sources are ES modules that find files (package.json, node_modules)
    // from import.meta.url; in the bundle that is the bundle's own URL.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
  // the ES module bundle earlier builds wrote
  rmSync(path.join(root, `dist/cli/${name}.bundle.mjs`), { force: true });
}
// the previous bundles' code caches: never used by these (their names carry a bundle's hash)
rmSync(path.join(root, 'dist/cli/.code-cache'), { recursive: true, force: true });
