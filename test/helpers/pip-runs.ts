// The real pip as an oracle: several pip commands in one Python process
// (pip_runs.py), with none of this machine's pip configuration.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

const run = promisify(execFile);
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pip_runs.py');

/** This environment without PIP_* variables, and PIP_CONFIG_FILE=/dev/null: pip reads no pip.conf. */
export function isolatedPipEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  env.PIP_CONFIG_FILE = '/dev/null';
  return env;
}

/**
 * Runs `python3 -m pip <args>` for each argument list, in order, in one process, and
 * resolves to their exit codes. `pipPackage` (the `pip` directory of an unpacked pip)
 * runs that pip instead of python3's own.
 */
export async function pipRuns(runs: string[][], pipPackage?: string): Promise<number[]> {
  const results = path.join(await tempDir('pip-runs-'), 'codes.json');
  const child = run('python3', [SCRIPT, pipPackage ? path.dirname(pipPackage) : '', results], { env: isolatedPipEnv(), maxBuffer: 64 * 1024 * 1024 });
  child.child.stdin!.end(JSON.stringify(runs));
  await child;
  return JSON.parse(await readFile(results, 'utf8')) as number[];
}
