import { describe, expect, it } from 'vitest';
import { MAX_TARGET_LENGTH, encodeSitePath, parseRequestTarget } from '../../src/mirror/request-path.js';

describe('parseRequestTarget', () => {
  const accepted: [string, string, string?][] = [
    ['/', '/'],
    ['/healthz', '/healthz'],
    ['/pypi/simple/', '/pypi/simple/'],
    ['/pypi/simple/Has.Script/', '/pypi/simple/Has.Script/'],
    ['/pypi/files/a%2Bb-1.0-py3-none-any.whl', '/pypi/files/a+b-1.0-py3-none-any.whl'],
    ['/pypi/files/a+b.whl', '/pypi/files/a+b.whl'],
    ['/pypi/files/%7Euser', '/pypi/files/~user'],
    ['/pypi/simple/x/?format=application/vnd.pypi.simple.v1+json', '/pypi/simple/x/', 'format=application/vnd.pypi.simple.v1+json'],
    ['/a..b/c...', '/a..b/c...'],
    ['/C:/x', '/C:/x'],
    ['/%E2%82%AC', '/\u20ac'],
  ];
  it.each(accepted)('accepts %j as %j', (raw, path, query = '') => {
    const t = parseRequestTarget(raw);
    expect(t).toMatchObject({ ok: true, path, query });
  });

  const refused: [string, number, string][] = [
    ['/../etc/passwd', 400, 'dot segment in path'],
    ['/pypi/../../etc/passwd', 400, 'dot segment in path'],
    ['/pypi/files/..', 400, 'dot segment in path'],
    ['/pypi/./files/x', 400, 'dot segment in path'],
    ['/%2e%2e/%2e%2e/etc/passwd', 400, 'dot segment in path'],
    ['/%2E%2E/etc/passwd', 400, 'dot segment in path'],
    ['/.%2e/etc/passwd', 400, 'dot segment in path'],
    ['/pypi/files/..%2fetc%2fpasswd', 400, 'encoded slash in path'],
    ['/pypi/files/%2fetc%2fpasswd', 400, 'encoded slash in path'],
    ['/pypi\\..\\..\\etc\\passwd', 400, 'backslash in path'],
    ['/pypi/files/..%5c..%5cetc', 400, 'backslash in path'],
    ['//etc/passwd', 400, 'empty path segment'],
    ['/pypi//files/x', 400, 'empty path segment'],
    ['/pypi/files/x%00.whl', 400, 'control character in path'],
    ['/pypi/files/x%0d%0aSet-Cookie:%20a', 400, 'control character in path'],
    ['/pypi/files/%zz', 400, 'malformed percent-encoding'],
    ['/pypi/files/%C0%AE%C0%AE', 400, 'malformed percent-encoding'],
    ['etc/passwd', 400, 'not an origin-form path'],
    ['http://127.0.0.1/etc/passwd', 400, 'not an origin-form path'],
    ['*', 400, 'not an origin-form path'],
    ['', 400, 'not an origin-form path'],
    [`/${'a'.repeat(MAX_TARGET_LENGTH)}`, 414, 'request target too long'],
  ];
  it.each(refused)('refuses %j with %i (%s)', (raw, status, reason) => {
    expect(parseRequestTarget(raw)).toEqual({ ok: false, status, reason });
  });
});

describe('encodeSitePath', () => {
  it('percent-encodes each segment and keeps the slashes', () => {
    expect(encodeSitePath('/pypi/files/a+b 1.whl')).toBe('/pypi/files/a%2Bb%201.whl');
    expect(encodeSitePath('/pypi/simple/x/')).toBe('/pypi/simple/x/');
  });
  it('round-trips through parseRequestTarget', () => {
    for (const p of ['/pypi/files/a+b 1#x?.whl', '/pypi/simple/\u20ac/', '/']) {
      expect(parseRequestTarget(encodeSitePath(p))).toMatchObject({ ok: true, path: p });
    }
  });
});
