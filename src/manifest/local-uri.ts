// Local inputs (`conda.files` packages, files under `pip.find_links` directories) are
// locked by their path relative to the manifest, never by the build machine's absolute
// file:// URL: the lock, the zip's manifest.yml and the SBOM then name no build path,
// and the same lock works from any checkout of the buildpack.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** The lock's form of `uri`: a file:// URL becomes a POSIX path relative to `manifestDir`; others are kept. */
export function lockedUri(uri: string, manifestDir: string): string {
  if (!/^file:\/\//i.test(uri)) return uri;
  const rel = path.relative(manifestDir, fileURLToPath(uri)).split(path.sep).join('/');
  return rel.startsWith('../') || rel === '..' ? rel : `./${rel}`;
}

/** The URL to fetch a locked `uri` from: a relative path (lockedUri's form) resolved against `manifestDir`. */
export function fetchableUri(uri: string, manifestDir: string): string {
  return SCHEME.test(uri) ? uri : pathToFileURL(path.resolve(manifestDir, uri)).toString();
}
