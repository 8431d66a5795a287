// `bin/mirror serve` as a real child process: resolves with its URL once it
// prints one (or with its exit when it refuses to start), and stops it with
// SIGTERM. RSS of the child is read from /proc for the memory bounds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../../helpers/paths.js';

export interface Serving {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>/`, or undefined when the mirror exited instead. */
  url?: string;
  /** Exit code when it refused to start. */
  code?: number | null;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** Resident set size of the child now, in bytes. */
  rss(): Promise<number>;
}

/** Starts `bin/mirror serve <bundle> --port 0 [...extra]`. */
export function serveMirror(bundle: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Serving> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/mirror'), 'serve', bundle, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = {
    child,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    rss: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
    },
  };
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) {
        clearTimeout(kill);
        resolve({ ...base, url: out.split('\n')[0]! });
      }
    });
    void exited.then((code) => {
      clearTimeout(kill);
      resolve({ ...base, code });
    });
  });
}
