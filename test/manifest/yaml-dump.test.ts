// The lock and the packaged manifest are read by other tools too: strings that
// YAML 1.1 readers take for numbers or booleans (R's `0.1_3`, `1_000`, `60:00`,
// `y`) must come out quoted. Read back with PyYAML (Debian's python3-yaml),
// the YAML 1.1 reader most of those tools share the rules of.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeLock, type LockEntry } from '../../src/manifest/index.js';
import { tempDir } from '../helpers/tmp.js';

const PY = '/usr/bin/python3';
const hasPyYaml = existsSync(PY) && (() => {
  try {
    execFileSync(PY, ['-c', 'import yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPyYaml) console.log('skipping the PyYAML read-back of the lock: /usr/bin/python3 with python3-yaml is absent');

// versions seen in real channels (R packages: 0.1_3, 1.10, 3.2_1) and other YAML 1.1 traps
const VERSIONS = ['0.1_3', '3.2_1', '1.10', '1e3', '1_000', '1_2.5', '60:00', '0b101', '012', '0x1F', 'y', 'off', '.5', '1.2.3', '2.7.15', '1!2.0'];

describe('YAML written for other readers', () => {
  it.skipIf(!hasPyYaml)('gives PyYAML (YAML 1.1) the same strings for every version in the lock', async () => {
    const artifacts: LockEntry[] = VERSIONS.map((v, i) => ({
      kind: 'conda',
      name: `r-pkg${i}`,
      version: v,
      build: 'r343h0_0',
      build_number: 0,
      filename: `r-pkg${i}-${v}-r343h0_0.tar.bz2`,
      uri: `https://repo.anaconda.com/pkgs/r/linux-64/r-pkg${i}-${v}-r343h0_0.tar.bz2`,
      sha256: 'f'.repeat(64),
      size: 1,
      depends: [],
      cf_stacks: ['cflinuxfs4'],
      record: { name: `r-pkg${i}`, version: v },
    }));
    const file = path.join(await tempDir(), 'manifest.lock.yml');
    await writeFile(file, serializeLock({ lock_version: 1, inputs_sha256: 'c'.repeat(64), artifacts }));
    const read = execFileSync(PY, ['-c', 'import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(json.dumps([[a["version"], a["record"]["version"]] for a in d["artifacts"]]))', file], { encoding: 'utf8' });
    const pairs = JSON.parse(read) as [unknown, unknown][];
    expect(pairs.map((p) => p[0]).sort()).toEqual([...VERSIONS].sort());
    expect(pairs.every(([a, b]) => a === b)).toBe(true);
  });
});
