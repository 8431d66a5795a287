import { rename, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestFile } from '../../src/fetch/digests.js';
import { rememberFingerprinted, rememberVerified, verifiedDigests, wasVerified } from '../../src/fetch/verified-files.js';
import { tempDir } from '../helpers/tmp.js';

const D = { size: 5, sha256: 'a'.repeat(64), crc32: 1234 };
const now = (f: string) => stat(f, { bigint: true });

describe('verified files', () => {
  it('returns what was recorded while the file is untouched', async () => {
    const f = path.join(await tempDir(), 'x');
    await writeFile(f, 'hello');
    expect(wasVerified(f)).toBe(false);
    await rememberVerified(f, D);
    expect(verifiedDigests(f, await now(f))).toEqual(D);
    expect(wasVerified(path.join(path.dirname(f), '.', 'x'))).toBe(true);
  });

  it('forgets a file rewritten in place with the same size, replaced by rename, or re-dated', async () => {
    const dir = await tempDir();
    const f = path.join(dir, 'x');
    await writeFile(f, 'hello');
    await rememberVerified(f, D);
    await writeFile(f, 'jello');
    expect(verifiedDigests(f, await now(f))).toBeUndefined();

    await rememberVerified(f, D);
    await writeFile(path.join(dir, 'y'), 'hello');
    await rename(path.join(dir, 'y'), f);
    expect(verifiedDigests(f, await now(f))).toBeUndefined();

    await rememberVerified(f, D);
    const old = new Date('2001-01-01T00:00:00Z');
    await utimes(f, old, old);
    expect(verifiedDigests(f, await now(f))).toBeUndefined();
  });

  it('records nothing when the size differs or the file changed while it was hashed', async () => {
    const f = path.join(await tempDir(), 'x');
    await writeFile(f, 'hello!');
    await rememberVerified(f, D);
    expect(verifiedDigests(f, await now(f))).toBeUndefined();

    await writeFile(f, 'hello');
    const before = await now(f);
    await writeFile(f, 'jello');
    await rememberVerified(f, D, before);
    expect(verifiedDigests(f, await now(f))).toBeUndefined();
  });

  it('trusts the fingerprint a hash worker took of the file it read whole, as a stat of it would give', async () => {
    const f = path.join(await tempDir(), 'x');
    await writeFile(f, 'hello');
    const found = await digestFile(f, 'sha256', { fingerprint: true });
    expect(found.fingerprint).toMatch(/^\d+:\d+:5:\d+:\d+$/);
    rememberFingerprinted(f, found, found.fingerprint);
    expect(verifiedDigests(f, await now(f))).toMatchObject({ size: 5, sha256: found.sha256, crc32: found.crc32 });

    await writeFile(f, 'jello');
    expect(verifiedDigests(f, await now(f))).toBeUndefined();
    rememberFingerprinted(f, { ...D }, undefined);
    expect(verifiedDigests(f, await now(f))).toBeUndefined();
  });
});
