import { describe, expect, it } from 'vitest';
import { formatRequirement, parseRequirement, RequirementSyntaxError } from '../../../src/resolve/pypi/requirement.js';
import { formatSpecifierSet } from '../../../src/resolve/pypi/pep440.js';
import { formatMarker } from '../../../src/resolve/pypi/markers.js';

describe('PEP 508 requirements', () => {
  it.each([
    ['requests', 'requests', [], '', undefined],
    ['requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"', 'requests', ['security', 'tests'], '>=2.8.1,==2.8.*', 'python_version < "2.7"'],
    ['simple (==1.0); extra == \'extra\'', 'simple', [], '==1.0', 'extra == "extra"'],
    ['exceptiongroup >=1.0.2 ; python_version < "3.11"', 'exceptiongroup', [], '>=1.0.2', 'python_version < "3.11"'],
    ['aiohttp!=3.9.0,>=3.7.4; sys_platform == \'win32\' and implementation_name == \'pypy\' and extra == \'d\'', 'aiohttp', [], '!=3.9.0,>=3.7.4', undefined],
    ['Foo_Bar[Extra_One]', 'foo-bar', ['extra-one'], '', undefined],
    ['name>=3,<2', 'name', [], '>=3,<2', undefined],
  ] as const)('parses %j', (text, key, extras, spec, marker) => {
    const r = parseRequirement(text);
    expect(r.key).toBe(key);
    expect(r.extras).toEqual(extras);
    expect(formatSpecifierSet(r.specifier)).toBe(spec);
    if (marker) expect(formatMarker(r.marker!)).toBe(marker);
  });

  it('parses a direct URL with a marker after whitespace', () => {
    const r = parseRequirement('pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; python_version >= "3"');
    expect(r.url).toBe('https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee');
    expect(formatRequirement(r, { marker: true })).toBe('pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; python_version >= "3"');
  });

  it.each([
    ['', 0], ['>=1.0', 0], ['name 1.0', 5], ['name[foo', 4], ['name[fo o]', 5], ['name>=1.0 ; bogus == "x"', 11], ['name==1.0.*+5', 9],
    ['name @ https://x/y.whl; python_version > "3"', 7],
  ] as const)('rejects %j and says where', (text, pos) => {
    let err: unknown;
    try {
      parseRequirement(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequirementSyntaxError);
    expect((err as RequirementSyntaxError).position).toBeGreaterThanOrEqual(pos);
  });
});
