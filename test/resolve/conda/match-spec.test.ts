// Cases from conda's tests/models/test_match_spec.py @ 23.7.4 (our own test code).
import { describe, expect, it } from 'vitest';
import { MatchSpec, channelMatches, parseDistName, parseVersionPlusBuild, type MatchableRecord } from '../../../src/resolve/conda/match-spec.js';

const m = (s: string) => MatchSpec.parse(s).toString();
const dpkg = (fn: string, extra: Partial<MatchableRecord> = {}): MatchableRecord => {
  const d = parseDistName(fn);
  return { ...d, build_number: Number(d.build.split('_').pop()), fn, md5: '012345789', ...extra };
};

describe('MatchSpec matching', () => {
  it('matches numpy-1.7.1-py27_0 like conda test_match_1', () => {
    const table: [string, boolean][] = [
      ['numpy 1.7*', true], ['numpy 1.7.1', true], ['numpy 1.7', false], ['numpy 1.5*', false], ['numpy >=1.5', true],
      ['numpy >=1.5,<2', true], ['numpy >=1.8,<1.9', false], ['numpy >1.5,<2,!=1.7.1', false], ['numpy >1.8,<2|==1.7', false],
      ['numpy >1.8,<2|>=1.7.1', true], ['numpy >=1.8|1.7*', true], ['numpy ==1.7', false], ['numpy >=1.5,>1.6', true],
      ['numpy ==1.7.1', true], ['numpy ==1.7.1.0', true], ['numpy==1.7.1.0.0', true], ['numpy >=1,*.7.*', true],
      ['numpy *.7.*,>=1', true], ['numpy >=1,*.8.*', false], ['numpy >=2,*.7.*', false], ['numpy 1.6*|1.7*', true],
      ['numpy 1.6*|1.8*', false], ['numpy 1.6.2|1.7*', true], ['numpy 1.6.2|1.7.1', true], ['numpy 1.6.2|1.7.0', false],
      ['numpy 1.7.1 py27_0', true], ['numpy 1.7.1 py26_0', false], ['numpy >1.7.1a', true], ['python', false],
      ['numpy=1.7', true], ['numpy=1.7.1=py27_0', true], ['numpy=1.7.1=py27*', true], ['numpy=1.7.1=py26*', false],
      ['numpy[version=">=1.7,<2"]', true], ['numpy[build_number=0]', true], ['numpy[build_number=">0"]', false],
      ['numpy ~=1.7.0', true], ['numpy !=1.7.1', false], ['NumPy >=1.5', true],
    ];
    const rec = dpkg('numpy-1.7.1-py27_0.tar.bz2');
    for (const [spec, want] of table) expect(MatchSpec.parse(spec).match(rec), spec).toBe(want);
  });

  it('follows conda on PEP 440 and non-PEP 440 letters', () => {
    expect(MatchSpec.parse('numpy >=1.0.1').match(dpkg('numpy-1.0.1a-0.tar.bz2'))).toBe(false);
    expect(MatchSpec.parse('numpy >=1.0.1.vc11').match(dpkg('numpy-1.0.1a.vc11-0.tar.bz2'))).toBe(false);
    expect(MatchSpec.parse('numpy >=1.0.1*.vc11').match(dpkg('numpy-1.0.1a.vc11-0.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('numpy <1.0.1').match(dpkg('numpy-1.0.1.vc11-0.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('numpy <1.0.1').match(dpkg('numpy-1.0.1a.vc11-0.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('numpy >=1.0.1.vc11').match(dpkg('numpy-1.0.1a-0.tar.bz2'))).toBe(false);
    expect(MatchSpec.parse('numpy >=1.0.1a').match(dpkg('numpy-1.0.1z-0.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('numpy >=1.0.1a py27*').match(dpkg('numpy-1.0.1z-py27_1.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('blas * openblas_0').match(dpkg('blas-1.0-openblas_0.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('openssl>=1.0.1_').match(dpkg('openssl-1.0.1_-4.tar.bz2'))).toBe(true);
    expect(MatchSpec.parse('openssl>=1.0.1').match(dpkg('openssl-1.0.1_-4.tar.bz2'))).toBe(false);
  });

  it('matches bracket fields: build_number relations, md5, sha256, license globs', () => {
    const rec = { name: 'numpy', version: '1.11.0', build: 'py34_7', build_number: 7, license: 'LGPLv3+', license_family: 'LGPL', md5: 'abc', sha256: 'def' };
    expect(MatchSpec.parse('numpy<2').match(rec)).toBe(true);
    expect(MatchSpec.parse("numpy[version='>2']").match(rec)).toBe(false);
    expect(MatchSpec.parse("numpy[build_number='7']").match(rec)).toBe(true);
    expect(MatchSpec.parse("numpy[build_number='<8']").match(rec)).toBe(true);
    expect(MatchSpec.parse("numpy[build_number='>7']").match(rec)).toBe(false);
    expect(MatchSpec.parse("numpy[build_number='>=7']").match(rec)).toBe(true);
    expect(MatchSpec.parse('numpy ~=1.10').match(rec)).toBe(true);
    expect(MatchSpec.parse("*[license_family='lgpl']").match(rec)).toBe(true);
    expect(MatchSpec.parse("*[license_family='*GP*']").match(rec)).toBe(true);
    expect(MatchSpec.parse("*[license='*v3+']").match(rec)).toBe(true);
    expect(MatchSpec.parse('numpy[md5=abc]').match(rec)).toBe(true);
    expect(MatchSpec.parse('numpy[md5=abd]').match(rec)).toBe(false);
    expect(MatchSpec.parse('numpy[sha256=def, version=1.11.*]').match(rec)).toBe(true);
  });

  it('matches track_features as a whole set', () => {
    const base = dpkg('foo-1.2.3-4.tar.bz2');
    const tf = (t: string) => MatchSpec.parse(`*[track_features=${t}]`);
    expect(tf('test').match({ ...base, track_features: 'test' })).toBe(true);
    expect(tf('test').match({ ...base, track_features: 'test2' })).toBe(false);
    expect(tf('test').match({ ...base, track_features: 'test me' })).toBe(false);
    expect(tf('mkl').match(base)).toBe(false);
    expect(MatchSpec.parse('mkl@').match({ ...base, track_features: 'mkl' })).toBe(true);
  });

  it('selects channels by name, URL and subdir', () => {
    const cf = { url: 'https://conda.anaconda.org/conda-forge', names: ['conda-forge'] };
    const main = { url: 'https://repo.anaconda.com/pkgs/main', names: ['pkgs/main', 'defaults'] };
    const rec = { ...dpkg('numpy-1.7.1-py27_0.tar.bz2'), subdir: 'linux-64', channel: cf };
    expect(MatchSpec.parse('conda-forge::numpy').match(rec)).toBe(true);
    expect(MatchSpec.parse('defaults::numpy').match(rec)).toBe(false);
    expect(MatchSpec.parse('defaults::numpy').match({ ...rec, channel: main })).toBe(true);
    expect(MatchSpec.parse('conda-forge/linux-64::numpy').match(rec)).toBe(true);
    expect(MatchSpec.parse('conda-forge/noarch::numpy').match(rec)).toBe(false);
    expect(MatchSpec.parse('*/linux-64::numpy').match(rec)).toBe(true);
    expect(MatchSpec.parse('https://conda.anaconda.org/conda-forge::numpy').match(rec)).toBe(true);
    expect(MatchSpec.parse('numpy[channel=conda-forge,subdir=linux-64]').match(rec)).toBe(true);
    expect(channelMatches('pkgs/main', { url: 'https://repo.anaconda.com/pkgs/main', names: ['pkgs/main'] })).toBe(true);
    expect(channelMatches('https://conda.anaconda.org/t/tk-1/conda-forge', cf)).toBe(true);
  });
});

describe('MatchSpec parsing', () => {
  it('prints conda\'s canonical forms', () => {
    const cases: [string, string][] = [
      ['numpy', 'numpy'], ['numpy=1.7', 'numpy=1.7'], ['numpy 1.7*', 'numpy=1.7'], ['numpy 1.7.*', 'numpy=1.7'],
      ["numpy[version='1.7*']", 'numpy=1.7'], ["numpy[version='1.7.*']", 'numpy=1.7'], ['numpy[version=1.7.*]', 'numpy=1.7'],
      ['numpy==1.7', 'numpy==1.7'], ["numpy[version='1.7']", 'numpy==1.7'], ['numpy[version=1.7]', 'numpy==1.7'],
      ['numpy 1.7', 'numpy==1.7'], ["numpy[version='1.7|1.8']", "numpy[version='1.7|1.8']"],
      ['numpy[version="1.7,1.8"]', "numpy[version='1.7,1.8']"], ['numpy >1.7', "numpy[version='>1.7']"],
      ['numpy>=1.7', "numpy[version='>=1.7']"], ['numpy=1.7=py3*_2', 'numpy==1.7[build=py3*_2]'],
      ['numpy=1.7.*=py3*_2', 'numpy=1.7[build=py3*_2]'], ['defaults::numpy', 'defaults::numpy'],
      ['numpy[channel=defaults]', 'defaults::numpy'], ['conda-forge::numpy', 'conda-forge::numpy'],
      ['numpy[channel=conda-forge]', 'conda-forge::numpy'], ['numpy[channel=defaults,subdir=osx-64]', 'defaults/osx-64::numpy'],
      ['https://repo.anaconda.com/pkgs/free::numpy', 'pkgs/free::numpy'],
      ['numpy[channel=https://repo.anaconda.com/pkgs/free]', 'pkgs/free::numpy'],
      ['https://repo.anaconda.com/pkgs/free/win-32::numpy', 'pkgs/free/win-32::numpy'],
      ['defaults/win-32::numpy', 'defaults/win-32::numpy'], ['conda-forge/linux-64::numpy', 'conda-forge/linux-64::numpy'],
      ['numpy[channel=conda-forge,subdir=noarch]', 'conda-forge/noarch::numpy'], ['numpy[subdir=win-32]', 'numpy[subdir=win-32]'],
      ['*/win-32::numpy', 'numpy[subdir=win-32]'], ['*/win-32::numpy[subdir="osx-64"]', 'numpy[subdir=osx-64]'],
      ['numpy=1.10=py38_0', 'numpy==1.10=py38_0'], ['numpy==1.10=py38_0', 'numpy==1.10=py38_0'],
      ['numpy[version=1.10 build=py38_0]', 'numpy==1.10=py38_0'], ['numpy!=1.10', 'numpy!=1.10'], ['numpy !=1.10', 'numpy!=1.10'],
      ['numpy!=1.10 py38_0', "numpy[version='!=1.10',build=py38_0]"], ['numpy !=1.10 py38_0', "numpy[version='!=1.10',build=py38_0]"],
      ['numpy!=1.10=py38_0', "numpy[version='!=1.10',build=py38_0]"], ['numpy !=1.10=py38_0', "numpy[version='!=1.10',build=py38_0]"],
      ['numpy >1.7,!=1.10 py38_0', "numpy[version='>1.7,!=1.10',build=py38_0]"], ['numpy!=1.10.*', 'numpy!=1.10.*'],
      ['numpy!=1.10,!=1.11', "numpy[version='!=1.10,!=1.11']"], ['numpy=1.10.*,!=1.10.2', "numpy[version='=1.10.*,!=1.10.2']"],
      ['numpy ~=1.10.1', 'numpy~=1.10.1'], ['numpy~=1.10.1', 'numpy~=1.10.1'], ['numpy ~=1.10.1 py38_0', "numpy[version='~=1.10.1',build=py38_0]"],
      ['openssl=1.1.1_', 'openssl=1.1.1_'], ['openssl>=1.1.1_,!=1.1.1c', "openssl[version='>=1.1.1_,!=1.1.1c']"],
      ['mkl@', '*[track_features=mkl]'], ['foo>=1.3', "foo[version='>=1.3']"], ['zope.int>=1.3,<3.0', "zope.int[version='>=1.3,<3.0']"],
      ['python[build_number=3]', 'python[build_number=3]'], ["python[build_number='>=3']", "python[build_number='>=3']"],
      ['foo=1.3.0=3', 'foo==1.3.0=3'], ['foo # comment', 'foo'], ['foo >= 1.0', "foo[version='>=1.0']"],
      ['foo >=1.0 , < 2.0', "foo[version='>=1.0,<2.0']"], ['conda-forge::foo[build=3](target=blarg,optional)', 'conda-forge::foo[build=3]'],
      ['python_abi 3.11.* *_cp311', 'python_abi=3.11[build=*_cp311]'],
      ['https://conda.anaconda.org/conda-canary/linux-64/conda-4.3.21.post699+1dab973-py36h4a561cd_0.tar.bz2', 'conda-canary/linux-64::conda==4.3.21.post699+1dab973=py36h4a561cd_0'],
    ];
    for (const [spec, want] of cases) expect(m(spec), spec).toBe(want);
  });

  it('splits version and build like _parse_version_plus_build', () => {
    expect(parseVersionPlusBuild('=1.2.3 0')).toEqual(['=1.2.3', '0']);
    expect(parseVersionPlusBuild('1.2.3=0')).toEqual(['1.2.3', '0']);
    expect(parseVersionPlusBuild('>=1.0 , < 2.0 py34_0')).toEqual(['>=1.0,<2.0', 'py34_0']);
    expect(parseVersionPlusBuild('>=1.0 , < 2.0 =py34_0')).toEqual(['>=1.0,<2.0', 'py34_0']);
    expect(parseVersionPlusBuild('=1.2.3 ')).toEqual(['=1.2.3', undefined]);
    expect(parseVersionPlusBuild('>1.8,<2|==1.7')).toEqual(['>1.8,<2|==1.7', undefined]);
    expect(parseVersionPlusBuild('* openblas_0')).toEqual(['*', 'openblas_0']);
    expect(parseVersionPlusBuild('* *')).toEqual(['*', '*']);
  });

  it('reads the pieces of a spec', () => {
    const s = MatchSpec.parse("defaults::numpy=1.8=py27_0 [channel='anaconda',version=\">=1.8,<2|1.9\", build='3']");
    expect([s.name, s.channel, s.version?.spec, s.build]).toEqual(['numpy', 'anaconda', '>=1.8,<2|1.9', '3']);
    const t = MatchSpec.parse('tensorflow[name=pytorch]');
    expect(t.name).toBe('tensorflow');
    expect(MatchSpec.parse('numpy=').version).toBeUndefined();
    expect(MatchSpec.parse('* >=1.3 2').build).toBe('2');
    expect(MatchSpec.parse('conda-forge/linux-32::foo>=1.0').subdir).toBe('linux-32');
    expect(MatchSpec.parse('cfpk-greeter=2.1.0=0').version?.isExact).toBe(true);
    expect(MatchSpec.parse('python >=3.8').exactName).toBe('python');
    expect(MatchSpec.parse('py*').exactName).toBeUndefined();
  });

  it('rejects what conda rejects', () => {
    for (const bad of ['!xyz 1.3', 'blas [optional', 'blas [test=]', 'blas[invalid="1"]', 'numpy==', 'numpy= ', 'numpy<=', '*/lin(ux-65::f/o>=>1y', '^(aaaa$']) {
      expect(() => MatchSpec.parse(bad), bad).toThrow(/Invalid conda/);
    }
  });
});
