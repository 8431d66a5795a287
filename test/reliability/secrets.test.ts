// Secrets: credentials and tokens never appear in logs, errors, the zip, the
// lock, the SBOM or the mirror's logs. Every URL the manifest can hold carries
// a distinctive secret (userinfo on the dependency, the installer index and the
// PyPI index; an anaconda.org-style `/t/<token>/` on the conda channel; a
// `?token=` on the dependency), and a loopback gate in front of the demo world
// refuses any request without them, so a run that succeeds proves the
// packager really used them. Then every byte the product wrote is grepped for
// every secret in every form it could leak in (as written, URL-decoded,
// `user:pass`, the Basic header's base64): stdout and stderr of resolve,
// offline (--json --sbom --verbose), online, verify, summary and of failing
// runs, the lock, every entry of both zips, the SBOM beside the zip, the
// cache, `bin/mirror serve`'s access log (asked for URLs that carry secrets)
// and `bin/mirror export`'s tree. Where an artifact shows a URL, the redacted
// form (`-redacted-`, docs/CLI.md) must be there: the grep looked at
// the right bytes, not at an empty file.
// What this found when written: a channel_alias token (`.../t/<token>`, no
// path after it) was copied into the zips' manifest.yml; the mirror's access
// log printed `?token=` and `/t/<token>/` targets as received; and wheels of
// a pip index with userinfo were fetched without it (401), since the
// credentials were only put back under the index path, not on its host.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { expectCleanExit, runMirror, runPackage } from './support/cli.js';
import { caseDir } from './support/dirs.js';
import { errorLine, record } from './support/report.js';
import { serveMirror } from './support/serve.js';
import { demoRoot, PATHS, world } from './support/worlds.js';

const USER = 'bp-user-Q7';
/** As sent in the Basic header; the manifest writes the `@` as `%40`. */
const PASS = 's3cr3t@P4ss-Z9';
/** A wrong password the failing run uses: it must not leak either. */
const WRONG_PASS = 'wr0ng-P4ss-K3';
const PATH_TOKEN = 'tk-9f8e7d6c5b4a';
/** As the gate decodes it; the manifest writes the `/` as `%2F`. */
const QUERY_TOKEN = 'qt-W7x/Y8z-V9u';
const REDACTED = '-redacted-';

const enc = encodeURIComponent;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const BASIC = `Basic ${b64(`${USER}:${PASS}`)}`;

/**
 * Every form a secret could leak in. The fragments catch an encoding nobody
 * thought of (`%2f`, a double encoding): they are the secrets' distinctive cores.
 */
const FORMS: [label: string, text: string][] = [
  ['user', USER],
  ['password', PASS],
  ['password, URL-encoded', enc(PASS)],
  ['password core', 'P4ss-Z9'],
  ['wrong password', WRONG_PASS],
  ['user:password', `${USER}:${PASS}`],
  ['user:password, URL-encoded', `${USER}:${enc(PASS)}`],
  ['Basic user:password', b64(`${USER}:${PASS}`)],
  ['Basic user:password, URL-encoded', b64(`${USER}:${enc(PASS)}`)],
  ['Basic user:wrong password', b64(`${USER}:${WRONG_PASS}`)],
  ['path token', PATH_TOKEN],
  ['query token', QUERY_TOKEN],
  ['query token, URL-encoded', enc(QUERY_TOKEN)],
  ['query token core', 'Y8z-V9u'],
];

// ---------------------------------------------------------------------------
// The gate: a loopback origin that asks for the credentials the manifest holds
// and forwards what it admits to the demo world (which knows nothing of auth).

interface GateRequest {
  method: string;
  /** Path after the `/t/<token>` prefix, without query. */
  path: string;
  admitted: boolean;
}

interface Gate {
  url: string;
  port: number;
  requests: GateRequest[];
  close(): Promise<void>;
}

/** Whether the gate lets a request through; `p` is its path after any `/t/<token>` prefix. */
function admits(token: string | undefined, p: string, basic: boolean, query: URLSearchParams): boolean {
  if (token !== undefined) return token === PATH_TOKEN; // anaconda.org style: the token is the credential
  if (p.startsWith('/conda-forge/')) return false; // the channel is reachable only through its token
  if (p.startsWith('/deps/')) return basic && query.get('token') === QUERY_TOKEN;
  return basic; // installer index and installers, PyPI pages and files
}

async function startGate(upstream: Origin): Promise<Gate> {
  const requests: GateRequest[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const t = /^\/t\/([^/]+)(\/.*)$/.exec(u.pathname);
    const p = t ? t[2]! : u.pathname;
    const basic = req.headers.authorization === BASIC;
    const admitted = admits(t ? decodeURIComponent(t[1]!) : undefined, p, basic, u.searchParams);
    requests.push({ method: req.method ?? '', path: p, admitted });
    if (!admitted) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="secrets"', 'content-type': 'text/plain' });
      res.end('unauthorized\n');
      return;
    }
    const headers = { ...req.headers, host: `127.0.0.1:${upstream.port}` };
    delete headers.authorization;
    const fwd = http.request(`${upstream.url}${p}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      // pipeline, not pipe: an upstream reset must reset the client too, not leave it waiting
      pipeline(up, res, () => {});
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// Artifacts and the grep.

interface Artifact {
  name: string;
  bytes: Buffer;
}

const text = (name: string, s: string): Artifact => ({ name, bytes: Buffer.from(s) });
const tally = { artifacts: 0, bytes: 0, leaks: 0 };

/** `artifact: secret form` for every form found anywhere in the artifacts' bytes. */
function leaksIn(artifacts: Artifact[]): string[] {
  const out: string[] = [];
  for (const a of artifacts) {
    tally.artifacts++;
    tally.bytes += a.bytes.length;
    for (const [label, s] of FORMS) if (a.bytes.includes(s)) out.push(`${a.name}: ${label}`);
  }
  tally.leaks += out.length;
  return out;
}

/** Every file under `dir` (recursively), named by `prefix` + its relative path. */
async function filesUnder(dir: string, prefix: string): Promise<Artifact[]> {
  if (!existsSync(dir)) return [];
  const out: Artifact[] = [];
  for (const e of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((x) => x.isFile())) {
    const full = path.join(e.parentPath, e.name);
    out.push({ name: `${prefix}${path.relative(dir, full)}`, bytes: await readFile(full) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The zip's own bytes plus every entry, each decompressed by the real unzip. */
async function zipArtifacts(zip: string, label: string): Promise<{ all: Artifact[]; entries: Map<string, Buffer> }> {
  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter((n) => n && !n.endsWith('/'));
  const dir = await caseDir('bp-rel-secrets-unzip-');
  execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
  const entries = new Map<string, Buffer>();
  for (const n of names) entries.set(n, await readFile(path.join(dir, n)));
  expect(entries.size, `${label}: every entry read`).toBe((await filesUnder(dir, '')).length);
  return { all: [{ name: `${label} (raw bytes)`, bytes: await readFile(zip) }, ...[...entries].map(([n, bytes]) => ({ name: `${label}:${n}`, bytes }))], entries };
}

/**
 * One GET written byte for byte on a socket (node's client would rewrite an
 * absolute target); resolves with the status code.
 */
function rawGet(port: number, target: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('error', reject);
    // `Connection: close`: the server ends the socket once it has answered
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
    const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    s.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

function run(label: string, r: { stdout: string; stderr: string }): Artifact[] {
  return [text(`${label} stdout`, r.stdout), text(`${label} stderr`, r.stderr)];
}

// ---------------------------------------------------------------------------

let origin: Origin;
let gate: Gate;
/** `http://127.0.0.1:<gate>` */
let base: string;
/** `http://bp-user-Q7:s3cr3t%40P4ss-Z9@127.0.0.1:<gate>` */
let authed: string;
let root: string;
let manifest: string;
let cache: string;
let out: string;
const started = Date.now();

beforeAll(async () => {
  origin = await world();
  gate = await startGate(origin);
  base = gate.url;
  authed = base.replace('http://', `http://${USER}:${enc(PASS)}@`);
  ({ root, manifest } = await demoRoot(base));
  // Secrets into every URL the manifest can hold (src/manifest/types.ts). The
  // sample environment.yml names `conda-forge`, which the alias turns into the
  // same token URL as the explicit channel.
  const m = await readFile(manifest, 'utf8');
  const edits: [string, string][] = [
    [`uri: ${base}/deps/simple-1.0.tar.gz`, `uri: ${authed}/deps/simple-1.0.tar.gz?token=${enc(QUERY_TOKEN)}`],
    [`index_url: ${base}/miniconda/`, `index_url: ${authed}/miniconda/`],
    [`channel_alias: ${base}`, `channel_alias: ${base}/t/${PATH_TOKEN}`],
    ['  - conda-forge', `  - ${base}/t/${PATH_TOKEN}/conda-forge`],
    [`index_url: ${base}/pypi/simple`, `index_url: ${authed}/pypi/simple`],
  ];
  let edited = m;
  for (const [from, to] of edits) {
    expect(edited, `the demo manifest has ${from}`).toContain(from);
    edited = edited.replace(from, to);
  }
  await writeFile(manifest, edited);
  cache = path.join(root, 'cache');
  out = path.join(root, 'out');
  await mkdir(out);
}, 60_000);

afterAll(async () => {
  await gate?.close();
  await origin?.close();
  console.log(
    `secrets: ${tally.artifacts} artifacts (${(tally.bytes / 1024 / 1024).toFixed(1)} MiB) grepped for ${FORMS.length} secret forms, ${tally.leaks} leaks, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

describe('secrets in every manifest URL never reach an artifact', () => {
  let lock: string;
  let offlineZip: string;
  let sbomFile: string;

  it('resolve uses every credential and writes a lock and output without them', async () => {
    const mark = gate.requests.length;
    const r = await runPackage(['resolve', '--manifest', manifest, '--cache-dir', cache, '--json', '--verbose'], { cwd: root });
    expectCleanExit(r, 'resolve');
    expect(r.code, r.stderr).toBe(0);
    const seen = gate.requests.slice(mark);
    // each index was read through the gate, and it admitted every request
    for (const p of [PATHS.installerIndex, PATHS.repodata, PATHS.simplePage]) expect(seen.some((q) => q.path === p && q.admitted), p).toBe(true);
    expect(seen.filter((q) => !q.admitted)).toEqual([]);
    lock = await readFile(path.join(root, 'manifest.lock.yml'), 'utf8');
    // every URL in the lock is shown redacted: conda by token path, the rest by userinfo
    expect(lock).toContain(`${base}/t/${REDACTED}/conda-forge/noarch/`);
    expect(lock).toContain(`http://${REDACTED}:${REDACTED}@127.0.0.1:${gate.port}/miniconda/`);
    expect(lock).toContain(`http://${REDACTED}:${REDACTED}@127.0.0.1:${gate.port}/pypi/files/`);
    expect(r.stderr, '--verbose shows the URLs it reads').toContain(REDACTED);
    const leaks = leaksIn([...run('resolve', r), text('manifest.lock.yml', lock), ...(await filesUnder(cache, 'cache after resolve: '))]);
    expect(leaks).toEqual([]);
    record({ suite: 'secrets', case: 'resolve', exit: r.code, outcome: 'ok', ms: r.ms });
  });

  it('offline packaging (--json --sbom --verbose) downloads with them and leaves them out of the zip, its every entry, the SBOM and the cache', async () => {
    offlineZip = path.join(out, 'bp-cached.zip');
    sbomFile = path.join(out, 'bp-cached.sbom.cdx.json');
    const mark = gate.requests.length;
    // --force-download: every artifact is fetched again from the lock's
    // redacted URIs, so the credentials must be put back from the manifest
    const r = await runPackage(['offline', '--manifest', manifest, '--cache-dir', cache, '--output', offlineZip, '--sbom', sbomFile, '--json', '--verbose', '--force-download'], {
      cwd: root,
    });
    expectCleanExit(r, 'offline');
    expect(r.code, r.stderr).toBe(0);
    const seen = gate.requests.slice(mark);
    for (const p of [PATHS.installer, PATHS.condaPackage, PATHS.wheel, PATHS.dependency]) expect(seen.some((q) => q.path === p && q.admitted), `${p} downloaded through the gate`).toBe(true);
    expect(seen.filter((q) => !q.admitted)).toEqual([]);

    const zip = await zipArtifacts(offlineZip, 'offline zip');
    const entry = (n: string) => zip.entries.get(n)?.toString('utf8') ?? '';
    // the files that show URLs show them redacted
    for (const n of ['manifest.yml', 'dependencies/index.tsv', 'dependencies/names.tsv', 'conda/channels.tsv', 'sbom.cdx.json']) {
      expect(entry(n), `${n} shows its URLs redacted`).toContain(REDACTED);
    }
    expect(entry('dependencies/index.tsv')).toContain(`http://${REDACTED}:${REDACTED}@127.0.0.1:${gate.port}/deps/simple-1.0.tar.gz?token=${REDACTED}\t`);
    expect(entry('conda/channels.tsv')).toContain(`${base}/t/${REDACTED}/conda-forge`);
    expect(zip.entries.has('conda/conda-forge/noarch/repodata.json'), 'the channel dir ignores /t/<token>/').toBe(true);
    expect(zip.entries.has('pypi/simple/wheel/index.html')).toBe(true);
    expect(zip.entries.has('dependencies/url_map.tsv')).toBe(true);
    const sbom = await readFile(sbomFile);
    expect(sbom.equals(zip.entries.get('sbom.cdx.json')!), 'the SBOM beside the zip is the one inside').toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(r.stdout, '--json names the dependency URL').toContain(REDACTED);

    // The cache keeps redacted URLs for a human looking at it (fetch/http-document.ts)
    const cached = await filesUnder(cache, 'cache: ');
    const meta = cached.filter((a) => a.name.startsWith('cache: http-v1/') && a.name.endsWith('.json'));
    expect(meta.length).toBeGreaterThan(0);
    expect(meta.some((a) => a.bytes.includes(REDACTED))).toBe(true);

    const leaks = leaksIn([...run('offline', r), ...zip.all, { name: 'SBOM beside the zip', bytes: sbom }, ...cached]);
    expect(leaks).toEqual([]);
    record({ suite: 'secrets', case: 'offline', exit: r.code, outcome: 'ok', ms: r.ms, entries: zip.entries.size });
  });

  it('online packaging leaves them out of the zip, its manifest and lock.tsv', async () => {
    const zipPath = path.join(out, 'bp-online.zip');
    const r = await runPackage(['online', '--manifest', manifest, '--cache-dir', cache, '--output', zipPath, '--json', '--verbose'], { cwd: root });
    expectCleanExit(r, 'online');
    expect(r.code, r.stderr).toBe(0);
    const zip = await zipArtifacts(zipPath, 'online zip');
    expect(zip.entries.get('manifest.yml')?.toString()).toContain(REDACTED);
    expect(zip.entries.get('lock.tsv')?.toString()).toContain(`${base}/t/${REDACTED}/conda-forge/noarch/`);
    expect(leaksIn([...run('online', r), ...zip.all])).toEqual([]);
    record({ suite: 'secrets', case: 'online', exit: r.code, outcome: 'ok', ms: r.ms, entries: zip.entries.size });
  });

  it('verify and summary print no credentials', async () => {
    const runs = [
      ['verify', await runPackage(['verify', offlineZip])],
      ['verify --json', await runPackage(['verify', offlineZip, '--json'])],
      ['summary', await runPackage(['summary', '--manifest', manifest], { cwd: root })],
      ['summary --json', await runPackage(['summary', '--manifest', manifest, '--json'], { cwd: root })],
    ] as const;
    const artifacts: Artifact[] = [];
    for (const [label, r] of runs) {
      expectCleanExit(r, label);
      expect(r.code, `${label}\n${r.stderr}`).toBe(0);
      expect((r.stdout + r.stderr).length, `${label} printed something`).toBeGreaterThan(0);
      artifacts.push(...run(label, r));
      record({ suite: 'secrets', case: label, exit: r.code, outcome: 'ok', ms: r.ms });
    }
    expect(leaksIn(artifacts)).toEqual([]);
  });

  it('bin/mirror serve never logs a secret a client puts in its request', async () => {
    const serving = await serveMirror(offlineZip, ['--verbose']);
    expect(serving.url, serving.stderr()).toBeDefined();
    const port = Number(new URL(serving.url!).port);
    // What clients configured with credentials send: a token query (pip's
    // index URL, a presigned link), anaconda.org's /t/<token>/, Basic auth,
    // and a proxy-style absolute target with userinfo.
    const targets: [string, Record<string, string>][] = [
      [`/pypi/simple/?token=${enc(QUERY_TOKEN)}`, {}],
      [`/pypi/simple/wheel/?access_token=${enc(QUERY_TOKEN)}&sig=${enc(QUERY_TOKEN)}`, {}],
      [`/conda/conda-forge/noarch/repodata.json?password=${enc(PASS)}`, {}],
      [`/t/${PATH_TOKEN}/conda/conda-forge/noarch/repodata.json`, {}],
      ['/pypi/simple/wheel/', { authorization: BASIC }],
      [`http://${USER}:${enc(PASS)}@127.0.0.1:${port}/pypi/simple/`, {}],
    ];
    const statuses: number[] = [];
    for (const [target, headers] of targets) statuses.push(await rawGet(port, target, headers));
    expect(statuses[0], 'the index answers despite the query').toBe(200);
    expect(statuses[4]).toBe(200);
    const code = await serving.stop();
    expect(code).toBe(0);
    const log = serving.stderr();
    // one access line per request, each with its target redacted
    expect(log).toContain(`/pypi/simple/?token=${REDACTED} 200`);
    expect(log).toContain(`/t/${REDACTED}/conda/conda-forge/noarch/repodata.json`);
    expect(log).toContain(`http://${REDACTED}:${REDACTED}@127.0.0.1:${port}/pypi/simple/`);
    expect(leaksIn([text('mirror serve stderr (access log)', log)])).toEqual([]);
    record({ suite: 'secrets', case: 'mirror serve access log', exit: code, outcome: 'ok', requests: targets.length });
  });

  it('bin/mirror export writes a tree and output without them', async () => {
    const dest = path.join(out, 'export');
    const r = await runMirror(['export', offlineZip, dest, '--json', '--verbose']);
    expectCleanExit(r, 'mirror export');
    expect(r.code, r.stderr).toBe(0);
    const tree = await filesUnder(dest, 'export: ');
    expect(tree.map((a) => a.name)).toContain('export: conda/conda-forge/noarch/repodata.json');
    expect(tree.length).toBeGreaterThan(5);
    expect(leaksIn([...run('mirror export', r), ...tree])).toEqual([]);
    record({ suite: 'secrets', case: 'mirror export', exit: r.code, outcome: 'ok', ms: r.ms, files: tree.length });
  });
});

// ---------------------------------------------------------------------------
// Failing runs: the error must name the URL (redacted) so the user can act,
// and neither the message, the --json result, --verbose lines nor what the
// failed run left in its cache may hold the secret.

interface FailCase {
  name: string;
  command: 'offline' | 'resolve';
  exit: number;
  /** The manifest body after `language: python` (URLs filled in per run). */
  manifest: () => string;
  /** What the redacted URL in the message looks like. */
  shows: () => string;
  /** Origin faults for the case (cleared afterwards). */
  faults?: () => void;
}

/** The demo dependency's sha256, as the demo manifest pins it (its first sha256). */
const depSha = () => /sha256: ([0-9a-f]{64})/.exec(demoManifest)![1]!;
let demoManifest = '';

/** How a credentialed dependency URL (user:pass and ?token=) must appear once redacted. */
const shownDep = (hostPort: string, file: string) => `http://${REDACTED}:${REDACTED}@${hostPort}/deps/${file}?token=${REDACTED}`;

function depManifest(uri: string, sha: string): string {
  return `dependencies:\n- name: simple\n  version: '1.0'\n  uri: ${uri}\n  sha256: ${sha}\n  cf_stacks:\n  - cflinuxfs4\n`;
}

const FAILS: FailCase[] = [
  {
    name: 'a wrong password on a dependency: exit 2',
    command: 'offline',
    exit: 2,
    manifest: () => depManifest(`http://${USER}:${WRONG_PASS}@127.0.0.1:${gate.port}/deps/simple-1.0.tar.gz?token=${enc(QUERY_TOKEN)}`, depSha()),
    shows: () => shownDep(`127.0.0.1:${gate.port}`, 'simple-1.0.tar.gz'),
  },
  {
    name: 'a 404 on a credentialed dependency: exit 2',
    command: 'offline',
    exit: 2,
    manifest: () => depManifest(`${authed}/deps/missing-9.9.tar.gz?token=${enc(QUERY_TOKEN)}`, depSha()),
    shows: () => shownDep(`127.0.0.1:${gate.port}`, 'missing-9.9.tar.gz'),
  },
  {
    name: 'a checksum mismatch on a credentialed dependency: exit 3',
    command: 'offline',
    exit: 3,
    manifest: () => depManifest(`${authed}/deps/simple-1.0.tar.gz?token=${enc(QUERY_TOKEN)}`, '0'.repeat(64)),
    shows: () => shownDep(`127.0.0.1:${gate.port}`, 'simple-1.0.tar.gz'),
  },
  {
    name: 'a reset mid-body on every try of a credentialed dependency (a partial is kept): exit 2',
    command: 'offline',
    exit: 2,
    manifest: () => depManifest(`${authed}/deps/simple-1.0.tar.gz?token=${enc(QUERY_TOKEN)}`, depSha()),
    shows: () => shownDep(`127.0.0.1:${gate.port}`, 'simple-1.0.tar.gz'),
    faults: () => origin.setFaults(PATHS.dependency, [{ forever: { reset: 400 } }]),
  },
  {
    name: 'an unreachable credentialed host (127.0.0.1:9): exit 2',
    command: 'offline',
    exit: 2,
    manifest: () => depManifest(`http://${USER}:${enc(PASS)}@127.0.0.1:9/deps/simple-1.0.tar.gz?token=${enc(QUERY_TOKEN)}`, depSha()),
    shows: () => shownDep('127.0.0.1:9', 'simple-1.0.tar.gz'),
  },
  {
    name: 'a wrong password on the installer index: exit 2',
    command: 'resolve',
    exit: 2,
    manifest: () => `miniconda:\n- flavor: Miniconda3\n  version: py311_24.1.2-0\n  cf_stacks: [cflinuxfs4]\n  index_url: http://${USER}:${WRONG_PASS}@127.0.0.1:${gate.port}/miniconda/\n`,
    shows: () => `http://${REDACTED}:${REDACTED}@127.0.0.1:${gate.port}/miniconda/`,
  },
  {
    name: 'a missing conda channel behind a token: exit 2',
    command: 'resolve',
    exit: 2,
    manifest: () => `conda:\n  channels:\n  - ${base}/t/${PATH_TOKEN}/no-such-channel\n  subdirs: [noarch]\n  specs: [run_exports_versions]\n`,
    shows: () => `${base}/t/${REDACTED}/no-such-channel/noarch/repodata.json`,
  },
  {
    name: 'a project the credentialed PyPI index lacks: exit 4',
    command: 'resolve',
    exit: 4,
    manifest: () => `pip:\n  index_url: ${authed}/pypi/simple\n  python_version: "3.11"\n  requirements: ["no-such-project==1.0"]\n`,
    shows: () => `http://${REDACTED}:${REDACTED}@127.0.0.1:${gate.port}/pypi/simple/no-such-project/`,
  },
];

describe('failing runs name the URL redacted and leak nothing', () => {
  beforeAll(async () => {
    demoManifest = await readFile(manifest, 'utf8');
  });

  for (const c of FAILS) {
    it(c.name, async () => {
      const dir = await caseDir('bp-rel-secrets-fail-');
      await cp(path.join(root, 'bin'), path.join(dir, 'bin'), { recursive: true });
      await cp(path.join(root, 'VERSION'), path.join(dir, 'VERSION'));
      const m = path.join(dir, 'manifest.yml');
      await writeFile(m, `---\nlanguage: python\n${c.manifest()}include_files:\n- VERSION\n- manifest.yml\n- bin/compile\n`);
      const failCache = path.join(dir, 'cache');
      const zipPath = path.join(dir, 'bp.zip');
      c.faults?.();
      try {
        const args = c.command === 'offline' ? ['offline', '--manifest', m, '--cache-dir', failCache, '--output', zipPath] : ['resolve', '--manifest', m, '--cache-dir', failCache];
        const plain = await runPackage(args, { cwd: dir });
        const json = await runPackage([...args, '--json', '--verbose'], { cwd: dir });
        for (const r of [plain, json]) {
          expectCleanExit(r, c.name);
          expect(r.code, `${c.name}\n${r.stderr}`).toBe(c.exit);
          expect(r.stderr, 'the error names the URL, redacted').toContain(c.shows());
        }
        expect(existsSync(zipPath)).toBe(false);
        expect(existsSync(path.join(dir, 'manifest.lock.yml'))).toBe(false);
        const cached = await filesUnder(failCache, 'cache: ');
        if (c.faults) {
          // the partial kept for resume records its URL redacted
          const partial = cached.find((a) => a.name.endsWith('.partial.json'));
          expect(partial, cached.map((a) => a.name).join('\n')).toBeDefined();
          expect(partial!.bytes.toString()).toContain(REDACTED);
        }
        expect(leaksIn([...run(c.name, plain), ...run(`${c.name} --json --verbose`, json), ...cached])).toEqual([]);
        record({ suite: 'secrets', case: c.name, exit: plain.code, outcome: 'failed as documented', error: errorLine(plain.stderr), ms: plain.ms + json.ms });
      } finally {
        if (c.faults) origin.setFaults(PATHS.dependency, []);
      }
    });
  }
});
