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
