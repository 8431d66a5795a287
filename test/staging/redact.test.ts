// bin/lib/redact.sh must redact exactly as src/core/redact.ts does: the packager
// writes index.tsv with redactUrl(), the shim redacts the requested URL in bash
// before the lookup. Both run here on one table and on generated URLs.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/core/redact.js';
import { ROOT } from '../helpers/paths.js';
import { runScript } from './run-script.js';

/** redact_url over every line of stdin, in one bash process. */
async function bashRedact(urls: string[]): Promise<string[]> {
  const script = `source ${JSON.stringify(path.join(ROOT, 'bin/lib/redact.sh'))}
while IFS= read -r u; do redact_url "$u"; printf '%s\\n' "$REPLY"; done`;
  const r = await runScript('bash', ['--norc', '-c', script], { input: urls.map((u) => u + '\n').join(''), env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.split('\n').slice(0, urls.length);
}

const TABLE = [
  'http://log!i213:pas!9sword@some.cdn/with',
  'https://ghp_abc@host/x.tgz',
  'https://@host/x.tgz',
  'https://user:@host/x.tgz',
  'https://a@b@host/x.tgz',
  'https://conda.anaconda.org/t/tk-123-abc/conda-forge/noarch/repodata.json',
  'https://h/t/a/t/b/c',
  'https://h/t/t/x/',
  'https://h/t/only-at-end',
  'https://h/x/t/?q=1',
  'https://s3/b/f.whl?X-Amz-Signature=abc&x=1&token=zz#frag',
  'https://s3/b/f.whl?X-AMZ-CREDENTIAL=a%2Fb&X-Amz-Security-Token=t&X-Amz-Date=1',
  'https://gcs/o?X-Goog-Signature=s&x-goog-credential=c&alt=media',
  'https://h/p?sig=1&signature=2&Sig=3&mykey=4&key=5&keys=6',
  'https://h/p?api_key=a&apikey=b&auth=c&password=d&secret=e&access_token=f',
  'https://h/p?token=&token',
  'https://h/p#x&key=5',
  'https://h/p?a=1&&token=2',
  'https://host/pkgs/name@1.0/file.tgz',
  'https://files.pythonhosted.org/packages/a/b/requests-2.31.0-py3-none-any.whl#sha256=00',
  'file:///srv/channels/local/noarch/x.conda',
  'ftp://u:p@ftp.example.com/pub/t/tok/x.tgz',
  'https://üser:pä@höst/t/tök/x?tOken=é&b=1',
  'not a url at all ?token=1',
  '',
];

describe('bin/lib/redact.sh', () => {
  it('agrees with redactUrl() on a table of real-world and tricky URLs', async () => {
    const got = await bashRedact(TABLE);
    expect(got).toEqual(TABLE.map(redactUrl));
  });

  it('redacts credentials in the places the packager does (sanity of the table)', async () => {
    const [a, b, c] = await bashRedact([TABLE[0]!, TABLE[5]!, TABLE[10]!]);
    expect(a).toBe('http://-redacted-:-redacted-@some.cdn/with');
    expect(b).toBe('https://conda.anaconda.org/t/-redacted-/conda-forge/noarch/repodata.json');
    expect(c).toBe('https://s3/b/f.whl?X-Amz-Signature=-redacted-&x=1&token=-redacted-#frag');
  });

  it("leaves the caller's nocasematch as it found it, on or off", async () => {
    const lib = JSON.stringify(path.join(ROOT, 'bin/lib/redact.sh'));
    const script = `source ${lib}\nfor s in -u -s; do shopt $s nocasematch; redact_url 'https://u:p@h/?Token=1'; shopt -p nocasematch; done`;
    const r = await runScript('bash', ['--norc', '-c', script], { env: { PATH: process.env.PATH } });
    expect(r.stdout).toBe('shopt -u nocasematch\nshopt -s nocasematch\n');
  });

  it('agrees with redactUrl() on generated URLs', async () => {
    const piece = fc.constantFrom(
      'https://', 'http://', 'ftp://', 'file:///', 'u', 'user', ':', 'p@ss', '@', '/', '/t/', 't', 'tok', '?', '&', '#', '=',
      'token', 'TOKEN', 'key', 'sig', 'signature', 'X-Amz-Signature', 'x-goog-credential', 'api_key', 'apikey', 'keys',
      'h.example', 'a.whl', 'é', '%2F', '-', '.', ' ', '+', 'https://x@y/',
    );
    const urls = fc.sample(fc.array(piece, { maxLength: 14 }).map((a) => a.join('')), { numRuns: 600, seed: 20261123 });
    const got = await bashRedact(urls);
    const want = urls.map(redactUrl);
    const diffs = urls.filter((_, i) => got[i] !== want[i]).map((u, i) => ({ url: u, bash: got[i], ts: want[i] }));
    expect(diffs).toEqual([]);
  });
});
