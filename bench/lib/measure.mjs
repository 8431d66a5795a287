// Running things and summarising them: wall time from this process's clock,
// peak RSS from GNU time (the kernel's ru_maxrss of the child: node's worker
// threads included), and min/median/max over runs. Nothing here interprets
// what was run.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const GNU_TIME = '/usr/bin/time';

/**
 * Runs `cmd args` and resolves { seconds, maxRssKiB, stdout, stderr, code }.
 * Throws when the exit code is not 0 (unless allowFail), with the tail of stderr.
 */
export async function timed(cmd, args, o = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-time-'));
  const rssFile = path.join(dir, 'rss');
  try {
    const started = process.hrtime.bigint();
    const r = await run(GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args], o);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rssText = (await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n').pop();
    const maxRssKiB = Number(rssText) || undefined;
    if (r.code !== 0 && !o.allowFail) {
      throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
    }
    return { seconds, maxRssKiB, ...r };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a command to completion, collecting its output (stdin closed). */
export function run(cmd, args, o = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like run(), but throws on a non-zero exit. */
export async function must(cmd, args, o = {}) {
  const r = await run(cmd, args, o);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

/** { min, median, max, n } of numbers (median of an even count: mean of the middle two). */
export function stats(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { min: v[0], median, max: v[v.length - 1], n: v.length };
}

/** `1.23 (1.10–1.40)` with `digits` decimals; a single run shows one number. */
export function fmt(s, digits = 2, unit = '') {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  const f = (x) => x.toFixed(digits);
  if (s.n === 1 || s.min === s.max) return `${f(s.median)}${unit}`;
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Machine facts for the report header. */
export async function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const flags = (await readFile('/proc/cpuinfo', 'utf8').catch(() => '')).match(/^flags\s*:\s*(.*)$/m)?.[1] ?? '';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu,
    cores: os.availableParallelism(),
    shaNi: /\bsha_ni\b/.test(flags),
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    kernel: os.release(),
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

/** Peak RSS (VmHWM) and current RSS of a live process, KiB. */
export async function procMemory(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1]);
  return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}

/** Waits until `url` answers (any status) or throws after `ms`. */
export async function waitForHttp(url, ms = 15_000) {
  const http = await import('node:http');
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const req = http.get(url, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(1000, () => req.destroy());
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing answers at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
