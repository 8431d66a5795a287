// Reads the anchors of a PEP 503 "simple" page (the bundle's own pages, as
// bundle/pypi-tree.ts writes them, or a hand-made tree): href, text and the
// data-* attributes PEP 503/592/658/714 define. Tolerant of attribute order,
// quoting and entities; pure.
// Spec: https://peps.python.org/pep-0503/ , https://peps.python.org/pep-0592/ (data-yanked),
// https://peps.python.org/pep-0658/ + https://peps.python.org/pep-0714/ (data-core-metadata).

export interface SimpleAnchor {
  href: string;
  /** Anchor text, entities decoded, trimmed. */
  text: string;
  /** Attributes by lower-case name; `true` for a valueless attribute (`data-yanked`). */
  attrs: Map<string, string | true>;
}

/** Every `<a>` of a page, in document order. */
export function parseSimpleAnchors(html: string): SimpleAnchor[] {
  const body = html.replace(/<!--[\s\S]*?-->/g, '');
  const out: SimpleAnchor[] = [];
  for (const m of body.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs = new Map<string, string | true>();
    for (const a of m[1]!.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
      const value = a[2] ?? a[3] ?? a[4];
      const key = a[1]!.toLowerCase();
      if (!attrs.has(key)) attrs.set(key, value === undefined ? true : unescapeHtml(value));
    }
    const href = attrs.get('href');
    if (typeof href !== 'string') continue;
    out.push({ href, text: unescapeHtml(m[2]!.replace(/<[^>]*>/g, '')).trim(), attrs });
  }
  return out;
}

/** Decodes the HTML character references a simple page uses (named basics and numeric). */
export function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    const r = ref.toLowerCase();
    if (r === 'amp') return '&';
    if (r === 'lt') return '<';
    if (r === 'gt') return '>';
    if (r === 'quot') return '"';
    if (r === 'apos') return "'";
    const code = r.startsWith('#x') ? parseInt(r.slice(2), 16) : parseInt(r.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
