import { describe, expect, it } from 'vitest';
import { compareBuildTags, FilenameError, parseSdistFilename, parseWheelFilename } from '../../../src/resolve/pypi/wheel-filename.js';
import { formatVersion } from '../../../src/resolve/pypi/pep440.js';

describe('wheel file names (PEP 427 / 425)', () => {
  it('expands compressed tag sets', () => {
    const w = parseWheelFilename('tqdm-4.66.1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl');
    expect(w.tags).toEqual(['py3-none-manylinux_2_12_x86_64', 'py3-none-manylinux2010_x86_64', 'py3-none-musllinux_1_1_x86_64']);
    expect(parseWheelFilename('simplewheel-1.0-py2.py3-none-any.whl').tags).toEqual(['py2-none-any', 'py3-none-any']);
    expect(parseWheelFilename('multi_abi_package-1.0.0-cp314-cp314t.abi3-manylinux_2_17_x86_64.whl').tags).toEqual([
      'cp314-cp314t-manylinux_2_17_x86_64',
      'cp314-abi3-manylinux_2_17_x86_64',
    ]);
  });

  it('reads build tags and orders them as pip does', () => {
    const a = parseWheelFilename('build_tag-1.0.0-5-py2.py3-none-any.whl');
    const b = parseWheelFilename('build_tag-1.0.0-1-py2.py3-none-any.whl');
    expect(a.build).toEqual({ n: 5, rest: '', raw: '5' });
    expect(compareBuildTags(a.build, b.build)).toBeGreaterThan(0);
    expect(compareBuildTags(undefined, b.build)).toBeLessThan(0);
    expect(compareBuildTags(parseWheelFilename('x-1-10a-py3-none-any.whl').build, parseWheelFilename('x-1-9z-py3-none-any.whl').build)).toBeGreaterThan(0);
  });

  it('normalises un-normalised names and versions', () => {
    const w = parseWheelFilename('has.script-1.0-py2.py3-none-any.whl');
    expect(w.name).toBe('has.script');
    expect(w.key).toBe('has-script');
    expect(formatVersion(parseWheelFilename('click_loglevel-0.4.0.post1-py3-none-any.whl').version)).toBe('0.4.0.post1');
    expect(formatVersion(parseWheelFilename('black-24.1a1-cp312-cp312-macosx_11_0_arm64.whl').version)).toBe('24.1a1');
  });

  it.each(['foo.tar.gz', 'foo-1.0-py3-none.whl', 'foo-1.0-x-y-py3-none-any.whl', 'foo-notaversion!-py3-none-any.whl', 'foo-1.0-abc-py3-none-any.whl'])(
    'rejects %j',
    (f) => expect(() => parseWheelFilename(f)).toThrow(FilenameError),
  );
});

describe('sdist file names', () => {
  it('splits name and version, using the project name when names contain dashes', () => {
    expect(parseSdistFilename('INITools-0.2.tar.gz', 'initools')).toMatchObject({ key: 'initools', extension: '.tar.gz' });
    expect(formatVersion(parseSdistFilename('zope-interface-5.0.tar.gz', 'zope-interface')!.version)).toBe('5.0');
    expect(formatVersion(parseSdistFilename('zope-interface-5.0.zip')!.version)).toBe('5.0');
    expect(parseSdistFilename('tqdm-999.0.0.tar.gz', 'other')).toBeUndefined();
    expect(parseSdistFilename('tqdm-999.0.0.whl')).toBeUndefined();
  });
});
