// Feeds one corpus file to the reader it targets, as a user would meet it
// (the command's main in this process, see helpers/run-cli.ts):
// a manifest or lock in a buildpack root (`bin/package offline`), a
// requirements or environment file named by the manifest (`resolve`), a
// repodata document or simple-index page served by a loopback index
// (`resolve`), a zip given to `verify`, `mirror serve` and `mirror export`.
// Each run gets its own HOME, TMPDIR and cache inside a sandbox directory.
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startOrigin } from '../../../fixtures/origin/origin.mjs';
import { ROOT } from '../../helpers/paths.js';
import { runCliInProcess, type CliResult } from '../../helpers/run-cli.js';
import { FAST_ENV } from './cli.js';
import { caseDir } from './dirs.js';
import { refreshLockInputs } from './worlds.js';

export const CORPUS = path.join(ROOT, 'test/reliability/corpus');

export interface Sandbox {
  dir: string;
  root: string;
  tmp: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A sandbox: `root/` (the buildpack), `tmp/` (TMPDIR), `home/` (HOME, so the default cache too). */
export async function sandbox(): Promise<Sandbox> {
  const dir = await caseDir('bp-rel-corpus-');
  const s = { dir, root: path.join(dir, 'root'), tmp: path.join(dir, 'tmp'), home: path.join(dir, 'home') };
  for (const d of [s.root, s.tmp, s.home]) await mkdir(d, { recursive: true });
  await writeFile(path.join(s.root, 'VERSION'), '1.0.0\n');
  await mkdir(path.join(s.root, 'bin'));
  await cp(path.join(ROOT, 'bin/compile'), path.join(s.root, 'bin/compile'));
  return { ...s, env: { ...FAST_ENV, HOME: s.home, TMPDIR: s.tmp, XDG_CACHE_HOME: '' } };
}

const INCLUDE = 'include_files:\n- VERSION\n- manifest.yml\n- bin/compile\n';
/** Nothing listens on the discard port: anything that reaches the network fails fast. */
const CLOSED = 'http://127.0.0.1:9';
// The readers' errors are the same inside this process; `mirror serve` keeps a real one (support/serve.ts).
const run = (s: Sandbox, bin: 'package' | 'mirror', args: string[]) => runCliInProcess(bin, args, { cwd: s.root, env: s.env });
const packageOffline = (s: Sandbox) => run(s, 'package', ['offline', '--manifest', 'manifest.yml', '--cache-dir', path.join(s.dir, 'cache'), '--output', path.join(s.dir, 'out.zip')]);
const resolve = (s: Sandbox) => run(s, 'package', ['resolve', '--manifest', 'manifest.yml', '--cache-dir', path.join(s.dir, 'cache')]);

/** bin/package offline with the corpus file as manifest.yml. */
export async function feedManifest(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  await cp(path.join(CORPUS, file), path.join(s.root, 'manifest.yml'));
  return { r: await packageOffline(s), s };
}

/** bin/package offline with a valid manifest and the corpus file as its (fresh) lock. */
export async function feedLock(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${CLOSED}/simple\n  requirements: [x]\n${INCLUDE}`);
  const wheel = path.join(s.dir, 'x-1.0-py3-none-any.whl');
  await writeFile(wheel, 'not really a wheel');
  const bytes = await readFile(wheel);
  const text = (await readFile(path.join(CORPUS, file), 'utf8'))
    .replace('FILEURI', pathToFileURL(wheel).toString())
    .replace('FILESHA', createHash('sha256').update(bytes).digest('hex'))
    .replace('FILESIZE', String(bytes.length));
  await writeFile(path.join(s.root, 'manifest.lock.yml'), text.replace('INPUTS', '0'.repeat(64)));
  // a fresh inputs hash, so offline uses the lock instead of resolving again (a malformed lock never gets that far)
  await refreshLockInputs(path.join(s.root, 'manifest.yml')).catch(() => undefined);
  return { r: await packageOffline(s), s };
}

/** bin/package resolve with the corpus file as pip.files. */
export async function feedRequirements(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  const name = path.basename(file);
  await cp(path.join(CORPUS, file), path.join(s.root, name));
  await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${CLOSED}/simple\n  files: [${name}]\n${INCLUDE}`);
  return { r: await resolve(s), s };
}

/** bin/package resolve with the corpus file as conda.files. */
export async function feedEnvironment(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  const name = path.basename(file);
  await cp(path.join(CORPUS, file), path.join(s.root, name));
  await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\nconda:\n  channels: [${CLOSED}/c]\n  files: [${name}]\n${INCLUDE}`);
  return { r: await resolve(s), s };
}

/** bin/package resolve of conda spec `x` against a channel whose noarch/repodata.json is the corpus file. */
export async function feedRepodata(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  const origin = await startOrigin({
    files: {
      '/c/noarch/repodata.json': path.join(CORPUS, file),
      '/c/linux-64/repodata.json': Buffer.from('{"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}'),
    },
  });
  try {
    await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\nconda:\n  channels: [${origin.url}/c]\n  subdirs: [linux-64, noarch]\n  specs: [x]\n${INCLUDE}`);
    return { r: await resolve(s), s };
  } finally {
    await origin.close();
  }
}

/** bin/package resolve of requirement `x` against an index whose page for x is the corpus file (.json: PEP 691). */
export async function feedSimplePage(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  await writeFile(path.join(s.dir, 'x-1.0.tar.gz'), 'a local file the index must not reach');
  const body = Buffer.from((await readFile(path.join(CORPUS, file))).toString('latin1').replaceAll('SANDBOX', s.dir), 'latin1');
  const type = file.endsWith('.json') ? 'application/vnd.pypi.simple.v1+json' : 'text/html';
  const origin = await startOrigin({
    routes: { '/simple/x/': (_req, res) => res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body) },
  });
  try {
    await writeFile(path.join(s.root, 'manifest.yml'), `language: python\ndependencies: []\npip:\n  index_url: ${origin.url}/simple\n  requirements: [x]\n${INCLUDE}`);
    return { r: await resolve(s), s };
  } finally {
    await origin.close();
  }
}

/** bin/package verify ZIP. */
export async function feedVerify(file: string): Promise<{ r: CliResult; s: Sandbox }> {
  const s = await sandbox();
  return { r: await run(s, 'package', ['verify', path.join(CORPUS, file)]), s };
}

/** bin/mirror export ZIP DIR (DIR inside the sandbox; `escape` names must not appear next to it). */
export async function feedExport(file: string): Promise<{ r: CliResult; s: Sandbox; out: string }> {
  const s = await sandbox();
  const out = path.join(s.dir, 'export');
  return { r: await run(s, 'mirror', ['export', path.join(CORPUS, file), out]), s, out };
}

/** Files left in a sandbox's TMPDIR (a run must clean up after itself, even when it fails). */
export async function leftInTmp(s: Sandbox): Promise<string[]> {
  return (await readdir(s.tmp)).map(String);
}
