// bin/package online|offline end to end: a real child process, a real loopback
// origin (with faults), real unzip/zipinfo on the result.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOrigin, type Fault, type Origin } from '../../fixtures/origin/origin.mjs';
import { runBin, runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { INCLUDE_FILES, makeBuildpackRoot } from './buildpack-root.js';

const TOOL = randomBytes(300_000);
const OTHER = randomBytes(50_000);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let origin: Origin;
beforeEach(async () => {
  origin = await startOrigin({ files: { '/a/tool-1.0.tgz': TOOL, '/b/other-2.0.tgz': OTHER } });
});
afterEach(async () => origin.close());

function manifest(base: string, o: { toolSha?: string; toolUri?: string } = {}): string {
  return `---
language: python
default_versions:
- name: tool
  version: '1.0'
dependencies:
- name: tool
  version: '1.0'
  uri: ${o.toolUri ?? `${base}/a/tool-1.0.tgz`}
  sha256: ${o.toolSha ?? sha(TOOL)}
  cf_stacks: [cflinuxfs4]
- name: other
  version: '2.0'
  uri: ${base}/b/other-2.0.tgz
  sha256: ${sha(OTHER)}
  cf_stacks: [cflinuxfs3]
${INCLUDE_FILES}`;
}

async function packageOffline(root: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const cache = path.join(root, '.cache-dir');
  const out = path.join(root, 'out.zip');
  const r = await runCliInProcess('package', ['offline', '--manifest', path.join(root, 'manifest.yml'), '--cache-dir', cache, '--output', out, ...extra], { cwd: root, env });
  return { ...r, out, cache };
}

function zipNames(zip: string): string[] {
  return execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).trim().split('\n');
}

describe('bin/package offline', () => {
  it('packages every dependency of the stack into a zip unzip -t accepts, and names it like libbuildpack', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(root, 'c')], { cwd: root });
    expect(r.stderr).toContain('Downloading tool 1.0 from ' + origin.url + '/a/tool-1.0.tgz');
    expect(r.code).toBe(0);
    const zip = path.join(root, 'python_buildpack-cached-cflinuxfs4-v1.2.3.zip');
    expect(r.stdout.trim()).toBe(zip);
    expect(r.stderr).toMatch(/Cached buildpack for cflinuxfs4 created and saved as .*python_buildpack-cached-cflinuxfs4-v1\.2\.3\.zip \(/);
    execFileSync('unzip', ['-tq', zip]);
    const names = zipNames(zip);
    expect(names).toContain('manifest.yml');
    expect(names).toContain('VERSION');
    expect(names).toContain('bin/compile');
    expect(names).toContain('dependencies/index.tsv');
    const md5 = createHash('md5').update(`${origin.url}/a/tool-1.0.tgz`).digest('hex');
    expect(names).toContain(`dependencies/${md5}/tool-1.0.tgz`);
    // the cflinuxfs3-only dependency is neither downloaded nor packaged
    expect(names.some((n) => n.includes('other-2.0'))).toBe(false);
    expect(origin.requestsFor('/b/other-2.0.tgz')).toHaveLength(0);
    const packaged = execFileSync('unzip', ['-p', zip, 'manifest.yml'], { encoding: 'utf8' });
    expect(packaged).toContain('stack: cflinuxfs4');
    expect(packaged).toContain(`file: dependencies/${md5}/tool-1.0.tgz`);
    expect(packaged).not.toContain('cf_stacks');
    // the installer is STORED (compressed already), scripts deflated, exec bits kept
    const info = execFileSync('zipinfo', [zip], { encoding: 'utf8' });
    expect(info).toMatch(/-rw-r--r--.*stor.*dependencies\/[0-9a-f]{32}\/tool-1\.0\.tgz/);
    expect(info).toMatch(/-rwxr-xr-x.*defN.*bin\/compile/);
  });

  it('packages for any stack by default, keeping cf_stacks and every dependency', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await packageOffline(root);
    expect(r.code).toBe(0);
    const names = zipNames(r.out);
    expect(names.filter((n) => n.startsWith('dependencies/') && n.endsWith('.tgz'))).toHaveLength(2);
    const packaged = execFileSync('unzip', ['-p', r.out, 'manifest.yml'], { encoding: 'utf8' });
    expect(packaged).not.toContain('stack: ');
    expect(packaged).toContain('cf_stacks');
    expect(r.stderr).toContain('Cached buildpack for any stack created');
  });

  it('downloads nothing the second time: the cache answers', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const first = await packageOffline(root);
    expect(first.code).toBe(0);
    const before = origin.requests.length;
    const second = await packageOffline(root);
    expect(second.code).toBe(0);
    expect(origin.requests.length).toBe(before);
    expect(second.stderr).toContain('Using cached tool 1.0');
  });

  it('gives a byte-identical zip when packaging the same inputs twice', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const a = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    const bytesA = await readFile(a.out);
    const b = await packageOffline(root, ['--stack', 'cflinuxfs4', '--force-download']);
    expect(b.code).toBe(0);
    expect(sha(await readFile(b.out))).toBe(sha(bytesA));
  });

  it('re-fetches a corrupt cache entry instead of packaging it', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const first = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(first.code).toBe(0);
    const entry = await findCacheFile(first.cache, sha(TOOL));
    await writeFile(entry, Buffer.from('bit rot'));
    const second = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(second.code).toBe(0);
    expect(origin.requestsFor('/a/tool-1.0.tgz')).toHaveLength(2);
    const md5 = createHash('md5').update(`${origin.url}/a/tool-1.0.tgz`).digest('hex');
    const packed = execFileSync('unzip', ['-p', second.out, `dependencies/${md5}/tool-1.0.tgz`]);
    expect(sha(packed)).toBe(sha(TOOL));
  });

  it('catches a cache entry that rotted in place (same size), fetches it again, and writes the same zip as before', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const first = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(first.code).toBe(0);
    const cold = sha(await readFile(first.out));
    const warm = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(warm.code, warm.stderr).toBe(0);
    expect(sha(await readFile(warm.out))).toBe(cold);
    expect(warm.stderr).not.toContain('corrupt');

    const entry = await findCacheFile(first.cache, sha(TOOL));
    const rotten = Buffer.from(TOOL);
    rotten[150_000] ^= 0x40;
    await writeFile(entry, rotten);
    const third = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain(`Cached tool 1.0 is corrupt (wanted sha256 ${sha(TOOL)}, found sha256 ${sha(rotten)}`);
    expect(origin.requestsFor('/a/tool-1.0.tgz')).toHaveLength(2);
    expect(sha(await readFile(third.out))).toBe(cold);
    expect(sha(await readFile(entry))).toBe(sha(TOOL));
  });

  it.each<[string, number, Fault[]]>([
    ['500 then success', 0, [{ status: 500 }]],
    ['503 with Retry-After then success', 0, [{ status: 503, retryAfter: 0 }]],
    ['connection reset mid-body then success', 0, [{ reset: 1000 }]],
    ['truncated body then success', 0, [{ truncate: 5000 }]],
    ['404', 2, [{ status: 404 }]],
    ['wrong bytes', 3, [{ wrongBytes: true }]],
  ])('%s: exit %i, and never a zip under the final name on failure', async (_name, exit, faults) => {
    origin.setFaults('/a/tool-1.0.tgz', faults);
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4'], { PACKAGER_RETRY_DELAY_MS: '10' });
    expect(r.code, r.stderr).toBe(exit);
    expect(existsSync(r.out)).toBe(exit === 0);
    expect((await readdir(root)).filter((f) => f.endsWith('.tmp') || f.includes('out.zip.'))).toEqual([]);
    if (exit === 2) expect(r.stderr).toContain(`${origin.url}/a/tool-1.0.tgz`);
    if (exit === 3) {
      expect(r.stderr).toMatch(/Wanted: sha256 [0-9a-f]{64}/);
      expect(r.stderr).toMatch(/Found: sha256 [0-9a-f]{64}/);
    }
  });

  it('follows a redirect chain and caches the file under the manifest URL', async () => {
    origin.setRoute('/r0', (_req, res) => res.writeHead(301, { location: '/r1' }).end());
    origin.setRoute('/r1', (_req, res) => res.writeHead(302, { location: '/a/tool-1.0.tgz' }).end());
    const root = await makeBuildpackRoot(manifest(origin.url, { toolUri: `${origin.url}/r0` }));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(r.code, r.stderr).toBe(0);
    const md5 = createHash('md5').update(`${origin.url}/r0`).digest('hex');
    expect(sha(execFileSync('unzip', ['-p', r.out, `dependencies/${md5}/r0`]))).toBe(sha(TOOL));
  });

  it('fails with exit 3 when the manifest sha256 is wrong, naming the dependency and both checksums', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url, { toolSha: 'ab'.repeat(32) }));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('tool 1.0');
    expect(r.stderr).toContain(`Wanted: sha256 ${'ab'.repeat(32)}`);
    expect(r.stderr).toContain(`Found: sha256 ${sha(TOOL)}`);
    expect(existsSync(r.out)).toBe(false);
  });

  it('exits 2 naming the URL when the host is unreachable', async () => {
    const closed = await startOrigin();
    const url = closed.url;
    await closed.close();
    const root = await makeBuildpackRoot(manifest(origin.url, { toolUri: `${url}/a/tool-1.0.tgz` }));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4'], { PACKAGER_RETRY_DELAY_MS: '10' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${url}/a/tool-1.0.tgz`);
  });

  it('uses credentials in URLs for the request but never shows them in output or the zip', async () => {
    const uri = origin.url.replace('http://', 'http://bob:s3cr3tpw@') + '/a/tool-1.0.tgz?token=t0k3nval';
    const root = await makeBuildpackRoot(manifest(origin.url, { toolUri: uri }));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const seen = origin.requestsFor('/a/tool-1.0.tgz')[0]!;
    expect(seen.headers.authorization).toBe('Basic ' + Buffer.from('bob:s3cr3tpw').toString('base64'));
    expect(seen.url).toContain('token=t0k3nval');
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain('s3cr3tpw');
      expect(text).not.toContain('t0k3nval');
    }
    expect(r.stdout).toContain('-redacted-');
    const dir = await tempDir();
    execFileSync('unzip', ['-q', r.out, '-d', dir]);
    expect(grepFiles('s3cr3tpw|t0k3nval|bob:', [dir, r.cache])).toBe('');
  });

  it('prints one JSON result with the zip, its sha256 and every dependency', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs4', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: true, zip: r.out, cached: true, stack: 'cflinuxfs4', version: '1.2.3' });
    expect(result.sha256).toBe(sha(await readFile(r.out)));
    expect(result.artifacts).toEqual([
      expect.objectContaining({ kind: 'dependency', name: 'tool', version: '1.0', sha256: sha(TOOL), size: TOOL.length, from_cache: false }),
    ]);
  });

  it('rejects a manifest error with exit 1, naming the file, key and line', async () => {
    const bad = manifest(origin.url).replace(`sha256: ${sha(TOOL)}`, 'sha256: not-a-digest');
    const root = await makeBuildpackRoot(bad);
    const r = await packageOffline(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/manifest\.yml: dependencies\[0\]\.sha256 \(line 10, column \d+\)/);
    expect(origin.requests).toHaveLength(0);
  });

  it('refuses an already packaged manifest', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url).replace('language: python', 'language: python\nstack: cflinuxfs4'));
    const r = await packageOffline(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot package from already packaged buildpack manifest');
  });

  it('refuses a stack no dependency supports', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await packageOffline(root, ['--stack', 'cflinuxfs9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Stack `cflinuxfs9` not found in manifest');
  });

  it('rejects usage errors with exit 1', async () => {
    const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--any-stack', '--manifest', '/nonexistent/manifest.yml']);
    expect(r.code).toBe(1);
    const r2 = await runCliInProcess('package', ['sideways']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("unknown command 'sideways'");
  });

  it.each([
    [['--version', 'a/b'], {}, 'error: Not a usable buildpack version: "a/b"'],
    [['--version', ''], {}, 'error: Not a usable buildpack version: ""'],
    [[], { SOURCE_DATE_EPOCH: '1e9' }, 'error: SOURCE_DATE_EPOCH is not a whole number of seconds: 1e9'],
  ])('refuses %j %j with exit 1 before any download, making nothing', async (args, env, message) => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await runCliInProcess('package', ['offline', '--cache-dir', path.join(root, 'c'), ...args], { cwd: root, env });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toContain(message);
    expect(origin.requests).toHaveLength(0);
    // the version names the default zip: "a/b" must not have made a directory for it
    expect((await readdir(root)).filter((f) => f.startsWith('python_buildpack'))).toEqual([]);
  });

  it('refuses an include_files entry that does not exist with exit 1 before any download', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url).replace('include_files:\n', 'include_files:\n- bin/typo\n'));
    const r = await packageOffline(root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: include_files names a file that does not exist: bin/typo');
    expect(origin.requests).toHaveLength(0);
  });

  it('makes a missing directory for --output, as for --sbom', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const out = path.join(root, 'dist', 'nested', 'bp.zip');
    const r = await runCliInProcess('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(root, 'c'), '--output', out], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${out}\n`);
    expect(zipNames(out)).toContain('manifest.yml');
  });

  it('fails with exit 1 before any download when --output is a directory, is inside a file, or --cache-dir is a file', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const file = path.join(root, 'VERSION');
    const dir = path.join(root, 'bin');
    const isDir = await runCliInProcess('package', ['offline', '--cache-dir', path.join(root, 'c'), '--output', dir], { cwd: root });
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toContain(`--output names a directory, not the zip's file: ${dir}`);
    expect(isDir.stderr).toContain(`hint: pass the zip's file name, e.g. --output ${path.join(dir, 'python_buildpack-cached-v1.2.3.zip')}`);
    const inFile = await runCliInProcess('package', ['offline', '--cache-dir', path.join(root, 'c'), '--output', path.join(file, 'bp.zip')], { cwd: root });
    expect(inFile.code).toBe(1);
    expect(inFile.stderr).toContain(`Cannot write the zip into ${file}: a file is in the way`);
    const cacheIsFile = await runCliInProcess('package', ['offline', '--cache-dir', file], { cwd: root });
    expect(cacheIsFile.code).toBe(1);
    expect(cacheIsFile.stderr).toContain(`The cache directory is not a directory: ${file}`);
    expect(origin.requests).toHaveLength(0);
    expect(await readFile(file, 'utf8')).toBe('1.2.3\n');
  });

  it('runs pre_package in a temp copy and fails with exit 1 naming the command', async () => {
    const good = await makeBuildpackRoot(manifest(origin.url) + 'pre_package: scripts/build.sh\n', {
      'scripts/build.sh': '#!/bin/sh\necho built > README.md\n',
    });
    await import('node:fs/promises').then((fs) => fs.chmod(path.join(good, 'scripts/build.sh'), 0o755));
    const ok = await packageOffline(good, ['--stack', 'cflinuxfs4']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(execFileSync('unzip', ['-p', ok.out, 'README.md'], { encoding: 'utf8' })).toBe('built\n');
    expect(await readFile(path.join(good, 'README.md'), 'utf8')).toBe('test buildpack\n');

    const bad = await makeBuildpackRoot(manifest(origin.url) + 'pre_package: scripts/build.sh\n', {
      'scripts/build.sh': '#!/bin/sh\necho "cannot compile" >&2\nexit 3\n',
    });
    await import('node:fs/promises').then((fs) => fs.chmod(path.join(bad, 'scripts/build.sh'), 0o755));
    const before = origin.requests.length;
    const r = await packageOffline(bad, ['--stack', 'cflinuxfs4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('scripts/build.sh');
    expect(r.stderr).toContain('cannot compile');
    // pre_package runs before any download, as libbuildpack orders it
    expect(origin.requests.length).toBe(before);
  });
});

describe('bin/package online', () => {
  it('zips the buildpack without dependencies and without file: entries', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await runCliInProcess('package', ['online', '--stack', 'cflinuxfs4', '--output', path.join(root, 'o.zip')], { cwd: root });
    expect(r.code).toBe(0);
    const names = zipNames(path.join(root, 'o.zip'));
    expect(names.some((n) => n.startsWith('dependencies/'))).toBe(false);
    expect(origin.requests).toHaveLength(0);
    expect(execFileSync('unzip', ['-p', path.join(root, 'o.zip'), 'manifest.yml'], { encoding: 'utf8' })).not.toContain('file:');
  });

  it('accepts uncached as an alias and names the zip without -cached', async () => {
    const root = await makeBuildpackRoot(manifest(origin.url));
    const r = await runCliInProcess('package', ['uncached', '--stack', 'cflinuxfs4'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(root, 'python_buildpack-cflinuxfs4-v1.2.3.zip'));
  });
});

async function findCacheFile(cache: string, tail: string): Promise<string> {
  const walk = async (dir: string): Promise<string | undefined> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const hit = await walk(p);
        if (hit) return hit;
      } else if (e.name === tail) return p;
    }
    return undefined;
  };
  const hit = await walk(path.join(cache, 'content-v2'));
  if (!hit) throw new Error(`no cache entry ending ${tail}`);
  return hit;
}

/** Files under `dirs` whose bytes match `pattern` (grep -E), '' when none. */
function grepFiles(pattern: string, dirs: string[]): string {
  try {
    return execFileSync('grep', ['-rlaE', pattern, ...dirs], { encoding: 'utf8' });
  } catch (err) {
    if ((err as { status?: number }).status === 1) return '';
    throw err;
  }
}

describe('interrupting bin/package', () => {
  it('stops on SIGINT mid-download with no zip and no final cache entry, and the next run resumes', async () => {
    const big = randomBytes(4_000_000);
    origin.setFile('/a/big-1.0.tgz', big);
    origin.setFaults('/a/big-1.0.tgz', [{ slow: { chunk: 64 * 1024, intervalMs: 50 } }]);
    const m = manifest(origin.url).replace(`${origin.url}/a/tool-1.0.tgz`, `${origin.url}/a/big-1.0.tgz`).replace(sha(TOOL), sha(big));
    const root = await makeBuildpackRoot(m);
    const cache = path.join(root, 'cache');
    const out = path.join(root, 'out.zip');
    const args = ['offline', '--stack', 'cflinuxfs4', '--cache-dir', cache, '--output', out];
    let pid = 0;
    const running = runBin('package', args, { cwd: root, onSpawn: (p) => (pid = p) });
    // wait until part of the body has arrived, then press Ctrl-C
    for (let i = 0; i < 200 && !(await partialBytes(cache)); i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT');
    expect(existsSync(out)).toBe(false);
    expect(await filesUnder(path.join(cache, 'content-v2'))).toEqual([]);
    const kept = await partialBytes(cache);
    expect(kept).toBeGreaterThan(0);

    const again = await runCliInProcess('package', args, { cwd: root });
    expect(again.code, again.stderr).toBe(0);
    const last = origin.requestsFor('/a/big-1.0.tgz').at(-1)!;
    expect(last.headers.range).toMatch(/^bytes=\d+-$/);
    expect(last.headers['if-range']).toBeTruthy();
    const md5 = createHash('md5').update(`${origin.url}/a/big-1.0.tgz`).digest('hex');
    expect(sha(execFileSync('unzip', ['-p', out, `dependencies/${md5}/big-1.0.tgz`], { maxBuffer: 1 << 26 }))).toBe(sha(big));
  });
});

/** Bytes held in partial downloads under the cache's tmp dir. */
async function partialBytes(cache: string): Promise<number> {
  const dir = path.join(cache, 'tmp');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of await readdir(dir)) {
    if (f.endsWith('.partial')) n += (await import('node:fs/promises').then((fs) => fs.stat(path.join(dir, f)))).size;
  }
  return n;
}

/** Every file below `dir` (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}
