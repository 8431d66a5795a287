// One pip resolution with a given build of the resolver (bench/resolve-pip.mjs
// times this whole process): node resolve-pip-child.mjs DIST REQUIREMENTS PYTHON CACHE INDEX...
// Prints { ok, files | message } as one JSON line.
import path from 'node:path';

const [dist, req, python, cacheDir, ...indexes] = process.argv.slice(2);
const { resolvePypi } = await import(path.join(dist, 'resolve/pypi/index.js'));
const { fetchArtifact, fetchDocument } = await import(path.join(dist, 'fetch/index.js'));
const { MemoryLogger } = await import(path.join(dist, 'core/index.js'));
const logger = new MemoryLogger();
const opts = { cacheDir, logger, retries: 0 };
const ctx = { logger, fetchDocument: (u, h) => fetchDocument(u, { ...opts, headers: h }), fetchFile: (a) => fetchArtifact(a, opts) };
const pip = { index_url: indexes[0], extra_index_urls: indexes.slice(1), find_links: [], python_version: python, requirements: [], files: [path.resolve(req)] };
try {
  const entries = await resolvePypi({ pip, stacks: ['cflinuxfs4'], manifestDir: path.dirname(path.resolve(req)) }, ctx);
  console.log(JSON.stringify({ ok: true, files: entries.map((e) => e.filename) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, message: `${e.code}: ${e.message}` }));
}
