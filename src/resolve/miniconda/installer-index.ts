// The Miniconda installer archive page (https://repo.anaconda.com/miniconda/):
// one HTML table, header `Filename | Size | Last Modified | SHA256`, a row per
// file:
//
//   <tr>
//     <td><a href="Miniconda3-py311_24.1.2-0-Linux-x86_64.sh">Miniconda3-py311_24.1.2-0-Linux-x86_64.sh</a></td>
//     <td class="s">137.0M</td>
//     <td>2024-02-22 20:09:26</td>
//     <td>3f2e5498e550a6437f15d9cc8020d52742d0ba70976ee8fce4f0daefa3992d2e</td>
//   </tr>
//
// The page has no published schema, so the parser finds columns by their
// header text, tolerates omitted closing tags, attributes and entities, and
// treats anything it cannot read as EBADINDEX rather than guessing. Pure.
import { PackagerError } from '../../core/errors.js';
import { scanAnchors } from '../../core/html-anchors.js';
import { decodeHtmlText } from '../../core/html-entities.js';
import { percentDecoded } from '../../core/text.js';
import { redactUrl } from '../../core/redact.js';

export interface InstallerListing {
  filename: string;
  /** The row's link target as written (relative to the page). */
  href?: string;
  /** Bytes; an estimate when `sizeExact` is false (`137.0M`). */
  size?: number;
  sizeExact: boolean;
  /** The size cell as printed. */
  sizeText?: string;
  lastModified?: string;
  /** Lower-case hex, when the row has a well-formed SHA256 cell. */
  sha256?: string;
  /** What the SHA256 cell held when it was not a sha256 (for the error). */
  badSha256?: string;
}

type Column = 'filename' | 'size' | 'lastModified' | 'sha256';

const HEADERS: Record<string, Column> = {
  filename: 'filename',
  name: 'filename',
  file: 'filename',
  size: 'size',
  lastmodified: 'lastModified',
  modified: 'lastModified',
  date: 'lastModified',
  sha256: 'sha256',
  sha256sum: 'sha256',
  'sha-256': 'sha256',
};

/** Parses the installer table. Throws EBADINDEX when the page has no such table or no rows. */
export function parseInstallerIndex(html: string, url: string): InstallerListing[] {
  const shown = redactUrl(url);
  const body = html.replace(/<!--[\s\S]*?-->/g, '');
  const rows = splitRows(body);
  let columns: (Column | undefined)[] | undefined;
  const out: InstallerListing[] = [];
  for (const row of rows) {
    const cells = splitCells(row);
    if (cells.length === 0) continue;
    if (!columns) {
      const names = cells.map((c) => HEADERS[cellText(c.html).toLowerCase().replace(/\s+/g, '')]);
      if (names.includes('filename') && names.includes('sha256')) columns = names;
      continue;
    }
    const listing = readRow(cells, columns);
    if (listing) out.push(listing);
  }
  if (!columns) {
    throw new PackagerError('EBADINDEX', `Malformed installer index: no table with Filename and SHA256 columns: ${shown}`, {
      url: shown,
      hint: 'Point the Miniconda base URL (miniconda[].index_url) at an installer archive listing like https://repo.anaconda.com/miniconda/.',
    });
  }
  if (out.length === 0) {
    throw new PackagerError('EBADINDEX', `Malformed installer index: the installer table has no rows: ${shown}`, {
      url: shown,
      hint: 'The page may be an error page or truncated; open it in a browser to check.',
    });
  }
  return out;
}

function readRow(cells: { tag: string; html: string }[], columns: (Column | undefined)[]): InstallerListing | undefined {
  const get = (col: Column) => {
    const i = columns.indexOf(col);
    return i >= 0 && i < cells.length ? cells[i]!.html : undefined;
  };
  const nameHtml = get('filename');
  if (nameHtml === undefined) return undefined;
  const hrefValue = scanAnchors(nameHtml)
    .anchors.map((a) => a.attrs.get('href'))
    .find((h) => typeof h === 'string');
  let filename = cellText(nameHtml);
  if (!filename && hrefValue) filename = percentDecoded(hrefValue.split(/[?#]/)[0]!.split('/').pop() ?? '');
  // "Parent Directory" links and blank spacer rows are not files.
  if (!filename || /\s/.test(filename) || filename.endsWith('/')) return undefined;

  const sizeText = get('size') !== undefined ? cellText(get('size')!) : undefined;
  const size = sizeText ? parseSizeText(sizeText) : undefined;
  const lastModified = get('lastModified') !== undefined ? cellText(get('lastModified')!) : undefined;
  const shaText = get('sha256') !== undefined ? cellText(get('sha256')!) : '';
  const sha256 = /^[0-9a-fA-F]{64}$/.test(shaText) ? shaText.toLowerCase() : undefined;
  return {
    filename,
    ...(hrefValue ? { href: hrefValue } : {}),
    ...(size ? { size: size.bytes, sizeExact: size.exact } : { sizeExact: false }),
    ...(sizeText ? { sizeText } : {}),
    ...(lastModified ? { lastModified } : {}),
    ...(sha256 ? { sha256 } : { badSha256: shaText }),
  };
}

// Rows and cells may omit their closing tags (HTML allows it): a row runs to
// the next <tr> or </table>, a cell to the next <td>/<th> or the row's end.
function splitRows(html: string): string[] {
  const parts = html.split(/<tr\b[^>]*>/i).slice(1);
  return parts.map((p) => p.split(/<\/tr\s*>|<\/table\s*>/i)[0]!);
}

function splitCells(row: string): { tag: string; html: string }[] {
  const cells: { tag: string; html: string }[] = [];
  const re = /<(td|th)\b[^>]*>([\s\S]*?)(?=<\/t[dh]\s*>|<t[dh]\b|$)/gi;
  for (let m = re.exec(row); m; m = re.exec(row)) cells.push({ tag: m[1]!.toLowerCase(), html: m[2]! });
  return cells;
}

function cellText(html: string): string {
  return decodeHtmlText(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * `137.0M` -> ~143654912 (estimate, binary units as Apache-style listings
 * print them), `1234` -> 1234 (exact). Undefined when unreadable.
 */
export function parseSizeText(text: string): { bytes: number; exact: boolean } | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim().replace(/,/g, ''));
  if (!m) return undefined;
  const unit = m[2]!.toUpperCase();
  const bytes = Math.round(Number(m[1]) * UNITS[unit]!);
  return { bytes, exact: unit === '' && !m[1]!.includes('.') };
}
