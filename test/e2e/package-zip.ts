// The end-to-end tests' first step: a real `bin/package <mode> --stack cflinuxfs4` of a
// buildpack source, unzipped the way `cf create-buildpack` unpacks it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runBin, type CliResult } from '../helpers/run-cli.js';

export interface PackagedZip {
  /** `<dir>/<name>` */
  zip: string;
  /** The zip unpacked into `<dir>/bp`. */
  bp: string;
  /** The packaging run (its log is part of what some tests check). */
  run: CliResult;
}

/** Packages `src` into `<dir>/<name>` with the download cache `<dir>/cache`; throws with the log when packaging fails. */
export async function packageAndUnzip(
  src: string,
  dir: string,
  o: { mode?: 'offline' | 'online'; name?: string; timeoutMs?: number } = {},
): Promise<PackagedZip> {
  const mode = o.mode ?? 'offline';
  const zip = path.join(dir, o.name ?? `${mode}.zip`);
  const run = await runBin('package', [mode, '--stack', 'cflinuxfs4', '--cache-dir', path.join(dir, 'cache'), '--output', zip], { cwd: src, timeoutMs: o.timeoutMs });
  if (run.code !== 0) throw new Error(`packaging failed:\n${run.stderr}`);
  const bp = path.join(dir, 'bp');
  execFileSync('unzip', ['-q', zip, '-d', bp]);
  return { zip, bp, run };
}
