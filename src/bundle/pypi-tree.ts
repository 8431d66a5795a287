// A static PEP 503 "simple" index inside the zip, readable by pip from file://
// and by any web server (bin/mirror export):
//   pypi/files/<wheel or sdist>
//   pypi/simple/index.html               every project
//   pypi/simple/<normalized>/index.html  links `../../files/<file>#sha256=<hex>`
// Spec: https://peps.python.org/pep-0503/ (links, hash fragment, normalized
// names), https://peps.python.org/pep-0345/#requires-python via PEP 503's
// data-requires-python (HTML-escaped), PEP 629 repository version meta tag.
import { PackagerError } from '../core/errors.js';
import { normalizeProjectName } from '../core/project-name.js';
import type { LockEntry } from '../manifest/types.js';
import type { ShippedFile } from './conda-channel.js';
import { PYPI_SIMPLE, compareBytes, pypiFilePath } from './layout.js';
import type { ZipEntry } from './write-zip.js';

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

interface Link {
  filename: string;
  sha256: string;
  requiresPython?: string;
}

/**
 * Zip entries of the PyPI tree for the lock's wheels and sdists (sha256/size
 * checked while copied). An sdist in `built` is linked beside the wheel built
 * from it: pip prefers the wheel of a version (it ranks a fitting wheel above
 * the sdist), and still finds the sdist for --no-binary or a hash that pins it.
 */
export function pypiTreeEntries(entries: LockEntry[], files: Map<LockEntry, ShippedFile>, built = new Map<LockEntry, ShippedFile>()): ZipEntry[] {
  const projects = new Map<string, Map<string, Link>>();
  const out: ZipEntry[] = [];
  for (const e of entries) {
    if (e.kind !== 'wheel' && e.kind !== 'sdist') continue;
    if (e.filename.includes('/') || e.filename.includes('\\') || e.filename.startsWith('.')) {
      throw new PackagerError('ELOCK', `Not a distribution file name: ${e.filename}`);
    }
    const file = files.get(e);
    if (!file) throw new PackagerError('EINTERNAL', `No downloaded file for ${e.kind} ${e.filename}`);
    const sha256 = file.sha256.toLowerCase();
    if (sha256 !== e.sha256.toLowerCase()) {
      throw new PackagerError('EINTEGRITY', `Downloaded file does not match the lock: ${e.filename}`, {
        wanted: `sha256 ${e.sha256.toLowerCase()}`,
        found: `sha256 ${sha256}`,
        file: file.path,
        hint: 'the cache or the lock is stale: re-run with --force-download, or `bin/package resolve --update`',
      });
    }
    const wheel = built.get(e);
    if (wheel && e.built) {
      if (wheel.sha256.toLowerCase() !== e.built.sha256) {
        throw new PackagerError('EINTERNAL', `The wheel built from ${e.filename} does not match the lock's built.sha256`, { wanted: `sha256 ${e.built.sha256}`, found: `sha256 ${wheel.sha256}` });
      }
      addLink(e, { filename: e.built.filename }, wheel);
    }
    addLink(e, e, file);
  }
  function addLink(e: LockEntry, d: { filename: string }, file: ShippedFile): void {
    const sha256 = file.sha256.toLowerCase();
    const project = normalizeProjectName(e.name);
    let links = projects.get(project);
    if (!links) projects.set(project, (links = new Map()));
    const seen = links.get(d.filename);
    if (seen) {
      if (seen.sha256 !== sha256) {
        throw new PackagerError('EBUNDLE', `Two different files named ${d.filename}`, { wanted: `sha256 ${seen.sha256}`, found: `sha256 ${sha256}` });
      }
      return;
    }
    if ([...projects.values()].some((l) => l !== links && l.has(d.filename))) {
      throw new PackagerError('EBUNDLE', `One file listed under two projects: ${d.filename}`);
    }
    links.set(d.filename, { filename: d.filename, sha256, requiresPython: e.requires_python });
    out.push({ name: pypiFilePath(d.filename), source: { path: file.path }, sha256, size: file.size, crc32: file.crc32 });
  }
  if (projects.size === 0) return out;

  const names = [...projects.keys()].sort(compareBytes);
  out.push({ name: `${PYPI_SIMPLE}/index.html`, source: { data: rootPage(names) } });
  for (const name of names) {
    const links = [...projects.get(name)!.values()].sort((a, b) => compareBytes(a.filename, b.filename));
    out.push({ name: `${PYPI_SIMPLE}/${name}/index.html`, source: { data: projectPage(name, links) } });
  }
  return out;
}

function page(title: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    '    <meta name="pypi:repository-version" content="1.0">',
    `    <title>${escapeHtml(title)}</title>`,
    '  </head>',
    '  <body>',
    ...(title.startsWith('Links for') ? [`    <h1>${escapeHtml(title)}</h1>`] : []),
    ...body.map((l) => `    ${l}`),
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

function rootPage(names: string[]): string {
  return page('Simple index', names.map((n) => `<a href="${escapeHtml(encodeURIComponent(n))}/">${escapeHtml(n)}</a><br>`));
}

function projectPage(name: string, links: Link[]): string {
  return page(
    `Links for ${name}`,
    links.map((l) => {
      const href = `../../files/${encodeURIComponent(l.filename)}#sha256=${l.sha256}`;
      const rp = l.requiresPython ? ` data-requires-python="${escapeHtml(l.requiresPython)}"` : '';
      return `<a href="${escapeHtml(href)}"${rp}>${escapeHtml(l.filename)}</a><br>`;
    }),
  );
}
