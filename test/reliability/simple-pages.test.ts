// The readers of PEP 503 simple pages (the resolver, the mirror's PEP 691
// view, verify) share core's anchor scanner: real pages read as before, and
// pages of the size HTML-only indexes serve, or tag soup, take linear time.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectLinks } from '../../src/mirror/pep691.js';
import { parseSimpleHtml } from '../../src/resolve/pypi/simple-index.js';
import { ROOT, UPSTREAM } from '../helpers/paths.js';

const run = promisify(execFile);

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
  const title = `every page of the local PyPI mirrors parses without a warning${INDEXES.length ? '' : ' (skipped: no /opt/pypi on this machine)'}`;
  it.skipIf(INDEXES.length === 0)(title, () => {
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

// Each case runs bench/parse-simple.mjs's child (the page generator and CPU
// clock the benchmark uses) on dist/, in its own process: a quadratic parser
// is synchronous, so only a process deadline can stop it. The parsers these
// replaced took minutes of CPU for 100,000 links in the resolver and 10-20 s
// for the soup in the mirror and verify; linear ones take about a second or
// less for 100,000 links or 40,000 tags (bench/BENCHMARKS.md). The bounds
// leave room for a loaded machine.
const BENCH = path.join(ROOT, 'bench/parse-simple.mjs');

/** CPU seconds `reader` takes to read bench page `page`; throws when it is not done in 60 s. */
async function cpuSeconds(page: string, reader: string): Promise<number> {
  const { stdout } = await run(process.execPath, [BENCH, '--child', path.join(ROOT, 'dist'), page, reader, '1'], { timeout: 60_000 });
  return Number(stdout.trim());
}

describe('simple pages take linear time', () => {
  // the readers that were quadratic on each page; the soup is 2.5x the 40,000 tags they needed 10-20 s for
  it.each([
    ['links:100000', 'resolver', 10],
    ['unclosed:100000', 'mirror', 5],
    ['open:100000', 'mirror', 5],
    ['open:100000', 'verify', 5],
  ])('%s read by the %s in under %d CPU seconds', { timeout: 70_000 }, async (page, reader, bound) => {
    expect(await cpuSeconds(page, reader)).toBeLessThan(bound);
  });

  it('an anchor never closed does not swallow the 40,000 links after it', () => {
    const html = Array.from({ length: 40_000 }, (_, i) => `<a href="pkg-${i}.tar.gz">pkg-${i}.tar.gz\n`).join('');
    expect(parseSimpleHtml(html, 'https://pypi.example/simple/pkg/').files).toHaveLength(40_000);
    expect(projectLinks('/pypi/simple/pkg/', html)).toHaveLength(40_000);
  });
});
