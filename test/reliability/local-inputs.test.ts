// Hostile and unusual local inputs (issue 21, "Local inputs"): names that
// would steer where the zip is written, special files that never end,
// symlinks that leave the buildpack root, and the packager's own by-products.
// Each must end in a clear error with exit 1, or be left out, never a hang.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/paths.js';
import { runBin } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { PackagerError } from '../../src/core/errors.js';
import { isPlainName } from '../../src/core/plain-name.js';
import { checkBuildpackVersion, collectBuildpackFiles, copyBuildpackRoot } from '../../src/bundle/index.js';
import { checkPackagingTarget, parseManifest } from '../../src/manifest/index.js';

function caught(fn: () => unknown): PackagerError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PackagerError) return err;
    throw err;
  }
  throw new Error('expected a PackagerError, nothing was thrown');
}

const HOSTILE_NAMES = ['../../x', '/tmp/evil', 'a/b', 'py\nthon', 'py\u202Enohtyp', 'python ', '', '.hidden', 'x'.repeat(101)];

describe('names that become part of the zip name', () => {
  it('accepts the plain names real manifests use', () => {
    for (const ok of ['python', 'cflinuxfs4', '1.2.3', '1.2.3+local.1', 'v0.1.0-rc1', 'conda_offline']) expect(isPlainName(ok)).toBe(true);
    for (const bad of HOSTILE_NAMES) expect(isPlainName(bad)).toBe(false);
  });

  it('refuses a manifest language that is not a plain name, naming the key and line', () => {
    for (const lang of ['../../x', '/abs/path', 'py\\nthon', 'py\\u202Enohtyp']) {
      const e = caught(() => parseManifest(`language: "${lang}"\ndependencies: []\n`, 'manifest.yml'));
      expect(e.code).toBe('EMANIFEST');
      expect(e.message).toContain('language');
      expect(e.message).toContain('must be a plain name');
      expect(e.details.line).toBe(1);
    }
  });

  it('refuses a --stack or --version that is not a plain name before anything is written', () => {
    const m = parseManifest('language: python\ndependencies: []\n', 'manifest.yml').manifest;
    expect(caught(() => checkPackagingTarget(m, { stack: '../../x' })).code).toBe('EUSAGE');
    expect(caught(() => checkPackagingTarget(m, { stack: 'fs4\u202E' })).code).toBe('EUSAGE');
    expect(caught(() => checkBuildpackVersion('1.0\u202Ecod.exe')).code).toBe('EUSAGE');
    expect(caught(() => checkBuildpackVersion('1.0\n2')).code).toBe('EUSAGE');
  });
});

/** A buildpack dir whose manifest has `sections` (YAML text), with a FIFO at `pipe`. */
async function buildpackWith(sections: string): Promise<string> {
  const dir = await tempDir();
  execFileSync('mkfifo', [path.join(dir, 'pipe.txt')]);
  execFileSync('mkfifo', [path.join(dir, 'pipe.conda')]);
  // an index nobody listens on: nothing here may get as far as the network
  await writeFile(path.join(dir, 'manifest.yml'), `language: python\ndependencies: []\n${sections}`);
  return dir;
}

describe('special files named as inputs are refused, never read forever', () => {
  const cases: Array<[string, string, string | undefined, RegExp]> = [
    ['a FIFO in pip.files', 'pip:\n  index_url: http://127.0.0.1:9/simple\n  files: [pipe.txt]\n', undefined, /FIFO \(named pipe\), not a regular file: pipe\.txt/],
    ['-r /dev/zero in a requirements file', 'pip:\n  index_url: http://127.0.0.1:9/simple\n  files: [req.txt]\n', '-r /dev/zero\n', /character device, not a regular file: \/dev\/zero/],
    ['-c /dev/urandom in a requirements file', 'pip:\n  index_url: http://127.0.0.1:9/simple\n  files: [req.txt]\n', 'simplewheel\n-c /dev/urandom\n', /character device, not a regular file: \/dev\/urandom/],
    ['a FIFO behind -r', 'pip:\n  index_url: http://127.0.0.1:9/simple\n  files: [req.txt]\n', '-r pipe.txt\n', /FIFO \(named pipe\), not a regular file: .*pipe\.txt/],
    ['/dev/zero in conda.files', 'conda:\n  channels: [http://127.0.0.1:9/c]\n  files: [/dev/zero]\n', undefined, /character device, not a regular file: \/dev\/zero/],
    ['a FIFO named .conda in conda.files', 'conda:\n  channels: [http://127.0.0.1:9/c]\n  files: [pipe.conda]\n', undefined, /FIFO \(named pipe\), not a regular file: pipe\.conda/],
  ];
  for (const [what, sections, requirements, message] of cases) {
    it(`refuses ${what} with exit 1, naming it`, async () => {
      const dir = await buildpackWith(sections);
      if (requirements) await writeFile(path.join(dir, 'req.txt'), requirements);
      const r = await runBin('package', ['resolve'], { cwd: dir, timeoutMs: 30_000 });
      expect(r.signal).toBeNull();
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
    });
  }
});

/** A small buildpack root with bin/compile, and a secret outside it. */
async function rootWithOutside(manifestExtra = ''): Promise<{ root: string; outside: string }> {
  const base = await tempDir();
  const root = path.join(base, 'bp');
  const outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'not for the zip\n');
  await writeFile(path.join(root, 'bin/compile'), '#!/bin/sh\n');
  await writeFile(path.join(root, 'shared.sh'), 'shared\n');
  await writeFile(path.join(root, 'manifest.yml'), `language: python\ndependencies: []\n${manifestExtra}`);
  return { root, outside };
}

async function collect(root: string): Promise<string[] | PackagerError> {
  const m = parseManifest(await readFile(path.join(root, 'manifest.yml'), 'utf8'), path.join(root, 'manifest.yml')).manifest;
  try {
    return (await collectBuildpackFiles(root, m)).map((e) => e.name);
  } catch (err) {
    if (err instanceof PackagerError) return err;
    throw err;
  }
}

describe('symlinks in the buildpack root', () => {
  it('refuses an include_files entry that links outside the root, naming link and target', async () => {
    const { root, outside } = await rootWithOutside('include_files: [bin/compile, notes.txt]\n');
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'notes.txt'));
    const e = (await collect(root)) as PackagerError;
    expect(e.code).toBe('EBUNDLE');
    expect(e.message).toBe(`A symlink in the buildpack points outside it: notes.txt -> ${path.join(outside, 'secret.txt')}`);
  });

  it('refuses a directory link to an outside tree and a relative link that leaves the root', async () => {
    const { root, outside } = await rootWithOutside();
    await symlink(outside, path.join(root, 'vendor'));
    expect(((await collect(root)) as PackagerError).message).toMatch(/points outside it: vendor -> /);
    const second = await rootWithOutside();
    await symlink('../outside/secret.txt', path.join(second.root, 'notes.txt'));
    expect(((await collect(second.root)) as PackagerError).message).toBe('A symlink in the buildpack points outside it: notes.txt -> ../outside/secret.txt');
    // the same in the temp copy pre_package runs in: named as leaving, not as missing
    await expect(copyBuildpackRoot(second.root)).rejects.toThrow('A symlink in the buildpack points outside it: notes.txt -> ../outside/secret.txt');
  });

  it('packages a link inside the root as its target, and ignores an outside link that exclude_files leaves out', async () => {
    const { root, outside } = await rootWithOutside('exclude_files: [notes.txt]\n');
    await symlink('shared.sh', path.join(root, 'alias.sh'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'notes.txt'));
    expect(await collect(root)).toEqual(['alias.sh', 'bin/compile', 'manifest.yml', 'shared.sh']);
  });
});

describe("the zip never packages the packager's own by-products", () => {
  it('leaves out an inside --cache-dir, --output, --sbom, earlier zips and a killed run\'s temp zip; zips stay the same size', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'bp');
    await cp(path.join(FIXTURES, 'buildpacks/minimal'), root, { recursive: true });
    // no dependencies, no include_files: the deny-list model walks the whole root
    const text = await readFile(path.join(root, 'manifest.yml'), 'utf8');
    await writeFile(path.join(root, 'manifest.yml'), text.replace(/^default_versions:[\s\S]*$/m, 'dependencies: []\n'));
    await writeFile(path.join(root, '.minimal_buildpack-cached-v9.zip.4242.deadbeef.tmp'), Buffer.alloc(4096));
    const args = ['offline', '--cache-dir', 'cache', '--output', 'out/bp.zip', '--sbom', 'sbom.cdx.json', '--version', '9'];
    const sizes: number[] = [];
    for (let run = 0; run < 3; run++) {
      const r = await runBin('package', args, { cwd: root, timeoutMs: 60_000 });
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      const names = execFileSync('zipinfo', ['-1', path.join(root, 'out/bp.zip')], { encoding: 'utf8' }).trim().split('\n');
      expect(names.filter((n) => /^(cache|out)\/|\.tmp$|\.zip$/.test(n))).toEqual([]);
      expect(names.filter((n) => n === 'sbom.cdx.json')).toHaveLength(1); // the zip's own, not the previous run's
      sizes.push((await readFile(path.join(root, 'out/bp.zip'))).length);
    }
    expect(new Set(sizes).size).toBe(1);
  });
});
