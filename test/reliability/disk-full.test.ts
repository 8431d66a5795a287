// A full disk under each place the packager writes: the download cache, the
// output zip's directory, and TMPDIR (where the buildpack root is copied when
// a pre_package command runs). Each must fail cleanly: exit 2 (docs/CLI.md: a full disk while
// downloading or writing), a message that says the disk is full and where,
// a hint, no stack trace, and no partial file left on the full disk. The
// small disk is a tmpfs (needs root, as CI has); without it, `ulimit -f`
// stands in (the kernel then says EFBIG instead of ENOSPC).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { ROOT } from '../helpers/paths.js';
import { runBin, type CliResult } from '../helpers/run-cli.js';
import { auditCache } from './support/cache-audit.js';
import { expectCleanExit, FAST_ENV } from './support/cli.js';
import { caseDir } from './support/dirs.js';
import { errorLine, record } from './support/report.js';
import { lockedRootFor, lockedTemplate, PATHS, world } from './support/worlds.js';

const BIG = randomBytes(3 * 1024 * 1024);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let w: Origin;
let root: string;
let manifest: string;
const mounted: string[] = [];

/** A `size` tmpfs at a fresh directory, or undefined when this machine will not mount one. */
async function smallDisk(size: string): Promise<string | undefined> {
  const dir = await caseDir('bp-rel-full-');
  if (process.env.RELIABILITY_NO_MOUNT === '1') return undefined; // exercise the `ulimit -f` stand-in
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  mounted.push(dir);
  return dir;
}

afterEach(() => {
  while (mounted.length) execFileSync('umount', ['-l', mounted.pop()!]);
});

beforeAll(async () => {
  const template = await lockedTemplate();
  w = await world();
  w.setFile(PATHS.installer, BIG);
  const installerSha = /sha256: ([0-9a-f]{64})/.exec(template.lock.slice(template.lock.indexOf('kind: installer')))![1]!;
  ({ root, manifest } = await lockedRootFor(template, w.url, (lock) => lock.replace(installerSha, sha(BIG))));
}, 60_000);
afterAll(async () => w?.close());

/** Every file under `dir`. */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
}

/** bin/package offline, optionally under `ulimit -f <blocks>` (1 KiB blocks in bash). */
function packageOffline(cache: string, out: string, o: { env?: NodeJS.ProcessEnv; ulimitBlocks?: number; manifest?: string } = {}): Promise<CliResult> {
  const args = ['offline', '--manifest', o.manifest ?? manifest, '--cache-dir', cache, '--output', out];
  if (o.ulimitBlocks === undefined) return runBin('package', args, { cwd: root, env: { ...FAST_ENV, ...o.env } });
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `ulimit -f ${o.ulimitBlocks}; exec "$@"`, 'bash', process.execPath, path.join(ROOT, 'bin/package'), ...args], {
      cwd: root,
      env: { ...process.env, CI: 'true', ...FAST_ENV, ...o.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const FULL_DISK = /no space left on (the )?device|file too large|EFBIG/i;

describe('packaging onto a full disk', () => {
  it('fails with exit 2 and a clear message when the cache disk fills during a download, keeping no partial', async () => {
    const disk = await smallDisk('1m');
    const out = path.join(await caseDir(), 'bp.zip');
    const r = disk ? await packageOffline(path.join(disk, 'cache'), out) : await packageOffline(path.join(await caseDir(), 'cache'), out, { ulimitBlocks: 2048 });
    expectCleanExit(r, 'cache disk full');
    record({ suite: 'disk-full', case: `cache on a ${disk ? '1 MiB tmpfs' : 'ulimit -f 1 MiB'}`, exit: r.code, outcome: 'failed', error: errorLine(r.stderr) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(FULL_DISK);
    expect(r.stderr).toContain('miniconda3 py311_24.1.2-0');
    expect(r.stderr).toMatch(
      disk ? /hint: Free some disk space or point the cache \(--cache-dir\) at a larger disk/ : /hint: Raise the file size limit \(ulimit -f\) or point the cache \(--cache-dir\) at another disk/,
    );
    expect(existsSync(out)).toBe(false);
    if (disk) {
      const audit = await auditCache(path.join(disk, 'cache'));
      expect(audit.problems).toEqual([]);
      expect(audit.partials).toEqual([]);
      // what did fit is verified and kept for the next run
      expect(audit.entries.length).toBeGreaterThan(0);
    }
  });

  it('fails with exit 2 and a clear message when the output disk fills while writing the zip, leaving no partial zip', async () => {
    const disk = await smallDisk('1m');
    if (!disk) return; // `ulimit -f` limits every file, so the cache case above covers it
    const cache = path.join(await caseDir(), 'cache');
    const outDir = path.join(disk, 'out');
    await mkdir(outDir);
    const r = await packageOffline(cache, path.join(outDir, 'bp.zip'));
    expectCleanExit(r, 'output disk full');
    record({ suite: 'disk-full', case: 'output zip on a 1 MiB tmpfs', exit: r.code, outcome: 'failed', error: errorLine(r.stderr) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(FULL_DISK);
    expect(r.stderr).toContain(outDir);
    expect(await filesUnder(disk)).toEqual([]);
    // the downloads were fine: the cache keeps them for the next run
    expect((await auditCache(cache)).entries.length).toBe(5);
  });

  it('fails with exit 2 and a clear message when TMPDIR is full, leaving nothing there', async () => {
    const disk = await smallDisk('64k');
    if (!disk) return;
    const cache = path.join(await caseDir(), 'cache');
    const out = path.join(await caseDir(), 'bp.zip');
    // the root is copied to TMPDIR only for a pre_package command to run in
    const withPrePackage = path.join(path.dirname(manifest), 'manifest-pre-package.yml');
    await writeFile(withPrePackage, `${await readFile(manifest, 'utf8')}\npre_package: "true"\n`);
    const r = await packageOffline(cache, out, { env: { TMPDIR: disk }, manifest: withPrePackage });
    expectCleanExit(r, 'TMPDIR full');
    record({ suite: 'disk-full', case: 'TMPDIR on a 64 KiB tmpfs', exit: r.code, outcome: 'failed', error: errorLine(r.stderr) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(FULL_DISK);
    expect(r.stderr).toContain(`temp directory in ${disk}`);
    expect(r.stderr).toContain('hint: free some space there, or point TMPDIR at a larger disk');
    expect(existsSync(out)).toBe(false);
    expect(await filesUnder(disk)).toEqual([]);
  });
});
