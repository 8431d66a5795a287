// `pre_package:` support. As libbuildpack does, the buildpack root is first
// copied to a temp directory and the command runs there (so it can generate
// files without touching the user's checkout); the zip is then collected from
// the copy. The command runs through /bin/sh -c, so both `scripts/build.sh`
// (python-buildpack) and `make vendor` work.
import { spawn } from 'node:child_process';
import { cp, lstat, mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PackagerError } from '../core/errors.js';
import { processAlive } from '../core/process-alive.js';
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import { redactOutput, redactText } from '../core/redact.js';
import { isByProduct } from './buildpack-files.js';

const TAIL_BYTES = 4096;
const TAIL_LINES = 20;


/**
 * Copies the buildpack root to a fresh temp directory for pre_package (modes
 * and symlinks kept; .git and what isByProduct leaves out skipped). A symlink that leaves the root is refused
 * here, where its target can still be told apart. The caller removes the copy.
 */
export async function copyBuildpackRoot(root: string, o: { byProducts?: string[] } = {}): Promise<string> {
  const src = path.resolve(root);
  const realSrc = await realpath(src).catch(() => src);
  await removeStaleCopies(os.tmpdir());
  let dest: string;
  try {
    dest = await mkdtemp(path.join(os.tmpdir(), `${COPY_PREFIX}${process.pid}-`));
  } catch (err) {
    throw copyError(err, src);
  }
  try {
    await cp(src, dest, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: async (from) => {
        const rel = path.relative(src, from);
        if (rel === '') return true;
        const parts = rel.split(path.sep);
        if (parts.includes('.git') || isByProduct(parts.join('/'), o.byProducts)) return false;
        await refuseEscapingLink(from, parts.join('/'), realSrc);
        return true;
      },
    });
  } catch (err) {
    await rm(dest, { recursive: true, force: true });
    if (err instanceof PackagerError) throw err;
    throw copyError(err, src);
  }
  return dest;
}

/** Refuses a symlink whose target is outside `realRoot` (a dangling one is left for the collection to report). */
async function refuseEscapingLink(abs: string, rel: string, realRoot: string): Promise<void> {
  if (!(await lstat(abs)).isSymbolicLink()) return;
  const target = await readlink(abs);
  const real = await realpath(abs).catch(() => path.resolve(path.dirname(abs), target));
  if (real !== realRoot && !real.startsWith(`${realRoot}${path.sep}`)) {
    throw new PackagerError('EBUNDLE', `A symlink in the buildpack points outside it: ${rel} -> ${target}`, {
      file: rel,
      found: target,
      hint: 'copy the file into the buildpack instead of linking to it, or remove the link',
    });
  }
}

/** Temp copies are named `buildpack-packager-<pid>-<random>`, so a later run can tell a killed run's copy. */
const COPY_PREFIX = 'buildpack-packager-';
const COPY_NAME = /^buildpack-packager-(\d+)-[A-Za-z0-9]{6}$/;

// A run killed with -9 cannot remove its copy: the next run does, so copies
// do not pile up in TMPDIR. Best effort; never a reason to fail.
async function removeStaleCopies(tmp: string): Promise<void> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  for (const n of names) {
    const m = COPY_NAME.exec(n);
    if (m && !processAlive(Number(m[1]))) await rm(path.join(tmp, n), { recursive: true, force: true }).catch(() => undefined);
  }
}

// The temp copy lives in TMPDIR: say why it failed there (a full disk is the usual reason).
function copyError(err: unknown, src: string): PackagerError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  const reason = full ? 'no space left on device' : code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (e?.message ?? String(err));
  return new PackagerError(full ? 'ENOSPC' : 'EIO', `Could not copy the buildpack to a temp directory in ${os.tmpdir()}: ${reason} (${code})`, {
    file: src,
    hint: full ? 'free some space there, or point TMPDIR at a larger disk' : 'point TMPDIR at a writable directory (default /tmp)',
  }, { cause: err });
}

/**
 * Runs the manifest's `pre_package` command in `dir` (via /bin/sh -c). A
 * non-zero exit is EPREPACKAGE naming the command and the tail of its output.
 */
export function runPrePackage(command: string, dir: string, o: { logger?: Logger; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const logger = o.logger ?? silentLogger;
  logger.info(`Running pre_package: ${redactText(command)}`);
  const shown = redactText(command);
  return new Promise((resolve, reject) => {
    let tail = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > TAIL_BYTES * 2) tail = tail.subarray(tail.length - TAIL_BYTES);
    };
    const child = spawn('/bin/sh', ['-c', command], { cwd: dir, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => {
      reject(new PackagerError('EPREPACKAGE', `pre_package command could not start: ${shown}`, { command: shown, hint: 'check the pre_package key of manifest.yml' }, { cause: err }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const output = redactOutput(lastLines(tail.subarray(Math.max(0, tail.length - TAIL_BYTES)).toString('utf8')));
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      reject(
        new PackagerError('EPREPACKAGE', `pre_package command failed (${how}): ${shown}${output ? `\n${output}` : ''}`, {
          command: shown,
          exitCode: code,
          signal,
          output,
          hint: `run \`${shown}\` in the buildpack directory to see the whole output, fix it, then package again`,
        }),
      );
    });
  });
}

function lastLines(text: string): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines
    .slice(-TAIL_LINES)
    .map((l) => `  ${l}`)
    .join('\n')
    .trimEnd();
}
