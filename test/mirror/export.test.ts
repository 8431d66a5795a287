// `exportSite`: the static tree, incremental re-export, what it refuses, and
// the promise that a zip, its export served by the mirror, and its export
// served by Debian's nginx answer the same bytes on every path.
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPackagerError } from '../../src/core/errors.js';
import { EXPORT_INDEX, exportSite, openSite, readExportIndex, sitePathToFile, startMirrorServer, type MirrorSite } from '../../src/mirror/index.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMirrorBundle, type MirrorBundle } from './fixture.js';
import { request } from './http.js';
import { NGINX, startExportNginx } from './nginx.js';
import { encodeSitePath } from '../../src/mirror/request-path.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
let bundle: MirrorBundle;
let site: MirrorSite;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mirror-export-'));
  bundle = await buildMirrorBundle(work);
  site = await openSite(bundle.zip);
});
afterAll(async () => {
  await site?.close();
  await rm(work, { recursive: true, force: true });
});

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await walk(dir, name)));
    else out.push(name);
  }
  return out.sort();
}

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await walk(dir)) {
    if (f === EXPORT_INDEX) continue;
    const st = await stat(path.join(dir, f));
    out.set(f, `${st.ino}:${st.mtimeMs}`);
  }
  return out;
}

describe('exportSite', () => {
  it('writes every path as a static file with the bundle date, index.html for directory URLs, index.json beside each simple page', async () => {
    const dir = await tempDir();
    const all = [...site.files.values(), ...site.json.values()];
    const r = await exportSite(site, dir);
    expect(r).toMatchObject({ files: all.length, written: all.length, unchanged: 0, removed: 0 });
    const want = all.map((f) => sitePathToFile(f.path)).concat(EXPORT_INDEX).sort();
    expect(await walk(dir)).toEqual(want);
    expect(want).toContain('pypi/simple/simplewheel/index.html');
    expect(want).toContain('pypi/simple/simplewheel/index.json');
    expect(want).toContain('pypi/simple/index.json');
    expect(want).toContain('miniconda/index.html');
    for (const f of all) {
      const file = path.join(dir, sitePathToFile(f.path));
      expect(sha(await readFile(file)), f.path).toBe(await site.digest(f));
      expect((await stat(file)).mtime.getTime()).toBe(site.lastModified.getTime());
    }
    const index = (await readExportIndex(dir))!;
    expect(index.complete).toBe(true);
    expect(Object.keys(index.files).length).toBe(all.length);
  });

  it('leaves unchanged files untouched on re-export (same inode, same mtime)', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const before = await snapshot(dir);
    const r = await exportSite(site, dir);
    expect(r).toMatchObject({ written: 0, unchanged: site.files.size + site.json.size, removed: 0 });
    expect(await snapshot(dir)).toEqual(before);
  });

  it('rewrites files changed on disk, removes what an earlier export wrote and the bundle dropped, keeps foreign files', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const wheel = path.join(dir, sitePathToFile(bundle.paths.wheel));
    const bytes = await readFile(wheel);
    bytes[100] ^= 0xff;
    await writeFile(wheel, bytes);
    await appendFile(path.join(dir, 'pypi/simple/index.html'), '<!-- edited -->\n');
    // an earlier export of another bundle wrote this file
    await mkdir(path.join(dir, 'pypi/files'), { recursive: true });
    await writeFile(path.join(dir, 'pypi/files/old-1.0.tar.gz'), 'old');
    await mkdir(path.join(dir, 'conda/gone/noarch'), { recursive: true });
    await writeFile(path.join(dir, 'conda/gone/noarch/repodata.json'), '{}');
    const index = (await readExportIndex(dir))!;
    index.files['pypi/files/old-1.0.tar.gz'] = { sha256: sha(Buffer.from('old')), size: 3, mtimeMs: 0 };
    index.files['conda/gone/noarch/repodata.json'] = { sha256: sha(Buffer.from('{}')), size: 2, mtimeMs: 0 };
    await writeFile(path.join(dir, EXPORT_INDEX), JSON.stringify(index));
    await writeFile(path.join(dir, 'README.txt'), 'mine');

    const r = await exportSite(site, dir);
    expect(r).toMatchObject({ written: 2, unchanged: site.files.size + site.json.size - 2, removed: 2 });
    expect(sha(await readFile(wheel))).toBe(bundle.sha256.get(bundle.paths.wheel));
    expect(await walk(dir)).not.toContain('pypi/files/old-1.0.tar.gz');
    await expect(stat(path.join(dir, 'conda/gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(path.join(dir, 'README.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a non-empty directory that holds no earlier export, and writes nothing there', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'index.html'), 'my site');
    const err = await exportSite(site, dir).catch((e: unknown) => e);
    expect(isPackagerError(err, 'EUSAGE')).toBe(true);
    expect((err as Error).message).toContain('not empty and holds no earlier export');
    expect(await walk(dir)).toEqual(['index.html']);
  });

  it('refuses to write through a directory replaced by a link to elsewhere', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await exportSite(site, dir);
    await rm(path.join(dir, 'pypi/files'), { recursive: true });
    await symlink(outside, path.join(dir, 'pypi/files'));
    const err = await exportSite(site, dir).catch((e: unknown) => e);
    expect(isPackagerError(err, 'EBUNDLE')).toBe(true);
    expect((err as Error).message).toContain('Refusing to write through a link');
    expect(await readdir(outside)).toEqual([]);
  });

  it('marks an interrupted export incomplete (serve refuses it) and finishes it on the next run', async () => {
    const dir = await tempDir();
    const ac = new AbortController();
    let done = 0;
    const err = await exportSite(site, dir, {
      concurrency: 1,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'done' && ++done === 3) ac.abort(new Error('stop'));
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((await readExportIndex(dir))!.complete).toBe(false);
    await expect(openSite(dir)).rejects.toMatchObject({ code: 'EBUNDLE', message: expect.stringContaining('incomplete') });
    const r = await exportSite(site, dir);
    expect(r.unchanged).toBeGreaterThanOrEqual(3);
    expect(r.written + r.unchanged).toBe(site.files.size + site.json.size);
    expect((await readExportIndex(dir))!.complete).toBe(true);
  });
});

describe('opening an export', () => {
  it('serves the JSON pages it wrote as they are, and makes them for an export without them', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const fromDir = await openSite(dir);
    try {
      expect([...fromDir.json.keys()].sort()).toEqual([...site.json.keys()].sort());
      expect(fromDir.json.get('/pypi/simple/simplewheel/')).toMatchObject({ entry: 'pypi/simple/simplewheel/index.json', sha256: site.json.get('/pypi/simple/simplewheel/')!.sha256 });
    } finally {
      await fromDir.close();
    }
    // as an export made before JSON pages were exported
    const index = (await readExportIndex(dir))!;
    for (const name of Object.keys(index.files).filter((n) => n.endsWith('/index.json'))) {
      delete index.files[name];
      await rm(path.join(dir, name));
    }
    await writeFile(path.join(dir, EXPORT_INDEX), JSON.stringify(index));
    const older = await openSite(dir);
    try {
      for (const [page, f] of site.json) expect(older.json.get(page)?.data?.equals(f.data!), page).toBe(true);
    } finally {
      await older.close();
    }
  });
});

describe('a bundle and its export', () => {
  it('give the same bytes on every path: mirror on the zip, mirror on the export, nginx on the export', async () => {
    const dir = await tempDir();
    await exportSite(site, dir);
    const fromDir = await openSite(dir);
    const a = await startMirrorServer(site, { port: 0 });
    const b = await startMirrorServer(fromDir, { port: 0 });
    const prefix = await tempDir();
    if (!NGINX) console.log('skipping the nginx comparison: nginx is not installed (apt-get install -y nginx-light)');
    const nginx = NGINX ? await startExportNginx(dir, prefix) : undefined;
    try {
      expect([...fromDir.files.keys()].sort()).toEqual([...site.files.keys()].sort());
      for (const p of site.files.keys()) {
        const target = encodeSitePath(p);
        const fromZip = await request(a.url.slice(0, -1) + target);
        const fromExport = await request(b.url.slice(0, -1) + target);
        expect(fromZip.status, p).toBe(200);
        expect(fromExport.status, p).toBe(200);
        expect(sha(fromExport.body), p).toBe(sha(fromZip.body));
        expect(fromExport.headers.etag, p).toBe(fromZip.headers.etag);
        expect(fromExport.headers['content-type'], p).toBe(fromZip.headers['content-type']);
        if (nginx) {
          const fromNginx = await request(nginx.url.slice(0, -1) + target);
          expect(fromNginx.status, `nginx ${p}`).toBe(200);
          expect(sha(fromNginx.body), `nginx ${p}`).toBe(sha(fromZip.body));
        }
        if (p.startsWith('/pypi/simple/')) {
          const accept = { accept: 'application/vnd.pypi.simple.v1+json' };
          const jz = await request(a.url.slice(0, -1) + target, { headers: accept });
          const jd = await request(b.url.slice(0, -1) + target, { headers: accept });
          expect(jd.headers['content-type'], p).toBe('application/vnd.pypi.simple.v1+json');
          expect(jd.body.toString(), p).toBe(jz.body.toString());
          expect(jd.headers.etag, p).toBe(jz.headers.etag);
          if (nginx) expect((await request(nginx.url.slice(0, -1) + target, { headers: accept })).body.toString(), `nginx ${p}`).toBe(jz.body.toString());
        }
      }
      if (nginx) expect((await request(`${nginx.url}${EXPORT_INDEX}`)).status).toBe(403);
    } finally {
      await nginx?.stop();
      await a.close();
      await b.close();
      await fromDir.close();
    }
  });
});
