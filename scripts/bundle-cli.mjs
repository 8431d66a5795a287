// Bundles each CLI entry (dist/cli/<name>-main.js, compiled by tsc) into one
// ES module beside it, dist/cli/<name>.bundle.mjs, which bin/package and
// bin/mirror load when present. Why: Node 20 has no module compile cache, and
// resolving, reading and linking ~120 separate modules cost ~130 ms of every
// command's start (bench/BENCHMARKS.md, "Start-up"). The bundle is the same
// code as dist/, so tests of either test both; undici stays lazily evaluated.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

for (const name of ['package', 'mirror']) {
  await build({
    entryPoints: [path.join(root, `dist/cli/${name}-main.js`)],
    outfile: path.join(root, `dist/cli/${name}.bundle.mjs`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS dependencies (undici, js-yaml's peers) call require() for Node's
    // built-ins: an ES module has none, so give the bundle one.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
