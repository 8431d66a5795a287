// The nginx configuration `bin/mirror export --nginx-conf` writes, run by
// Debian's nginx over a real export: every path answers the bytes, type and
// Cache-Control `bin/mirror serve` gives; simple pages negotiate PEP 691 JSON
// by Accept (with Vary); HEAD, Range and If-None-Match as nginx does them; 404
// and 403 where there is nothing to have. Real pip against it: pip.test.ts.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPackagerError } from '../../src/core/errors.js';
import { exportSite, nginxConf, openSite, startMirrorServer, type MirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { encodeSitePath } from '../../src/mirror/request-path.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';
import { request, type Reply } from './http.js';
import { NGINX, startExportNginx, type RunningNginx } from './nginx.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';
const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';

describe('nginxConf', () => {
  it('puts the export directory and the listen value in, and refuses what nginx would misread', () => {
    const conf = nginxConf({ root: '/srv/my "mirror"', listen: '[::]:8080 default_server' });
    expect(conf).toContain('root "/srv/my \\"mirror\\"";');
    expect(conf).toContain('listen [::]:8080 default_server;');
    expect(nginxConf({ root: '/srv/m' })).toContain('listen 80;');
    for (const o of [{ root: '/srv/$document_root' }, { root: 'relative/dir' }, { root: '/srv/a\nb' }, { root: '/srv/m', listen: '80; include /etc/passwd' }]) {
      let err: unknown;
      try {
        nginxConf(o);
      } catch (e) {
        err = e;
      }
      expect(isPackagerError(err, 'EUSAGE'), JSON.stringify(o)).toBe(true);
    }
  });
});

if (!NGINX) console.log('skipping the nginx configuration tests: nginx is not installed (apt-get install -y nginx-light)');

describe.skipIf(!NGINX)('nginx with the shipped configuration, over an export', () => {
  let work: string;
  let bundle: MirrorBundle;
  let site: MirrorSite;
  let mirror: MirrorServer;
  let nginx: RunningNginx;
  const at = (server: { url: string }, p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> =>
    request(server.url.slice(0, -1) + p, { headers, method });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'mirror-nginx-'));
    bundle = await buildMirrorBundle(work);
    site = await openSite(bundle.zip);
    const dir = path.join(work, 'export');
    await exportSite(site, dir);
    mirror = await startMirrorServer(site, { port: 0 });
    nginx = await startExportNginx(dir, await tempDir());
  });
  afterAll(async () => {
    await nginx?.stop();
    await mirror?.close();
    await site?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('answers every path with the bytes, Content-Type and Cache-Control of bin/mirror serve', async () => {
    for (const p of site.files.keys()) {
      const ours = await at(mirror, encodeSitePath(p));
      const theirs = await at(nginx, encodeSitePath(p));
      expect(theirs.status, p).toBe(200);
      expect(sha(theirs.body), p).toBe(sha(ours.body));
      for (const h of ['content-type', 'cache-control', 'x-content-type-options', 'vary']) expect(theirs.headers[h], `${p} ${h}`).toBe(ours.headers[h]);
    }
    // the classes, spelled out once
    const cacheControl = async (p: string) => (await at(nginx, p)).headers['cache-control'];
    expect(await cacheControl(bundle.paths.wheel)).toBe('public, max-age=31536000, immutable');
    expect(await cacheControl(bundle.paths.metadata)).toBe('public, max-age=31536000, immutable');
    expect(await cacheControl(bundle.paths.condaPackage)).toBe('public, max-age=31536000, immutable');
    expect(await cacheControl('/conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda')).toBe('public, max-age=31536000, immutable');
    for (const p of ['/conda/conda-forge/noarch/repodata.json', '/pypi/simple/', '/pypi/simple/simplewheel/', '/miniconda/', bundle.paths.installer, '/healthz', '/']) {
      expect(await cacheControl(p), p).toBe('no-cache');
    }
    expect((await at(nginx, '/healthz')).headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await at(nginx, bundle.paths.installer)).headers['content-type']).toBe('application/octet-stream');
  });

  it('answers a simple page as PEP 691 JSON when Accept names it, as HTML otherwise, with Vary: Accept', async () => {
    for (const page of ['/pypi/simple/', '/pypi/simple/simplewheel/', '/pypi/simple/has-script/']) {
      const want = await at(mirror, page, { accept: PIP_ACCEPT });
      for (const accept of [PIP_ACCEPT, SIMPLE_JSON, 'application/vnd.pypi.simple.latest+json', `text/html;q=0.5, ${SIMPLE_JSON};q=0.9`]) {
        const r = await at(nginx, page, { accept });
        expect(r.headers['content-type'], `${page} ${accept}`).toBe(SIMPLE_JSON);
        expect(r.headers.vary).toBe('Accept');
        expect(r.body.equals(want.body), `${page} ${accept}`).toBe(true);
      }
      const html = (await at(mirror, page)).body;
      for (const accept of [undefined, '*/*', 'text/html', `${SIMPLE_JSON};q=0, text/html`, `${SIMPLE_JSON}; q=0.0`]) {
        const r = await at(nginx, page, accept === undefined ? {} : { accept });
        expect(r.headers['content-type'], `${page} ${accept}`).toBe('text/html; charset=utf-8');
        expect(r.headers.vary).toBe('Accept');
        expect(r.body.equals(html), `${page} ${accept}`).toBe(true);
      }
    }
    expect(JSON.parse((await at(nginx, '/pypi/simple/', { accept: SIMPLE_JSON })).body.toString()).projects).toContainEqual({ name: 'simplewheel' });
  });

  it('gives HEAD, Range, If-None-Match, redirects, 404 and 403 as nginx does', async () => {
    const size = site.get(bundle.paths.wheel)!.size;
    const get = await at(nginx, bundle.paths.wheel);
    const head = await at(nginx, bundle.paths.wheel, {}, 'HEAD');
    expect([head.status, head.body.length, head.headers['content-length'], head.headers.etag]).toEqual([200, 0, String(size), get.headers.etag]);
    const part = await at(nginx, bundle.paths.wheel, { range: 'bytes=0-9' });
    expect([part.status, part.headers['content-range']]).toEqual([206, `bytes 0-9/${size}`]);
    expect(part.body.equals(get.body.subarray(0, 10))).toBe(true);
    expect((await at(nginx, bundle.paths.wheel, { range: `bytes=${size}-` })).status).toBe(416);
    expect((await at(nginx, bundle.paths.wheel, { 'if-none-match': get.headers.etag! })).status).toBe(304);
    expect(get.headers['last-modified']).toBe(site.lastModified.toUTCString());
    const json = await at(nginx, '/pypi/simple/simplewheel/', { accept: SIMPLE_JSON });
    expect(json.headers.etag).not.toBe((await at(nginx, '/pypi/simple/simplewheel/')).headers.etag);
    expect((await at(nginx, '/pypi/simple/simplewheel/', { accept: SIMPLE_JSON, 'if-none-match': json.headers.etag! })).status).toBe(304);
    const redirect = await at(nginx, '/pypi/simple');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/pypi/simple/']);
    expect((await at(nginx, '/pypi/files/missing-1.0-py3-none-any.whl')).status).toBe(404);
    expect((await at(nginx, '/pypi/simple/numpy/')).status).toBe(404);
    expect((await at(nginx, '/.mirror-export.json')).status).toBe(403);
  });
});
