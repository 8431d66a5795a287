import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateMarker, formatMarker, markerEnvironmentFor, parseMarker, type MarkerEnvironment } from '../../../src/resolve/pypi/markers.js';
import { parseCoreMetadata } from '../../../src/resolve/pypi/metadata.js';
import { formatRequirement, parseRequirement } from '../../../src/resolve/pypi/requirement.js';
import { UPSTREAM } from '../../helpers/paths.js';

const fs4 = markerEnvironmentFor({ pythonVersion: '3.11', arch: 'x86_64' });
const env = (over: Partial<MarkerEnvironment>): MarkerEnvironment => ({ ...fs4, ...over });
const ev = (m: string, e: MarkerEnvironment = fs4, extra = '') => evaluateMarker(parseMarker(m), e, extra);

function wheelMetadata(file: string) {
  const text = execFileSync('unzip', ['-p', path.join(UPSTREAM, 'pypi/wheels', file), '*.dist-info/METADATA'], { encoding: 'utf8' });
  return parseCoreMetadata(text);
}

describe('PEP 508 markers', () => {
  it('describes a CPython 3.11 on cflinuxfs4 as the target environment', () => {
    expect(fs4).toMatchObject({
      python_version: '3.11', python_full_version: '3.11.0', sys_platform: 'linux', platform_system: 'Linux', platform_machine: 'x86_64',
      implementation_name: 'cpython', platform_python_implementation: 'CPython', os_name: 'posix',
    });
    expect(markerEnvironmentFor({ pythonVersion: '3.12.4', arch: 'aarch64' })).toMatchObject({ python_version: '3.12', python_full_version: '3.12.4', platform_machine: 'aarch64' });
  });

  it.each([
    ["os_name == 'foo'", { os_name: 'foo' }, true],
    ["os_name == 'foo'", { os_name: 'bar' }, false],
    ["'2.7' in python_version", { python_version: '2.7.5' }, true],
    ["'2.7' not in python_version", { python_version: '2.7' }, false],
    ["os_name == 'foo' and python_version ~= '2.7.0'", { os_name: 'foo', python_version: '2.7.6' }, true],
    ["python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", { os_name: 'foo', python_version: '2.7.4' }, true],
    ["python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", { os_name: 'bar', python_version: '2.7.4' }, true],
    ["python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", { os_name: 'other', python_version: '2.7.4' }, false],
    ["python_version ~= '2.7.0' and os_name == 'foo' or os_name == 'bar'", { os_name: 'bar', python_version: '3.1' }, true],
    ["sys.platform == 'win32'", { sys_platform: 'linux2' }, false],
    ["platform.version in 'Ubuntu'", { platform_version: '#39' }, false],
    ["platform.machine=='x86_64'", { platform_machine: 'x86_64' }, true],
    ["platform.python_implementation=='Jython'", {}, false],
    ["python_implementation=='Jython'", {}, false],
    ['python_version < "3.11"', {}, false],
    ['python_version < "3.11"', { python_version: '3.10' }, true],
    ['python_version >= "3.9"', { python_version: '3.10' }, true], // version order, not string order
    ['python_full_version >= "3.11.4"', {}, false],
    ['"3.8" < python_version', {}, true],
    ['platform_system != "Windows"', {}, true],
  ] as const)('%s with %j is %s (packaging test-suite cases)', (m, over, expected) => {
    expect(ev(m, env(over))).toBe(expected);
  });

  it('binds and tighter than or (the precedence trap in black 24.1a1 METADATA)', () => {
    const marker = "sys_platform != 'win32' or implementation_name != 'pypy' and extra == 'd'";
    // a or (b and c): true on Linux even without the extra
    expect(ev(marker)).toBe(true);
    expect(ev(marker, env({ sys_platform: 'win32', implementation_name: 'pypy' }), 'd')).toBe(false);
    expect(ev(marker, env({ sys_platform: 'win32' }), '')).toBe(false);
    expect(ev(marker, env({ sys_platform: 'win32' }), 'd')).toBe(true);
    expect(formatMarker(parseMarker('(os_name == "1")'))).toBe('os_name == "1"');
    expect(formatMarker(parseMarker("python_version == '2.7' and (sys_platform == 'win32' or sys_platform == 'linux')"))).toBe(
      'python_version == "2.7" and (sys_platform == "win32" or sys_platform == "linux")',
    );
  });

  it('compares extra names after PEP 685 normalisation', () => {
    expect(ev('extra == "Foo_Bar"', fs4, 'foo-bar')).toBe(true);
    expect(ev('extra == "foo"', fs4, '')).toBe(false);
  });

  it.each([
    "this_isnt_a_real_variable >= '1.0'",
    'python_version',
    '(python_version)',
    'python_version >= 1.0 and (python_version)',
    '(python_version == "2.7" and os_name == "linux"',
    '(python_version == "2.7") with random text',
    'python_version == "3.11',
    'os_name not "x"',
  ])('rejects %j', (m) => {
    expect(() => parseMarker(m)).toThrow();
  });
});

describe('markers of real upstream METADATA, evaluated for the target', () => {
  it("keeps black's aiohttp for extra d on Linux and drops the win32/pypy line", () => {
    const md = wheelMetadata('black-24.1a1-cp312-cp312-macosx_11_0_arm64.whl');
    const applies = (extra: string) =>
      md.requiresDist
        .map(parseRequirement)
        .filter((r) => !r.marker || evaluateMarker(r.marker, fs4, extra))
        .map((r) => formatRequirement(r));
    const base = applies('');
    expect(base).toEqual(['click>=8.0.0', 'mypy-extensions>=0.4.3', 'packaging>=22.0', 'pathspec>=0.9.0', 'platformdirs>=2', 'aiohttp>=3.7.4']);
    const py310 = md.requiresDist.map(parseRequirement).filter((r) => !r.marker || evaluateMarker(r.marker, env({ python_version: '3.10' })));
    expect(py310.map((r) => r.key)).toContain('tomli');
    expect(applies('d').filter((r) => r.startsWith('aiohttp'))).toEqual(['aiohttp>=3.7.4']);
  });

  it('evaluates anyio 4.3.0: python_version markers, extras, the parenthesised uvloop marker', () => {
    const md = wheelMetadata('anyio-4.3.0-py3-none-any.whl');
    const reqs = md.requiresDist.map(parseRequirement);
    const applies = (e: MarkerEnvironment, extra: string) => reqs.filter((r) => !r.marker || evaluateMarker(r.marker, e, extra)).map((r) => formatRequirement(r));
    expect(applies(fs4, '')).toEqual(['idna>=2.8', 'sniffio>=1.1']);
    expect(applies(env({ python_version: '3.10' }), '')).toEqual(['idna>=2.8', 'sniffio>=1.1', 'exceptiongroup>=1.0.2', 'typing-extensions>=4.1']);
    expect(applies(fs4, 'trio')).toEqual(['idna>=2.8', 'sniffio>=1.1', 'trio>=0.23']);
    const test = applies(fs4, 'test');
    expect(test).toContain('anyio[trio]');
    expect(test).toContain('uvloop>=0.17');
    expect(applies(env({ platform_system: 'Windows' }), 'test')).not.toContain('uvloop>=0.17');
    expect(md.providesExtra).toEqual(['doc', 'test', 'trio']);
  });
});

describe('lock-file markers', () => {
  const env = markerEnvironmentFor({ pythonVersion: '3.11.9', arch: 'x86_64' });
  const sets = { extras: new Set(['async']), dependency_groups: new Set(['dev']) };

  it("evaluates PEP 751's `extras` and `dependency_groups` as sets of normalised names", () => {
    expect(evaluateMarker(parseMarker(`'Async' in extras and 'dev' in dependency_groups`), env, '', sets)).toBe(true);
    expect(evaluateMarker(parseMarker(`'docs' in dependency_groups or 'fast' in extras`), env, '', sets)).toBe(false);
    expect(evaluateMarker(parseMarker(`'docs' not in dependency_groups and python_version >= '3.11'`), env, '', sets)).toBe(true);
  });

  it('evaluates `extra` against every active extra at once when given a set (poetry.lock, uv.lock)', () => {
    expect(evaluateMarker(parseMarker(`extra == "async"`), env, new Set(['async', 'socks']))).toBe(true);
    expect(evaluateMarker(parseMarker(`extra == "dotenv"`), env, new Set(['async']))).toBe(false);
    expect(evaluateMarker(parseMarker(`extra != "async" or python_version < "3.11"`), env, new Set(['async']))).toBe(false);
  });

  it('refuses the lock-file sets outside a lock file and in comparisons other than membership', () => {
    expect(() => evaluateMarker(parseMarker(`'dev' in dependency_groups`), env)).toThrow(/only a pylock\.toml lock file defines/);
    expect(() => evaluateMarker(parseMarker(`extras == 'dev'`), env, '', sets)).toThrow(/only "name" in extras and "name" not in extras are defined/);
  });
});
