// With RELIABILITY_REPORT=<file>, every case appends one JSON line (suite,
// case, outcome, exit code, the error line the user saw): the raw material
// for the figures in docs/RELIABILITY.md. Without it, nothing is written.
import { appendFileSync } from 'node:fs';

export interface CaseRecord {
  suite: string;
  case: string;
  exit?: number | null;
  outcome: string;
  /** The `error:` line shown to the user, if any. */
  error?: string;
  ms?: number;
  [more: string]: unknown;
}

/** The first `error: ...` line of a stderr text. */
export function errorLine(stderr: string): string | undefined {
  return stderr.split('\n').find((l) => l.startsWith('error: '));
}

/** Appends one record when RELIABILITY_REPORT names a file. */
export function record(r: CaseRecord): void {
  const file = process.env.RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(r)}\n`);
}
