import { describe, expect, it } from 'vitest';
import { decodeHtmlAttribute, decodeHtmlText, scanAnchors } from '../../src/core/index.js';

const attrs = (html: string) => scanAnchors(html).anchors.map((a) => Object.fromEntries(a.attrs));

describe('scanAnchors reads anchors as html.parser does', () => {
  it('reads attributes in any order, case and quoting, with entities decoded', () => {
    expect(attrs(`<A HREF='a.whl#sha256=AA' data-requires-python="&gt;=3.8" DATA-X=plain>a</A>`)).toEqual([
      { href: 'a.whl#sha256=AA', 'data-requires-python': '>=3.8', 'data-x': 'plain' },
    ]);
  });

  it('keeps a quoted > inside a value (PyPI writes data-requires-python=">=3.6" unescaped)', () => {
    expect(attrs('<a href="b.whl" data-requires-python=">=3.6">b.whl</a>')).toEqual([{ href: 'b.whl', 'data-requires-python': '>=3.6' }]);
  });

  it('reports an attribute written without a value as null, and an empty one as the empty string', () => {
    expect(attrs('<a href=x data-yanked>x</a><a href=y data-yanked="">y</a><a href=z data-yanked = "why">z</a>')).toEqual([
      { href: 'x', 'data-yanked': null },
      { href: 'y', 'data-yanked': '' },
      { href: 'z', 'data-yanked': 'why' },
    ]);
  });

  it('keeps the first of a repeated attribute, as browsers do', () => {
    expect(attrs('<a href="first" href="second">x</a>')).toEqual([{ href: 'first' }]);
  });

  it('skips stray quotes, slashes and a self-closing slash', () => {
    expect(attrs(`<a "x" href="a" / ' data-b=1/>t</a>`)).toEqual([{ x: null, href: 'a', 'data-b': '1/' }]);
  });

  it('reads the text of an anchor without its tags, decoded and trimmed', () => {
    expect(scanAnchors('<a href=x>\n  <b>x-1.0</b>&#46;tar&period;gz &amp; more&nbsp;\n</a>').anchors[0]!.text).toBe('x-1.0.tar.gz & more');
  });

  it('ends an anchor never closed at the next <a> or the end of the page', () => {
    const scan = scanAnchors('<a href=1>one<br>\n<a href=2>two<br>\n<a href=3>three</a> after');
    expect(scan.anchors.map((a) => [a.attrs.get('href'), a.text])).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
    ]);
    expect(scanAnchors('<a href=1>one\n</body></html>').anchors[0]!.text).toBe('one');
  });

  it('skips comments, declarations, processing instructions and the text of script and style', () => {
    const html = `<?xml version="1.0"?><!DOCTYPE html><!-- <a href="in-comment"> -->
      <script>document.write('<a href="in-script">')</script><style>a::after { content: "<a href=in-style>" }</STYLE >
      <a href="real">real</a></ a><x-y>`;
    expect(attrs(html)).toEqual([{ href: 'real' }]);
  });

  it('takes a < in text as text', () => {
    expect(scanAnchors('<a href=x>a < b <3</a>').anchors[0]!.text).toBe('a < b <3');
  });

  it('gives the line of each anchor', () => {
    expect(scanAnchors('<html>\n<a href=1>\n</a>\n\n<a\nhref=2>').anchors.map((a) => a.line)).toEqual([2, 5]);
  });

  it('reads the first <base href> and every <meta name>', () => {
    const scan = scanAnchors(`<base target=_top><base href="https://files.example/"><base href="https://ignored.example/">
      <meta name="pypi:repository-version" content="1.1"><meta charset=utf-8><meta name="pypi:tracks">`);
    expect(scan.baseHref).toBe('https://files.example/');
    expect(scan.metas).toEqual([
      { name: 'pypi:repository-version', content: '1.1' },
      { name: 'pypi:tracks', content: '' },
    ]);
  });

  it('takes no tag name from the object prototype', () => {
    expect(attrs('<constructor href=x><__proto__><toString><a href=y>y</a>')).toEqual([{ href: 'y' }]);
  });

  it.each([
    ['a tag', '<html>\n<a href="x.whl"', 'unterminated <a> tag', 2],
    ['a quoted value', '<a href="x.whl>x</a>\n', 'unterminated quoted value of href in <a>', 1],
    ['a comment', 'x\n\n<!-- <a href="x">', 'unterminated comment', 3],
    ['an end tag', '<a href=x>x</a', 'unterminated </a> tag', 1],
  ])('says where a page ends inside %s, and keeps what came before', (_what, html, what, line) => {
    const scan = scanAnchors(`<a href=before>b</a>${html}`);
    expect(scan.unterminated).toEqual({ what, line });
    expect(scan.anchors[0]!.attrs.get('href')).toBe('before');
  });
});

describe('HTML character references', () => {
  it('decodes text as Python html.unescape does (pip)', () => {
    // expected values printed by python3 -c 'import html; print(repr(html.unescape(...)))'
    expect(decodeHtmlText('&amp &ampx &notit; &notin; &AMP; &#128; &#xD800; &#0; &#65 &#x110000; &unknown;')).toBe('& &x ¬it; ∉ & € \ufffd \ufffd A \ufffd &unknown;');
  });

  it('leaves a legacy reference followed by = or a letter alone in an attribute value, as browsers do', () => {
    expect(decodeHtmlAttribute('x.tar.gz?a=1&copy=2&amp;lt=3&notit;&lt;')).toBe('x.tar.gz?a=1&copy=2&lt=3&notit;<');
  });
});
