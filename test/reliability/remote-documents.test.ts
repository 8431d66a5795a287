// What a remote index may make the packager do (issue 21 items 2 and 3), end
// to end through bin/package against loopback origins: a document fetched over
// the network may only point at http(s) URLs (never at a file of the
// packaging host), and nothing it serves is unbounded (gzip bombs, pages that
// never end or drip forever). Each run gets its own sandbox (HOME, TMPDIR, cache).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startOrigin } from '../../fixtures/origin/origin.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { expectCleanExit } from './support/cli.js';
import { sandbox, type Sandbox } from './support/corpus-run.js';
import { snapshotTree } from './support/tree.js';

const MiB = 1024 * 1024;
const CANARY = 'CANARY-a-file-of-the-packaging-host-7f3e';
const INCLUDE = 'include_files:\n- VERSION\n- manifest.yml\n- bin/compile\n';

const packageOffline = (s: Sandbox, env: NodeJS.ProcessEnv = {}) =>
  runCliInProcess('package', ['offline', '--manifest', 'manifest.yml', '--cache-dir', path.join(s.dir, 'cache'), '--output', path.join(s.dir, 'out.zip')], {
    cwd: s.root,
    env: { ...s.env, ...env },
  });

/** A wheel `name-1.0-py3-none-any.whl` whose METADATA has these Requires-Dist lines. */
function makeWheel(dir: string, name: string, requiresDist: string[]): Buffer {
  const info = path.join(dir, `${name}-1.0.dist-info`);
  execFileSync('mkdir', ['-p', info]);
  execFileSync('sh', [
    '-c',
    `printf '%s\\n' 'Metadata-Version: 2.1' 'Name: ${name}' 'Version: 1.0' ${requiresDist.map((r) => `'Requires-Dist: ${r}'`).join(' ')} > "$1/METADATA" && printf 'Wheel-Version: 1.0\\nTag: py3-none-any\\n' > "$1/WHEEL"`,
    'sh',
    info,
  ]);
  const whl = path.join(dir, `${name}-1.0-py3-none-any.whl`);
  execFileSync('zip', ['-qr', whl, `${name}-1.0.dist-info`], { cwd: dir });
  return execFileSync('cat', [whl]);
}

/** Files under the sandbox, but the operator's own canary, that hold the canary's text: where a leak would show. */
async function leaked(s: Sandbox): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(s.dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(e.parentPath, e.name);
    if (e.isFile() && !file.startsWith(path.join(s.dir, 'canary')) && (await readFile(file)).includes(CANARY)) out.push(path.relative(s.dir, file));
  }
  return out;
}

/** The largest file under `dir` (bytes). */
async function largest(dir: string): Promise<number> {
  let max = 0;
  for (const file of Object.keys(await snapshotTree(dir).catch(() => ({})))) max = Math.max(max, (await stat(path.join(dir, file))).size);
  return max;
}

describe('a document fetched over the network may only point at http(s) URLs', () => {
  it('refuses a remote wheel whose Requires-Dist names a file: URL, naming the requirement and the wheel, and reads no local file', async () => {
    const s = await sandbox();
    await mkdir(path.join(s.dir, 'canary'));
    const canary = path.join(s.dir, 'canary', 'evil-1.0-py3-none-any.whl');
    await writeFile(canary, CANARY);
    const wheel = makeWheel(path.join(s.dir, 'build'), 'x', [`evil @ ${pathToFileURL(canary).toString()}`]);
    const sha = createHash('sha256').update(wheel).digest('hex');
    const origin = await startOrigin({
      files: { '/files/x-1.0-py3-none-any.whl': wheel },
      routes: {
        '/simple/x/': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="/files/x-1.0-py3-none-any.whl#sha256=${sha}">x-1.0-py3-none-any.whl</a>`),
      },
    });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${origin.url}/simple\n  requirements: [x]\n${INCLUDE}`);
      const r = await packageOffline(s);
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`The metadata of x-1.0-py3-none-any.whl from ${origin.url}/files/x-1.0-py3-none-any.whl points at Requires-Dist "evil @ file://`);
      expect(r.stderr).toMatch(/which is not an http\(s\) URL/);
      await expect(stat(path.join(s.dir, 'out.zip'))).rejects.toThrow();
      expect(await leaked(s)).toEqual([]);
    } finally {
      await origin.close();
    }
  });

  it('refuses a remote channel whose info.base_url is a file: URL, naming the channel, and copies no local file', async () => {
    const s = await sandbox();
    await mkdir(path.join(s.dir, 'canary'));
    const pkg = path.join(s.dir, 'canary', 'x-1.0-0.conda');
    await writeFile(pkg, CANARY);
    const bytes = await readFile(pkg);
    const record = {
      name: 'x',
      version: '1.0',
      build: '0',
      build_number: 0,
      depends: [],
      md5: createHash('md5').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size: bytes.length,
      subdir: 'noarch',
    };
    const repodata = { info: { subdir: 'noarch', base_url: pathToFileURL(path.dirname(pkg)).toString() }, packages: {}, 'packages.conda': { 'x-1.0-0.conda': record } };
    const origin = await startOrigin({
      files: {
        '/c/noarch/repodata.json': Buffer.from(JSON.stringify(repodata)),
        '/c/linux-64/repodata.json': Buffer.from('{"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}'),
      },
    });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\nconda:\n  channels: [${origin.url}/c]\n  subdirs: [linux-64, noarch]\n  specs: [x]\n${INCLUDE}`);
      const r = await packageOffline(s);
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`The repodata of channel ${origin.url}/c (noarch), ${origin.url}/c/noarch/repodata.json points at file://`);
      expect(r.stderr).toMatch(/\(info\.base_url\), which is not an http\(s\) URL/);
      expect(r.stderr).not.toContain(record.sha256);
      await expect(stat(path.join(s.dir, 'out.zip'))).rejects.toThrow();
      expect(await leaked(s)).toEqual([]);
    } finally {
      await origin.close();
    }
  });
});

/** `members` gzip members of `mib` MiB of `fill` each: gunzip reads them as one stream. */
function gzipBomb(mib: number, members: number, fill = 0x20): Buffer {
  const one = gzipSync(Buffer.alloc(mib * MiB, fill), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => one));
}

function gzipped(res: ServerResponse, body: Buffer, type = 'text/html'): void {
  res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
}

describe('nothing downloaded is unbounded', () => {
  // The three documents of issue 21, each under 2.3 MB on the wire: before, exit 70
  // ("Invalid string length", ERR_FS_FILE_TOO_LARGE, a 600 MB repodata string) and 0.6-2.2 GB left in the cache.
  it('refuses a gzip simple page that decodes to 1 GiB: exit 3 naming the page, the limit and how to raise it; nothing big kept', async () => {
    const s = await sandbox();
    const bomb = gzipBomb(128, 8);
    expect(bomb.length).toBeLessThan(2.3 * MiB);
    const origin = await startOrigin({ routes: { '/simple/x/': (_req, res) => gzipped(res, bomb) } });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${origin.url}/simple\n  requirements: [x]\n${INCLUDE}`);
      const r = await packageOffline(s);
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`error: Refusing ${origin.url}/simple/x/: it is larger than the 64 MiB limit once decompressed (PACKAGER_MAX_DOCUMENT_BYTES)`);
      expect(r.stderr).toMatch(/hint: .*raise PACKAGER_MAX_DOCUMENT_BYTES/);
      expect(await largest(s.dir)).toBeLessThan(4 * MiB);
    } finally {
      await origin.close();
    }
  });

  it('refuses a gzip PEP 658 metadata sidecar that decodes to 2 GiB the same way', async () => {
    const s = await sandbox();
    const wheel = makeWheel(path.join(s.dir, 'build'), 'x', []);
    const sha = createHash('sha256').update(wheel).digest('hex');
    const bomb = gzipBomb(128, 16, 0x41);
    expect(bomb.length).toBeLessThan(2.3 * MiB);
    const origin = await startOrigin({
      files: { '/files/x-1.0-py3-none-any.whl': wheel },
      routes: {
        '/simple/x/': (_req, res) =>
          res.writeHead(200, { 'content-type': 'text/html' }).end(`<a href="/files/x-1.0-py3-none-any.whl#sha256=${sha}" data-dist-info-metadata="true">x-1.0-py3-none-any.whl</a>`),
        '/files/x-1.0-py3-none-any.whl.metadata': (_req, res) => gzipped(res, bomb, 'application/octet-stream'),
      },
    });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${origin.url}/simple\n  requirements: [x]\n${INCLUDE}`);
      const r = await packageOffline(s);
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`error: Refusing ${origin.url}/files/x-1.0-py3-none-any.whl.metadata: it is larger than the 64 MiB limit once decompressed`);
      expect(await largest(s.dir)).toBeLessThan(4 * MiB);
    } finally {
      await origin.close();
    }
  });

  it('refuses a gzip repodata.json past the repodata limit (lowered here with PACKAGER_MAX_REPODATA_BYTES to keep the test small)', async () => {
    const s = await sandbox();
    // one record whose name is 600 MB of "a": what made the string that crashed
    const head = Buffer.from('{"info": {"subdir": "noarch"}, "packages": {"x-1.0-0.tar.bz2": {"name": "');
    const bomb = Buffer.concat([gzipSync(head), gzipBomb(64, 10, 0x61)]);
    expect(bomb.length).toBeLessThan(2.3 * MiB);
    const origin = await startOrigin({
      routes: {
        '/c/noarch/repodata.json': (_req, res) => gzipped(res, bomb, 'application/json'),
        '/c/linux-64/repodata.json': (_req, res) => res.writeHead(200).end('{"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}'),
      },
    });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\nconda:\n  channels: [${origin.url}/c]\n  subdirs: [linux-64, noarch]\n  specs: [x]\n${INCLUDE}`);
      const r = await packageOffline(s, { PACKAGER_MAX_REPODATA_BYTES: String(32 * MiB) });
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(`error: Refusing ${origin.url}/c/noarch/repodata.json: it is larger than the 32 MiB limit once decompressed (PACKAGER_MAX_REPODATA_BYTES)`);
      expect(await largest(s.dir)).toBeLessThan(4 * MiB);
    } finally {
      await origin.close();
    }
  });

  it('ends a simple page that drips forever at PACKAGER_DOCUMENT_TIMEOUT_MS: exit 2 naming the page', async () => {
    const s = await sandbox();
    const origin = await startOrigin({
      routes: {
        '/simple/x/': (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' });
          const t = setInterval(() => res.write('<'), 100);
          res.on('close', () => clearInterval(t));
        },
      },
    });
    try {
      await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${origin.url}/simple\n  requirements: [x]\n${INCLUDE}`);
      const r = await packageOffline(s, { PACKAGER_DOCUMENT_TIMEOUT_MS: '2000' });
      expectCleanExit(r);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${origin.url}/simple/x/: not complete after 2s (PACKAGER_DOCUMENT_TIMEOUT_MS)`);
    } finally {
      await origin.close();
    }
  });

  it('refuses a limit that is not a positive whole number before any download (exit 1)', async () => {
    const s = await sandbox();
    await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: http://127.0.0.1:9/simple\n  requirements: [x]\n${INCLUDE}`);
    const r = await packageOffline(s, { PACKAGER_MAX_DOCUMENT_BYTES: '64MB' });
    expectCleanExit(r);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('PACKAGER_MAX_DOCUMENT_BYTES must be a positive whole number, not "64MB"');
  });
});
