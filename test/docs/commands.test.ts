// The command blocks of docs/OPERATORS.md and docs/APP-DEVELOPERS.md are run as
// written, in order, each in a fresh `bash -euo pipefail`, against the loopback
// demo world (fixtures/demo/world.mjs): a buildpack whose manifest points at a
// local installer index, conda channel and PyPI index. A block preceded by
// `<!-- docs-test: skip: <reason> -->` is not run (the cf CLI, conda, npm and
// git are not available here); every other ```sh block must succeed.
//
// The docs name real places; the test maps them onto its sandbox, literally:
//   /srv/buildpack-mirror                                  -> a temp dir (nginx root)
//   http://buildpack-mirror.internal, `listen 80;`         -> the nginx the test starts from the doc's nginx block
//   ~/Downloads/python_buildpack-cached-cflinuxfs4-v1.2.3.zip -> the demo zip built here
//   /tmp/                                                  -> a temp dir
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { ROOT } from '../helpers/paths.js';
import { runBin } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { cyclonedx15Errors } from '../bundle/cyclonedx-schema.js';
import { NGINX, startNginxWith } from '../mirror/nginx.js';
import { NET_ISOLATION, STANDIN_ENV, runScript, type RunResult } from '../staging/run-script.js';

interface Block {
  lang: string;
  code: string;
  line: number;
  skip?: string;
}

/** Fenced code blocks of a markdown file, with their `docs-test: skip` reason. */
function codeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  let pendingSkip: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const skip = /^<!-- docs-test: skip: (.+?) -->$/.exec(lines[i]!);
    if (skip) {
      pendingSkip = skip[1];
      continue;
    }
    const fence = /^```(\w*)/.exec(lines[i]!);
    if (!fence) {
      if (lines[i]!.trim() !== '') pendingSkip = undefined;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    out.push({ lang: fence[1]!, code: body.join('\n') + '\n', line: start + 1, ...(pendingSkip ? { skip: pendingSkip } : {}) });
    pendingSkip = undefined;
  }
  return out;
}

function substitute(code: string, table: [string, string][]): string {
  let out = code;
  for (const [from, to] of table) out = out.split(from).join(to);
  return out;
}

function sandboxEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // pip on this machine has a global config and PIP_* variables: none may leak in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    CI: 'true',
    XDG_CACHE_HOME: path.join(home, '.cache'),
    PIP_CONFIG_FILE: '/dev/null',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    ...STANDIN_ENV,
  };
  return { ...env, ...extra };
}

async function runBlock(b: Block, code: string, o: { cwd: string; env: NodeJS.ProcessEnv; offline?: boolean }): Promise<RunResult> {
  const r = await runScript('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', code], { cwd: o.cwd, env: o.env, offline: o.offline });
  if (r.code !== 0) throw new Error(`block at line ${b.line} failed (exit ${r.code}):\n${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

/** Runs nginx in the foreground with the doc's block inside a private http {} (the files it includes read in, so that their `listen 80;` can be moved). */
async function startDocNginx(block: string, prefix: string): Promise<{ url: string; stop(): Promise<void> }> {
  let text = block;
  for (const m of block.matchAll(/^\s*include (\S+);$/gm)) text = text.replace(m[0], await readFile(m[1]!, 'utf8'));
  const nginx = await startNginxWith(
    prefix,
    (port) => text.replace(/listen 80;/, `listen 127.0.0.1:${port};`),
    `  include /etc/nginx/mime.types;
  default_type application/octet-stream;`,
  );
  return { url: nginx.url.replace(/\/$/, ''), stop: () => nginx.stop() };
}

const HAS_NGINX = NGINX !== undefined && existsSync('/etc/nginx/mime.types');

/** A demo buildpack whose bin/package works in place (dist/ linked), with two more wheels locked. */
async function demoBuildpack(dir: string, origin: Origin): Promise<string> {
  const manifest = await writeDemoBuildpack(dir, origin.url);
  const text = await readFile(manifest, 'utf8');
  await writeFile(manifest, text.replace('  files:\n  - apps/pip-only/requirements.txt\n', '  files:\n  - apps/pip-only/requirements.txt\n  requirements: ["idna==3.20", "sniffio==1.3.1"]\n'));
  await symlink(path.join(ROOT, 'dist'), path.join(dir, 'dist'));
  return dir;
}

/** `bin/mirror serve ZIP --port 0`: its URL (from stdout) and a stop function. */
async function serveMirror(zip: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/mirror'), 'serve', zip, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    child.once('exit', (code) => reject(new Error(`bin/mirror serve exited ${code}`)));
  });
  return { url: url.endsWith('/') ? url : `${url}/`, stop: async () => (child.kill('SIGTERM'), exit) };
}

let world: Origin;
beforeAll(async () => {
  world = await startDemoWorld();
});
afterAll(async () => world?.close());

describe('docs/OPERATORS.md', () => {
  it('every command block runs as written against the demo world', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/OPERATORS.md'), 'utf8');
    const blocks = codeBlocks(doc);
    const tmp = await tempDir('docs-ops-');
    const bp = await demoBuildpack(path.join(tmp, 'buildpack'), world);
    const home = path.join(tmp, 'home');
    await mkdir(home);
    const mirrorRoot = path.join(tmp, 'srv-buildpack-mirror');
    const env = sandboxEnv(home);
    const nginxBlock = blocks.find((b) => b.lang === 'nginx');
    expect(nginxBlock, 'the doc shows an nginx block').toBeDefined();
    let nginx: { url: string; stop(): Promise<void> } | undefined;
    const table = (): [string, string][] => [
      ['/srv/buildpack-mirror', mirrorRoot],
      ...(nginx ? ([['http://buildpack-mirror.internal', nginx.url]] as [string, string][]) : []),
    ];
    const ran: number[] = [];
    try {
      for (const b of blocks) {
        if (b.lang !== 'sh' || b.skip) continue;
        if (b.code.includes('http://buildpack-mirror.internal') && !nginx) {
          if (!HAS_NGINX) {
            console.warn('[docs test] nginx-light is not installed: skipping the mirror client block');
            continue;
          }
          nginx = await startDocNginx(substitute(nginxBlock!.code, table()), path.join(tmp, 'nginx'));
        }
        await runBlock(b, substitute(b.code, table()), { cwd: bp, env });
        ran.push(b.line);
      }
    } finally {
      await nginx?.stop();
    }
    expect(ran).toHaveLength(HAS_NGINX ? 8 : 7);

    // what the blocks promised
    const version = (await readFile(path.join(bp, 'VERSION'), 'utf8')).trim();
    const zip = path.join(bp, `python_buildpack-cached-cflinuxfs4-v${version}.zip`);
    const sbom = JSON.parse(await readFile(path.join(bp, 'sbom.cdx.json'), 'utf8'));
    expect(cyclonedx15Errors(sbom)).toEqual([]);
    expect(existsSync(zip)).toBe(true);
    expect(existsSync(path.join(bp, `python_buildpack-cached-no-miniconda-cflinuxfs4-v${version}.zip`))).toBe(true);
    expect(existsSync(path.join(mirrorRoot, 'pypi/simple/index.html'))).toBe(true);
    if (HAS_NGINX) expect(existsSync(path.join(bp, 'wheels/wheel-0.40.0-py3-none-any.whl'))).toBe(true);
    expect(JSON.parse(await readFile(path.join(bp, 'summary.json'), 'utf8')).language).toBe('python');
    const verify = await runBin('package', ['verify', zip]);
    expect(verify.code, verify.stdout).toBe(0);
    // one buildpack for many apps: the lock names the apps' environments
    expect(await readFile(path.join(bp, 'manifest.lock.yml'), 'utf8')).toMatch(/environments:\n(\s+- [\w-]+\n)*\s+- worker\n/);

    // and the skipped ones say why: each needs a tool this machine does not have
    const skipped = blocks.filter((b) => b.skip);
    expect(skipped.map((b) => b.skip)).toEqual([
      'installs from the npm registry',
      'needs the cf CLI and a foundation',
      'needs the cf CLI and a foundation',
      'needs a conda client',
      "the test's buildpack is not a git repository",
    ]);
    for (const b of skipped) expect(b.code).toMatch(/^(npm|cf|conda|git) /m);
  });
});

describe('docs/APP-DEVELOPERS.md', () => {
  it('every command block runs as written: the app stages offline from the demo zip and runs', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/APP-DEVELOPERS.md'), 'utf8');
    const blocks = codeBlocks(doc);
    const tmp = await tempDir('docs-app-');
    const bp = await demoBuildpack(path.join(tmp, 'buildpack'), world);
    const home = path.join(tmp, 'home');
    const scratch = path.join(tmp, 'scratch');
    await mkdir(home);
    await mkdir(scratch);
    const pkg = await runBin('package', ['offline', '--stack', 'cflinuxfs4', '--cache-dir', path.join(tmp, 'cache')], { cwd: bp });
    expect(pkg.code, pkg.stderr).toBe(0);
    const zip = pkg.stdout.trim();
    // in this order: the zip itself lives under /tmp
    const table: [string, string][] = [
      ['/tmp/', `${scratch}/`],
      ['~/Downloads/python_buildpack-cached-cflinuxfs4-v1.2.3.zip', zip],
    ];
    // The vendoring block downloads from "your package index": here bin/mirror
    // serving the demo zip (a real PEP 503 index, with the content types pip wants).
    const index = await serveMirror(zip);
    const env = sandboxEnv(home, { PIP_INDEX_URL: `${index.url}pypi/simple`, CF_STACK: 'cflinuxfs4' });

    const outputs: string[] = [];
    try {
      for (const b of blocks) {
        if (b.lang !== 'sh' || b.skip) continue;
        // staging must not need the network: the block that runs bin/supply gets none at all
        const offline = b.code.includes('bin/supply');
        const r = await runBlock(b, substitute(b.code, table), { cwd: home, env, offline });
        outputs.push(r.stdout + r.stderr);
      }
    } finally {
      await index.stop();
    }
    expect(outputs).toHaveLength(4);
    const [, sbom, staged, vendored] = outputs as [string, string, string, string];
    expect(sbom).toContain('"purl": "pkg:pypi/idna@3.20');
    expect(sbom).toContain('"purl": "pkg:pypi/sniffio@1.3.1');
    expect(staged).toContain('python_buildpack 0.1.0'); // detect
    expect(staged).toContain("web: 'python -m http.server \"$PORT\"'"); // release
    expect(staged).toContain('hello from environment.yml 3.20 1.3.1'); // the app runs with its environment
    expect(vendored).toContain('sniffio-1.3.1-py3-none-any.whl');
    if (!NET_ISOLATION) console.warn('[docs test] staging ran without network isolation (unshare not permitted)');

    expect(blocks.filter((b) => b.skip).map((b) => b.code.trim())).toEqual(['cf push my-app -b python_offline_buildpack']);
  });
});
