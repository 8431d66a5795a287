import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { dependencyZipPath } from '../../src/bundle/layout.js';
import { planBundle } from '../../src/bundle/plan.js';
import { verifyBundle } from '../../src/bundle/verify.js';
import { writeZip } from '../../src/bundle/write-zip.js';
import { tempDir } from '../helpers/tmp.js';
import { cachedBundleInput } from './bundle-fixture.js';

const run = promisify(execFile);

// Rewrites a zip with python's zipfile (never with our writer): entries removed,
// replaced (keeping their attributes unless a mode is given) or added (files or
// symlinks, with any name, even unsafe ones).
const REWRITE = String.raw`
import sys, json, zipfile, base64
src, dst, ops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
remove = set(ops.get('remove', []))
replace = ops.get('replace', {})
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w') as zout:
    for info in zin.infolist():
        if info.filename in remove:
            continue
        data = zin.read(info.filename)
        if info.filename in replace:
            r = replace[info.filename]
            if 'data' in r:
                data = base64.b64decode(r['data'])
            if 'mode' in r:
                info.external_attr = (0o100000 | r['mode']) << 16
        zout.writestr(info, data)
    for a in ops.get('add', []):
        info = zipfile.ZipInfo(a['name'], date_time=(1980, 1, 1, 0, 0, 0))
        info.create_system = 3
        kind = 0o120000 if a.get('symlink') else 0o100000
        info.external_attr = (kind | a.get('mode', 0o644)) << 16
        zout.writestr(info, base64.b64decode(a.get('data', '')))
`;

interface Ops {
  remove?: string[];
  replace?: Record<string, { data?: string; mode?: number }>;
  add?: { name: string; data?: string; mode?: number; symlink?: boolean }[];
}
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

let good: string;
let goodDir: string;
let input: Awaited<ReturnType<typeof cachedBundleInput>>;

beforeAll(async () => {
  // One good zip shared by every corruption below (each rewrites its own copy).
  const { mkdtemp } = await import('node:fs/promises');
  const os = await import('node:os');
  goodDir = await mkdtemp(path.join(os.tmpdir(), 'bp-verify-'));
  input = await cachedBundleInput(goodDir);
  good = path.join(goodDir, 'good.zip');
  await writeZip((await planBundle(input)).entries, good, { env: {} });
  return async () => {
    const { rm } = await import('node:fs/promises');
    await rm(goodDir, { recursive: true, force: true });
  };
});

async function corrupt(ops: Ops): Promise<string> {
  const dir = await tempDir();
  const out = path.join(dir, 'bad.zip');
  await run('python3', ['-c', REWRITE, good, out, JSON.stringify(ops)]);
  return out;
}

async function problemsOf(ops: Ops): Promise<string[]> {
  const r = await verifyBundle(await corrupt(ops));
  expect(r.ok).toBe(false);
  return r.problems.map((p) => `${p.code}: ${p.message}`);
}

describe('verifyBundle', () => {
  it('passes a zip the packager wrote', async () => {
    const r = await verifyBundle(good);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('passes an uncached zip (no dependencies/, conda/ or pypi/)', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'online.zip');
    await writeZip((await planBundle({ ...input, cached: false, dependencyFiles: undefined, artifactFiles: undefined })).entries, out, { env: {} });
    expect(await verifyBundle(out)).toEqual({ ok: true, problems: [], warnings: [] });
  });

  it('passes the same zip rewritten by python (no reliance on our own writer quirks)', async () => {
    expect((await verifyBundle(await corrupt({}))).problems).toEqual([]);
  });

  it('reports a bit-rotted dependency once for its file: key and once for its index.tsv row', async () => {
    const dep = dependencyZipPath(input.manifest.dependencies[0]!.uri);
    const lines = await problemsOf({ replace: { [dep]: { data: b64('tool 1.0.0 for cflinuxfs4 but rotten\n') } } });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^EINTEGRITY: manifest.yml dependencies\\[0\\] \\(tool 1.0.0\\): sha256 of ${dep} differs. Wanted: [0-9a-f]{64} Found: [0-9a-f]{64}$`));
    expect(lines[1]).toMatch(/^EINTEGRITY: dependencies\/index.tsv line 1 .*sha256 of .* differs/);
    expect(lines[2]).toMatch(/^ESIZE: dependencies\/index.tsv line 1 .*size of .* differs. Wanted: 26 Found: 37$/);
  });

  it('reports a missing bin/compile and a staging script that is not executable', async () => {
    expect(await problemsOf({ remove: ['bin/compile'] })).toEqual(['EBUNDLE: Staging script missing: bin/compile']);
    expect(await problemsOf({ replace: { 'bin/detect': { mode: 0o644 } } })).toEqual(['EBUNDLE: Staging script is not executable: bin/detect (mode 644)']);
  });

  it('reports a missing or broken manifest.yml, and a missing VERSION', async () => {
    expect(await problemsOf({ remove: ['manifest.yml'] })).toEqual(['EMANIFEST: No manifest.yml at the root of the zip (Cloud Controller reads it)']);
    const bad = await problemsOf({ replace: { 'manifest.yml': { data: b64('language: [unclosed\n') } } });
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^EMANIFEST: manifest.yml is not valid YAML: /);
    expect(await problemsOf({ replace: { 'manifest.yml': { data: b64('stack: cflinuxfs4\n') } } })).toEqual(['EMANIFEST: manifest.yml has no `language`']);
    expect(await problemsOf({ remove: ['VERSION'] })).toEqual(['EBUNDLE: No VERSION at the root of the zip']);
  });

  it('reports entries that escape the root: ../, absolute paths, symlinks', async () => {
    expect(await problemsOf({ add: [{ name: '../evil.sh', data: b64('x') }] })).toEqual(['EBUNDLE: Entry escapes the buildpack root: "../evil.sh"']);
    expect(await problemsOf({ add: [{ name: '/etc/cron.d/evil', data: b64('x') }] })).toEqual(['EBUNDLE: Entry escapes the buildpack root: "/etc/cron.d/evil"']);
    expect(await problemsOf({ add: [{ name: 'bin/link', data: b64('/etc/passwd'), symlink: true }] })).toEqual([
      'EBUNDLE: Entry is a symlink (unzip would create a link that can point anywhere): "bin/link"',
    ]);
  });

  it('reports an index.tsv row whose file is not in the zip', async () => {
    const extra = `https://h.example/missing.tgz\tdependencies/0/missing.tgz\t${'a'.repeat(64)}\t1\n`;
    const files = await (await import('./zip-tools.js')).allEntries(good);
    const lines = await problemsOf({ replace: { 'dependencies/index.tsv': { data: b64(files.get('dependencies/index.tsv')!.toString() + extra) } } });
    expect(lines).toEqual(['EBUNDLE: dependencies/index.tsv line 7 (https://h.example/missing.tgz) points at a file that is not in the zip: dependencies/0/missing.tgz']);
  });

  it('reports credentials left in index.tsv', async () => {
    const files = await (await import('./zip-tools.js')).allEntries(good);
    const text = files.get('dependencies/index.tsv')!.toString().replace('https://-redacted-:-redacted-@', 'https://user:hunter2@');
    const lines = await problemsOf({ replace: { 'dependencies/index.tsv': { data: b64(text) } } });
    expect(lines).toEqual(['EBUNDLE: dependencies/index.tsv holds a URL with credentials: https://-redacted-:-redacted-@downloads.example.invalid/tool/tool-1.0.0-linux.tgz?token=-redacted-']);
  });

  it('reports a conda channel without noarch/repodata.json, a repodata record with a wrong hash, and one naming a file not bundled', async () => {
    expect(await problemsOf({ remove: ['conda/private/noarch/repodata.json'] })).toEqual([
      'EBUNDLE: conda/private/noarch/repodata.json is missing',
    ]);
    const files = await (await import('./zip-tools.js')).allEntries(good);
    const rd = JSON.parse(files.get('conda/pkgs-main/linux-64/repodata.json')!.toString());
    rd['packages.conda']['zlib-1.2.11-h7b6447c_3.conda'].sha256 = '0'.repeat(64);
    rd.packages['ghost-1.0-0.tar.bz2'] = { name: 'ghost', version: '1.0', build: '0', sha256: 'a'.repeat(64), size: 1 };
    const lines = await problemsOf({ replace: { 'conda/pkgs-main/linux-64/repodata.json': { data: b64(JSON.stringify(rd)) } } });
    expect(lines).toEqual([
      'EBUNDLE: conda/pkgs-main/linux-64/repodata.json packages["ghost-1.0-0.tar.bz2"] points at a file that is not in the zip: conda/pkgs-main/linux-64/ghost-1.0-0.tar.bz2',
      `EINTEGRITY: conda/pkgs-main/linux-64/repodata.json packages.conda["zlib-1.2.11-h7b6447c_3.conda"]: sha256 of conda/pkgs-main/linux-64/zlib-1.2.11-h7b6447c_3.conda differs. Wanted: ${'0'.repeat(64)} Found: f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b`,
    ]);
    const badJson = await problemsOf({ replace: { 'conda/private/linux-64/repodata.json': { data: b64('{"info": ') } } });
    expect(badJson).toHaveLength(1);
    expect(badJson[0]).toMatch(/^EBUNDLE: conda\/private\/linux-64\/repodata.json is not valid JSON/);
  });

  it('reports PyPI links to files not bundled, with a wrong hash, or leaving the tree', async () => {
    const files = await (await import('./zip-tools.js')).allEntries(good);
    const page = files.get('pypi/simple/simplewheel/index.html')!.toString();
    const hex = /#sha256=([0-9a-f]{64})/.exec(page)![1]!;
    const bad = page
      .replace(hex, 'b'.repeat(64))
      .replace('</body>', `<a href="../../files/ghost-1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}">ghost</a>\n<a href="https://evil.example/x.whl">x</a>\n<a href="../../../../etc/passwd#sha256=${'d'.repeat(64)}">p</a>\n</body>`);
    const lines = await problemsOf({ replace: { 'pypi/simple/simplewheel/index.html': { data: b64(bad) } } });
    expect(lines).toEqual([
      `EINTEGRITY: pypi/simple/simplewheel/index.html link "../../files/simplewheel-2.0-1-py2.py3-none-any.whl#sha256=${'b'.repeat(64)}": sha256 of pypi/files/simplewheel-2.0-1-py2.py3-none-any.whl differs. Wanted: ${'b'.repeat(64)} Found: ${hex}`,
      `EBUNDLE: pypi/simple/simplewheel/index.html link "../../files/ghost-1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}" points at a file that is not in the zip: pypi/files/ghost-1.0-py3-none-any.whl`,
      'EBUNDLE: pypi/simple/simplewheel/index.html link "https://evil.example/x.whl" points outside the zip',
      `EBUNDLE: pypi/simple/simplewheel/index.html link "../../../../etc/passwd#sha256=${'d'.repeat(64)}" escapes the zip root`,
    ]);
  });

  it('reads PyPI links as pip does: any quoting, any entity, never inside a comment', async () => {
    const files = await (await import('./zip-tools.js')).allEntries(good);
    const page = files.get('pypi/simple/simplewheel/index.html')!.toString();
    const bad = page.replace(
      '</body>',
      `<a href='../../files/single-1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}'>s</a>\n<a href=../../files/bare&#x2d;1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}>b</a>\n<!-- <a href="https://evil.example/commented.whl">c</a> -->\n</body>`,
    );
    expect(await problemsOf({ replace: { 'pypi/simple/simplewheel/index.html': { data: b64(bad) } } })).toEqual([
      `EBUNDLE: pypi/simple/simplewheel/index.html link "../../files/single-1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}" points at a file that is not in the zip: pypi/files/single-1.0-py3-none-any.whl`,
      `EBUNDLE: pypi/simple/simplewheel/index.html link "../../files/bare-1.0-py3-none-any.whl#sha256=${'c'.repeat(64)}" points at a file that is not in the zip: pypi/files/bare-1.0-py3-none-any.whl`,
    ]);
  });

  it('reports a zip over the size limit and warns above 80% of it', async () => {
    const { size } = await (await import('node:fs/promises')).stat(good);
    const over = await verifyBundle(good, { maxBytes: size - 1 });
    expect(over.problems.map((p) => p.code)).toEqual(['EBUNDLE']);
    expect(over.problems[0]!.message).toMatch(/over the \d+-byte limit/);
    const near = await verifyBundle(good, { maxBytes: Math.ceil(size / 0.9) });
    expect(near.ok).toBe(true);
    expect(near.warnings).toHaveLength(1);
  });

  it('reports a file that is not a zip at all', async () => {
    const dir = await tempDir();
    const notZip = path.join(dir, 'x.zip');
    await writeFile(notZip, 'definitely not a zip');
    const r = await verifyBundle(notZip);
    expect(r.ok).toBe(false);
    expect(r.problems[0]!.message).toMatch(/^Not a valid zip: /);
  });
});
