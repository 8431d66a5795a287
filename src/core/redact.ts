// Credentials must never reach a log line, an error, the lock or the zip.
// Every URL that leaves the process passes through redactUrl(). The rules are
// plain string rewrites (no URL re-serialisation, so the spelling a manifest
// used is kept) that find the userinfo where a WHATWG URL parser does, so that
// what fetch authenticates with is what gets hidden; the bash shim
// (bin/lib/redact.sh) applies exactly the same rewrites before a lookup.

export const REDACTED = '-redacted-';

// Query parameters whose values are secrets (S3/GCS presigned URLs, tokens,
// OAuth codes); `x-amz-*` and `x-goog-*` are matched as prefixes.
const SECRET_PARAMS = [
  'token',
  'access_token',
  'auth_token',
  'private_token',
  'auth',
  'code',
  'client_secret',
  'password',
  'passwd',
  'secret',
  'key',
  'api_key',
  'api-key',
  'apikey',
  'signature',
  'sig',
  'x-amz-[a-z0-9-]*',
  'x-goog-[a-z0-9-]*',
];

// WHATWG: for the special schemes any run of `/` and `\` may follow the colon
// (`http:/u:p@h/`, `http:\\u:p@h\`), the authority ends at `/ \ ? #`, and the
// userinfo is everything before its LAST `@` (`http://a:p@ss@h/` is user a,
// password p@ss). Other schemes need `//` and end the authority at `/ ? #`.
const USERINFO_SPECIAL = /^((?:https?|wss?|ftp|file):[/\\]*)([^/\\?#]*)@/i;
const USERINFO_OTHER = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)@/;
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
  const hide = (_m: string, scheme: string, userinfo: string) => (userinfo.includes(':') ? `${scheme}${REDACTED}:${REDACTED}@` : `${scheme}${REDACTED}@`);
  let out = USERINFO_SPECIAL.test(url) ? url.replace(USERINFO_SPECIAL, hide) : url.replace(USERINFO_OTHER, hide);
  out = out.replace(TOKEN_PATH, `/t/${REDACTED}`);
  const end = out.search(/[?#]|$/);
  out = out.slice(0, end).replace(TOKEN_AT_END, `/t/${REDACTED}`) + out.slice(end);
  out = out.replace(SECRET_QUERY, `$1${REDACTED}`);
  return out;
}

// The lookbehind makes a match start only where a scheme can start, so a long
// run of letters is scanned once, not once per letter (quadratic otherwise).
// Special schemes count with any slashes, as their URLs parse with any.
const URL_IN_TEXT = /(?<![a-zA-Z0-9+.-])(?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|(?:https?|wss?|ftp):[/\\]*)[^\s'"<>]+/gi;

/** Redacts every URL found inside free text (error messages from libraries). */
export function redactText(text: string): string {
  // Punctuation that ends a URL in prose ("from <url>: HTTP 401") is the
  // sentence's, not the URL's: a secret query value must not swallow it.
  return text.replace(URL_IN_TEXT, (u) => {
    const tail = /[.,:;!?)\]]+$/.exec(u)?.[0] ?? '';
    return redactUrl(u.slice(0, u.length - tail.length)) + tail;
  });
}

// `name=value` and `Authorization: ...` outside any URL, as build scripts print them.
const SECRET_ASSIGNMENT = new RegExp(`(?<![a-zA-Z0-9_-])((?:${SECRET_PARAMS.join('|')})=)[^\\s&'"]+`, 'gi');
const AUTH_HEADER = /((?<![a-z-])(?:proxy-)?authorization:\s*)[^\r\n"']+/gi;

/**
 * Redacts a command's output (pre_package's tail): every URL as redactText
 * does, secret `name=value` pairs, and the value of `Authorization:` lines.
 */
export function redactOutput(text: string): string {
  return redactText(text).replace(SECRET_ASSIGNMENT, `$1${REDACTED}`).replace(AUTH_HEADER, `$1${REDACTED}`);
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
  // https://u:p@h/packages/..., outside the index path. Hosts are compared
  // parsed, so any spelling of the manifest's URL (http:/u:p@h) matches.
  const shown = parsedUrl(redacted);
  if (shown && (shown.username === REDACTED || shown.password === REDACTED)) {
    for (const real of knownUrls) {
      const r = parsedUrl(real);
      if (r && (r.username || r.password) && r.protocol === shown.protocol && r.host === shown.host) {
        shown.username = r.username;
        shown.password = r.password;
        return shown.href;
      }
    }
  }
  return redacted;
}

function parsedUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
