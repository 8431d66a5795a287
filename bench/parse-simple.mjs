#!/usr/bin/env node
// Parse: the three readers of PEP 503 simple pages on generated pages, in
// process: the resolver (`parseSimpleHtml`), the mirror (`projectLinks`, the
// PEP 691 JSON view) and `verify` (a zip holding only the page). Pages of
// 4,000, 16,000 and 100,000 links as large HTML-only indexes serve them, and
// tag soup: 40,000 `<a>` never closed, and 40,000 `<a` that never end.
// Each (page, reader) runs in its own child process with a deadline, so a
// reader that does not finish is reported as such instead of stopping the run.
//
//   node bench/parse-simple.mjs [--runs N] [--deadline S] [--dist DIR] [--pages links:4000,open:40000,..]
//
// prints a Markdown table; --dist measures another build's dist/ (e.g. a
// worktree of an older commit, for before/after figures).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '..');

/** Pages as `<kind>:<count>`: `links` (a project page), `unclosed` (`<a href>` never closed), `open` (`<a ` never ended). */
export const PAGES = ['links:4000', 'links:16000', 'links:100000', 'unclosed:40000', 'open:40000'];
export const READERS = ['resolver', 'mirror', 'verify'];

const HEX = 'ab'.repeat(32);

/** What a page is, for the report. */
export function pageTitle(page) {
  const [kind, count] = page.split(':');
  const n = Number(count).toLocaleString('en-US');
  return { links: `${n} links`, unclosed: `${n} \`<a href>\` without \`</a>\``, open: `${n} \`<a \` without \`>\`` }[kind];
}

/** The page's HTML; links as PyPI and bundle/pypi-tree.ts write them (relative href, sha256 fragment, data-requires-python). */
export function pageHtml(page) {
  const [kind, count] = page.split(':');
  const n = Number(count);
  if (kind === 'unclosed') return Array.from({ length: n }, (_, i) => `<a href="../../files/pkg-${i}.tar.gz">pkg-${i}.tar.gz\n`).join('');
  if (kind === 'open') return '<a '.repeat(n);
  if (kind !== 'links') throw new Error(`unknown page ${page}`);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const f = `pkg-1.${i}-py3-none-any.whl`;
    rows.push(`    <a href="../../files/${f}#sha256=${HEX}" data-requires-python="&gt;=3.8">${f}</a><br>`);
  }
  return `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.0">\n    <title>Links for pkg</title>\n  </head>\n  <body>\n    <h1>Links for pkg</h1>\n${rows.join('\n')}\n  </body>\n</html>\n`;
}

/**
 * In the child: times `runs` parses of one page by one reader, one line each:
 * CPU seconds of the process (the machine is shared; wall time would count
 * the others' work).
 */
async function child(dist, page, reader, runs) {
  const html = pageHtml(page);
  let parse;
  if (reader === 'resolver') {
    const { parseSimpleHtml } = await import(pathToFileURL(path.join(dist, 'resolve/pypi/simple-index.js')).href);
    parse = () => parseSimpleHtml(html, 'https://pypi.example/simple/pkg/');
  } else if (reader === 'mirror') {
    const { projectLinks } = await import(pathToFileURL(path.join(dist, 'mirror/pep691.js')).href);
    parse = () => projectLinks('/pypi/simple/pkg/', html);
  } else {
    const { verifyBundle } = await import(pathToFileURL(path.join(dist, 'bundle/verify.js')).href);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-parse-'));
    mkdirSync(path.join(dir, 'pypi/simple/pkg'), { recursive: true });
    writeFileSync(path.join(dir, 'pypi/simple/index.html'), '<a href="pkg/">pkg</a>\n');
    writeFileSync(path.join(dir, 'pypi/simple/pkg/index.html'), html);
    execFileSync('zip', ['-qr', 'b.zip', 'pypi'], { cwd: dir });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    parse = () => verifyBundle(path.join(dir, 'b.zip'));
  }
  for (let i = 0; i < runs; i++) {
    const before = process.cpuUsage();
    try {
      await parse();
    } catch {
      // a reader may refuse the page (a truncated tag); the time to say so is what counts
    }
    const used = process.cpuUsage(before);
    process.stdout.write(`${((used.user + used.system) / 1e6).toFixed(4)}\n`);
  }
}

/** One (page, reader) in a child process, cut at `deadlineSeconds` of wall time: { seconds: [...], timedOut }. */
function measureOne(dist, page, reader, runs, deadlineSeconds) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [HERE, '--child', dist, page, reader, String(runs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      timedOut = true;
      c.kill('SIGKILL');
    }, deadlineSeconds * 1000);
    c.on('error', reject);
    c.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !timedOut) return reject(new Error(`${page}/${reader} exited ${code}: ${err.slice(-2000)}`));
      resolve({ seconds: out.trim().split('\n').filter(Boolean).map(Number), timedOut });
    });
  });
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Every (page, reader): [{ page, what, reader, min, median, max, n, timedOut, deadline }]. */
export async function benchParse({ runs = 3, deadline = 60, dist = path.join(ROOT, 'dist'), pages = PAGES, log = () => {} } = {}) {
  const results = [];
  for (const page of pages) {
    for (const reader of READERS) {
      log(`parse: ${page} by the ${reader}`);
      const r = await measureOne(dist, page, reader, runs, deadline);
      const s = r.seconds;
      results.push({ page, what: pageTitle(page), reader, n: s.length, min: Math.min(...s), median: s.length ? median(s) : NaN, max: Math.max(...s), timedOut: r.timedOut, deadline });
    }
  }
  return results;
}

/** One cell: `0.12 (0.11–0.13)` s, or `> 60 wall` when the reader did not finish. */
export function parseCell(x) {
  if (x.timedOut && x.n === 0) return `not done in ${x.deadline} s`;
  const f = (v) => v.toFixed(3);
  const body = x.n === 1 || x.min === x.max ? f(x.median) : `${f(x.median)} (${f(x.min)}–${f(x.max)})`;
  return x.timedOut ? `${body} (${x.n} run${x.n > 1 ? 's' : ''} done in ${x.deadline} s)` : body;
}

/** The Markdown table of benchParse's results: a row per page, a column per reader. */
export function parseTable(results) {
  const lines = ['| page | resolver CPU s | mirror (PEP 691 view) CPU s | verify CPU s |', '| --- | ---: | ---: | ---: |'];
  for (const page of [...new Set(results.map((x) => x.page))]) {
    const row = READERS.map((r) => results.find((x) => x.page === page && x.reader === r));
    lines.push(`| ${pageTitle(page)} | ${row.map((x) => (x ? parseCell(x) : 'n/a')).join(' | ')} |`);
  }
  return lines;
}

if (process.argv[2] === '--child') {
  const [dist, page, reader, runs] = process.argv.slice(3);
  await child(dist, page, reader, Number(runs));
} else if (process.argv[1] === HERE) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  const results = await benchParse({
    runs: Number(opt('--runs', 3)),
    deadline: Number(opt('--deadline', 60)),
    dist: path.resolve(opt('--dist', path.join(ROOT, 'dist'))),
    pages: opt('--pages', PAGES.join(',')).split(','),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  process.stdout.write(`${parseTable(results).join('\n')}\n`);
}
