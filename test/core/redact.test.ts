import { describe, expect, it } from 'vitest';
import { redactText, redactUrl, hasCredentials } from '../../src/core/redact.js';

describe('redactUrl', () => {
  it('hides user and password the way the Ruby packager did', () => {
    expect(redactUrl('http://log!i213:pas!9sword@some.cdn/with')).toBe('http://-redacted-:-redacted-@some.cdn/with');
  });

  it('hides a bare user token', () => {
    expect(redactUrl('https://ghp_abc@host/x.tgz')).toBe('https://-redacted-@host/x.tgz');
  });

  it('hides anaconda.org token paths', () => {
    expect(redactUrl('https://conda.anaconda.org/t/tk-123-abc/conda-forge/noarch/repodata.json')).toBe(
      'https://conda.anaconda.org/t/-redacted-/conda-forge/noarch/repodata.json',
    );
  });

  it('hides secret query parameters and keeps the others', () => {
    expect(redactUrl('https://s3/b/f.whl?X-Amz-Signature=abc&x=1&token=zz#frag')).toBe(
      'https://s3/b/f.whl?X-Amz-Signature=-redacted-&x=1&token=-redacted-#frag',
    );
  });

  it('leaves URLs without credentials byte-identical', () => {
    const u = 'https://files.pythonhosted.org/packages/a/b/requests-2.31.0-py3-none-any.whl#sha256=00';
    expect(redactUrl(u)).toBe(u);
    expect(hasCredentials(u)).toBe(false);
  });

  it('does not treat an @ in the path as userinfo', () => {
    const u = 'https://host/pkgs/name@1.0/file.tgz';
    expect(redactUrl(u)).toBe(u);
  });
});

describe('redactText', () => {
  it('redacts every URL inside a library error message', () => {
    expect(redactText('connect ECONNREFUSED for https://u:p@h/a and ftp://x:y@z/b')).toBe(
      'connect ECONNREFUSED for https://-redacted-:-redacted-@h/a and ftp://-redacted-:-redacted-@z/b',
    );
  });
  it('keeps the punctuation that follows a URL in prose out of a redacted query value', () => {
    expect(redactText('Cannot download x from https://h/x.tgz?token=abc: HTTP 401 (see https://h/y?sig=s).')).toBe(
      'Cannot download x from https://h/x.tgz?token=-redacted-: HTTP 401 (see https://h/y?sig=-redacted-).',
    );
  });
});

describe('unredactUrl', () => {
  it('puts a channel token back from the manifest URL', async () => {
    const { unredactUrl } = await import('../../src/core/redact.js');
    const real = 'https://conda.anaconda.org/t/tk-1/conda-forge';
    expect(unredactUrl('https://conda.anaconda.org/t/-redacted-/conda-forge/noarch/a-1-0.conda', [real])).toBe(
      'https://conda.anaconda.org/t/tk-1/conda-forge/noarch/a-1-0.conda',
    );
  });
  it('leaves URLs of other hosts alone', async () => {
    const { unredactUrl } = await import('../../src/core/redact.js');
    expect(unredactUrl('https://-redacted-@other/x', ['https://u@host'])).toBe('https://-redacted-@other/x');
  });
});

describe('redactText on large inputs', () => {
  it('scans a megabyte of letters without quadratic backtracking', () => {
    const big = 'a'.repeat(1_000_000) + ' https://u:p@h/x';
    // A quadratic scan takes minutes here; vitest's timeout turns that into a failure.
    expect(redactText(big).endsWith('https://-redacted-:-redacted-@h/x')).toBe(true);
  }, 5_000);
});

describe('redactUrl finds credentials where the URL parser does', () => {
  it('hides what WHATWG URL (and so undici) authenticates with, in every spelling', () => {
    const cases = [
      'http://alice:pa@ss@host/x',
      'http:/bob:PW1@host/x',
      'http:\\\\bob:PW1@host\\x',
      'http:bob:PW1@host/x',
      'HTTPS://bob:PW1@host/x',
      'https:///bob:PW1@host/x',
      'ftp://bob:PW1@host/x',
    ];
    for (const u of cases) {
      const parsed = new URL(u);
      const shown = redactUrl(u);
      expect(parsed.password.length).toBeGreaterThan(0);
      expect(shown).not.toContain(decodeURIComponent(parsed.password));
      expect(shown).not.toContain(parsed.username);
      expect(shown).toContain('-redacted-:-redacted-@host');
    }
  });

  it('hides the secret query parameters tokens and presigned URLs use, any case', () => {
    const u = 'https://h/f?private_token=1&auth_token=2&client_secret=3&api-key=4&apikey=5&passwd=6&password=7&secret=8&signature=9&sig=10&code=11&X-Amz-Date=12&X-Amz-Credential=13&keep=ok';
    expect(redactUrl(u)).toBe(
      'https://h/f?private_token=-redacted-&auth_token=-redacted-&client_secret=-redacted-&api-key=-redacted-&apikey=-redacted-&passwd=-redacted-&password=-redacted-&secret=-redacted-&signature=-redacted-&sig=-redacted-&code=-redacted-&X-Amz-Date=-redacted-&X-Amz-Credential=-redacted-&keep=ok',
    );
  });

  it('finds a one-slash URL inside free text', () => {
    expect(redactText('failed: http:/bob:PW1@host/x (401)')).toBe('failed: http:/-redacted-:-redacted-@host/x (401)');
  });
});

describe('redactOutput (a command\'s output, as pre_package prints it)', () => {
  it('hides token=, password= values and Authorization header values outside URLs too', async () => {
    const { redactOutput } = await import('../../src/core/redact.js');
    const out = redactOutput('export TOKEN=abc123\n> Authorization: Bearer eyJhbGci\ncurl -H "Proxy-Authorization: Basic dTpw" https://u:p@h/x\npassword=hunter2 ok');
    for (const secret of ['abc123', 'eyJhbGci', 'dTpw', 'hunter2', 'u:p@']) expect(out).not.toContain(secret);
    expect(out).toContain('ok');
  });
});

describe('unredactUrl by parsed host', () => {
  it('puts credentials back for a file URL the index page spelled differently from the manifest', async () => {
    const { unredactUrl } = await import('../../src/core/redact.js');
    expect(unredactUrl('http://-redacted-:-redacted-@host/packages/x.whl', ['http:/bob:PW1@host/simple'])).toBe('http://bob:PW1@host/packages/x.whl');
  });
});
