// bin/package resolve against the loopback demo world: a deterministic lock,
// reused while its inputs are unchanged, re-resolved when they change, and left
// untouched when resolution fails.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { UPSTREAM, startDemoWorld, writeDemoBuildpack } from '../../fixtures/demo/world.mjs';
import type { Origin } from '../../fixtures/origin/origin.mjs';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

let origin: Origin;
beforeEach(async () => {
  origin = await startDemoWorld();
});
afterEach(async () => origin.close());

async function demo() {
  const dir = await tempDir('resolve-');
  const manifest = await writeDemoBuildpack(dir, origin.url);
  const cache = path.join(dir, 'cache');
  const resolve = (...extra: string[]) =>
    runCliInProcess('package', ['resolve', '--manifest', manifest, '--cache-dir', cache, ...extra], { cwd: dir, env: { PACKAGER_RETRY_DELAY_MS: '10' } });
  return { dir, manifest, lock: path.join(dir, 'manifest.lock.yml'), resolve };
}

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const UPSTREAM_CONDA_NOARCH = path.join(UPSTREAM, 'conda/conda-index/packages/noarch');

describe('bin/package resolve', () => {
  it('locks the installer, conda packages and wheels the manifest and its files name', async () => {
    const d = await demo();
    const r = await d.resolve('--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.lock).toBe(d.lock);
    const names = out.artifacts.map((a: { kind: string; name: string; version: string }) => `${a.kind}:${a.name}@${a.version}`).sort();
    expect(names).toEqual(['conda:run_exports_versions@2.0', 'installer:miniconda3@py311_24.1.2-0', 'wheel:simplewheel@1.0', 'wheel:wheel@0.40.0']);
  });

  it('writes the same bytes when resolving again from scratch', async () => {
    const d = await demo();
    expect((await d.resolve()).code).toBe(0);
    const first = await readFile(d.lock);
    expect((await d.resolve('--update')).code).toBe(0);
    expect(sha(await readFile(d.lock))).toBe(sha(first));
  });

  it('reuses a fresh lock without asking any index', async () => {
    const d = await demo();
    expect((await d.resolve()).code).toBe(0);
    const before = origin.requests.length;
    const r = await d.resolve();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('inputs unchanged');
    expect(origin.requests.length).toBe(before);
  });

  it('re-resolves when a file the manifest names changes', async () => {
    const d = await demo();
    expect((await d.resolve()).code).toBe(0);
    await writeFile(path.join(d.dir, 'apps/pip-only/requirements.txt'), 'wheel==0.40.0\nidna==3.20\nsimplewheel==1.0\n');
    const r = await d.resolve();
    expect(r.stderr).toContain('stale');
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(d.lock, 'utf8')).toContain('filename: idna-3.20-py3-none-any.whl');
  });

  it.each([
    ['an unknown pip project', 4, 'apps/pip-only/requirements.txt', 'no-such-project==1.0\n', 'no-such-project'],
    ['a version the index does not have', 4, 'apps/pip-only/requirements.txt', 'wheel==9.9.9\n', 'wheel'],
    ['a yanked-only pip requirement', 4, 'apps/pip-only/requirements.txt', 'simplewheel>=2\n', 'simplewheel'],
    ['an unknown conda package', 4, 'apps/conda-pip/environment.yml', '  - no_such_conda_pkg\n', 'no_such_conda_pkg'],
  ])('fails on %s with exit %i and leaves the lock as it was', async (_what, code, file, line, named) => {
    const d = await demo();
    expect((await d.resolve()).code).toBe(0);
    const before = await readFile(d.lock);
    if (file.endsWith('environment.yml')) {
      const text = await readFile(path.join(d.dir, file), 'utf8');
      await writeFile(path.join(d.dir, file), text.replace('dependencies:\n', `dependencies:\n${line}`));
    } else {
      await appendFile(path.join(d.dir, file), line);
    }
    const r = await d.resolve();
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(named);
    expect(r.stderr).not.toContain('internal error');
    expect(sha(await readFile(d.lock))).toBe(sha(before));
  });

  it('fails with exit 1 before asking any index when --cache-dir is a file', async () => {
    const d = await demo();
    const file = path.join(d.dir, 'not-a-dir');
    await writeFile(file, 'keep me\n');
    const r = await runCliInProcess('package', ['resolve', '--manifest', d.manifest, '--cache-dir', file], { cwd: d.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The cache directory is not a directory: ${file}`);
    expect(origin.requests).toHaveLength(0);
    expect(await readFile(file, 'utf8')).toBe('keep me\n');
    expect(existsSync(d.lock)).toBe(false);
  });

  it('fails with exit 2 naming the index when it keeps answering 503', async () => {
    const d = await demo();
    origin.setFaults('/pypi/simple/wheel/', Array(10).fill({ status: 503 }));
    const r = await d.resolve();
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${origin.url}/pypi/simple/wheel/`);
  });

  it('fails with exit 4 on a malformed repodata.json', async () => {
    const d = await demo();
    origin.setFile('/conda-forge/noarch/repodata.json', Buffer.from('{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": '));
    const r = await d.resolve();
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('repodata.json');
    expect(r.stderr).not.toContain('internal error');
  });

  it('locks an md5-only channel with both digests, and the offline zip built from that lock verifies', async () => {
    // old conda-index output / the old `free` channel: records with md5 and no sha256
    const real = JSON.parse(await readFile(path.join(UPSTREAM_CONDA_NOARCH, 'repodata.json'), 'utf8'));
    for (const r of Object.values(real.packages) as Record<string, unknown>[]) delete r.sha256;
    origin.setFile('/conda-forge/noarch/repodata.json', Buffer.from(JSON.stringify(real)));
    const d = await demo();
    const r = await d.resolve();
    expect(r.code, r.stderr).toBe(0);
    const lock = yaml.load(await readFile(d.lock, 'utf8')) as { artifacts: Record<string, unknown>[] };
    const entry = lock.artifacts.find((a) => a.name === 'run_exports_versions')!;
    const bytes = await readFile(path.join(UPSTREAM_CONDA_NOARCH, 'run_exports_versions-2.0-h39de5ba_0.tar.bz2'));
    expect(entry).toMatchObject({ sha256: sha(bytes), md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length });
    const zip = path.join(d.dir, 'out.zip');
    const pack = await runCliInProcess('package', ['offline', '--manifest', d.manifest, '--cache-dir', path.join(d.dir, 'cache'), '--output', zip], { cwd: d.dir, env: { PACKAGER_RETRY_DELAY_MS: '10' } });
    expect(pack.code, pack.stderr).toBe(0);
    const verify = await runCliInProcess('package', ['verify', zip], { cwd: d.dir });
    expect(verify.code, verify.stderr).toBe(0);
  }, 120_000);

  it('names an empty sha256 in an existing lock, and resolve --update replaces that lock', async () => {
    const d = await demo();
    expect((await d.resolve()).code).toBe(0);
    const text = await readFile(d.lock, 'utf8');
    const broken = text.replace(/^(\s+)sha256: [0-9a-f]{64}$/m, "$1sha256: ''");
    expect(broken).not.toBe(text);
    await writeFile(d.lock, broken);
    const summary = await runCliInProcess('package', ['summary', '--manifest', d.manifest], { cwd: d.dir });
    expect(summary.code, summary.stderr).toBe(1);
    expect(summary.stderr).toMatch(/sha256.*is empty/);
    expect(summary.stderr).toContain('bin/package resolve --update');
    const r = await d.resolve('--update');
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(d.lock, 'utf8')).toBe(text);
  });
});
