// Stages an app with a buildpack directory the way Cloud Foundry does
// (supply, then finalize, with BUILD_DIR / CACHE_DIR / DEPS_DIR / INDEX), by
// default inside a network namespace with no network, then runs the app's
// smoke command with the launch environment (.profile.d) sourced.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { runScript, stagingEnv, type RunResult } from './run-script.js';

export interface Staged {
  build: string;
  cache: string;
  deps: string;
  home: string;
  supply: RunResult;
  finalize?: RunResult;
  /** supply's stdout + stderr, for assertions on the staging log. */
  log: string;
}

export interface StageOptions {
  /** Re-use a CACHE_DIR (second staging). */
  cache?: string;
  env?: NodeJS.ProcessEnv;
  /** default true: `unshare -n` */
  offline?: boolean;
  /** Files to add to / override in the app copy. */
  files?: Record<string, string>;
  /** Make the staging's directories in this one and keep them after the test (a staging several tests read). */
  keepIn?: string;
}

/** Copies `appDir` (may be undefined for an app made only of `files`) and stages it. */
export async function stageApp(bpDir: string, appDir: string | undefined, o: StageOptions = {}): Promise<Staged> {
  const dir = (prefix: string) => (o.keepIn ? suiteDir(prefix, o.keepIn) : tempDir(prefix));
  const build = await dir('stage-build-');
  const cache = o.cache ?? (await dir('stage-cache-'));
  const deps = await dir('stage-deps-');
  const home = await dir('stage-home-');
  if (appDir) await cp(appDir, build, { recursive: true });
  for (const [rel, text] of Object.entries(o.files ?? {})) {
    await mkdir(path.dirname(path.join(build, rel)), { recursive: true });
    await writeFile(path.join(build, rel), text);
  }
  await mkdir(path.join(deps, '0'), { recursive: true });
  const env = stagingEnv(home, o.env);
  const offline = o.offline ?? true;
  const supply = await runScript(path.join(bpDir, 'bin/supply'), [build, cache, deps, '0'], { env, offline });
  const staged: Staged = { build, cache, deps, home, supply, log: supply.stdout + supply.stderr };
  if (supply.code === 0) {
    staged.finalize = await runScript(path.join(bpDir, 'bin/finalize'), [build, cache, deps, '0'], { env, offline });
  }
  return staged;
}

/**
 * Runs `command` in the app dir as the app would start: only the launch
 * environment (.profile.d/*.sh sourced, DEPS_DIR set, HOME = the app), a bare
 * PATH, and no network.
 */
export async function runInApp(s: { build: string; deps?: string }, command: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const script = `cd "$HOME" && for f in .profile.d/*.sh; do . "$f"; done && ${command}`;
  return runScript('bash', ['--norc', '-c', script], {
    env: { PATH: '/usr/bin:/bin', HOME: s.build, ...(s.deps ? { DEPS_DIR: s.deps } : {}), ...env },
    offline: true,
  });
}
