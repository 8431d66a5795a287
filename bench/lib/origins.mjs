// The shared benchmark data sets (bench/tools/make-origin.sh) and the nginx
// that serves them (origin.sh), plus a registry of what must be stopped when
// the run ends, however it ends.
import { cp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { must, run } from './measure.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.join(ROOT, 'bench/tools');
export const OUT = path.join(ROOT, 'bench/out');
/**
 * A copy of bin/ and dist/ taken when the run starts: the product measured
 * cannot change under the run when someone rebuilds dist/ in the meantime.
 */
export const PRODUCT = path.join(OUT, 'product');
/** Where generated data sets live between runs (shared with limits.sh's default). */
export const BENCH_CACHE = process.env.BENCH_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'buildpack-bench');

const cleanups = [];
/** Registers `fn` to run at the end (reverse order), also on SIGINT/SIGTERM. */
export function atExit(fn) {
  cleanups.push(fn);
}
export async function runCleanups() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (err) {
      process.stderr.write(`cleanup: ${err.message}\n`);
    }
  }
}

/**
 * Makes (or reuses) the `profile` data set with its manifest pointing at
 * 127.0.0.1:port. Returns { dir, files, bytes, urls: [{url, sha256, bytes}] }.
 */
export async function ensureOrigin(profile, port) {
  const dir = path.join(BENCH_CACHE, `origin-${profile}`);
  const env = { ...process.env, PORT: String(port) };
  if (profile === 'mixed') env.LINK_FROM = `${path.join(BENCH_CACHE, 'origin-small')} ${path.join(BENCH_CACHE, 'origin-large')}`;
  await must(path.join(SHARED, 'make-origin.sh'), [dir, profile], { env });
  const urls = (await readFile(path.join(dir, 'urls.tsv'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => {
      const [url, sha256, bytes] = l.split('\t');
      return { url, sha256, bytes: Number(bytes) };
    });
  return { dir, files: urls.length, bytes: urls.reduce((n, u) => n + u.bytes, 0), urls };
}

/** Serves `dir` with nginx on 127.0.0.1:port until the run ends. Returns the nginx master pid. */
export async function startNginx(dir, port) {
  await must(path.join(SHARED, 'origin.sh'), ['start', dir, String(port)]);
  const state = await readFile(path.join(dir, `.origin-${port}.state`), 'utf8');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run(path.join(SHARED, 'origin.sh'), ['stop', dir, String(port)]);
  };
  atExit(stop);
  return { pid: Number(state.split(' ')[0]), stop };
}

/** Copies bin/, dist/ and package.json to PRODUCT (node_modules linked) and checks that it starts. */
export async function snapshotProduct() {
  await rm(PRODUCT, { recursive: true, force: true });
  await mkdir(PRODUCT, { recursive: true });
  for (const d of ['bin', 'dist', 'package.json']) await cp(path.join(ROOT, d), path.join(PRODUCT, d), { recursive: true, verbatimSymlinks: true });
  await symlink(path.join(ROOT, 'node_modules'), path.join(PRODUCT, 'node_modules'));
  for (const tool of ['package', 'mirror']) await must(path.join(PRODUCT, 'bin', tool), ['--help']);
}
