import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRequirementsFile, preprocessRequirements, shellSplit } from '../../../src/resolve/pypi/requirements-file.js';
import { formatRequirement } from '../../../src/resolve/pypi/requirement.js';
import type { PackagerError } from '../../../src/core/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { rejectedPackagerError } from '../../helpers/errors.js';

const DIR = path.join(FIXTURES, 'pypi/requirements');
const io = (env: Record<string, string> = {}) => ({ readText: (f: string) => readFile(f, 'utf8'), env });

function failure(file: string, env: Record<string, string> = {}): Promise<PackagerError> {
  return rejectedPackagerError(parseRequirementsFile(file, io(env)));
}

describe('requirements files', () => {
  it('reads options, hashes, includes, constraints, URLs and expands ${VAR} like pip', async () => {
    const r = await parseRequirementsFile(path.join(DIR, 'requirements.txt'), io({ PYPI_FIXTURE_INDEX: 'http://127.0.0.1:1' }));
    expect(r.options).toMatchObject({
      indexUrl: 'http://127.0.0.1:1/simple',
      extraIndexUrls: ['https://extra.example/simple'],
      findLinks: [path.join(DIR, 'wheelhouse')],
      pre: true,
      noIndex: false,
    });
    expect(r.requirements.map((l) => [path.relative(DIR, l.file), l.line, formatRequirement(l.requirement, { marker: true })])).toEqual([
      ['requirements.txt', 7, 'anyio[trio]>=4.0; python_version >= "3.8"'],
      ['requirements.txt', 8, 'requests==2.31.0'],
      ['nested/more.txt', 2, 'has-script==1.0'],
      ['nested/more.txt', 4, 'click-loglevel>=0.4'],
      ['requirements.txt', 13, 'simplewheel @ https://files.example/pkgs/simplewheel-2.0-1-py2.py3-none-any.whl'],
      ['requirements.txt', 14, `build-tag @ file://${path.join(DIR, 'local/build_tag-1.0.0-5-py2.py3-none-any.whl')}`],
      ['requirements.txt', 15, 'tqdm @ https://files.example/tqdm-999.0.0.tar.gz ; sys_platform == "linux"'],
    ]);
    expect(r.requirements[1]!.hashes).toEqual([
      'sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f',
      'sha256:942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1',
    ]);
    expect(r.constraints.map((c) => formatRequirement(c.requirement))).toEqual(['idna<4', 'sniffio!=1.3.0']);
    expect(r.constraints.every((c) => c.constraint)).toBe(true);
    expect(r.files.map((f) => path.relative(DIR, f))).toEqual(['requirements.txt', 'nested/more.txt', 'nested/constraints.txt']);
  });

  it('leaves ${VAR} alone when the variable is unset or the name is not upper-case', () => {
    expect(preprocessRequirements('a${X}b ${lower} $HOME', { X: '', lower: 'no', HOME: '/h' }).map((l) => l.text)).toEqual(['a${X}b ${lower} $HOME']);
    expect(preprocessRequirements('pkg==${VER}', { VER: '1.0' }).map((l) => l.text)).toEqual(['pkg==1.0']);
  });

  it('joins continuation lines onto the first line number and never continues a comment', () => {
    expect(preprocessRequirements('a \\\n  >=1\n# c \\\nb\nc \\\n# note\nd', {})).toEqual([
      { line: 1, text: 'a   >=1' },
      { line: 4, text: 'b' },
      { line: 5, text: 'c' },
      { line: 7, text: 'd' },
    ]);
  });

  it('splits option strings like shlex', () => {
    expect(shellSplit(`--hash 'sha256:ab' "--x=a b" c\\ d`)).toEqual(['--hash', 'sha256:ab', '--x=a b', 'c d']);
    expect(() => shellSplit('"open')).toThrow();
  });

  it.each([
    ['a bad requirement', 'ok==1\nbad req ==1\n', 2, /Invalid line in requirements file .*req\.txt line 2/],
    ['an unknown option', '--frobnicate\n', 1, /no such option: --frobnicate/],
    ['an editable install', '-e ./src\n', 1, /editable/],
    ['a VCS URL', 'git+https://github.com/pypa/pip.git#egg=pip\n', 1, /version-control/],
    ['a short hash', 'a==1 --hash=sha256:abcd\n', 1, /64 hex digits/],
    ['a md5 hash', 'a==1 --hash=md5:d41d8cd98f00b204e9800998ecf8427e\n', 1, /only sha256/],
    ['an option that needs a value', '--index-url\n', 1, /requires an argument/],
  ])('rejects %s naming the file and line', async (_why, content, line, message) => {
    const dir = await tempDir();
    const file = path.join(dir, 'req.txt');
    await writeFile(file, content);
    const err = await failure(file);
    expect(err.code).toBe('EINPUT');
    expect(err.details.file).toBe(file);
    expect(err.details.line).toBe(line);
    expect(err.message).toMatch(message);
  });

  it('names the including file and line when an include is missing, and refuses include cycles', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'req.txt'), 'a\n-r sub/missing.txt\n');
    const err = await failure(path.join(dir, 'req.txt'));
    expect(err.code).toBe('EINPUT');
    expect(err.message).toContain(path.join(dir, 'sub/missing.txt'));
    expect(err.message).toContain('line 2');
    await writeFile(path.join(dir, 'a.txt'), '-r sub/b.txt\n');
    await writeFile(path.join(dir, 'sub/b.txt'), '-r ../a.txt\n');
    expect((await failure(path.join(dir, 'a.txt'))).message).toMatch(/includes itself/);
  });

  // found by the requirements-file fuzz property (seed 149686565): `/%` threw a bare URIError
  it('rejects a path or URL with a % that starts no escape as an invalid line, not a crash', async () => {
    const dir = await tempDir();
    for (const line of ['/%', './wheels/odd%zz-1.0-py3-none-any.whl', 'https://files.example/odd%zz-1.0.tar.gz']) {
      await writeFile(path.join(dir, 'req.txt'), `${line}\n`);
      const err = await failure(path.join(dir, 'req.txt'));
      expect(err.code, line).toBe('EINPUT');
      expect(err.message, line).toContain('line 1: expected a');
      expect(err.message, line).toMatch(new RegExp(`: ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    }
  });
});
