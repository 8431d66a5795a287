// Runs bin/package and bin/mirror as real child processes with the retry and
// timeout knobs turned down (PACKAGER_RETRIES, PACKAGER_RETRY_DELAY_MS,
// PACKAGER_TIMEOUT_MS), and checks what every run must satisfy whatever it
// was given: no bug exit, no stack trace, no hang.
import { expect } from 'vitest';
import { runBin, type CliResult } from '../../helpers/run-cli.js';

/** Three attempts, 10 ms backoff, 1.5 s for headers and for any silence in a body. */
export const FAST_ENV: NodeJS.ProcessEnv = {
  PACKAGER_RETRIES: '2',
  PACKAGER_RETRY_DELAY_MS: '10',
  PACKAGER_TIMEOUT_MS: '1500',
};

/** Exit code 70 and these texts mean an untyped error reached the user: a bug. */
const CRASH_SIGNS = [/internal error/i, /^\s+at .+\(.+:\d+:\d+\)$/m, /^\s+at (async )?[\w.<>]+ \(node:/m, /TypeError|ReferenceError|RangeError: /];

/** bin/package with the fast knobs; killed (and reported) after `timeoutMs`. */
export async function runPackage(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const r = await runBin('package', args, { cwd: o.cwd, env: { ...FAST_ENV, ...o.env }, timeoutMs: o.timeoutMs ?? 45_000 });
  return { ...r, ms: Date.now() - started };
}

/** bin/mirror, killed after `timeoutMs`. */
export async function runMirror(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const r = await runBin('mirror', args, { cwd: o.cwd, env: o.env, timeoutMs: o.timeoutMs ?? 45_000 });
  return { ...r, ms: Date.now() - started };
}

/** The run ended by itself (no timeout kill), with a documented exit code and no stack trace. */
export function expectCleanExit(r: CliResult, label = ''): void {
  const where = `${label}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
  expect(r.signal, `killed (hung?) ${where}`).toBeNull();
  expect([0, 1, 2, 3, 4, 130], `exit code ${r.code} ${where}`).toContain(r.code);
  for (const sign of CRASH_SIGNS) expect(r.stderr, `looks like a crash ${where}`).not.toMatch(sign);
}
