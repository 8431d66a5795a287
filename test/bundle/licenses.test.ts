import { describe, expect, it } from 'vitest';
import { licenseChoices, spdxExpression, spdxId } from '../../src/bundle/licenses.js';

describe('licenseChoices', () => {
  // Strings as real metadata writes them: fixtures/upstream wheels' METADATA and conda repodata records.
  it.each([
    ['MIT', [{ license: { id: 'MIT' } }]], // anyio, black, click_loglevel
    ['zlib', [{ license: { id: 'Zlib' } }]], // pkgs/main zlib record: SPDX ids match case-insensitively
    ['MIT OR Apache-2.0', [{ expression: 'MIT OR Apache-2.0' }]], // maturin
    ['MPL-2.0 AND MIT', [{ expression: 'MPL-2.0 AND MIT' }]], // tqdm
    ['(mit and bsd-3-clause)', [{ expression: '(MIT AND BSD-3-Clause)' }]],
    ['GPL-2.0-or-later WITH Classpath-exception-2.0', [{ expression: 'GPL-2.0-or-later WITH Classpath-exception-2.0' }]],
    ['GPL-2.0', [{ license: { id: 'GPL-2.0' } }]], // a deprecated id is still an id
    ['GPL-2.0+', [{ expression: 'GPL-2.0+' }]], // `+` is the "or later" operator
    ['BSD', [{ license: { name: 'BSD' } }]], // python_snappy: not an SPDX id, kept as written
    ['BSD-derived (http://www.repoze.org/LICENSE.txt)', [{ license: { name: 'BSD-derived (http://www.repoze.org/LICENSE.txt)' } }]], // colander
    ['MIT OR', [{ license: { name: 'MIT OR' } }]],
  ])('%s', (text, want) => {
    expect(licenseChoices(text)).toEqual(want);
  });

  it('treats UNKNOWN, empty and missing as no license', () => {
    for (const t of [undefined, '', '  ', 'UNKNOWN', 'None']) expect(licenseChoices(t)).toBeUndefined();
  });

  it('keeps a whole license text pasted into License: as text, named by its first line', () => {
    const text = 'Copyright (c) 2010 Someone\n\nPermission is hereby granted, free of charge...';
    expect(licenseChoices(text)).toEqual([{ license: { name: 'Copyright (c) 2010 Someone', text: { content: text, contentType: 'text/plain' } } }]);
  });
});

describe('spdxId / spdxExpression', () => {
  it('finds canonical ids and refuses free text', () => {
    expect(spdxId('apache-2.0')).toBe('Apache-2.0');
    expect(spdxId('Apache 2.0')).toBeUndefined();
    expect(spdxExpression('Apache-2.0 OR')).toBeUndefined();
    expect(spdxExpression('(MIT')).toBeUndefined();
    expect(spdxExpression('MIT Apache-2.0')).toBeUndefined();
    expect(spdxExpression('LicenseRef-Proprietary OR MIT')).toBe('LicenseRef-Proprietary OR MIT');
  });
});
