import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { condaChannelName, condaPurl, genericPurl, pypiPurl } from '../../src/bundle/purl.js';

describe('purls', () => {
  it('names conda packages as the purl spec conda type does (build, channel, subdir, type)', () => {
    const purl = condaPurl({
      name: 'zlib', version: '1.2.11', build: 'h7b6447c_3', channel: 'https://repo.anaconda.com/pkgs/main', subdir: 'linux-64', filename: 'zlib-1.2.11-h7b6447c_3.conda',
    });
    expect(purl).toBe('pkg:conda/zlib@1.2.11?build=h7b6447c_3&channel=pkgs%2Fmain&subdir=linux-64&type=conda');
    const parsed = PackageURL.fromString(purl);
    expect(parsed.qualifiers).toEqual({ build: 'h7b6447c_3', channel: 'pkgs/main', subdir: 'linux-64', type: 'conda' });
    expect(condaPurl({ name: 'run_exports_versions', version: '2.0', build: 'h39de5ba_0', filename: 'run_exports_versions-2.0-h39de5ba_0.tar.bz2' })).toBe(
      'pkg:conda/run_exports_versions@2.0?build=h39de5ba_0&type=tar.bz2',
    );
  });

  it('names a channel as conda users do, dropping anaconda.org tokens and redacting other URLs', () => {
    expect(condaChannelName('https://conda.anaconda.org/conda-forge/')).toBe('conda-forge');
    expect(condaChannelName('https://conda.anaconda.org/t/tk-PRIVATE-9/private')).toBe('private');
    expect(condaChannelName('https://conda.anaconda.org/conda-forge/label/dev')).toBe('conda-forge/label/dev');
    expect(condaChannelName('https://u:pw@mirror.example.invalid/conda/forge')).toBe('https://-redacted-:-redacted-@mirror.example.invalid/conda/forge');
  });

  it('normalises PyPI names (lower case, _ -> -) and keeps the exact file name', () => {
    const purl = pypiPurl({ name: 'Typing_Extensions', version: '4.9.0', filename: 'typing_extensions-4.9.0-py3-none-any.whl' });
    expect(purl).toBe('pkg:pypi/typing-extensions@4.9.0?file_name=typing_extensions-4.9.0-py3-none-any.whl');
    expect(PackageURL.fromString(purl).name).toBe('typing-extensions');
  });

  it('gives installers and manifest dependencies a generic purl with a redacted download_url and checksum', () => {
    const purl = genericPurl({ name: 'miniforge3', version: '24.7.1-0', url: 'https://u:p@h.invalid/M.sh?token=t', sha256: 'AB'.repeat(32) });
    const parsed = PackageURL.fromString(purl);
    expect(parsed.type).toBe('generic');
    expect(parsed.qualifiers).toEqual({ download_url: 'https://-redacted-:-redacted-@h.invalid/M.sh?token=-redacted-', checksum: `sha256:${'ab'.repeat(32)}` });
  });
});
