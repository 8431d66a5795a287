// Checksum files published next to release assets (Miniforge's GitHub releases:
// `Miniforge3-24.7.1-0-Linux-x86_64.sh.sha256`), in `sha256sum` output format:
//
//   b64f77042cf8eafd31ced64f9253a74fb85db63545fe167ba5756aea0e8125be  Miniforge3-24.7.1-0-Linux-x86_64.sh
//
// A bare digest (no file name) is accepted too. Format: GNU coreutils
// sha256sum(1), "--check" input (`<hex> <space><space or *><name>`). Pure.
import { PackagerError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';

/** The digest for `filename` in a `.sha256` document. Throws EBADINDEX when it has none. */
export function parseSha256File(text: string, filename: string, url: string): string {
  const shown = redactUrl(url);
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const named: string[] = [];
  for (const line of lines) {
    const m = /^([0-9a-fA-F]{64})(?:\s+\*?(.+))?$/.exec(line);
    if (!m) continue;
    const name = m[2]?.trim();
    if (name === undefined || name === filename || name.endsWith(`/${filename}`)) return m[1]!.toLowerCase();
    named.push(name);
  }
  if (named.length > 0) {
    throw new PackagerError('EBADINDEX', `Checksum file does not list ${filename}: ${shown}`, {
      url: shown,
      wanted: filename,
      found: named.join(', '),
      hint: 'The .sha256 file belongs to another asset; check the release version and platform.',
    });
  }
  throw new PackagerError('EBADINDEX', `Malformed checksum file (no sha256 digest in it): ${shown}`, {
    url: shown,
    found: text.slice(0, 80),
    hint: 'Expected `<64 hex digits>  <file name>`, as sha256sum prints it.',
  });
}
