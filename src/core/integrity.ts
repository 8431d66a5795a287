// Checksums travel as SRI strings (ssri) inside the program and as hex in files
// users read (manifest.yml, lock, index.tsv). These helpers are the only
// place the two meet.
import ssri from 'ssri';
import { PackagerError } from './errors.js';

export type HashAlgorithm = 'sha256' | 'md5';

const HEX_LENGTH: Record<HashAlgorithm, number> = { sha256: 64, md5: 32 };

/** True when `hex` is a well-formed digest for `algorithm`. */
export function isHexDigest(hex: string, algorithm: HashAlgorithm): boolean {
  return hex.length === HEX_LENGTH[algorithm] && /^[0-9a-fA-F]+$/.test(hex);
}

/** `sha256` hex -> SRI string. Throws EINPUT on a malformed digest. */
export function sriFromHex(hex: string, algorithm: HashAlgorithm = 'sha256'): string {
  if (!isHexDigest(hex, algorithm)) {
    throw new PackagerError('EINPUT', `Not a ${algorithm} hex digest: ${hex}`, {
      wanted: `${HEX_LENGTH[algorithm]} hexadecimal characters`,
      found: hex,
    });
  }
  return ssri.fromHex(hex.toLowerCase(), algorithm).toString();
}

/** The algorithm an SRI string uses (its strongest, as ssri picks). */
export function sriAlgorithm(sri: string): HashAlgorithm {
  const parsed = ssri.parse(sri, { single: true });
  const algo = parsed.algorithm;
  if (algo !== 'sha256' && algo !== 'md5') {
    throw new PackagerError('EINTERNAL', `Unsupported integrity algorithm: ${algo}`);
  }
  return algo;
}

/** SRI string -> hex digest. */
export function hexFromSri(sri: string): string {
  return ssri.parse(sri, { single: true }).hexDigest();
}
