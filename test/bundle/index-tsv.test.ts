import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { indexTsv, namesTsv, urlMapTsv } from '../../src/bundle/index-tsv.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('indexTsv', () => {
  it('writes url, path, sha256, size per line, redacted, sorted, header-less', () => {
    const text = indexTsv([
      { url: 'https://z.example/z.whl', path: 'pypi/files/z.whl', sha256: A.toUpperCase(), size: 3 },
      { url: 'https://u:pw@a.example/t/tok/x/linux-64/a.conda', path: 'conda/x/linux-64/a.conda', sha256: B, size: 12 },
    ]);
    expect(text).toBe(
      `https://-redacted-:-redacted-@a.example/t/-redacted-/x/linux-64/a.conda\tconda/x/linux-64/a.conda\t${B}\t12\n` +
        `https://z.example/z.whl\tpypi/files/z.whl\t${A}\t3\n`,
    );
  });

  it('merges identical rows and refuses two files for one URL', () => {
    const row = { url: 'https://h/a.tgz', path: 'dependencies/1/a.tgz', sha256: A, size: 1 };
    expect(indexTsv([row, { ...row }]).split('\n')).toHaveLength(2);
    expect(() => indexTsv([row, { ...row, sha256: B }])).toThrow(expect.objectContaining({ code: 'EBUNDLE' }));
  });

  it('is empty (zero bytes) with no rows', () => {
    expect(indexTsv([])).toBe('');
  });

  it('refuses a value with a tab or newline', () => {
    expect(() => indexTsv([{ url: 'https://h/a\tb', path: 'p', sha256: A, size: 1 }])).toThrow(expect.objectContaining({ code: 'EBUNDLE' }));
  });

  it('reads back in bash exactly as the shim reads it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'index.tsv');
    await writeFile(file, indexTsv([{ url: 'https://h.example/p/a b.tgz?x=1&y=2', path: 'dependencies/0/a b.tgz', sha256: A, size: 42 }]));
    const script = `while IFS=$'\\t' read -r url p sha size; do printf '%s|%s|%s|%s\\n' "$url" "$p" "$sha" "$size"; done < "$1"`;
    const { stdout } = await run('bash', ['-c', script, 'bash', file]);
    expect(stdout).toBe(`https://h.example/p/a b.tgz?x=1&y=2|dependencies/0/a b.tgz|${A}|42\n`);
  });
});

describe('urlMapTsv and namesTsv', () => {
  it('keeps the url_to_dependency_map order and regex text', () => {
    expect(urlMapTsv([{ match: 'ruby-(\\d+\\.\\d+\\.\\d+)', name: 'ruby', version: '$1' }, { match: 'bundler', name: 'bundler', version: '1.9.7' }])).toBe(
      'ruby-(\\d+\\.\\d+\\.\\d+)\truby\t$1\nbundler\tbundler\t1.9.7\n',
    );
  });

  it('lists name, version, path, sha256, size, redacted url and stacks in the order given', () => {
    expect(
      namesTsv([
        { name: 'miniforge3', version: '24.7.1-0', path: 'dependencies/9/Miniforge3.sh', sha256: A, size: 7, url: 'https://u:p@h/Miniforge3.sh', cf_stacks: ['cflinuxfs4', 'cflinuxfs3'] },
        { name: 'tool', version: '1.0.0', path: 'dependencies/1/tool.tgz', sha256: B, size: 8, url: 'https://h/tool.tgz' },
      ]),
    ).toBe(
      `miniforge3\t24.7.1-0\tdependencies/9/Miniforge3.sh\t${A}\t7\thttps://-redacted-:-redacted-@h/Miniforge3.sh\tcflinuxfs3,cflinuxfs4\n` +
        `tool\t1.0.0\tdependencies/1/tool.tgz\t${B}\t8\thttps://h/tool.tgz\t\n`,
    );
  });

  it('writes lock.tsv rows for online staging with URLs redacted', async () => {
    const { lockTsv } = await import('../../src/bundle/index-tsv.js');
    expect(
      lockTsv([
        { kind: 'conda', name: 'zlib', version: '1.2.11', filename: 'zlib-1.2.11-h7b6447c_3.conda', uri: 'https://conda.anaconda.org/t/tok/main/linux-64/zlib-1.2.11-h7b6447c_3.conda', sha256: A, md5: 'c'.repeat(32), channel: 'https://conda.anaconda.org/t/tok/main', subdir: 'linux-64' },
        { kind: 'wheel', name: 'six', version: '1.16.0', filename: 'six-1.16.0-py2.py3-none-any.whl', uri: 'https://files/six.whl', sha256: B },
      ]),
    ).toBe(
      `conda\tzlib\t1.2.11\tzlib-1.2.11-h7b6447c_3.conda\thttps://conda.anaconda.org/t/-redacted-/main/linux-64/zlib-1.2.11-h7b6447c_3.conda\t${A}\t${'c'.repeat(32)}\thttps://conda.anaconda.org/t/-redacted-/main\tlinux-64\n` +
        `wheel\tsix\t1.16.0\tsix-1.16.0-py2.py3-none-any.whl\thttps://files/six.whl\t${B}\t\t\t\n`,
    );
  });
});
