// The buildpack's own manifest.yml (real upstream installer URLs + sha256) must
// load, and package into an online zip that `verify` accepts, from this checkout.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/tmp.js';

describe("this repository's manifest.yml", () => {
  it('packages an online zip for cflinuxfs4 that verify accepts and that holds every staging script', async () => {
    const out = path.join(await tempDir(), 'online.zip');
    const r = await runCliInProcess('package', ['online', '--stack', 'cflinuxfs4', '--output', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('warning');
    const names = execFileSync('zipinfo', ['-1', out], { encoding: 'utf8' }).trim().split('\n');
    for (const f of ['manifest.yml', 'VERSION', 'bin/compile', 'bin/detect', 'bin/supply', 'bin/finalize', 'bin/release', 'bin/shim/curl', 'bin/shim/wget', 'bin/lib/common.sh', 'bin/lib/redact.sh']) {
      expect(names).toContain(f);
    }
    // the packager itself and the sources are not part of the buildpack
    expect(names.some((n) => n.startsWith('src/') || n === 'bin/package' || n.startsWith('node_modules/'))).toBe(false);
    const v = await runCliInProcess('package', ['verify', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('summarises the installers it names', async () => {
    const r = await runCliInProcess('package', ['summary']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| miniconda3 | py312_24.5.0-0 | cflinuxfs3, cflinuxfs4 |');
    expect(r.stdout).toContain('| miniforge3 | 24.7.1-0 | cflinuxfs3, cflinuxfs4 |');
  });
});
