// verify refuses zips that their consumers read differently or cannot
// extract (issue 21, "verify says sound"): each case is a small zip written
// byte by byte, checked against what Python's zipfile or Info-ZIP unzip do
// with it, then against `verifyBundle`.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/bundle/index.js';
import { readZipStructure } from '../../src/bundle/zip-structure.js';
import { tempDir } from '../helpers/tmp.js';

interface RawEntry {
  name: string;
  data: Buffer;
  /** Unix mode (with file type bits); default regular 0644. */
  mode?: number;
  /** Name written in the local header, when it should differ. */
  localName?: string;
}

/** A STORED zip of `entries`; `hideLast` states one entry fewer in the end record; `overlap` points the last entry's central record into the first's data. */
function rawZip(entries: RawEntry[], o: { hideLast?: boolean; overlapLastInto?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const offsets: number[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const localName = Buffer.from(e.localName ?? e.name);
    const crc = crc32(e.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(e.data.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(localName.length, 26);
    offsets.push(offset);
    locals.push(lh, localName, e.data);
    offset += 30 + localName.length + e.data.length;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(e.data.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(offsets[offsets.length - 1]!, 42);
    central.push(Buffer.concat([ch, name]));
  }
  if (o.overlapLastInto !== undefined) central[central.length - 1]!.writeUInt32LE(o.overlapLastInto, 42);
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  const stated = entries.length - (o.hideLast ? 1 : 0);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(stated, 8);
  eocd.writeUInt16LE(stated, 10);
  eocd.writeUInt32LE(o.hideLast ? cd.length : cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

async function zipFile(buf: Buffer): Promise<string> {
  const p = path.join(await tempDir(), 'bp.zip');
  await writeFile(p, buf);
  return p;
}

const python = (code: string, zip: string) => execFileSync('python3', ['-c', code, zip], { encoding: 'utf8' }).trim();
const messages = async (zip: string) => (await verifyBundle(zip)).problems.map((p) => `${p.code} ${p.message}`);

describe('zip structure that readers disagree on', () => {
  it('an end record whose count hides an entry that Python lists', async () => {
    const zip = await zipFile(rawZip([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'evil-hidden.txt', data: Buffer.from('x') }], { hideLast: true }));
    expect(python('import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).namelist())', zip)).toContain('evil-hidden.txt');
    expect((await readZipStructure(zip)).entries).toHaveLength(2);
    expect(await messages(zip)).toContainEqual(expect.stringMatching(/^EINTEGRITY The zip's end record says 1 entries but its central directory holds 2/));
  });

  it('a local header that names another file than the central directory', async () => {
    const zip = await zipFile(rawZip([{ name: 'bin/compile', localName: 'bin/evilxxx', data: Buffer.from('#!/bin/sh\n') }]));
    expect(await messages(zip)).toContainEqual('EINTEGRITY Entry "bin/compile": its local header names "bin/evilxxx" (readers that stream the zip see another file)');
  });

  it('entries whose data overlap, which unzip warns about', async () => {
    const zip = await zipFile(rawZip([{ name: 'a.txt', data: Buffer.alloc(64, 0x61) }, { name: 'a.txt'.replace('a', 'b'), data: Buffer.alloc(8, 0x62) }], { overlapLastInto: 0 }));
    const unzip = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' });
    expect(unzip.stdout + unzip.stderr).toMatch(/overlap|zip bomb|local header sig|mismatch/i);
    expect((await messages(zip)).join('\n')).toMatch(/overlap in the zip \(Info-ZIP calls this a possible zip bomb\)/);
  });
});

describe('names and modes the consumers cannot use as they are', () => {
  const cases: Array<[string, RawEntry[], RegExp]> = [
    ['a file and a directory of the same name', [{ name: 'lib', data: Buffer.from('f') }, { name: 'lib/x.sh', data: Buffer.from('x') }], /"lib" is both a file and a directory in the zip/],
    ['a newline in a name', [{ name: 'bin/ok\nfake.sh', data: Buffer.from('x') }], /has a control character in its name/],
    ['a tab in a name', [{ name: 'a\tb', data: Buffer.from('x') }], /has a control character in its name/],
    ['a segment over 255 bytes', [{ name: `pypi/files/${'x'.repeat(256)}.whl`, data: Buffer.from('x') }], /longer than 255 bytes/],
    ['mode 04777 on bin/compile', [{ name: 'bin/compile', data: Buffer.from('#!/bin/sh\n'), mode: 0o104777 }], /"bin\/compile" has mode 4777 \(setuid, setgid or sticky\)/],
  ];
  for (const [what, entries, message] of cases) {
    it(`refuses ${what}`, async () => {
      const zip = await zipFile(rawZip(entries));
      const r = await verifyBundle(zip);
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => p.message).join('\n')).toMatch(message);
    });
  }
});
