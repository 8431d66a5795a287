// Redaction finds credentials where the URL parser finds them (issue 21,
// "Secrets"): every spelling a WHATWG parser (and so undici) authenticates
// with is redacted everywhere the packager writes, and the zip's dependency
// path is not an unsalted md5 of the password. The dependency is served by a
// loopback origin that answers only with the right Basic credentials, so a
// successful run proves they were used; staging's curl shim must still find
// the file when asked for the URL as the manifest wrote it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../fixtures/origin/origin.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript } from '../staging/run-script.js';
import { ROOT } from '../helpers/paths.js';

const USER = 'bob-Z3';
const PASS = 'PW@ss-Q8';
const BODY = Buffer.from('tool 1.0 bytes\n');
const SHA = createHash('sha256').update(BODY).digest('hex');

let origin: Origin;
beforeAll(async () => {
  origin = await startOrigin({
    routes: {
      '/tool-1.0.tgz': (req, res) => {
        const want = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
        if (req.headers.authorization !== want) return res.writeHead(401).end();
        res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
      },
    },
  });
});
afterAll(() => origin.close());

/** Every file under dir, as text. */
async function allText(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(await readFile(path.join(e.parentPath, e.name), 'latin1'));
  }
  return out.join('\n');
}

describe('credentials in any URL spelling', () => {
  const hostPort = () => new URL(origin.url).host;
  const spellings: Array<[string, () => string]> = [
    ['an @ inside the password', () => `http://${USER}:${PASS}@${hostPort()}/tool-1.0.tgz`],
    ['one slash (http:/user:pw@host)', () => `http:/${USER}:${PASS}@${hostPort()}/tool-1.0.tgz`],
    ['backslashes (http:\\\\user:pw@host)', () => `http:\\\\${USER}:${PASS}@${hostPort()}\\tool-1.0.tgz`],
  ];
  for (const [what, uri] of spellings) {
    it(`authenticates with ${what}, leaks it nowhere, and staging still finds the file`, async () => {
      const dir = await tempDir();
      const bp = path.join(dir, 'bp');
      // this buildpack's own staging scripts and shim, as a real zip carries them
      await cp(path.join(ROOT, 'bin'), path.join(bp, 'bin'), { recursive: true });
      await writeFile(path.join(bp, 'VERSION'), '1.0.0\n');
      const manifest = `language: python\ndependencies:\n- name: tool\n  version: '1.0'\n  uri: '${uri()}'\n  sha256: ${SHA}\n  cf_stacks: [cflinuxfs4]\n`;
      await writeFile(path.join(bp, 'manifest.yml'), manifest);
      const zip = path.join(dir, 'bp.zip');
      const cache = path.join(dir, 'cache');
      const r = await runCliInProcess('package', ['offline', '--json', '--verbose', '--cache-dir', cache, '--output', zip, '--sbom', path.join(dir, 'sbom.json')], { cwd: bp });
      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);

      const unzipped = path.join(dir, 'unzipped');
      execFileSync('unzip', ['-q', zip, '-d', unzipped]);
      const written = [r.stdout, r.stderr, await allText(unzipped), await allText(cache), await readFile(path.join(dir, 'sbom.json'), 'utf8')].join('\n');
      for (const secret of [PASS, encodeURIComponent(PASS), 'ss-Q8', USER]) expect(written).not.toContain(secret);
      expect(written).toContain('-redacted-');

      // the dependency's directory is not md5(uri with the password)
      const paths = execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).split('\n').filter((n) => /^dependencies\/[0-9a-f]{32}\/./.test(n));
      expect(paths).toHaveLength(1);
      expect(paths[0]).not.toContain(createHash('md5').update(uri()).digest('hex'));

      // staging: the shim answers the URL as the manifest wrote it, from the bundle
      const work = path.join(dir, 'work');
      await mkdir(work);
      const shim = await runScript('bash', ['-c', `curl -fsSL -o got '${uri()}'`], {
        cwd: work,
        env: { PATH: `${path.join(unzipped, 'bin/shim')}:${process.env.PATH}`, HOME: work, LANG: 'C.UTF-8' },
      });
      expect(shim.stderr).toBe('');
      expect(shim.code).toBe(0);
      expect(await readFile(path.join(work, 'got'))).toEqual(BODY);
    });
  }
});

describe('unchanged for URLs without credentials', () => {
  it('keeps libbuildpack-compatible md5(uri) paths', async () => {
    const { dependencyZipPath } = await import('../../src/bundle/layout.js');
    const uri = 'https://buildpacks.cloudfoundry.org/dependencies/python/python_3.11.7.tgz';
    expect(dependencyZipPath(uri)).toBe(`dependencies/${createHash('md5').update(uri).digest('hex')}/python_3.11.7.tgz`);
  });
});
