// Mirror: `bin/mirror serve` (reading the bundle zip in place) against Debian's
// nginx serving `bin/mirror export` of the same zip, same URLs, loaded with wrk
// (apt-get install wrk; bench only, CI does not run it). Small files give
// requests/s, large files MB/s; the mirror's peak RSS (VmHWM) is read from
// /proc after a run at 200 connections. wrk runs on the same 2 cores as the
// server it loads, for both servers alike.
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, machine, must, procMemory, stats, waitForHttp } from './lib/measure.mjs';
import { OUT, PRODUCT, ROOT, atExit, ensureOrigin, runCleanups, snapshotProduct, startNginx } from './lib/origins.mjs';

const SMALL_MAX = 64 * 1024;

/** Builds a bundle with a PyPI tree (300 wheels) and a conda channel (6 big packages) from the shared data sets. */
export async function buildBundle(zip, port, product = PRODUCT) {
  const { writeZip } = await import(path.join(product, 'dist/bundle/write-zip.js'));
  const small = await ensureOrigin('small', port);
  const large = await ensureOrigin('large', port);
  const entries = [];
  const index = [];
  const projects = [];
  small.urls.forEach((u, i) => {
    const project = `bench-s${String(i + 1).padStart(3, '0')}`;
    const file = `${project.replace(/-/g, '_')}-1.0-py3-none-any.whl`;
    const src = path.join(small.dir, new URL(u.url).pathname);
    entries.push({ name: `pypi/files/${file}`, source: { path: src }, sha256: u.sha256, size: u.bytes });
    entries.push({
      name: `pypi/simple/${project}/index.html`,
      source: { data: `<!DOCTYPE html>\n<html><body>\n<a href="../../files/${file}#sha256=${u.sha256}">${file}</a>\n</body></html>\n` },
    });
    index.push(`https://files.example.org/${file}\tpypi/files/${file}\t${u.sha256}\t${u.bytes}`);
    projects.push(project);
  });
  entries.push({ name: 'pypi/simple/index.html', source: { data: `<!DOCTYPE html>\n<html><body>\n${projects.map((p) => `<a href="${p}/">${p}</a>`).join('\n')}\n</body></html>\n` } });
  const packages = {};
  large.urls.forEach((u, i) => {
    const file = `conda-l${String(i + 1).padStart(2, '0')}-24.${i + 1}.0-0.conda`;
    entries.push({ name: `conda/bench/linux-64/${file}`, source: { path: path.join(large.dir, new URL(u.url).pathname) }, sha256: u.sha256, size: u.bytes });
    packages[file] = { name: `conda-l${String(i + 1).padStart(2, '0')}`, version: `24.${i + 1}.0`, build: '0', build_number: 0, depends: [], sha256: u.sha256, size: u.bytes, subdir: 'linux-64' };
    index.push(`https://conda.example.org/bench/linux-64/${file}\tconda/bench/linux-64/${file}\t${u.sha256}\t${u.bytes}`);
  });
  entries.push({ name: 'conda/bench/linux-64/repodata.json', source: { data: JSON.stringify({ info: { subdir: 'linux-64' }, packages: {}, 'packages.conda': packages, repodata_version: 1 }) } });
  entries.push({ name: 'conda/bench/noarch/repodata.json', source: { data: JSON.stringify({ info: { subdir: 'noarch' }, packages: {}, 'packages.conda': {}, repodata_version: 1 }) } });
  entries.push({ name: 'dependencies/index.tsv', source: { data: index.sort().join('\n') + '\n' } });
  await writeZip(entries, zip, { env: {} });
}

/** Every file of an export as [url path, bytes]. */
async function exportedPaths(dir) {
  const out = [];
  const walk = async (rel) => {
    for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(r);
      // an export's PEP 691 JSON pages are answered at their page's URL
      else if (!d.name.startsWith('.') && d.name !== 'index.json') {
        const url = r === 'index.html' ? '/' : r.endsWith('/index.html') ? `/${r.slice(0, -'index.html'.length)}` : `/${r}`;
        out.push([url, (await stat(path.join(dir, r))).size]);
      }
    }
  };
  await walk('');
  return out;
}

async function wrk(url, pathsFile, { threads, connections, seconds }) {
  const r = await must('wrk', ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '30s', '-s', path.join(ROOT, 'bench/wrk-paths.lua'), url], {
    env: { ...process.env, WRK_PATHS: pathsFile },
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(line.slice('WRK_JSON '.length));
  const s = j.duration_us / 1e6;
  return { ...j, rps: j.requests / s, mbps: j.bytes / s / 1e6 };
}

/** Starts `bin/mirror serve` on a free port; resolves { url, pid, stop }. */
async function startMirror(zip, product) {
  const port = await freePort();
  return startServer(path.join(product, 'bin/mirror'), ['serve', zip, '--port', String(port), '--no-access-log'], port, '/healthz');
}

/** The bare node:http server (bench/bare-http.mjs) answering `size` bytes. */
async function startBare(size) {
  const port = await freePort();
  return startServer(process.execPath, [path.join(ROOT, 'bench/bare-http.mjs'), String(port), String(Math.round(size))], port, '/');
}

async function startServer(cmd, args, port, probe) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  atExit(stop);
  try {
    await waitForHttp(`${url}${probe}`);
  } catch {
    await stop();
    throw new Error(`${args.join(' ')} did not come up: ${stderr}`);
  }
  return { url, pid: child.pid, stop };
}

/** Loads both servers with the same URL lists; returns throughput ratios and the mirror's peak RSS. */
export async function benchMirror({ runs, seconds, port, log, product = PRODUCT }) {
  const work = path.join(OUT, 'work', 'mirror');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const zip = path.join(work, 'bundle.zip');
  log('mirror: building the bundle (300 wheels + simple pages, 6 large conda packages)');
  await buildBundle(zip, port, product);
  const exportDir = path.join(work, 'export');
  await must(path.join(product, 'bin/mirror'), ['export', zip, exportDir]);
  const files = await exportedPaths(exportDir);
  const smallPaths = files.filter(([, n]) => n <= SMALL_MAX);
  const largePaths = files.filter(([u]) => u.endsWith('.conda'));
  const smallFile = path.join(work, 'small.txt');
  const largeFile = path.join(work, 'large.txt');
  await writeFile(smallFile, smallPaths.map(([u]) => u).join('\n') + '\n');
  await writeFile(largeFile, largePaths.map(([u]) => u).join('\n') + '\n');
  const meanSmall = smallPaths.reduce((n, [, b]) => n + b, 0) / smallPaths.length;

  const nginxPort = await freePort();
  const nginx = await startNginx(exportDir, nginxPort);
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;
  let mirror = await startMirror(zip, product);
  const bare = await startBare(meanSmall);
  const it = [];
  try {
    // warm-up: every URL once on both (page cache, the mirror's ETag digests and small-body cache)
    for (const base of [nginxUrl, mirror.url]) {
      await wrk(base, smallFile, { threads: 1, connections: 4, seconds: 2 });
      await wrk(base, largeFile, { threads: 1, connections: 2, seconds: 2 });
    }
    for (let i = 0; i < runs; i++) {
      log(`mirror: run ${i + 1}/${runs}`);
      const r = {};
      for (const [name, base] of [['nginx', nginxUrl], ['mirror', mirror.url]]) {
        r[`${name}Small`] = await wrk(base, smallFile, { threads: 2, connections: 64, seconds });
        r[`${name}Large`] = await wrk(base, largeFile, { threads: 2, connections: 4, seconds });
      }
      r.bareSmall = await wrk(bare.url, smallFile, { threads: 2, connections: 64, seconds });
      it.push(r);
    }
    // peak RSS at 200 connections: a fresh mirror, warmed, then small and large files at -c 200
    await bare.stop();
    await mirror.stop();
    mirror = await startMirror(zip, product);
    await wrk(mirror.url, smallFile, { threads: 1, connections: 4, seconds: 2 });
    const idle = await procMemory(mirror.pid);
    log('mirror: 200 connections');
    const c200Small = await wrk(mirror.url, smallFile, { threads: 2, connections: 200, seconds });
    const c200Large = await wrk(mirror.url, largeFile, { threads: 2, connections: 200, seconds });
    const peak = await procMemory(mirror.pid);
    const nginxC200 = await wrk(nginxUrl, smallFile, { threads: 2, connections: 200, seconds });
    const s = (f) => stats(it.map(f));
    return {
      runs,
      seconds,
      smallFiles: smallPaths.length,
      meanSmallBytes: meanSmall,
      largeFiles: largePaths.length,
      largeBytes: largePaths.reduce((n, [, b]) => n + b, 0),
      iterations: it,
      nginxRps: s((r) => r.nginxSmall.rps),
      mirrorRps: s((r) => r.mirrorSmall.rps),
      rpsRatio: s((r) => r.mirrorSmall.rps / r.nginxSmall.rps),
      bareRps: s((r) => r.bareSmall.rps),
      bareRatio: s((r) => r.bareSmall.rps / r.nginxSmall.rps),
      nginxMBps: s((r) => r.nginxLarge.mbps),
      mirrorMBps: s((r) => r.mirrorLarge.mbps),
      mbpsRatio: s((r) => r.mirrorLarge.mbps / r.nginxLarge.mbps),
      errors: it.reduce((n, r) => n + Object.values(r).reduce((m, w) => m + w.socket_errors + w.non2xx, 0), 0),
      c200: {
        idleRssMiB: idle.rss / 1024,
        peakRssMiB: peak.hwm / 1024,
        small: c200Small,
        large: c200Large,
        nginxSmall: nginxC200,
        errors: c200Small.socket_errors + c200Small.non2xx + c200Large.socket_errors + c200Large.non2xx,
      },
    };
  } finally {
    await bare.stop();
    await mirror.stop();
    await nginx.stop();
    await rm(work, { recursive: true, force: true });
  }
}


// `node bench/mirror.mjs [--runs N] [--seconds S] [--product DIR]`: this
// section alone, for comparing two builds (DIR holds bin/, dist/ and
// node_modules/; default a snapshot of this tree); the result as JSON on stdout.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '10' }, product: { type: 'string' } } });
  const log = (m) => process.stderr.write(`[bench mirror] ${m}\n`);
  try {
    let product = values.product && path.resolve(values.product);
    if (!product) {
      await snapshotProduct();
      product = PRODUCT;
    }
    const load = (await machine()).load;
    const r = await benchMirror({ runs: Number(values.runs), seconds: Number(values.seconds), port: await freePort(), log, product });
    process.stdout.write(`${JSON.stringify({ product, loadBefore: load, loadAfter: (await machine()).load, ...r })}\n`);
  } catch (err) {
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  } finally {
    await runCleanups();
  }
}
