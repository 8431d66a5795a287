import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInstallerIndex, parseSizeText } from '../../../src/resolve/miniconda/index.js';
import { FIXTURES, UPSTREAM } from '../../helpers/paths.js';
import { thrownPackagerError as caught } from '../../helpers/errors.js';

const PAGE = readFileSync(path.join(FIXTURES, 'miniconda/index.html'), 'utf8');
const URL_ = 'https://repo.anaconda.com/miniconda/';

describe('parseInstallerIndex on the fixture archive page', () => {
  const rows = parseInstallerIndex(PAGE, URL_);

  it('reads every row with its link, size, date and sha256', () => {
    expect(rows).toHaveLength(20);
    expect(rows.find((r) => r.filename === 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh')).toEqual({
      filename: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
      href: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
      size: Math.round(137.0 * 1024 * 1024),
      sizeExact: false,
      sizeText: '137.0M',
      lastModified: '2024-02-22 20:09:26',
      sha256: '3f2e5498e550a6437f15d9cc8020d52742d0ba70976ee8fce4f0daefa3992d2e',
    });
  });

  it('carries exactly the published checksums of fixtures/upstream/conda/miniconda-installers.tsv', () => {
    const tsv = readFileSync(path.join(UPSTREAM, 'conda/miniconda-installers.tsv'), 'utf8').trim().split('\n').slice(1);
    const miniconda = tsv.map((l) => l.split('\t')).filter(([f]) => f!.startsWith('Miniconda3-'));
    expect(miniconda).toHaveLength(4);
    for (const [filename, sha256] of miniconda) expect(rows.find((r) => r.filename === filename)?.sha256).toBe(sha256);
  });
});

describe('parseInstallerIndex tolerance', () => {
  const sha = 'ab'.repeat(32);

  it('finds columns by header text in any order, with attributes, upper-case tags, entities and no closing tags', () => {
    const html = `<TABLE border=1>
      <TR><TH align=left>SHA256<TH>Last&nbsp;Modified<TH>Size<TH class="x">Filename<TH>MD5
      <TR><TD>${sha.toUpperCase()}<TD>2024-01-01<TD class=s>1234<TD><A HREF='Miniconda3-py311_24.1.2-0-Linux-x86_64.sh'>Miniconda3-py311_24.1.2-0-Linux-x86_64.sh</A><TD>d41d8cd98f00b204e9800998ecf8427e
      <TR><TD>${sha}<TD>2024-01-02<TD>9.4K<TD><a href="Miniconda3-a%26b-Linux-x86_64.sh">Miniconda3-a&amp;b-Linux-x86_64.sh</a><TD>
    </TABLE>`;
    expect(parseInstallerIndex(html, URL_)).toEqual([
      {
        filename: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
        href: 'Miniconda3-py311_24.1.2-0-Linux-x86_64.sh',
        size: 1234,
        sizeExact: true,
        sizeText: '1234',
        lastModified: '2024-01-01',
        sha256: sha,
      },
      {
        filename: 'Miniconda3-a&b-Linux-x86_64.sh',
        href: 'Miniconda3-a%26b-Linux-x86_64.sh',
        size: 9626,
        sizeExact: false,
        sizeText: '9.4K',
        lastModified: '2024-01-02',
        sha256: sha,
      },
    ]);
  });

  it('skips parent-directory and blank rows, ignores comments, and keeps a row whose sha256 cell is malformed', () => {
    const html = `<!-- <tr><td>Miniconda3-commented-Linux-x86_64.sh</td><td>${sha}</td></tr> -->
      <table><tr><th>Filename</th><th>SHA256</th></tr>
      <tr><td><a href="../">Parent Directory</a></td><td></td></tr>
      <tr><td></td><td></td></tr>
      <tr><td>Miniconda3-x-Linux-x86_64.sh</td><td>not-a-sha</td></tr></table>`;
    expect(parseInstallerIndex(html, URL_)).toEqual([{ filename: 'Miniconda3-x-Linux-x86_64.sh', sizeExact: false, badSha256: 'not-a-sha' }]);
  });

  it('rejects a page without an installer table (EBADINDEX, URL redacted)', () => {
    const e = caught(() => parseInstallerIndex('<html><body><h1>502 Bad Gateway</h1></body></html>', 'https://u:p@mirror.test/miniconda/'));
    expect(e.code).toBe('EBADINDEX');
    expect(e.message).toMatchInlineSnapshot(
      `"Malformed installer index: no table with Filename and SHA256 columns: https://-redacted-:-redacted-@mirror.test/miniconda/"`,
    );
  });

  it('rejects a table with a header but no rows, e.g. a truncated page', () => {
    const truncated = PAGE.slice(0, PAGE.indexOf('<th>SHA256</th>') + 30);
    const e = caught(() => parseInstallerIndex(truncated, URL_));
    expect(e.message).toMatchInlineSnapshot(`"Malformed installer index: the installer table has no rows: https://repo.anaconda.com/miniconda/"`);
  });
});

describe('parseSizeText', () => {
  it.each([
    ['137.0M', 143654912, false],
    ['9.4K', 9626, false],
    ['1.1G', 1181116006, false],
    ['104857600', 104857600, true],
    ['12 MB', 12582912, false],
    ['1,234', 1234, true],
  ])('%s -> %d bytes (exact: %s)', (text, bytes, exact) => {
    expect(parseSizeText(text)).toEqual({ bytes, exact });
  });

  it('returns undefined for text that is not a size', () => {
    expect(parseSizeText('-')).toBeUndefined();
    expect(parseSizeText('big')).toBeUndefined();
  });
});
