// Opens what `bin/mirror serve` or `export` is pointed at: a buildpack zip,
// a directory written by `bin/mirror export`, or a directory a bundle was
// unzipped into. The caller closes the site.
import { stat } from 'node:fs/promises';
import { PackagerError } from '../core/errors.js';
import { openDirSource } from './dir-source.js';
import { EXPORT_INDEX, readExportIndex } from './export.js';
import { buildBundleSite, buildExportSite, type MirrorSite, type SiteOptions } from './site.js';
import type { Source } from './source.js';
import { openZipSource } from './zip-source.js';

/** The site of a zip, an export directory or an unzipped bundle. */
export async function openSite(location: string, o: SiteOptions = {}): Promise<MirrorSite> {
  const st = await stat(location).catch((err: NodeJS.ErrnoException) => {
    throw new PackagerError('EUSAGE', `No such bundle: ${location}`, { file: location, hint: 'give a buildpack zip (bin/package offline) or a directory written by `bin/mirror export`' }, { cause: err });
  });
  if (!st.isDirectory()) return siteOf(await openZipSource(location), (s) => buildBundleSite(s, o));
  const index = await readExportIndex(location);
  if (index) {
    if (!index.complete) {
      throw new PackagerError('EBUNDLE', `The export in ${location} is incomplete (an export was interrupted or is still running)`, {
        file: location,
        hint: 'run `bin/mirror export ZIP DIR` again to finish it',
      });
    }
    const source = await openDirSource(location, { names: Object.keys(index.files), lastModified: new Date(index.lastModified) });
    return siteOf(source, (s) => buildExportSite(s, new Map(Object.entries(index.files)), o));
  }
  const source = await openDirSource(location);
  const bundleLike = [...source.entries.keys()].some((n) => n === 'manifest.yml' || n.startsWith('conda/') || n.startsWith('pypi/') || n.startsWith('dependencies/'));
  if (!bundleLike) {
    throw new PackagerError('EUSAGE', `Neither an export (no ${EXPORT_INDEX}) nor an unzipped bundle: ${location}`, {
      file: location,
      hint: 'give a buildpack zip, or a directory written by `bin/mirror export`',
    });
  }
  return siteOf(source, (s) => buildBundleSite(s, o));
}

/** The site `build` makes of `source`; the source is closed when that fails. */
async function siteOf(source: Source, build: (s: Source) => Promise<MirrorSite>): Promise<MirrorSite> {
  try {
    return await build(source);
  } catch (err) {
    await source.close();
    throw err;
  }
}
