// Writes a synthetic conda-forge-sized repodata.json (default ~300 MB) for the
// scale test and the benchmark; never committed. Shape follows real conda-forge
// records (indent 2, sorted keys, packages + packages.conda twins, ~1 KB each).
// Families of 40 packages depend on each other and on `python`, so solving a
// few top packages touches a realistic ~100-200 names.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface BigRepodataOptions {
  /** Approximate size in bytes. */
  bytes?: number;
}

function hex(n: number, len: number): string {
  let s = '';
  let x = n >>> 0;
  while (s.length < len) {
    x = (Math.imul(x, 2654435761) + 0x9e3779b9) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, len);
}

function record(name: string, version: string, build: string, bn: number, depends: string[], fmt: string, seq: number): string {
  const deps = depends.map((d) => `      ${JSON.stringify(d)}`).join(',\n');
  return `    ${JSON.stringify(`${name}-${version}-${build}.${fmt}`)}: {
      "build": ${JSON.stringify(build)},
      "build_number": ${bn},
      "constrains": [
        "libabc >=1.0"
      ],
      "depends": [
${deps}
      ],
      "license": "BSD-3-Clause AND MIT AND Apache-2.0",
      "license_family": "BSD",
      "md5": "${hex(seq, 32)}",
      "name": ${JSON.stringify(name)},
      "sha256": "${hex(seq + 7, 64)}",
      "size": ${100000 + (seq % 900000)},
      "subdir": "linux-64",
      "timestamp": ${1600000000000 + seq * 1000},
      "version": ${JSON.stringify(version)}
    }`;
}

/** Writes the file; returns the number of records written. */
export async function writeBigRepodata(file: string, opts: BigRepodataOptions = {}): Promise<number> {
  const target = opts.bytes ?? 300 * 1024 * 1024;
  const out = createWriteStream(file);
  let written = 0;
  const write = async (s: string) => {
    written += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('{\n  "info": {\n    "subdir": "linux-64"\n  },\n');
  let seq = 0;
  const pyVersions = ['3.8.18', '3.9.18', '3.10.13', '3.11.7', '3.12.1'];
  for (const [mapIdx, map] of ['packages', 'packages.conda'].entries()) {
    await write(`  ${JSON.stringify(map)}: {\n`);
    let first = true;
    const emit = async (text: string) => {
      await write(first ? text : `,\n${text}`);
      first = false;
    };
    // python itself: many builds
    for (const v of pyVersions) {
      for (let b = 0; b < 150; b++) {
        await emit(record('python', v, `h${hex(b, 7)}_${b}_cpython`, b, ['libgcc-ng >=12', 'libzlib >=1.2.13,<2.0.0a0', 'openssl >=3.2.0,<4.0a0'], mapIdx ? 'conda' : 'tar.bz2', seq++));
      }
    }
    // pip, which conda (and the solver) adds to python's depends, in a few versions
    for (let b = 0; b < 10; b++) await emit(record('pip', `23.${b}`, 'pyhd8ed1ab_0', 0, ['python >=3.7'], mapIdx ? 'conda' : 'tar.bz2', seq++));
    const depVersion: Record<string, (b: number) => string> = {
      'libgcc-ng': (b) => `${12 + (b % 3)}.${b}.0`,
      libzlib: (b) => `1.2.${13 + b}`,
      openssl: (b) => `3.${b}.0`,
      libabc: (b) => `1.${b}`,
    };
    for (const [dep, ver] of Object.entries(depVersion)) {
      for (let b = 0; b < 20; b++) await emit(record(dep, ver(b), `h${hex(b, 7)}_${b}`, b, [], mapIdx ? 'conda' : 'tar.bz2', seq++));
    }
    // families: fam<f>-p<k> depends on two lower members and python
    let f = 0;
    while (written < target * (mapIdx ? 1 : 0.4)) {
      for (let k = 0; k < 40; k++) {
        const name = `fam${f}-p${k}`;
        for (let v = 0; v < 3; v++) {
          for (const py of [39, 310, 311, 312]) {
            const deps = [`python >=${String(py).replace(/^3/, '3.')},<${String(py).replace(/^3/, '3.')}.0a0`.replace(/<3\.(\d+)\.0a0/, (_m, n) => `<3.${Number(n) + 1}.0a0`), 'libgcc-ng >=12'];
            if (k > 0) deps.push(`fam${f}-p${k - 1} >=1.${v}`);
            if (k > 1) deps.push(`fam${f}-p${Math.floor(k / 2)}`);
            await emit(record(name, `1.${v}.${k}`, `py${py}h${hex(seq, 7)}_0`, 0, deps, mapIdx ? 'conda' : 'tar.bz2', seq++));
          }
        }
      }
      f++;
    }
    await write('\n  },\n');
  }
  await write('  "removed": [],\n  "repodata_version": 1\n}\n');
  out.end();
  await once(out, 'finish');
  return seq;
}
