// Runs the buildpack's bash scripts the way Cloud Foundry's stager does: a
// child process with a controlled environment, optionally in a network
// namespace with no interfaces (`unshare -n`), so "zero egress" is enforced by
// the kernel rather than assumed.
import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (shim tests compare exact output). */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Run inside a network namespace with no network (see NET_ISOLATION). */
  offline?: boolean;
}

function probe(cmd: string[]): boolean {
  return spawnSync(cmd[0]!, [...cmd.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * The command prefix that removes the network: `unshare -n` as root,
 * `unshare -rn` (user namespace) otherwise; null when neither works here.
 */
export const NET_ISOLATION: string[] | null = probe(['unshare', '-n'])
  ? ['unshare', '-n']
  : probe(['unshare', '-rn'])
    ? ['unshare', '-rn']
    : null;

if (!NET_ISOLATION) {
  console.warn('[staging tests] unshare -n / -rn is not permitted here: staging runs WITHOUT network isolation');
}

/** Spawns `cmd args` and collects its output; never rejects on a non-zero exit. */
export function runScript(cmd: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  const argv = o.offline && NET_ISOLATION ? [...NET_ISOLATION, cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    // A script that exits without reading stdin makes this write fail with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
  });
}

/** Absolute path of the python the stand-in installer builds its venv from. */
export const HOST_PYTHON: string = (() => {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'python3';
})();

/** `3.11.7`: the version of HOST_PYTHON (the stand-in base environment's python). */
export const HOST_PYTHON_VERSION: string = (() => {
  const r = spawnSync(HOST_PYTHON, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8' });
  return r.stdout.trim();
})();

/** What the stand-in installer reads: its python, and the template directory of test/helpers/standin-template.ts. */
export const STANDIN_ENV: NodeJS.ProcessEnv = {
  STANDIN_PYTHON: HOST_PYTHON,
  ...(process.env.STANDIN_TEMPLATE_DIR ? { STANDIN_TEMPLATE_DIR: process.env.STANDIN_TEMPLATE_DIR } : {}),
};

/**
 * The environment staging runs with: PATH, a private HOME, CF_STACK, the stand-in's
 * python, and deliberately the machine's PIP_* variables, which supply must ignore.
 */
export function stagingEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, CF_STACK: 'cflinuxfs4', ...STANDIN_ENV, LANG: 'C.UTF-8' };
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('PIP_')) env[k] = v;
  return { ...env, ...extra };
}
