// Runs bin/package and bin/mirror with the retry and timeout knobs turned down
// (PACKAGER_RETRIES, PACKAGER_RETRY_DELAY_MS, PACKAGER_TIMEOUT_MS), inside this
// process unless a case needs a real one (`process: true`: runs at the same
// time, kills), and checks what every run must satisfy whatever it was given:
// no bug exit, no stack trace, no hang.
import { expect } from 'vitest';
import { runBin, runCliInProcess, type CliResult } from '../../helpers/run-cli.js';

/** Three attempts, 10 ms backoff, 1.5 s for headers and for any silence in a body. */
export const FAST_ENV: NodeJS.ProcessEnv = {
  PACKAGER_RETRIES: '2',
  PACKAGER_RETRY_DELAY_MS: '10',
  PACKAGER_TIMEOUT_MS: '1500',
};

/** Exit code 70 and these texts mean an untyped error reached the user: a bug. */
const CRASH_SIGNS = [/internal error/i, /^\s+at .+\(.+:\d+:\d+\)$/m, /^\s+at (async )?[\w.<>]+ \(node:/m, /TypeError|ReferenceError|RangeError: /];

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A real child process, killed (and reported) after `timeoutMs`. */
  process?: boolean;
  timeoutMs?: number;
}

async function run(bin: 'package' | 'mirror', args: string[], o: RunOptions, env: NodeJS.ProcessEnv): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const r = o.process ? await runBin(bin, args, { cwd: o.cwd, env, timeoutMs: o.timeoutMs ?? 45_000 }) : await runCliInProcess(bin, args, { cwd: o.cwd, env });
  return { ...r, ms: Date.now() - started };
}

/** bin/package with the fast knobs. */
export const runPackage = (args: string[], o: RunOptions = {}) => run('package', args, o, { ...FAST_ENV, ...o.env });

/** bin/mirror (not `serve`, which never ends: test/reliability/support/serve.ts). */
export const runMirror = (args: string[], o: RunOptions = {}) => run('mirror', args, o, { ...o.env });

/** The run ended by itself (no timeout kill), with a documented exit code and no stack trace. */
export function expectCleanExit(r: CliResult, label = ''): void {
  const where = `${label}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
  expect(r.signal, `killed (hung?) ${where}`).toBeNull();
  expect([0, 1, 2, 3, 4, 130], `exit code ${r.code} ${where}`).toContain(r.code);
  for (const sign of CRASH_SIGNS) expect(r.stderr, `looks like a crash ${where}`).not.toMatch(sign);
}
