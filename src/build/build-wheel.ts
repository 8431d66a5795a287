// One sdist -> one wheel, with the target Python, offline: the sdist is
// unpacked into a fresh directory, its build system read, and the backend run
// by the frontend script (frontend.ts) under `unshare -n` with an environment
// made only of the locked build-requirement wheels. Output goes to a log file;
// a failure shows its tail.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError, redactText } from '../core/index.js';
import { buildSystemOf, type BuildSystem } from './build-system.js';
import { FRONTEND_PY } from './frontend.js';

const TAIL_LINES = 25;
const BUILD_TIMEOUT_MS = 30 * 60_000;

export interface Source {
  /** The unpacked source tree. */
  dir: string;
  buildSystem: BuildSystem;
}

/** Unpacks `sdistPath` under `work/src` and reads its build system. */
export async function unpackSdist(python: string, sdistPath: string, sdistName: string, work: string): Promise<Source> {
  const dest = path.join(work, 'src');
  await mkdir(dest, { recursive: true });
  const log = path.join(work, 'unpack.log');
  const code = await runLogged([python, '-I', '-S', '-c', FRONTEND_PY, 'extract', sdistPath, dest], { env: baseEnv(work), log, cwd: work });
  if (code !== 0) throw await buildFailure(sdistName, 'could not be unpacked', log);
  const dir = (await readFile(log, 'utf8')).trim().split('\n').at(-1)!;
  let pyproject: string | undefined;
  try {
    pyproject = await readFile(path.join(dir, 'pyproject.toml'), 'utf8');
  } catch {
    pyproject = undefined;
  }
  return { dir, buildSystem: buildSystemOf(pyproject, sdistName) };
}

export interface BuildInput {
  python: string;
  sdistName: string;
  source: Source;
  /** Paths of the build-requirement wheels (the only packages the build sees). */
  wheels: string[];
  work: string;
  sourceDateEpoch: number;
  /** `unshare -n` or [] */
  isolation: string[];
}

export interface BuildOutput {
  wheel: string;
  filename: string;
  /** Full version of the Python that built it. */
  python: string;
}

/** Runs the backend; throws EBUILD naming the sdist, with the log's tail, when it fails. */
export async function buildWheel(b: BuildInput): Promise<BuildOutput> {
  const out = path.join(b.work, 'dist');
  const site = path.join(b.work, 'site');
  await mkdir(out, { recursive: true });
  const log = path.join(b.work, 'build.log');
  const env = {
    ...baseEnv(b.work),
    SOURCE_DATE_EPOCH: String(b.sourceDateEpoch),
    // compiled code must not carry this run's temp path (debug info, __FILE__)
    CFLAGS: `-ffile-prefix-map=${b.source.dir}=. -ffile-prefix-map=${b.work}=.`,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  const argv = [...b.isolation, b.python, '-I', '-S', '-c', FRONTEND_PY, 'build', b.source.dir, out, site, b.source.buildSystem.backend, JSON.stringify(b.source.buildSystem.backendPath), ...b.wheels];
  const code = await runLogged(argv, { env, log, cwd: b.source.dir });
  if (code !== 0) throw await buildFailure(b.sdistName, `failed to build (${b.source.buildSystem.backend}, exit ${code})`, log);
  let result: { wheel: string; python: string };
  try {
    result = JSON.parse(await readFile(path.join(out, '.result.json'), 'utf8')) as typeof result;
    await stat(path.join(out, result.wheel));
  } catch {
    const made = (await readdir(out)).filter((f) => f.endsWith('.whl'));
    throw await buildFailure(b.sdistName, `built no wheel the backend named (found: ${made.join(', ') || 'nothing'})`, log);
  }
  return { wheel: path.join(out, result.wheel), filename: result.wheel, python: result.python };
}

/** Nothing of the caller's environment but what a compiler needs: no PIP_*, PYTHON*, proxies or credentials. */
function baseEnv(work: string): Record<string, string> {
  return { HOME: work, TMPDIR: work, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', PYTHONHASHSEED: '0', PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

function runLogged(argv: string[], o: { env: Record<string, string>; log: string; cwd: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(o.log);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: BUILD_TIMEOUT_MS });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', (err) => {
      out.end();
      reject(new PackagerError('EBUILD', `Cannot run ${argv[0]}: ${err.message}`, { hint: 'check that the target Python runs on this machine' }));
    });
    child.on('close', (code, signal) => out.end(() => resolve(code ?? (signal ? 128 : 1))));
  });
}

async function buildFailure(sdist: string, what: string, log: string): Promise<PackagerError> {
  let tail = '';
  try {
    tail = redactText((await readFile(log, 'utf8')).trimEnd().split('\n').slice(-TAIL_LINES).join('\n'));
  } catch {
    // no log: the message says what failed
  }
  return new PackagerError('EBUILD', `${sdist} ${what}${tail ? `; the build log ends:\n${tail.replace(/^/gm, '    ')}` : ''}`, {
    output: tail,
    hint: `build it yourself to see the whole log (\`pip wheel --no-deps ${sdist}\`); fix or pin another version of it, or one that publishes a wheel`,
  });
}
