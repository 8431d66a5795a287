// Names that become part of a file name the packager writes (the zip's
// `<language>_buildpack-<stack>-v<version>.zip`): one path segment of plain
// printable ASCII, so a manifest or flag can never steer a write elsewhere or
// hide control/bidi characters in a name.

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

/** True for `python`, `cflinuxfs4`, `1.2.3+local`; false for `../x`, `a/b`, names with spaces, newlines or U+202E. */
export function isPlainName(s: string): boolean {
  return PLAIN_NAME.test(s);
}

/** What a plain name may contain, for error messages. */
export const PLAIN_NAME_RULE = 'letters, digits and . _ + - (starting with a letter or digit, at most 100 characters)';
