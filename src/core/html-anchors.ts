// Reads what a PEP 503 "simple" page gives meaning to: every `<a>` (its
// attributes, `data-*` included, and its text), the first `<base href>` and the
// `<meta name content>` tags (PEP 629 `pypi:repository-version`, PEP 708).
// One forward pass, so the time is linear in the page however broken it is.
// Tolerant as html.parser (pip's parser) is: attributes in any order and
// quoting, entities decoded, comments, `<!DOCTYPE>`, `<?...?>` and the text of
// `<script>`/`<style>` skipped; an `<a>` never closed ends at the next `<a>` or
// the end of the page, so it cannot swallow the links after it. Pure.
// Spec: https://peps.python.org/pep-0503/ ,
// https://html.spec.whatwg.org/multipage/parsing.html#tokenization
import { decodeHtmlAttribute, decodeHtmlText } from './html-entities.js';

export interface HtmlAnchor {
  /**
   * Attributes by lower-case name, entities decoded; `null` for one written
   * without a value (`<a data-yanked>`), as html.parser reports it. The first
   * of a repeated name counts, as in browsers.
   */
  attrs: Map<string, string | null>;
  /** Text up to `</a>`, the next `<a>` or the end of the page: tags left out, entities decoded, trimmed. */
  text: string;
  /** 1-based line of the `<a`. */
  line: number;
}

export interface AnchorScan {
  anchors: HtmlAnchor[];
  /** href of the first `<base>` that has one. */
  baseHref?: string;
  /** `<meta>` tags that have a name, in page order (`content` '' when absent). */
  metas: { name: string; content: string }[];
  /**
   * The page ends inside a tag, a quoted value or a comment, as a truncated
   * download does; what came before it is scanned.
   */
  unterminated?: { what: string; line: number };
}

// html.parser's tag name: a letter, then anything but white space, `/` and `>`
const TAG_OPEN = /<(\/?)([a-zA-Z][^\t\n\f\r />]*)/y;
const SPACE = /[\t\n\f\r ]*/y;
const ATTR_NAME = /[^\t\n\f\r />="']+/y;
const UNQUOTED_VALUE = /[^\t\n\f\r >]*/y;
const RAW_TEXT_END = new Map([
  ['script', /<\/script[\t\n\f\r />]/gi],
  ['style', /<\/style[\t\n\f\r />]/gi],
]);

/** Scans an HTML page for its anchors, base href and meta tags. */
export function scanAnchors(html: string): AnchorScan {
  const out: AnchorScan = { anchors: [], metas: [] };
  const n = html.length;
  // Lines are counted once, up to each position asked for (positions only grow).
  let line = 1;
  let counted = 0;
  const lineAt = (at: number): number => {
    for (; counted < at; counted++) if (html.charCodeAt(counted) === 10) line++;
    return line;
  };
  let open: { anchor: HtmlAnchor; text: string[] } | undefined;
  const closeAnchor = () => {
    if (open) open.anchor.text = decodeHtmlText(open.text.join('')).trim();
    open = undefined;
  };
  const skipSpace = (at: number): number => {
    SPACE.lastIndex = at;
    SPACE.exec(html);
    return SPACE.lastIndex;
  };

  let i = 0;
  scan: while (i < n) {
    const lt = html.indexOf('<', i);
    if (open) open.text.push(html.slice(i, lt < 0 ? n : lt));
    if (lt < 0) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) {
        out.unterminated = { what: 'unterminated comment', line: lineAt(lt) };
        break;
      }
      i = end + 3;
      continue;
    }
    TAG_OPEN.lastIndex = lt;
    const m = TAG_OPEN.exec(html);
    if (!m) {
      const next = html[lt + 1];
      if (next === '!' || next === '?' || next === '/') {
        // `<!DOCTYPE ...>`, `<?xml ...?>`, `</ ...>`: skipped up to `>`
        const gt = html.indexOf('>', lt);
        i = gt < 0 ? n : gt + 1;
      } else {
        // a `<` in text
        if (open) open.text.push('<');
        i = lt + 1;
      }
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    const attrs = new Map<string, string | null>();
    let j = TAG_OPEN.lastIndex;
    for (;;) {
      j = skipSpace(j);
      if (j >= n) {
        out.unterminated = { what: `unterminated <${closing ? '/' : ''}${name}> tag`, line: lineAt(lt) };
        break scan;
      }
      const c = html[j];
      if (c === '>') {
        j++;
        break;
      }
      if (c === '/' && html[j + 1] === '>') {
        j += 2;
        break;
      }
      if (c === '/' || c === '"' || c === "'" || c === '=') {
        // a stray slash, quote or `=`: skipped as browsers do
        j++;
        continue;
      }
      ATTR_NAME.lastIndex = j;
      const attr = ATTR_NAME.exec(html)![0].toLowerCase();
      j = skipSpace(ATTR_NAME.lastIndex);
      let value: string | null = null;
      if (html[j] === '=') {
        j = skipSpace(j + 1);
        const q = html[j];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, j + 1);
          if (end < 0) {
            out.unterminated = { what: `unterminated quoted value of ${attr} in <${name}>`, line: lineAt(j) };
            break scan;
          }
          value = html.slice(j + 1, end);
          j = end + 1;
        } else {
          UNQUOTED_VALUE.lastIndex = j;
          value = UNQUOTED_VALUE.exec(html)![0];
          j = UNQUOTED_VALUE.lastIndex;
        }
      }
      if (!attrs.has(attr)) attrs.set(attr, value === null ? null : decodeHtmlAttribute(value));
    }
    i = j;
    if (name === 'a') {
      closeAnchor();
      if (!closing) {
        open = { anchor: { attrs, text: '', line: lineAt(lt) }, text: [] };
        out.anchors.push(open.anchor);
      }
    } else if (closing) {
      continue;
    } else if (name === 'base') {
      const href = attrs.get('href');
      if (out.baseHref === undefined && typeof href === 'string') out.baseHref = href;
    } else if (name === 'meta') {
      const metaName = attrs.get('name');
      if (typeof metaName === 'string') out.metas.push({ name: metaName, content: attrs.get('content') ?? '' });
    } else if (RAW_TEXT_END.has(name)) {
      // script and style hold text, never tags
      const end = RAW_TEXT_END.get(name)!;
      end.lastIndex = i;
      i = end.exec(html)?.index ?? n;
    }
  }
  closeAnchor();
  return out;
}
