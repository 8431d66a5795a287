import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pageFormat, parseSimpleHtml, parseSimpleJson, parseSimplePage } from '../../../src/resolve/pypi/simple-index.js';
import { decodeHtmlAttribute, isPackagerError } from '../../../src/core/index.js';
import { UPSTREAM } from '../../helpers/paths.js';

const HTML_DIR = path.join(UPSTREAM, 'pypi/simple-html');
const JSON_DIR = path.join(UPSTREAM, 'pypi/simple-json');
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const PAGE = 'https://pypi.example/simple/project/';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isPackagerError(e) ? e.code : 'untyped';
  }
  return undefined;
}

describe('every upstream index page parses', () => {
  it.each(readdirSync(HTML_DIR))('HTML %s', (f) => {
    const page = parseSimpleHtml(read(HTML_DIR, f), PAGE);
    expect(page.files.length).toBeGreaterThan(0);
    for (const file of page.files) {
      expect(file.filename).not.toBe('');
      expect(() => new URL(file.url)).not.toThrow();
      expect(file.url).not.toContain('#');
    }
  });
  it.each(readdirSync(JSON_DIR))('JSON %s', (f) => {
    const page = parseSimpleJson(read(JSON_DIR, f), PAGE);
    expect(page.files.length).toBeGreaterThan(0);
    expect(page.apiVersion).toMatch(/^1\./);
    for (const file of page.files) expect(file.hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('PEP 503 HTML details', () => {
  it('resolves relative hrefs against the page URL and reads PEP 592 reasons', () => {
    const page = parseSimpleHtml(read(HTML_DIR, 'pip-yanked-simple.html'), 'https://h.example/a/b/simple/');
    expect(page.files.map((f) => [f.filename, f.url, f.yanked, f.yankedReason])).toEqual([
      ['simple-1.0.tar.gz', 'https://h.example/packages/simple-1.0.tar.gz', false, undefined],
      ['simple-2.0.tar.gz', 'https://h.example/packages/simple-2.0.tar.gz', false, undefined],
      ['simple-3.0.tar.gz', 'https://h.example/packages/simple-3.0.tar.gz', true, 'test reason message'],
    ]);
  });

  it('decodes HTML-escaped data-requires-python and keeps md5 fragments', () => {
    const page = parseSimpleHtml(read(HTML_DIR, 'pip-datarequire-fakepackage.html'), 'http://127.0.0.1:9/fakepackage/');
    expect(page.files.map((f) => f.requiresPython)).toEqual([undefined, '<2.7', '>=2.7,<3', '>=3.3', '><X.y.z']);
    expect(page.files[0]!.hashes).toEqual({ md5: '00000000000000000000000000000000' });
    expect(page.files[0]!.url).toBe('http://127.0.0.1:9/fakepackage-1.0.0.tar.gz');
  });

  it('follows pip on data-yanked: without a value it is not yanked, with an empty value it is, without a reason', () => {
    // pip's html.parser reports a valueless attribute as None, and Link.is_yanked is `yanked_reason is not None`
    const page = parseSimpleHtml(read(HTML_DIR, 'poetry-futures-partial-yank.html'), PAGE);
    expect(page.files.map((f) => [f.filename, f.yanked, f.yankedReason, f.requiresPython])).toEqual([
      ['futures-3.2.0-py2-none-any.whl', false, undefined, '>=2.6, <3'],
      ['futures-3.2.0.tar.gz', false, undefined, '>=2.6, <3'],
    ]);
    const empty = parseSimpleHtml('<a href="x-1.0.tar.gz" data-yanked="">x-1.0.tar.gz</a>', PAGE);
    expect(empty.files.map((f) => [f.yanked, f.yankedReason])).toEqual([[true, '']]);
  });

  it('reads PEP 629 and PEP 708 meta tags', () => {
    const page = parseSimpleHtml(read(HTML_DIR, 'pypi-qypi-708.html'), PAGE);
    expect(page.apiVersion).toBe('1.2');
    expect(page.tracks).toEqual(['https://tracks.package/pypi/qypi/', 'https://test.tracks.package/pypi/qypi/']);
    expect(page.alternateLocations).toHaveLength(2);
    expect(parseSimpleHtml(read(HTML_DIR, 'pypi-qypi_repo_version.html'), PAGE).apiVersion).toBe('1.0');
  });

  it('accepts attributes in any order and quoting, entities in hrefs, <base href>, and PEP 658/714 attributes', () => {
    const html = `<html><head><base href="https://files.example/root/"></head><body>
      <a data-core-metadata="sha256=ABCD" href=pkgs/a-1.0-py3-none-any.whl#sha256=AA data-dist-info-metadata=true>a-1.0-py3-none-any.whl</a>
      <A HREF='a-0.9.tar.gz?x=1&amp;y=2#md5=bb' DATA-YANKED='bad &quot;release&quot;'>a-0.9.tar.gz</A>
      <a href="a-0.8-py3-none-any.whl" data-dist-info-metadata="true" data-requires-python="&gt;=3.8">x</a>
      <a name="anchor-without-href">ignored</a>
    </body></html>`;
    const page = parseSimpleHtml(html, PAGE);
    expect(page.files).toEqual([
      { filename: 'a-1.0-py3-none-any.whl', url: 'https://files.example/root/pkgs/a-1.0-py3-none-any.whl', hashes: { sha256: 'aa' }, yanked: false, coreMetadata: { sha256: 'abcd' } },
      { filename: 'a-0.9.tar.gz', url: 'https://files.example/root/a-0.9.tar.gz?x=1&y=2', hashes: { md5: 'bb' }, yanked: true, yankedReason: 'bad "release"', coreMetadata: false },
      { filename: 'a-0.8-py3-none-any.whl', url: 'https://files.example/root/a-0.8-py3-none-any.whl', hashes: {}, yanked: false, coreMetadata: true, requiresPython: '>=3.8' },
    ]);
  });

  it('decodes numeric and named entities', () => {
    expect(decodeHtmlAttribute('&gt;=3&#44;&#x3c;4 &amp;&unknown;')).toBe('>=3,<4 &&unknown;');
  });

  it.each([
    ['an unterminated tag', '<html><a href="x.whl"'],
    ['an unterminated quoted attribute', '<a href="x.whl>x</a>'],
    ['an unterminated comment', '<!-- <a href="x">'],
    ['a future major API version', '<meta name="pypi:repository-version" content="2.0"><a href="x-1.0.tar.gz">x</a>'],
  ])('rejects %s with EBADINDEX', (_why, html) => {
    expect(codeOf(() => parseSimpleHtml(html, PAGE))).toBe('EBADINDEX');
  });
});

describe('a bad link is left out with a warning, as pip leaves it out, and the rest of the page is used', () => {
  it.each([
    ['mailto:', '<a href="mailto:ops@example.org">mail us</a>', /^Skipped link "mailto:ops@example.org" on index page https:\/\/pypi\.example\/simple\/project\/ \(line 2\): a mailto: link is not a file pip can fetch$/],
    ['javascript:', '<a href="javascript:alert(1)">x-0.9.tar.gz</a>', /"javascript:alert\(1\)" .*: a javascript: link is not a file/],
    ['a malformed sha256 fragment', '<a href="x-0.9.tar.gz#sha256=zz">x-0.9.tar.gz</a>', /"x-0\.9\.tar\.gz#sha256=zz" .*: malformed sha256 digest "zz" for x-0\.9\.tar\.gz$/],
    ['an href that is no URL', '<a href="http://[::1">x-0.9.tar.gz</a>', /"http:\/\/\[::1" .*: not a URL$/],
  ])('%s', (_why, bad, warning) => {
    const html = `<html><body>\n${bad}\n<a href="x-1.0.tar.gz#sha256=${'a'.repeat(64)}">x-1.0.tar.gz</a>\n</body></html>`;
    const page = parseSimpleHtml(html, PAGE);
    expect(page.files.map((f) => f.filename)).toEqual(['x-1.0.tar.gz']);
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings[0]).toMatch(warning);
  });

  it('ends an anchor that is never closed at the next <a>, so it cannot swallow the links after it', () => {
    const html = '<a href="x-1.0.tar.gz">x-1.0.tar.gz<br>\n<a href="x-1.1.tar.gz">x-1.1.tar.gz<br>\n<a href="x-1.2.tar.gz">x-1.2.tar.gz</a>\n';
    expect(parseSimpleHtml(html, PAGE).files.map((f) => f.filename)).toEqual(['x-1.0.tar.gz', 'x-1.1.tar.gz', 'x-1.2.tar.gz']);
  });

  it('names the link in the warning without credentials and on one line', () => {
    const page = parseSimpleHtml('<a href="javascript:x\nwarning: forged https://u:secret@h/">x</a>', 'https://u:secret@pypi.example/simple/x/');
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings[0]).not.toContain('secret');
    expect(page.warnings[0]).not.toContain('\n');
  });
});

describe('PEP 691 JSON details', () => {
  it('reads PEP 700 versions, size and upload-time', () => {
    const page = parseSimpleJson(read(JSON_DIR, 'argset-700.json'), PAGE);
    expect(page.versions).toEqual(['0.1.0']);
    expect(page.files[0]).toMatchObject({ filename: 'argset-0.1.0-py3-none-any.whl', size: 5219, uploadTime: '2021-06-05T00:15:37.534150Z', requiresPython: '~=3.6' });
  });

  it('reads yanked as a boolean and as a reason', () => {
    const page = parseSimpleJson(read(JSON_DIR, 'yanked.json'), PAGE);
    expect(page.files.map((f) => [f.yanked, f.yankedReason, f.requiresPython])).toEqual([
      [true, '', undefined],
      [true, 'not good', undefined],
    ]);
  });

  it('reads core-metadata hashes (PEP 714) and tolerates PEP 708 keys', () => {
    const page = parseSimpleJson(read(JSON_DIR, 'poetry-pyyaml.json'), PAGE);
    expect(page.files[0]!.coreMetadata).toEqual({ sha256: 'eb5621acdfd1a084efcc04d1a5292117422c616dc2ea004d8e760aadbd3f8388' });
    const p708 = parseSimpleJson(read(JSON_DIR, 'argset-708.json'), PAGE);
    expect(p708.tracks).toHaveLength(2);
    expect(p708.alternateLocations).toHaveLength(2);
  });

  it('resolves relative file URLs', () => {
    const doc = JSON.stringify({ meta: { 'api-version': '1.1' }, name: 'x', files: [{ filename: 'x-1.tar.gz', url: '../../files/x-1.tar.gz', hashes: {} }] });
    expect(parseSimpleJson(doc, 'http://127.0.0.1:1/simple/x/').files[0]!.url).toBe('http://127.0.0.1:1/files/x-1.tar.gz');
  });

  it.each([
    ['not JSON', '{"meta": '],
    ['no meta', '{"files": []}'],
    ['files not a list', '{"meta": {"api-version": "1.0"}, "files": {}}'],
    ['a file without url', '{"meta": {"api-version": "1.0"}, "files": [{"filename": "x-1.tar.gz", "hashes": {}}]}'],
    ['a non-hex hash', '{"meta": {"api-version": "1.0"}, "files": [{"filename": "x-1.tar.gz", "url": "x", "hashes": {"sha256": "nope"}}]}'],
    ['a bad size', '{"meta": {"api-version": "1.0"}, "files": [{"filename": "x-1.tar.gz", "url": "x", "hashes": {}, "size": "12"}]}'],
    ['api version 2', '{"meta": {"api-version": "2.0"}, "files": []}'],
  ])('rejects %s with EBADINDEX', (_why, text) => {
    expect(codeOf(() => parseSimpleJson(text, PAGE))).toBe('EBADINDEX');
  });

  it('picks the parser from the content type, sniffing when it says neither', () => {
    expect(pageFormat('application/vnd.pypi.simple.v1+json')).toBe('json');
    expect(pageFormat('text/html; charset=utf-8', '{')).toBe('html');
    expect(pageFormat('application/octet-stream', '  {"meta":{}}')).toBe('json');
    expect(parseSimplePage(read(JSON_DIR, 'argset.json'), PAGE, undefined).name).toBe('argset');
  });
});
