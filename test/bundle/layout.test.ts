import { describe, expect, it } from 'vitest';
import {
  assertSafeEntryName,
  channelDirName,
  channelDirNames,
  dependencyZipPath,
  isStoredByDefault,
  urlBasename,
  zipFileName,
} from '../../src/bundle/layout.js';

describe('dependencyZipPath', () => {
  it('matches libbuildpack: md5 of the uri as written + basename (python-buildpack #768 staging log)', () => {
    expect(dependencyZipPath('https://buildpacks.cloudfoundry.org/dependencies/python/python_3.7.16_linux_x64_cflinuxfs4_3248b4f3.tgz')).toBe(
      'dependencies/f5cdf87200ba4d26deff1c80b3b99dad/python_3.7.16_linux_x64_cflinuxfs4_3248b4f3.tgz',
    );
    // libbuildpack fixtures/manifest/fetch_cached/manifest.yml
    expect(dependencyZipPath('https://example.com/dependencies/thing-1-linux-x64.tgz')).toBe(
      'dependencies/0fa03f02b4708e80d1975940e09b2cb9/thing-1-linux-x64.tgz',
    );
  });

  it('hashes credentials as written but takes the basename without query or fragment', () => {
    const withCreds = dependencyZipPath('https://u:p@h.example/a/b/Miniforge3-24.7.1-0-Linux-x86_64.sh?token=x#frag');
    const without = dependencyZipPath('https://h.example/a/b/Miniforge3-24.7.1-0-Linux-x86_64.sh');
    expect(withCreds).toMatch(/^dependencies\/[0-9a-f]{32}\/Miniforge3-24\.7\.1-0-Linux-x86_64\.sh$/);
    expect(withCreds).not.toBe(without);
  });

  it('names file:// and odd URLs safely', () => {
    expect(urlBasename('file:///srv/deps/tool.tgz')).toBe('tool.tgz');
    expect(urlBasename('https://h.example/dir/')).toBe('dir');
    expect(urlBasename('https://h.example/')).toBe('file');
    expect(urlBasename('https://h.example/a/..')).toBe('file');
  });
});

describe('zipFileName', () => {
  it('builds the names both upstream packagers build', () => {
    expect(zipFileName({ language: 'python', cached: true, stack: 'cflinuxfs4', version: '1.9.5' })).toBe('python_buildpack-cached-cflinuxfs4-v1.9.5.zip');
    expect(zipFileName({ language: 'sample', cached: false, version: '1.2.3' })).toBe('sample_buildpack-v1.2.3.zip');
    expect(zipFileName({ language: 'sample', cached: true, version: '1.2.3' })).toBe('sample_buildpack-cached-v1.2.3.zip');
    expect(zipFileName({ language: 'ruby', cached: true, profile: 'minimal', stack: 'cflinuxfs3', version: '1.2.3' })).toBe(
      'ruby_buildpack-cached-minimal-cflinuxfs3-v1.2.3.zip',
    );
  });
});

describe('channelDirName', () => {
  it('names channels after their path, ignoring tokens and credentials', () => {
    expect(channelDirName('https://conda.anaconda.org/conda-forge')).toBe('conda-forge');
    expect(channelDirName('https://conda.anaconda.org/conda-forge/')).toBe('conda-forge');
    expect(channelDirName('https://repo.anaconda.com/pkgs/main')).toBe('pkgs-main');
    expect(channelDirName('https://conda.anaconda.org/t/tk-123-secret/private-chan')).toBe('private-chan');
    expect(channelDirName('https://conda.anaconda.org/t/-redacted-/private-chan')).toBe('private-chan');
    expect(channelDirName('https://user:pw@mirror.example:8443/conda/conda-forge/label/dev')).toBe('conda-conda-forge-label-dev');
    expect(channelDirName('file:///srv/channels/local-chan')).toBe('local-chan');
    expect(channelDirName('http://127.0.0.1:4000')).toBe('127.0.0.1');
  });

  it('names a channel under the manifest\'s channel_alias as the manifest writes it (mychan, not conda-mychan)', () => {
    const alias = 'https://u:secret@repo.example/conda/';
    expect(channelDirName('https://u:secret@repo.example/conda/mychan', [alias])).toBe('mychan');
    expect(channelDirName('https://repo.example/conda/pkgs/main', [alias])).toBe('pkgs-main');
    expect(channelDirName('https://repo.example/conda/t/tk-1/private', [alias])).toBe('private');
    expect(channelDirName('https://repo.example/condax/mychan', [alias])).toBe('condax-mychan');
    const dirs = channelDirNames(['https://repo.example/conda/mychan', 'https://conda.anaconda.org/conda-forge'], ['https://repo.example/conda']);
    expect([...dirs.values()].sort()).toEqual(['conda-forge', 'mychan']);
  });

  it('makes colliding names unique, independent of listing order', () => {
    const urls = ['https://mirror-b.example/conda-forge', 'https://conda.anaconda.org/conda-forge', 'file:///x/conda-forge', 'https://repo.anaconda.com/pkgs/main'];
    const a = channelDirNames(urls);
    const b = channelDirNames([...urls].reverse());
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    expect(new Set(a.values()).size).toBe(4);
    expect(a.get('file:///x/conda-forge')).toBe('conda-forge');
    expect(a.get('https://conda.anaconda.org/conda-forge')).toBe('conda-forge-2');
    expect(a.get('https://mirror-b.example/conda-forge')).toBe('conda-forge-3');
    expect(a.get('https://repo.anaconda.com/pkgs/main')).toBe('pkgs-main');
  });

  it('treats a channel with and without credentials as one channel', () => {
    const dirs = channelDirNames(['https://u:p@h.example/chan/', 'https://-redacted-:-redacted-@h.example/chan']);
    expect(dirs.size).toBe(1);
  });
});

describe('entry names', () => {
  it('stores compressed formats and dependency installers only', () => {
    for (const n of ['a.whl', 'a.conda', 'a.tar.bz2', 'a.TGZ', 'a.tar.gz', 'a.tar.xz', 'a.zip', 'a.gz', 'a.bz2', 'a.xz', 'a.zst', 'a.jar', 'dependencies/x/Miniconda3.sh']) {
      expect(isStoredByDefault(n), n).toBe(true);
    }
    for (const n of ['bin/lib/x.sh', 'a.json', 'manifest.yml', 'a.tar']) expect(isStoredByDefault(n), n).toBe(false);
  });

  it('refuses names that escape the zip root', () => {
    for (const bad of ['../x', 'a/../../x', '/abs', 'C:/x', 'a\\b', 'a//b', './a', '']) {
      expect(() => assertSafeEntryName(bad), bad).toThrow(expect.objectContaining({ code: 'EBUNDLE' }));
    }
    expect(() => assertSafeEntryName('conda/conda-forge/noarch/repodata.json')).not.toThrow();
  });
});
