// What this machine can build for a stack: the target Python (python3.X on
// PATH), its architecture and glibc (a compiled wheel loads on a stack only when
// the architecture matches and it was linked against a glibc no newer than the
// stack's), and how a build is kept off the network.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { stackInfo } from '../core/index.js';

const run = promisify(execFile);

export interface HostPython {
  /** The interpreter's real path (not a pyenv shim). */
  executable: string;
  /** `3.11.4` */
  version: string;
}

/** `python3.11` for "3.11" or "3.11.9"; the first on PATH that runs and reports that minor version. */
export async function findPython(pythonVersion: string, pathEnv = process.env.PATH ?? ''): Promise<HostPython | undefined> {
  const [major, minor] = pythonVersion.split('.');
  const name = `python${major}.${minor}`;
  for (const dir of pathEnv.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    try {
      const { stdout } = await run(candidate, ['-I', '-S', '-c', 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])'], { timeout: 30_000 });
      const [executable, version] = stdout.trim().split('\n');
      if (executable && version?.startsWith(`${major}.${minor}.`)) return { executable, version };
    } catch {
      // a broken interpreter (or a shim with no such version installed): try the next
    }
  }
  return undefined;
}

export interface HostPlatform {
  arch: string;
  /** [major, minor], or undefined when not glibc (musl, another OS). */
  glibc?: [number, number];
}

export function hostPlatform(): HostPlatform {
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const m = /^(\d+)\.(\d+)/.exec(header?.glibcVersionRuntime ?? '');
  return m ? { arch, glibc: [Number(m[1]), Number(m[2])] } : { arch };
}

/**
 * Why a compiled wheel built on this host would not load on every one of
 * `stacks`, or undefined when it would.
 */
export function compiledMismatch(host: HostPlatform, stacks: string[]): string | undefined {
  for (const s of stacks) {
    const info = stackInfo(s);
    if (!info) return `${s} is not a stack this buildpack knows`;
    if (info.arch !== host.arch) return `this host is ${host.arch} and ${s} is ${info.arch}`;
    if (!host.glibc) return `this host has no glibc and ${s} has glibc ${info.glibc.join('.')}`;
    const [hm, hn] = host.glibc;
    const [sm, sn] = info.glibc;
    if (hm > sm || (hm === sm && hn > sn)) return `this host's glibc ${hm}.${hn} is newer than ${s}'s ${sm}.${sn}, so ${s} could not load what it compiles`;
  }
  return undefined;
}

/** The command prefix that takes the network away (`unshare -n`, else `unshare -rn`), or [] when neither works here. */
export async function networkIsolation(): Promise<string[]> {
  for (const prefix of [['unshare', '-n'], ['unshare', '-rn']]) {
    try {
      await run(prefix[0]!, [...prefix.slice(1), 'true'], { timeout: 10_000 });
      return prefix;
    } catch {
      // not permitted here: try the next
    }
  }
  return [];
}
