// A document fetched over the network may only point at http(s) URLs. A
// `file:` (or any other) URL in an index page, a wheel's Requires-Dist or a
// channel's base_url would make the packager read, and package, a file of the
// machine it runs on because a remote server said so. `file:` stays allowed
// where the operator wrote it: the manifest, the local files it names, and
// the documents of local channels and directories.
import { PackagerError } from './errors.js';
import { redactUrl } from './redact.js';

export function isNetworkUrl(url: string): boolean {
  return /^https?:/i.test(url);
}

/**
 * Throws EBADINDEX when `target`, found in the document at `documentUrl`
 * (`what` names where, e.g. "the index page"), is not http(s) while the
 * document itself came over http(s).
 */
export function checkNetworkReference(documentUrl: string, target: string, o: { what: string; found?: string; hint: string }): void {
  if (!isNetworkUrl(documentUrl) || isNetworkUrl(target)) return;
  const doc = redactUrl(documentUrl);
  throw new PackagerError('EBADINDEX', `${o.what} ${doc} points at ${o.found ?? redactUrl(target)}, which is not an http(s) URL: a document fetched over the network may only point at http(s) URLs`, {
    url: doc,
    found: redactUrl(target),
    hint: o.hint,
  });
}
