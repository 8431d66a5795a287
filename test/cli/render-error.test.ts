import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../src/core/errors.js';
import { renderError } from '../../src/cli/render-error.js';

describe('renderError', () => {
  it('prints the message, Wanted/Found and the hint, credentials redacted', () => {
    const text = renderError(
      new PackagerError('EINTEGRITY', 'Checksum mismatch for x from https://u:p@h/x.tgz', { wanted: 'sha256 aa', found: 'sha256 bb', hint: 'Check the manifest.' }),
    );
    expect(text).toBe('error: Checksum mismatch for x from https://-redacted-:-redacted-@h/x.tgz\n  Wanted: sha256 aa\n  Found: sha256 bb\nhint: Check the manifest.');
  });

  it('cuts a huge Found value to 200 characters and says how long it was', () => {
    const line = `requests ; ${'('.repeat(20_000)}python_version > "3"${')'.repeat(20_000)}`;
    const text = renderError(new PackagerError('EINPUT', 'Invalid line', { found: line }));
    const found = text.split('\n').find((l) => l.startsWith('  Found: '))!;
    expect(found).toBe(`  Found: ${line.slice(0, 200)}… (${line.length} characters)`);
  });
});
