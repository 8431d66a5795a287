// bin/shim/curl and bin/shim/wget: the command lines real build scripts use,
// answered from a hand-built cached bundle (hits, misses, checksum failures,
// credentials), and passed through to the real tools when the buildpack is not
// cached, against a loopback origin.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin } from '../../fixtures/origin/origin.mjs';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { makeBundle, type Bundle } from './bundle-dir.js';
import { runScript } from './run-script.js';

const HELLO_URL = 'https://downloads.example.com/tools/hello-1.0.tgz';
const CRED_URL = 'https://deploy:s3cr3t@artifacts.example.com/t/tok-123/libfoo-2.1.tgz?token=abc&arch=x86_64';
const PY_URL = 'https://lang-python.s3.amazonaws.com/cflinuxfs4/runtimes/python-3.11.7.tar.gz';
const MISS_URL = 'https://downloads.example.com/tools/absent-9.9.tgz';

let helloTgz: Buffer;
let fooBytes: Buffer;
let pyBytes: Buffer;

// A real gzip'd tar (for `curl -s URL | tar xz`), built once.
beforeAll(async () => {
  const d = await suiteDir('shim-src-');
  suiteDirs.push(d);
  await mkdir(path.join(d, 'hello'));
  await writeFile(path.join(d, 'hello/README'), 'hello from the bundle\n');
  execFileSync('tar', ['-czf', path.join(d, 'hello.tgz'), '-C', d, 'hello']);
  helloTgz = await readFile(path.join(d, 'hello.tgz'));
  fooBytes = Buffer.from('libfoo 2.1 bytes\n');
  pyBytes = Buffer.from('pretend python 3.11.7 tarball\n');
});

const suiteDirs: string[] = [];
afterAll(async () => {
  for (const d of suiteDirs) await rm(d, { recursive: true, force: true });
});

async function cachedBundle(extra: Partial<Parameters<typeof makeBundle>[1]> = {}): Promise<Bundle> {
  const dir = await suiteDir('shim-bp-');
  suiteDirs.push(dir);
  return makeBundle(dir, {
    installers: [],
    condaPackages: [],
    wheels: [],
    dependencies: [
      { name: 'hello', version: '1.0', uri: HELLO_URL, bytes: helloTgz },
      { name: 'libfoo', version: '2.1', uri: CRED_URL, bytes: fooBytes },
      { name: 'python', version: '3.11.7', uri: 'https://buildpacks.cloudfoundry.org/dependencies/python/python_3.11.7_linux_x64_cflinuxfs4_abcd1234.tgz', bytes: pyBytes },
    ],
    urlMap: [{ match: 'python-(\\d+\\.\\d+\\.\\d+)\\.tar', name: 'python', version: '$1' }],
    ...extra,
  });
}

/** Runs a command line with `bash -c`, the shim dir first on PATH (as bin/supply sets it). */
async function sh(bp: Bundle, cwd: string, line: string) {
  return runScript('bash', ['-c', `set -o pipefail; ${line}`], {
    cwd,
    env: { PATH: `${path.join(bp.dir, 'bin/shim')}:${process.env.PATH}`, HOME: cwd, LANG: 'C.UTF-8' },
  });
}

describe('curl/wget shim with a cached bundle: hits', () => {
  let bp: Bundle;
  beforeAll(async () => {
    bp = await cachedBundle();
  });

  const table: Array<{ line: string; file?: string; stdout?: 'body' | string; check?: (cwd: string) => Promise<void> }> = [
    { line: `curl -fsSL ${HELLO_URL} -o f`, file: 'f' },
    { line: `curl -sSfL --retry 3 --retry-delay 1 -o f ${PY_URL}`, file: 'f' },
    { line: `curl -fsSLo f ${HELLO_URL}`, file: 'f' },
    { line: `curl --silent --show-error --fail --location --connect-timeout 5 --output f -- ${HELLO_URL}`, file: 'f' },
    {
      line: `curl -s ${HELLO_URL} | tar xz`,
      stdout: '',
      check: async (cwd) => expect(await readFile(path.join(cwd, 'hello/README'), 'utf8')).toBe('hello from the bundle\n'),
    },
    { line: `curl -O ${HELLO_URL}`, file: 'hello-1.0.tgz' },
    { line: `curl -o - ${HELLO_URL}`, stdout: 'body' },
    { line: `curl -w '%{http_code}' -o f ${HELLO_URL}`, file: 'f', stdout: '200' },
    { line: `curl -s -w '%{http_code} %{size_download}\\n' -H 'Accept: */*' -u me:pw -o f ${HELLO_URL}`, file: 'f', stdout: 'SIZE' },
    { line: `curl --create-dirs -o a/b/f ${HELLO_URL}`, file: 'a/b/f' },
    { line: `wget -q -O f ${HELLO_URL}`, file: 'f' },
    { line: `wget -qO- ${HELLO_URL} > f`, file: 'f' },
    { line: `wget -q -P dir ${HELLO_URL}`, file: 'dir/hello-1.0.tgz' },
    { line: `wget --quiet --output-document=f --tries=3 ${HELLO_URL}`, file: 'f' },
  ];

  for (const t of table) {
    it(`answers \`${t.line}\` from the bundle`, async () => {
      const cwd = await tempDir('shim-cwd-');
      const r = await sh(bp, cwd, t.line);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const want = t.line.includes(PY_URL) ? pyBytes : helloTgz;
      if (t.file) expect(Buffer.compare(await readFile(path.join(cwd, t.file)), want)).toBe(0);
      if (t.stdout === 'body') expect(Buffer.compare(r.stdoutBytes, want)).toBe(0);
      else if (t.stdout === 'SIZE') expect(r.stdout).toBe(`200 ${want.length}\n`);
      else if (t.stdout !== undefined) expect(r.stdout).toBe(t.stdout);
      else if (t.file) expect(r.stdout).toBe('');
      await t.check?.(cwd);
      // nothing but the requested output appears (no temp files left behind)
      const left = (await readdir(cwd)).filter((f) => f.startsWith('.'));
      expect(left).toEqual([]);
    });
  }

  it('answers `curl -I URL` with the headers of the bundled file', async () => {
    const cwd = await tempDir('shim-cwd-');
    const r = await sh(bp, cwd, `curl -I ${HELLO_URL}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `HTTP/1.1 200 OK\r\nContent-Length: ${helloTgz.length}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n\r\n`,
    );
  });

  it('finds a URL carrying other credentials by its redacted form', async () => {
    const cwd = await tempDir('shim-cwd-');
    const other = CRED_URL.replace('deploy:s3cr3t', 'ci:other-pass').replace('tok-123', 'tok-999').replace('token=abc', 'token=xyz');
    const r = await sh(bp, cwd, `curl -fsS -o f '${other}'`);
    expect(r.code).toBe(0);
    expect(await readFile(path.join(cwd, 'f'), 'utf8')).toBe(fooBytes.toString());
  });

  it('writes several URLs to their own -o files, in order', async () => {
    const cwd = await tempDir('shim-cwd-');
    const r = await sh(bp, cwd, `curl -fsS -o one ${HELLO_URL} -o two ${PY_URL}`);
    expect(r.code).toBe(0);
    expect(Buffer.compare(await readFile(path.join(cwd, 'one')), helloTgz)).toBe(0);
    expect(Buffer.compare(await readFile(path.join(cwd, 'two')), pyBytes)).toBe(0);
  });

  it('names the next file wget -P writes like wget does (name.1) instead of overwriting', async () => {
    const cwd = await tempDir('shim-cwd-');
    await sh(bp, cwd, `wget -q -P dir ${HELLO_URL}`);
    const r = await sh(bp, cwd, `wget -q -P dir ${HELLO_URL}`);
    expect(r.code).toBe(0);
    expect((await readdir(path.join(cwd, 'dir'))).sort()).toEqual(['hello-1.0.tgz', 'hello-1.0.tgz.1']);
  });
});

describe('curl/wget shim with a cached bundle: misses and failures', () => {
  let bp: Bundle;
  beforeAll(async () => {
    bp = await cachedBundle();
  });

  const misses = [
    { line: `curl -fsSL ${MISS_URL} -o f`, file: 'f' },
    { line: `curl -sSfL --retry 3 --retry-delay 1 -o f ${MISS_URL}`, file: 'f' },
    { line: `curl -s ${MISS_URL} | tar xz`, file: undefined },
    { line: `curl -O ${MISS_URL}`, file: 'absent-9.9.tgz' },
    { line: `curl -o - ${MISS_URL}`, file: undefined },
    { line: `curl -w '%{http_code}' -o f ${MISS_URL}`, file: 'f', stdout: '404' },
    { line: `curl --create-dirs -o a/b/f ${MISS_URL}`, file: 'a/b/f' },
    { line: `curl -I ${MISS_URL}`, file: undefined },
    { line: `wget -q -O f ${MISS_URL}`, file: 'f' },
    { line: `wget -P dir ${MISS_URL}`, file: 'dir/absent-9.9.tgz' },
  ];

  for (const t of misses) {
    it(`fails \`${t.line}\` with exit 22 and DEPENDENCY_MISSING_IN_BUNDLE, writing nothing`, async () => {
      const cwd = await tempDir('shim-cwd-');
      const r = await sh(bp, cwd, t.line);
      // `| tar xz` reports tar's own failure after the shim's; pipefail keeps the shim's 22 visible
      expect(r.code).toBe(t.line.includes('| tar') ? 2 : 22);
      expect(r.stderr).toContain(`DEPENDENCY_MISSING_IN_BUNDLE: ${MISS_URL}\n`);
      expect(r.stderr).toContain('python_buildpack v0.1.0 (cached)');
      expect(r.stderr).toContain('re-package with `bin/package offline`');
      expect(r.stdout).toBe(t.stdout ?? '');
      if (t.file) expect(existsSync(path.join(cwd, t.file))).toBe(false);
      expect((await readdir(cwd)).filter((f) => f !== 'a')).toEqual([]);
    });
  }

  it('reports the exact miss text, credentials redacted', async () => {
    const cwd = await tempDir('shim-cwd-');
    const r = await sh(bp, cwd, `curl -fsS -o f 'https://bob:hunter2@private.example.com/t/tk-42/pkg.tgz?X-Amz-Signature=deadbeef&v=1'`);
    expect(r.code).toBe(22);
    expect(r.stderr).not.toMatch(/hunter2|tk-42|deadbeef|bob/);
    expect(r.stderr).toMatchInlineSnapshot(`
      "DEPENDENCY_MISSING_IN_BUNDLE: https://-redacted-:-redacted-@private.example.com/t/-redacted-/pkg.tgz?X-Amz-Signature=-redacted-&v=1
             requested by: curl (buildpack shim)
             python_buildpack v0.1.0 (cached) has no copy of it, and staging never falls back to the network.
             Hint: add it to the manifest (dependencies:, conda: or pip:), re-package with \`bin/package offline\`, update the buildpack and push again.
      "
    `);
  });

  it('never contacts the network on a miss, even for a reachable loopback URL', async () => {
    const origin = await startOrigin({ files: { '/x.tgz': Buffer.from('from the network') } });
    try {
      const cwd = await tempDir('shim-cwd-');
      const r = await sh(bp, cwd, `curl -fsS -o f ${origin.url}/x.tgz; wget -q -O g ${origin.url}/x.tgz`);
      expect(r.code).toBe(22);
      expect(origin.requests).toHaveLength(0);
      expect(existsSync(path.join(cwd, 'f'))).toBe(false);
    } finally {
      await origin.close();
    }
  });

  it('refuses a bundled file whose sha256 differs from index.tsv, leaving no file under the target name', async () => {
    const tampered = await cachedBundle();
    const row = tampered.index.find((r) => r.url === HELLO_URL)!;
    await writeFile(path.join(tampered.dir, row.path), Buffer.from('tampered'));
    for (const line of [`curl -fsSL -o f ${HELLO_URL}`, `wget -q -O f ${HELLO_URL}`, `curl -s ${HELLO_URL} > g`]) {
      const cwd = await tempDir('shim-cwd-');
      const r = await sh(tampered, cwd, line);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`**ERROR** sha256 mismatch in the buildpack bundle for ${HELLO_URL}: ${row.path}`);
      expect(r.stderr).toContain(`Wanted: ${row.sha256}`);
      expect(existsSync(path.join(cwd, 'f'))).toBe(false);
      expect((await readdir(cwd)).filter((f) => f !== 'g')).toEqual([]);
    }
  });

  it('takes an operand without a scheme as http:// like curl and wget, and refuses one that cannot be a URL without echoing it', async () => {
    const cwd = await tempDir('shim-cwd-');
    const guessed = await sh(bp, cwd, 'curl -fsS -o f downloads.example.com/nothing-here.tgz');
    expect(guessed.code).toBe(22);
    expect(guessed.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: http://downloads.example.com/nothing-here.tgz');
    // after --, every word is a URL to curl: a misplaced credential option must not reach the log
    for (const line of ['curl -fsS -o f -- --user=bob:S3CR3Tpass', "curl -fsS -o f 'not a url'"]) {
      const r = await sh(bp, cwd, line);
      expect(r.code, line).toBe(3);
      expect(r.stderr, line).toBe('curl: (3) URL using bad/illegal format or missing URL\n');
    }
    const wget = await sh(bp, cwd, 'wget -q -O f -- --password=S3CR3Tpass');
    expect(wget.code).toBe(1);
    expect(wget.stderr).not.toContain('S3CR3T');
    const wgetGuessed = await sh(bp, cwd, 'wget -q -O f downloads.example.com/nothing-here.tgz');
    expect(wgetGuessed.stderr).toContain('DEPENDENCY_MISSING_IN_BUNDLE: http://downloads.example.com/nothing-here.tgz');
    expect(existsSync(path.join(cwd, 'f'))).toBe(false);
  });

  it('rejects options it cannot honour instead of guessing (exit 2)', async () => {
    const cwd = await tempDir('shim-cwd-');
    const r1 = await sh(bp, cwd, `curl --frobnicate -o f ${HELLO_URL}`);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('option --frobnicate: is unknown');
    const r2 = await sh(bp, cwd, `curl -d a=b ${HELLO_URL}`);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('only downloads can be answered from the buildpack');
  });
});

describe('curl/wget shim without a cached bundle', () => {
  it('execs the real curl and wget, which fetch from the (loopback) network', async () => {
    const origin = await startOrigin({ files: { '/tool.tgz': Buffer.from('served by the origin') } });
    try {
      const dir = await tempDir('shim-online-');
      const bp = await makeBundle(dir, { cached: false, installers: [] });
      const cwd = await tempDir('shim-cwd-');
      const r = await sh(bp, cwd, `curl -fsSL --retry 2 -o f ${origin.url}/tool.tgz && wget -q -O g ${origin.url}/tool.tgz && curl --version | head -1`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await readFile(path.join(cwd, 'f'), 'utf8')).toBe('served by the origin');
      expect(await readFile(path.join(cwd, 'g'), 'utf8')).toBe('served by the origin');
      expect(r.stdout).toMatch(/^curl \d+\.\d+/);
      expect(origin.requestsFor('/tool.tgz')).toHaveLength(2);
    } finally {
      await origin.close();
    }
  });
});

describe('shim_exec_real (bin/lib/shim.sh, both shims): which real tool runs, and with which PATH', () => {
  let dir: string;
  let bp: Bundle;
  let stub: string;
  beforeAll(async () => {
    dir = await suiteDir('shim-real-');
    suiteDirs.push(dir);
    await mkdir(path.join(dir, 'bp'));
    bp = await makeBundle(path.join(dir, 'bp'), { cached: false, installers: [] });
    stub = path.join(dir, 'stub');
    await mkdir(stub);
    for (const tool of ['curl', 'wget']) {
      await writeFile(path.join(stub, tool), '#!/bin/sh\nprintf \'%s\\n\' "$0" "PATH=$PATH"\nfor a; do printf \'arg=%s\\n\' "$a"; done\n', { mode: 0o755 });
    }
    await symlink(path.join(bp.dir, 'bin/shim'), path.join(dir, 'shim-link'));
    // a PATH entry with a glob character is legal and must reach the real tool as written
    await mkdir(path.join(dir, 'g1'));
    await mkdir(path.join(dir, 'g2'));
  });

  for (const tool of ['curl', 'wget']) {
    it(`runs the next ${tool} on PATH, removing every spelling of the shim dir and keeping the rest (empty entry, glob) as written`, async () => {
      const cwd = await tempDir('shim-real-cwd-');
      const shimDir = path.join(bp.dir, 'bin/shim');
      const PATH = `:${shimDir}:${path.join(dir, 'shim-link')}/:${path.join(dir, 'g*')}:${stub}:/usr/bin:/bin`;
      const r = await runScript(tool, ['-q', 'a b', '*', '--', 'https://example.com/x'], { cwd, env: { PATH, HOME: cwd } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `${path.join(stub, tool)}\nPATH=:${path.join(dir, 'g*')}:${stub}:/usr/bin:/bin\narg=-q\narg=a b\narg=*\narg=--\narg=https://example.com/x\n`,
      );
    });
  }

  it('exits 127 with a message when PATH has no real curl', async () => {
    const cwd = await tempDir('shim-real-cwd-');
    const tools = path.join(cwd, 'tools'); // what the shim itself needs, and no curl
    await mkdir(tools);
    for (const t of ['bash', 'grep']) await symlink(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), path.join(tools, t));
    const r = await runScript(path.join(bp.dir, 'bin/shim/curl'), ['-fsS', 'https://example.com/x'], { cwd, env: { PATH: `${path.join(bp.dir, 'bin/shim')}:${tools}` } });
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('curl: command not found (the buildpack shim found no real curl on PATH)\n');
  });
});
