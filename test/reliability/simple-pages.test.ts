// The readers of PEP 503 simple pages (the resolver, the mirror's PEP 691
// view, verify) share core's anchor scanner: real pages read as before, and
// pages of the size HTML-only indexes serve, or tag soup, take linear time.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/verify.js';
import { projectLinks } from '../../src/mirror/pep691.js';
import { parseSimpleHtml } from '../../src/resolve/pypi/simple-index.js';
import { UPSTREAM } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const HTML_DIR = path.join(UPSTREAM, 'pypi/simple-html');

describe('real simple pages read as before the readers shared one scanner', () => {
  // simple-pages.golden.json was written by the three readers of commit 77666f6
  // (each its own parser), then changed on purpose in three entries: the
  // mirror read poetry-black.html's `data-requires-python=">=3.6"` (a quoted
  // `>`) as the end of the tag, and poetry-futures-partial-yank.html's
  // valueless data-yanked is not yanked (pip's reading), in both readers.
  const golden = JSON.parse(readFileSync(path.join(import.meta.dirname, 'simple-pages.golden.json'), 'utf8')) as Record<string, unknown>;

  it.each(readdirSync(HTML_DIR).sort())('%s', (f) => {
    const html = readFileSync(path.join(HTML_DIR, f), 'utf8');
    const { warnings, ...page } = parseSimpleHtml(html, 'https://pypi.example/simple/project/');
    expect(warnings).toEqual([]);
    expect({ resolver: page, mirror: projectLinks('/pypi/simple/project/', html) }).toEqual(golden[f]);
  });

  const INDEXES = ['/opt/pypi/simple', '/opt/pypi-more/simple'].filter((d) => existsSync(d));
  it.skipIf(INDEXES.length === 0)('every page of the local PyPI mirrors parses without a warning (skipped: no /opt/pypi)', () => {
    let pages = 0;
    for (const dir of INDEXES) {
      for (const p of readdirSync(dir)) {
        const file = path.join(dir, p, 'index.html');
        if (!existsSync(file)) continue;
        const page = parseSimpleHtml(readFileSync(file, 'utf8'), `https://pypi.example/simple/${p}/`);
        expect(page.warnings, file).toEqual([]);
        pages++;
      }
    }
    expect(pages).toBeGreaterThan(100);
  });
});

/** A project page of `n` links, as PyPI and bundle/pypi-tree.ts write them. */
function bigPage(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`<a href="../../files/pkg-1.${i}-py3-none-any.whl#sha256=${'ab'.repeat(32)}" data-requires-python="&gt;=3.8">pkg-1.${i}-py3-none-any.whl</a><br>`);
  return `<!DOCTYPE html>\n<html><body>\n<h1>Links for pkg</h1>\n${rows.join('\n')}\n</body></html>\n`;
}
/** 40,000 anchors never closed, and 40,000 tags never ended. */
const UNCLOSED = Array.from({ length: 40_000 }, (_, i) => `<a href="../../files/pkg-${i}.tar.gz">pkg-${i}.tar.gz\n`).join('');
const NEVER_ENDED = '<a '.repeat(40_000);

/** CPU seconds `fn` takes (this process's, so other work on the machine does not count). */
async function seconds(fn: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

// The parsers these replaced were quadratic: minutes of CPU for 100,000 links
// in the resolver, 10-20 s for the soup in the mirror and verify. Linear ones
// take about a second or less (bench/BENCHMARKS.md); the bounds leave room.
describe('simple pages take linear time', () => {
  it('the resolver reads 100,000 links, each line numbered', { timeout: 30_000 }, async () => {
    const html = bigPage(100_000);
    let files = 0;
    expect(await seconds(() => (files = parseSimpleHtml(html, 'https://pypi.example/simple/pkg/').files.length))).toBeLessThan(10);
    expect(files).toBe(100_000);
  });

  it('the resolver reads 40,000 unclosed anchors as 40,000 links', { timeout: 30_000 }, async () => {
    let files = 0;
    expect(await seconds(() => (files = parseSimpleHtml(UNCLOSED, 'https://pypi.example/simple/pkg/').files.length))).toBeLessThan(5);
    expect(files).toBe(40_000);
  });

  it('the mirror reads the same soup, and 40,000 tags that never end', { timeout: 30_000 }, async () => {
    let links = 0;
    expect(await seconds(() => (links = projectLinks('/pypi/simple/pkg/', UNCLOSED).length))).toBeLessThan(5);
    expect(links).toBe(40_000);
    expect(await seconds(() => projectLinks('/pypi/simple/pkg/', NEVER_ENDED))).toBeLessThan(5);
  });

  it('verify reads a page of 40,000 tags that never end', { timeout: 30_000 }, async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'pypi/simple/pkg'), { recursive: true });
    await writeFile(path.join(dir, 'pypi/simple/index.html'), '<a href="pkg/">pkg</a>\n');
    await writeFile(path.join(dir, 'pypi/simple/pkg/index.html'), NEVER_ENDED);
    execFileSync('zip', ['-qr', 'b.zip', 'pypi'], { cwd: dir });
    expect(await seconds(() => verifyBundle(path.join(dir, 'b.zip')))).toBeLessThan(5);
  });
});
