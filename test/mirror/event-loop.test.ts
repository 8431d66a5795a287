// No request may hold up the mirror's event loop: a client asking for the
// PEP 691 JSON of a huge tag-soup simple page (thousands of `<a>` never
// closed, which a regex anchor parser scans in quadratic time) must not stall
// /healthz for anyone else. The site makes every JSON page when it opens, so
// a request only looks one up. The bound is generous (a loaded 2-core
// machine); the stall it guards against lasted seconds.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSite, startMirrorServer, type MirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { request } from './http.js';

const TAGS = 12_000;
const BOUND_MS = 1_000;
const WHEEL = 'soup-1.0-py3-none-any.whl';

let work: string;
let site: MirrorSite;
let mirror: MirrorServer;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-event-loop-'));
  // an unzipped bundle whose one project page is tag soup
  await mkdir(path.join(work, 'pypi/simple/soup'), { recursive: true });
  await mkdir(path.join(work, 'pypi/files'), { recursive: true });
  await writeFile(path.join(work, 'pypi/files', WHEEL), 'not really a wheel');
  await writeFile(path.join(work, 'pypi/simple/index.html'), '<!DOCTYPE html>\n<html><body>\n<a href="soup/">soup</a>\n</body></html>\n');
  const soup = Array.from({ length: TAGS }, (_, i) => `<a href="../../files/${i === 0 ? WHEEL : `gone-${i}.whl`}">x-${i}\n`).join('');
  await writeFile(path.join(work, 'pypi/simple/soup/index.html'), `<!DOCTYPE html>\n<html><body>\n${soup}</body></html>\n`);
  site = await openSite(work);
  mirror = await startMirrorServer(site, { port: 0 });
}, 120_000);
afterAll(async () => {
  await mirror?.close();
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

describe('the event loop under a huge tag-soup page', () => {
  it(`answers /healthz within ${BOUND_MS} ms while the page's PEP 691 JSON is asked for`, async () => {
    const latencies: number[] = [];
    let done = false;
    const json = request(`${mirror.url}pypi/simple/soup/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } }).finally(() => (done = true));
    const probe = (async () => {
      // at least a few probes, and on until the JSON answer is in
      for (let i = 0; i < 5 || !done; i++) {
        const started = performance.now();
        expect((await request(`${mirror.url}healthz`)).status).toBe(200);
        latencies.push(performance.now() - started);
      }
    })();
    const [r] = await Promise.all([json, probe]);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.pypi.simple.v1+json');
    expect(Math.max(...latencies), `healthz latencies (ms): ${latencies.map((l) => l.toFixed(0)).join(' ')}`).toBeLessThan(BOUND_MS);
  }, 60_000);
});
