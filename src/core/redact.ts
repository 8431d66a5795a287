// Credentials must never reach a log line, an error, the lock or the zip.
// Every URL that leaves the process passes through redactUrl(). The rules are
// plain string rewrites (no URL re-serialisation) so that the bash shim
// (bin/lib/redact.sh) can apply exactly the same ones before a lookup.

export const REDACTED = '-redacted-';

// Query parameters whose values are secrets (S3/GCS presigned URLs, tokens).
const SECRET_PARAMS = [
  'token',
  'access_token',
  'auth',
  'password',
  'secret',
  'key',
  'api_key',
  'apikey',
  'signature',
  'sig',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
];

const USERINFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#@]*)@/;
// anaconda.org style token path: https://conda.anaconda.org/t/<token>/channel/...
const TOKEN_PATH = /\/t\/[^/?#]+(?=\/)/g;
// ... and a token that ends the path, as a channel_alias holds it
// (https://conda.anaconda.org/t/<token>): conda's own rule, whose token
// alphabet [a-zA-Z0-9-] keeps a file name (/t/tool-1.0.tgz) from being taken for one.
const TOKEN_AT_END = /\/t\/[a-zA-Z0-9-]+$/;
const SECRET_QUERY = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#]*`, 'gi');

/**
 * Redacts credentials in one URL: `https://u:p@h/t/tok/x?token=1` ->
 * `https://-redacted-:-redacted-@h/t/-redacted-/x?token=-redacted-`.
 */
export function redactUrl(url: string): string {
  let out = url.replace(USERINFO, (_m, scheme: string, userinfo: string) =>
    userinfo.includes(':') ? `${scheme}${REDACTED}:${REDACTED}@` : `${scheme}${REDACTED}@`,
  );
  out = out.replace(TOKEN_PATH, `/t/${REDACTED}`);
  const end = out.search(/[?#]|$/);
  out = out.slice(0, end).replace(TOKEN_AT_END, `/t/${REDACTED}`) + out.slice(end);
  out = out.replace(SECRET_QUERY, `$1${REDACTED}`);
  return out;
}

// The lookbehind makes a match start only where a scheme can start, so a long
// run of letters is scanned once, not once per letter (quadratic otherwise).
const URL_IN_TEXT = /(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>]+/g;

/** Redacts every URL found inside free text (error messages from libraries). */
export function redactText(text: string): string {
  // Punctuation that ends a URL in prose ("from <url>: HTTP 401") is the
  // sentence's, not the URL's: a secret query value must not swallow it.
  return text.replace(URL_IN_TEXT, (u) => {
    const tail = /[.,:;!?)\]]+$/.exec(u)?.[0] ?? '';
    return redactUrl(u.slice(0, u.length - tail.length)) + tail;
  });
}

/** True when the URL carries something redactUrl() would hide. */
export function hasCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}

/**
 * Re-attaches credentials to a redacted URL read back from a lock: if it starts
 * with the redacted form of one of `knownUrls` (channel or index URLs from the
 * manifest, which hold the real credentials), that prefix is swapped back.
 */
export function unredactUrl(redacted: string, knownUrls: readonly string[]): string {
  let best: { from: string; to: string } | undefined;
  for (const real of knownUrls) {
    const base = real.replace(/\/+$/, '');
    const shown = redactUrl(base);
    if (shown === base) continue;
    if ((redacted === shown || redacted.startsWith(shown + '/')) && (!best || shown.length > best.from.length)) {
      best = { from: shown, to: base };
    }
  }
  if (best) return best.to + redacted.slice(best.from.length);
  // Userinfo belongs to the host, not to a path (pip's MultiDomainBasicAuth):
  // a private index at https://u:p@h/simple/ links its files under
  // https://u:p@h/packages/..., outside the index path.
  const shownOrigin = ORIGIN.exec(redacted)?.[0];
  if (shownOrigin?.includes('@')) {
    for (const real of knownUrls) {
      const realOrigin = ORIGIN.exec(real)?.[0];
      if (realOrigin && realOrigin.includes('@') && redactUrl(realOrigin) === shownOrigin) return realOrigin + redacted.slice(shownOrigin.length);
    }
  }
  return redacted;
}

/** `scheme://userinfo@host:port` of a URL. */
const ORIGIN = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/;
