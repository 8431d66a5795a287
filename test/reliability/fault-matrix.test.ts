// The fault matrix: every fault a loopback origin can throw at the packager,
// on the first attempt only and on every attempt, for packaging (`offline`
// downloading a locked conda package) and for resolving (`resolve` reading the
// installer index, conda repodata and a PyPI simple page). Each case checks
// the exit code (docs/CLI.md), that a failure names the URL, that the
// cache holds only verified files, that no zip (or lock) appears under its
// final name on failure, and that a success is sound. Cases run concurrently:
// each has its own origin, directory and cache.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, Origin } from '../../fixtures/origin/origin.mjs';
import { verifyBundle } from '../../src/bundle/index.js';
import { UPSTREAM } from '../helpers/paths.js';
import { auditCache } from './support/cache-audit.js';
import { expectCleanExit, runPackage } from './support/cli.js';
import { caseDir } from './support/dirs.js';
import { errorLine, record } from './support/report.js';
import { makeLoopbackCert, type TlsIdentity } from './support/tls.js';
import { demoRoot, lockedRootFor, lockedTemplate, PATHS, world, type LockedTemplate } from './support/worlds.js';

type Mode = 'first' | 'every';
type FaultName =
  | '500'
  | '503 + Retry-After'
  | 'reset mid-body'
  | 'truncated body'
  | 'stalled body'
  | 'slow 1 KiB/s body'
  | 'redirect loop'
  | 'redirect to another host'
  | '404'
  | 'wrong bytes'
  | 'wrong Content-Length'
  | 'TLS-less http to an https URL';

/** How a fault behaves: the faults of one attempt, and whether a retry is the right answer. */
interface FaultSpec {
  /** Faults one attempt meets (a redirect loop takes two requests); undefined: not an origin fault (TLS). */
  attempt?: (p: string, size: number, otherHost: string) => Fault[];
  /** Worth retrying (transient): the first-try variant must then succeed. */
  transient: boolean;
}

const FAULTS: Record<FaultName, FaultSpec> = {
  '500': { attempt: () => [{ status: 500 }], transient: true },
  '503 + Retry-After': { attempt: () => [{ status: 503, retryAfter: 1 }], transient: true },
  'reset mid-body': { attempt: (_p, n) => [{ reset: Math.floor(n / 2) }], transient: true },
  'truncated body': { attempt: (_p, n) => [{ truncate: Math.floor(n / 2) }], transient: true },
  'stalled body': { attempt: () => [{ stall: true }], transient: true },
  // Slow is not a failure: 256 bytes every 250 ms never leaves the body silent for PACKAGER_TIMEOUT_MS.
  'slow 1 KiB/s body': { attempt: () => [{ slow: { chunk: 256, intervalMs: 250 } }], transient: true },
  'redirect loop': { attempt: (p) => [{ redirect: `${p}?loop` }, { redirect: `${p}?loop` }], transient: false },
  'redirect to another host': { attempt: (p, _n, other) => [{ redirect: `${other}${p}` }], transient: true },
  '404': { attempt: () => [{ status: 404 }], transient: false },
  'wrong bytes': { attempt: () => [{ wrongBytes: true }], transient: false },
  // Content-Length says half the file and half is sent: a well-framed response that is short.
  'wrong Content-Length': { attempt: (_p, n) => [{ wrongLength: Math.floor(n / 2) }], transient: false },
  'TLS-less http to an https URL': { transient: false },
};
const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
/** RELIABILITY_FULL=1 runs the expensive variants (every index for every resolve case). */
const FULL = process.env.RELIABILITY_FULL === '1';
const MODES: Mode[] = ['first', 'every'];

/** Faults for the origin's queue on `p`. */
function queueFor(name: FaultName, mode: Mode, p: string, size: number, other: string): Fault[] {
  const one = FAULTS[name].attempt!(p, size, other);
  if (mode === 'first') return one;
  // A redirect loop repeats one redirect; every other fault is one entry per attempt.
  return [{ forever: one[0] as Exclude<Fault, { forever: unknown }> }];
}

/** Outcomes that end in success whichever attempt they hit. */
const ALWAYS_FINE = new Set<FaultName>(['slow 1 KiB/s body', 'redirect to another host']);

/** Packaging: docs/CLI.md exit codes for a download failure. */
function packagingExit(name: FaultName, mode: Mode): number {
  if (ALWAYS_FINE.has(name)) return 0;
  if (name === 'wrong bytes' || name === 'wrong Content-Length') return 3; // size/checksum mismatch, never retried
  if (FAULTS[name].transient) return mode === 'first' ? 0 : 2;
  return 2; // 404, redirect loop, TLS: fail at once
}

type Target = 'installer index' | 'conda repodata' | 'pypi simple page';
const TARGETS: Record<Target, string> = {
  'installer index': PATHS.installerIndex,
  'conda repodata': PATHS.repodata,
  'pypi simple page': PATHS.simplePage,
};

/** Resolving: what each index does with a fault that is not retried. */
function resolveExit(name: FaultName, mode: Mode, target: Target): number {
  if (ALWAYS_FINE.has(name)) return 0;
  if (FAULTS[name].transient) return mode === 'first' ? 0 : 2;
  if (name === '404') return target === 'pypi simple page' ? 4 : 2; // no page for a project = not found (pip says the same)
  if (name === 'wrong bytes' || name === 'wrong Content-Length') return 4; // a malformed upstream index
  return 2;
}

/** Size of a demo-world document, read from a fault-free world. */
const sizeOf = async (p: string) => (await fetch(`${otherHost.url}${p}`).then((x) => x.arrayBuffer())).byteLength;

let template: LockedTemplate;
let otherHost: Origin;
let tls: TlsIdentity;
const tally = { cases: 0, retriedToSuccess: 0, failedAsDocumented: 0 };

beforeAll(async () => {
  template = await lockedTemplate();
  otherHost = await world();
  tls = makeLoopbackCert(await caseDir('bp-rel-tls-'));
}, 60_000);
afterAll(async () => {
  await otherHost?.close();
  console.log(`fault matrix: ${tally.cases} cases, ${tally.retriedToSuccess} recovered by retrying, ${tally.failedAsDocumented} failed with the documented exit code`);
});

/** Zips anywhere under `dir` (a failed run must leave none). */
async function zipsUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith('.zip') || /\.zip\./.test(String(f))).map(String);
}

describe.concurrent('packaging (bin/package offline) against a faulty origin', () => {
  const targetFile = path.join(UPSTREAM, 'conda/conda-index/packages/noarch/run_exports_versions-2.0-h39de5ba_0.tar.bz2');
  const bodySize = readFile(targetFile).then((b) => b.length);
  const targetSha = readFile(targetFile).then((b) => createHash('sha256').update(b).digest('hex'));

  for (const name of FAULT_NAMES) {
    for (const mode of MODES) {
      const exit = packagingExit(name, mode);
      it(`${name} on ${mode === 'first' ? 'the first try' : 'every try'} of a download: ${exit === 0 ? 'packages a sound zip' : `exits ${exit} naming the URL, no zip`}`, async () => {
        const p = PATHS.condaPackage;
        const isTls = name === 'TLS-less http to an https URL';
        const origin = await world();
        const tlsOrigin = isTls ? await world({ tls, plainConnections: mode === 'first' ? 1 : Infinity }) : undefined;
        try {
          const target = `${(tlsOrigin ?? origin).url}${p}`;
          if (!isTls) origin.setFaults(p, queueFor(name, mode, p, await bodySize, otherHost.url));
          const { root, manifest } = await lockedRootFor(template, origin.url, (lock) => (isTls ? lock.split(`${origin.url}${p}`).join(target) : lock));
          const cache = path.join(root, 'cache');
          const out = path.join(root, 'python_buildpack-cached-v1.zip');
          const env = isTls ? { NODE_EXTRA_CA_CERTS: tls.certFile } : {};
          const r = await runPackage(['offline', '--manifest', manifest, '--cache-dir', cache, '--output', out], { cwd: root, env });
          const label = `${name} / ${mode}`;
          expectCleanExit(r, label);
          record({ suite: 'fault-matrix', case: `packaging: ${label}`, exit: r.code, outcome: r.code === 0 ? 'ok' : 'failed', error: errorLine(r.stderr), ms: r.ms });
          expect(r.code, `${label}\n${r.stderr}`).toBe(exit);
          tally.cases++;

          const audit = await auditCache(cache);
          expect(audit.problems, label).toEqual([]);
          const attempts = (tlsOrigin ? tlsOrigin.stats.connections : origin.requestsFor(p).filter((q) => !q.url?.includes('?loop')).length);
          if (exit === 0) {
            if (mode === 'first' && !ALWAYS_FINE.has(name)) tally.retriedToSuccess++;
            const report = await verifyBundle(out);
            expect(report.problems, label).toEqual([]);
            expect(audit.entries.length).toBeGreaterThanOrEqual(5);
            if (FAULTS[name].transient && mode === 'first' && !ALWAYS_FINE.has(name)) expect(attempts, label).toBe(2);
            if (name === '503 + Retry-After') expect(r.stderr).toMatch(/Retrying run_exports_versions 2\.0 in 1\.0s \(attempt 2 of 3\)/);
            if (name === 'reset mid-body' || name === 'truncated body') {
              // the second attempt resumes where the first stopped instead of starting over
              const second = origin.requestsFor(p)[1]!;
              expect(second.headers.range, label).toMatch(/^bytes=\d+-$/);
              expect(Number(/=(\d+)-/.exec(String(second.headers.range))![1])).toBeGreaterThan(0);
            }
          } else {
            tally.failedAsDocumented++;
            expect(r.stderr, label).toContain(target);
            expect(await zipsUnder(root), label).toEqual([]);
            expect(existsSync(out)).toBe(false);
            // retried faults are tried 3 times (PACKAGER_RETRIES=2); the rest exactly once
            expect(attempts, label).toBe(FAULTS[name].transient ? 3 : 1);
            if (FAULTS[name].transient) expect(r.stderr, label).toContain('gave up after 3 attempts');
            if (exit === 3) expect(r.stderr, label).toMatch(/Wanted: |instead of/);
            if (isTls) {
              expect(r.stderr).toContain('TLS handshake failed');
              expect(r.stderr).toContain('NODE_EXTRA_CA_CERTS');
            }
            // a partial kept for resume is fine; a final entry for the faulted file is not
            expect(audit.entries.map((e) => e.replace(/\//g, '')), label).not.toContain(`sha256${await targetSha}`);
          }
        } finally {
          await origin.close();
          await tlsOrigin?.close();
        }
      });
    }
  }
});

/** A lock as text with the origin URLs and inputs hash normalised, to compare runs. */
function normalisedLock(text: string, urls: string[]): string {
  let out = text.replace(/^inputs_sha256: .*$/m, 'inputs_sha256: X');
  for (const u of urls) out = out.split(u).join('ORIGIN');
  return out;
}

/** Every fault x mode x index with RELIABILITY_FULL=1; by default each fault x mode hits one index, in rotation (8 cases per index). */
function resolveCases(): [Target, string, FaultName, Mode][] {
  const targets = Object.entries(TARGETS) as [Target, string][];
  const out: [Target, string, FaultName, Mode][] = [];
  FAULT_NAMES.forEach((name, i) =>
    MODES.forEach((mode, j) => {
      const picked = FULL ? targets : [targets[(i * MODES.length + j) % targets.length]!];
      for (const [target, p] of picked) out.push([target, p, name, mode]);
    }),
  );
  return out;
}

describe.concurrent('resolving (bin/package resolve) against a faulty index', () => {
  for (const [target, p, name, mode] of resolveCases()) {
    {
      {
        const exit = resolveExit(name, mode, target);
        it(`${target}: ${name} on ${mode === 'first' ? 'the first try' : 'every try'}: ${exit === 0 ? 'writes the same lock' : `exits ${exit} naming the URL, no lock`}`, async () => {
          const isTls = name === 'TLS-less http to an https URL';
          const origin = await world();
          const tlsOrigin = isTls ? await world({ tls, plainConnections: mode === 'first' ? 1 : Infinity }) : undefined;
          try {
            const { root, manifest } = await demoRoot(origin.url);
            if (isTls) {
              // only the faulted index moves to the TLS port
              const m = await readFile(manifest, 'utf8');
              const line =
                target === 'installer index' ? `index_url: ${origin.url}/miniconda/` : target === 'conda repodata' ? `channel_alias: ${origin.url}` : `index_url: ${origin.url}/pypi/simple`;
              expect(m).toContain(line);
              await writeFile(manifest, m.replace(line, line.replace(origin.url, tlsOrigin!.url)));
            } else {
              origin.setFaults(p, queueFor(name, mode, p, await sizeOf(p), otherHost.url));
            }
            const cache = path.join(root, 'cache');
            const env = isTls ? { NODE_EXTRA_CA_CERTS: tls.certFile } : {};
            const r = await runPackage(['resolve', '--manifest', manifest, '--cache-dir', cache], { cwd: root, env });
            const label = `${target}: ${name} / ${mode}`;
            expectCleanExit(r, label);
            record({ suite: 'fault-matrix', case: `resolve: ${label}`, exit: r.code, outcome: r.code === 0 ? 'ok' : 'failed', error: errorLine(r.stderr), ms: r.ms });
            expect(r.code, `${label}\n${r.stderr}`).toBe(exit);
            tally.cases++;
            const audit = await auditCache(cache);
            expect(audit.problems, label).toEqual([]);
            const lockFile = path.join(root, 'manifest.lock.yml');
            const attempts = tlsOrigin ? tlsOrigin.stats.connections : origin.requestsFor(p).filter((q) => !q.url?.includes('?loop')).length;
            if (exit === 0) {
              if (mode === 'first' && !ALWAYS_FINE.has(name)) tally.retriedToSuccess++;
              const lock = await readFile(lockFile, 'utf8');
              expect(normalisedLock(lock, [origin.url, otherHost.url]), label).toBe(normalisedLock(template.lock, [template.url]));
              if (FAULTS[name].transient && mode === 'first' && !ALWAYS_FINE.has(name)) expect(attempts, label).toBe(2);
            } else {
              tally.failedAsDocumented++;
              expect(existsSync(lockFile), label).toBe(false);
              // with TLS the whole index host is the https one: its first URL is named
              expect(r.stderr, label).toContain(tlsOrigin ? `${tlsOrigin.url}/` : `${origin.url}${p}`);
              // a TLS failure is not retried (the index's other documents may be on parallel connections)
              if (!isTls) expect(attempts, label).toBe(FAULTS[name].transient ? 3 : 1);
              else expect(r.stderr, label).not.toContain('Retrying');
            }
          } finally {
            await origin.close();
            await tlsOrigin?.close();
          }
        });
      }
    }
  }
});
