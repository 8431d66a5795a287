import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pypiTreeEntries } from '../../src/bundle/pypi-tree.js';
import type { LockEntry } from '../../src/manifest/types.js';
import {
  SIMPLE_HTML,
  SIMPLE_JSON,
  TEXT_HTML,
  negotiateSimple,
  projectJson,
  projectLinks,
  resolveSitePath,
  rootJson,
  rootProjects,
  versionFromFilename,
} from '../../src/mirror/pep691.js';
import { UPSTREAM } from '../helpers/paths.js';

const PIP_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

describe('negotiateSimple (PEP 691)', () => {
  const table: [string | undefined, string | undefined][] = [
    [undefined, TEXT_HTML],
    ['', TEXT_HTML],
    ['*/*', TEXT_HTML],
    ['text/*', TEXT_HTML],
    ['text/html', TEXT_HTML],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', TEXT_HTML],
    [PIP_ACCEPT, SIMPLE_JSON],
    ['application/vnd.pypi.simple.v1+json', SIMPLE_JSON],
    ['application/vnd.pypi.simple.latest+json', SIMPLE_JSON],
    ['application/vnd.pypi.simple.v1+html', SIMPLE_HTML],
    ['application/vnd.pypi.simple.latest+html', SIMPLE_HTML],
    ['APPLICATION/VND.PYPI.SIMPLE.V1+JSON', SIMPLE_JSON],
    ['application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.5', TEXT_HTML],
    ['application/vnd.pypi.simple.v1+json;q=0, */*', TEXT_HTML],
    ['application/vnd.pypi.simple.v1+html, application/vnd.pypi.simple.v1+json', SIMPLE_HTML],
    ['application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html', SIMPLE_JSON],
    ['application/*', SIMPLE_HTML],
    ['application/vnd.pypi.simple.v1+json;q=1.5, text/html', TEXT_HTML],
    ['application/json', undefined],
    ['application/vnd.pypi.simple.v2+json', undefined],
    ['text/html;q=0', undefined],
    ['garbage', undefined],
  ];
  it.each(table)('Accept %j -> %j', (accept, contentType) => {
    expect(negotiateSimple(accept)?.contentType).toBe(contentType);
  });

  it('lets ?format= win over Accept (with + possibly decoded to a space)', () => {
    expect(negotiateSimple('text/html', 'application/vnd.pypi.simple.v1+json')).toEqual({ format: 'json', contentType: SIMPLE_JSON });
    expect(negotiateSimple(PIP_ACCEPT, 'application/vnd.pypi.simple.v1 html')).toEqual({ format: 'html', contentType: SIMPLE_HTML });
    expect(negotiateSimple(undefined, 'application/json')).toBeUndefined();
  });
});

describe('JSON pages from the bundle HTML', () => {
  it('carries every link with hashes, requires-python, size, versions and PEP 658 metadata', async () => {
    const wheels = path.join(UPSTREAM, 'pypi/wheels');
    const mk = (name: string, filename: string, sha256: string, size: number, rp?: string): LockEntry => ({
      kind: filename.endsWith('.whl') ? 'wheel' : 'sdist', name, version: '0', filename, uri: `https://h/${filename}`, sha256, size, depends: [], cf_stacks: [], requires_python: rp,
    });
    const e1 = mk('has.script', 'has.script-1.0-py2.py3-none-any.whl', 'a'.repeat(64), 1773, '>=3.6,<4');
    const e2 = mk('Has_Script', 'has_script-1.1.tar.gz', 'b'.repeat(64), 10);
    const files = new Map([
      [e1, { path: path.join(wheels, 'has.script-1.0-py2.py3-none-any.whl'), sha256: e1.sha256, size: e1.size }],
      [e2, { path: '/nowhere', sha256: e2.sha256, size: e2.size }],
    ]);
    const pages = pypiTreeEntries([e1, e2], files);
    const page = pages.find((p) => p.name === 'pypi/simple/has-script/index.html')!;
    const html = (page.source as { data: string }).data;
    const links = projectLinks('/pypi/simple/has-script/', html);
    expect(links).toEqual([
      { filename: 'has.script-1.0-py2.py3-none-any.whl', url: '../../files/has.script-1.0-py2.py3-none-any.whl', sitePath: '/pypi/files/has.script-1.0-py2.py3-none-any.whl', hashes: { sha256: 'a'.repeat(64) }, requiresPython: '>=3.6,<4' },
      { filename: 'has_script-1.1.tar.gz', url: '../../files/has_script-1.1.tar.gz', sitePath: '/pypi/files/has_script-1.1.tar.gz', hashes: { sha256: 'b'.repeat(64) } },
    ]);
    const json = JSON.parse(
      projectJson('has-script', links, (l) => (l.filename.endsWith('.whl') ? { size: 1773, sha256: 'a'.repeat(64), metadataSha256: 'c'.repeat(64) } : { size: 10, sha256: 'b'.repeat(64) })),
    );
    expect(json).toEqual({
      meta: { 'api-version': '1.1' },
      name: 'has-script',
      versions: ['1.0', '1.1'],
      files: [
        {
          filename: 'has.script-1.0-py2.py3-none-any.whl',
          url: '../../files/has.script-1.0-py2.py3-none-any.whl',
          hashes: { sha256: 'a'.repeat(64) },
          'requires-python': '>=3.6,<4',
          'core-metadata': { sha256: 'c'.repeat(64) },
          'dist-info-metadata': { sha256: 'c'.repeat(64) },
          size: 1773,
        },
        { filename: 'has_script-1.1.tar.gz', url: '../../files/has_script-1.1.tar.gz', hashes: { sha256: 'b'.repeat(64) }, size: 10 },
      ],
    });
    const root = pages.find((p) => p.name === 'pypi/simple/index.html')!;
    expect(rootProjects((root.source as { data: string }).data)).toEqual(['has-script']);
    expect(rootJson(['has-script'])).toBe('{"meta":{"api-version":"1.1"},"projects":[{"name":"has-script"}]}\n');
  });

  it('leaves out links the site cannot serve', () => {
    const links = projectLinks('/pypi/simple/x/', '<a href="https://elsewhere.invalid/x-1.0.tar.gz">x-1.0.tar.gz</a><a href="../../files/x-2.0.tar.gz">x-2.0.tar.gz</a>');
    expect(links.map((l) => l.sitePath)).toEqual([undefined, '/pypi/files/x-2.0.tar.gz']);
    const json = JSON.parse(projectJson('x', links, (l) => (l.sitePath ? { size: 1, sha256: 'd'.repeat(64) } : undefined)));
    expect(json.files.map((f: { filename: string }) => f.filename)).toEqual(['x-2.0.tar.gz']);
    expect(json.versions).toEqual(['2.0']);
  });

  it('reads yanked links and entities from real PyPI-style pages', async () => {
    const html = await readFile(path.join(UPSTREAM, 'pypi/simple-html/pip-yanked-simple.html'), 'utf8');
    const links = projectLinks('/pypi/simple/simple/', html);
    expect(links.length).toBeGreaterThan(0);
    expect(links.some((l) => l.yanked !== undefined)).toBe(true);
    const fp = await readFile(path.join(UPSTREAM, 'pypi/simple-html/pip-datarequire-fakepackage.html'), 'utf8');
    expect(projectLinks('/pypi/simple/fakepackage/', fp).map((l) => l.requiresPython).filter(Boolean)).toContain('><X.y.z');
  });

  it('gives the JSON the yanked status pip reads from the HTML: none for a data-yanked without a value, true for an empty one', () => {
    const links = projectLinks('/pypi/simple/x/', '<a href="x-1.tar.gz" data-yanked>x-1.tar.gz</a><a href="x-2.tar.gz" data-yanked="">x-2.tar.gz</a><a href="x-3.tar.gz" data-yanked="bad">x-3.tar.gz</a>');
    expect(links.map((l) => l.yanked)).toEqual([undefined, true, 'bad']);
  });

  it('reads a link whose quoted attribute holds a > (PyPI writes data-requires-python=">=3.6")', () => {
    expect(projectLinks('/pypi/simple/x/', '<a href="x-1.tar.gz" data-requires-python=">=3.6">x-1.tar.gz</a>')).toEqual([
      { filename: 'x-1.tar.gz', url: 'x-1.tar.gz', sitePath: '/pypi/simple/x/x-1.tar.gz', hashes: {}, requiresPython: '>=3.6' },
    ]);
  });

  it('names root-page projects from the href when the anchor has no text, even one that does not decode', () => {
    expect(rootProjects('<a href="Foo.Bar/"></a><a href="%zz/"></a><a href="x/">X_Y</a>')).toEqual(['%zz', 'foo-bar', 'x-y']);
  });

  it('reads every link of a page whose anchors are never closed', () => {
    expect(projectLinks('/pypi/simple/x/', '<a href="x-1.tar.gz">x-1.tar.gz<br>\n<a href="x-2.tar.gz">x-2.tar.gz<br>\n').map((l) => l.filename)).toEqual(['x-1.tar.gz', 'x-2.tar.gz']);
  });

  it('resolves hrefs against the page and refuses other hosts', () => {
    expect(resolveSitePath('/pypi/simple/x/', '../../files/a%2Bb.whl')).toBe('/pypi/files/a+b.whl');
    expect(resolveSitePath('/pypi/simple/x/', '/pypi/files/y.whl')).toBe('/pypi/files/y.whl');
    expect(resolveSitePath('/pypi/simple/x/', 'https://other.invalid/y.whl')).toBeUndefined();
    expect(resolveSitePath('/pypi/simple/x/', '//other.invalid/y.whl')).toBeUndefined();
  });
});

describe('versionFromFilename', () => {
  const table: [string, string, string | undefined][] = [
    ['simplewheel-2.0-1-py2.py3-none-any.whl', 'simplewheel', '2.0'],
    ['has.script-1.0-py2.py3-none-any.whl', 'has-script', '1.0'],
    ['python_mscl-67.0.1.0-cp313-cp313-manylinux2014_aarch64.whl', 'python-mscl', '67.0.1.0'],
    ['INITools-0.2.tar.gz', 'initools', '0.2'],
    ['zope.interface-5.0.zip', 'zope-interface', '5.0'],
    ['my-pkg-name-1.0rc1.tar.gz', 'my-pkg-name', '1.0rc1'],
    ['other-1.0.tar.gz', 'initools', undefined],
    ['initools-0.2.exe', 'initools', undefined],
    ['broken.whl', 'broken', undefined],
  ];
  it.each(table)('%s (%s) -> %s', (fn, project, want) => {
    expect(versionFromFilename(fn, project)).toBe(want);
  });
});
