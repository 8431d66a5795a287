import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeZip, type ZipEntry } from '../../src/bundle/write-zip.js';
import { tempDir } from '../helpers/tmp.js';
import { unzipTest } from './zip-tools.js';

describe('writeZip: zip64', () => {
  it('writes more than 65535 entries as a zip64 archive that unzip -t accepts', async () => {
    const dir = await tempDir();
    const entries: ZipEntry[] = Array.from({ length: 65_600 }, (_, i) => ({ name: `f/${String(i).padStart(5, '0')}`, source: { data: '' } }));
    const out = path.join(dir, 'many.zip');
    await writeZip(entries, out, { env: {} });
    const report = await unzipTest(out);
    expect(report).toContain('No errors detected');
    expect(report).toContain('f/65599');
  });
});
