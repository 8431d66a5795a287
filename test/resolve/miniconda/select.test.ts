import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInstallerIndex, selectInstaller } from '../../../src/resolve/miniconda/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { thrownPackagerError as caught } from '../../helpers/errors.js';

const URL_ = 'https://repo.anaconda.com/miniconda/';
const rows = parseInstallerIndex(readFileSync(path.join(FIXTURES, 'miniconda/index.html'), 'utf8'), URL_);
const pick = (version: string, platform = 'Linux-x86_64') => selectInstaller(rows, { flavor: 'Miniconda3', version, platform }, URL_);

describe('selectInstaller', () => {
  it('finds an exact version for the platform', () => {
    const c = pick('py312_24.5.0-0');
    expect(c.listing.filename).toBe('Miniconda3-py312_24.5.0-0-Linux-x86_64.sh');
    expect(c.sha256).toBe('4b3b3b1b99215e85fd73fb2c2d7ebf318ac942a457072de62d885056556eb83e');
    expect(pick('py312_24.5.0-0', 'Linux-aarch64').sha256).toBe('70afe954cc8ee91f605f9aa48985bfe01ecfc10751339e8245eac7262b01298d');
  });

  it('takes latest as the newest concrete version, never the moving -latest- file', () => {
    const c = pick('latest');
    expect(c.version).toBe('py39_25.7.0-2');
    expect(c.listing.filename).toBe('Miniconda3-py39_25.7.0-2-Linux-x86_64.sh');
    // aarch64 has no 25.7.0 build on the page: its newest is 24.5.0.
    expect(pick('latest', 'Linux-aarch64').listing.filename).toBe('Miniconda3-py312_24.5.0-0-Linux-aarch64.sh');
  });

  it('takes py311_latest as the newest build for that python', () => {
    expect(pick('py311_latest').version).toBe('py311_24.1.2-0');
    expect(pick('py310_latest').version).toBe('py310_23.3.1-0');
  });

  it('names the versions the index has when the wanted one is missing', () => {
    const e = caught(() => pick('py311_99.0.0-0'));
    expect(e.code).toBe('ENOTFOUND');
    expect(e.message).toMatchInlineSnapshot(
      `"No installer Miniconda3 py311_99.0.0-0 for Linux-x86_64 in the installer index: https://repo.anaconda.com/miniconda/"`,
    );
    expect(e.details.available).toEqual([
      'py39_25.7.0-2',
      'py312_24.5.0-0',
      'py312_24.4.0-0',
      'py312_24.3.0-0',
      'py311_24.1.2-0',
      'py311_23.11.0-1',
      'py310_23.3.1-0',
      'py39_4.12.0',
      'py38_4.9.2',
    ]);
    expect(e.hint).toBe('Use one of the listed versions (e.g. version: py39_25.7.0-2), or version: latest.');
  });

  it('says when the version exists only for other platforms', () => {
    const e = caught(() => pick('py312_24.4.0-0', 'Linux-armv7l'));
    expect(e.code).toBe('ENOTFOUND');
    expect(e.details.available).toEqual([]);
    expect(e.details.other_platforms).toEqual(['Linux-aarch64', 'Linux-s390x', 'Linux-x86_64']);
  });

  it('refuses a row whose sha256 cell is not a sha256', () => {
    const html = '<table><tr><th>Filename</th><th>SHA256</th></tr><tr><td>Miniconda3-py311_24.1.2-0-Linux-x86_64.sh</td><td>pending</td></tr></table>';
    const e = caught(() => selectInstaller(parseInstallerIndex(html, URL_), { flavor: 'Miniconda3', version: 'latest', platform: 'Linux-x86_64' }, URL_));
    expect(e.code).toBe('EBADINDEX');
    expect(e.message).toMatchInlineSnapshot(
      `"Installer index lists Miniconda3-py311_24.1.2-0-Linux-x86_64.sh without a valid SHA256: https://repo.anaconda.com/miniconda/"`,
    );
    expect(e.details.found).toBe('pending');
  });
});
