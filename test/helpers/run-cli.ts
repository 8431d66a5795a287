import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/package (or another bin/ entry) as a real child process (needs `npm run build`). */
export function runBin(
  bin: 'package' | 'mirror',
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void; timeoutMs?: number; closed?: 'stdout' | 'stderr' } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', bin), ...args], {
      cwd: o.cwd ?? ROOT,
      env: { ...process.env, CI: 'true', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // `closed`: a reader that is gone before the child writes (`| head -0`)
    if (o.closed) child[o.closed].destroy();
    if (o.closed !== 'stdout') child.stdout.on('data', (d) => (stdout += d));
    if (o.closed !== 'stderr') child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('spawn', () => o.onSpawn?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let inProcessQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs bin/package or bin/mirror's `main` inside this test process: the same
 * commander program, error rendering and exit code as the child process, for
 * cases about what a command says, where a process start would be most of the
 * cost. One at a time, since a command owns process.env, the working directory
 * and both output streams while it runs. Not for `mirror serve` (it never ends).
 */
export function runCliInProcess(bin: 'package' | 'mirror', args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const run = inProcessQueue.then(() => runMain(bin, args, o));
  inProcessQueue = run.catch(() => undefined);
  return run;
}

async function runMain(bin: 'package' | 'mirror', args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  const { main } = bin === 'package' ? await import('../../src/cli/package-program.js') : await import('../../src/cli/mirror-program.js');
  const overlay: NodeJS.ProcessEnv = { CI: 'true', ...o.env };
  const savedEnv = new Map(Object.keys(overlay).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  const savedExitCode = process.exitCode;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  let stdout = '';
  let stderr = '';
  const capture = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  // process.env's keys are the real environment (os.tmpdir() and os.homedir() read it): set and restore them in place
  for (const [k, v] of Object.entries(overlay)) setEnv(k, v);
  process.chdir(o.cwd ?? ROOT);
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  process.exitCode = undefined;
  try {
    await main([process.execPath, path.join(ROOT, 'bin', bin), ...args]);
    return { code: Number(process.exitCode ?? 0), signal: null, stdout, stderr };
  } catch (err) {
    return { code: 70, signal: null, stdout, stderr: stderr + String((err as Error)?.stack ?? err) };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = savedExitCode;
    process.chdir(savedCwd);
    for (const [k, v] of savedEnv) setEnv(k, v);
  }
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
