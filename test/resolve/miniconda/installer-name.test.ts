import { describe, expect, it } from 'vitest';
import { compareInstallerVersions, parseInstallerName, parseInstallerVersion } from '../../../src/resolve/miniconda/index.js';

describe('parseInstallerName', () => {
  it.each([
    ['Miniconda3-py311_24.1.2-0-Linux-x86_64.sh', { flavor: 'Miniconda3', version: 'py311_24.1.2-0', platform: 'Linux-x86_64', ext: 'sh' }],
    ['Miniconda3-py39_4.12.0-Linux-aarch64.sh', { flavor: 'Miniconda3', version: 'py39_4.12.0', platform: 'Linux-aarch64', ext: 'sh' }],
    ['Miniconda3-4.7.12.1-Linux-ppc64le.sh', { flavor: 'Miniconda3', version: '4.7.12.1', platform: 'Linux-ppc64le', ext: 'sh' }],
    ['Miniconda3-latest-Linux-x86_64.sh', { flavor: 'Miniconda3', version: 'latest', platform: 'Linux-x86_64', ext: 'sh' }],
    ['Miniconda3-py312_24.5.0-0-Windows-x86_64.exe', { flavor: 'Miniconda3', version: 'py312_24.5.0-0', platform: 'Windows-x86_64', ext: 'exe' }],
    ['Miniconda3-py312_24.5.0-0-MacOSX-arm64.pkg', { flavor: 'Miniconda3', version: 'py312_24.5.0-0', platform: 'MacOSX-arm64', ext: 'pkg' }],
    ['Miniconda2-4.7.12.1-Linux-x86_64.sh', { flavor: 'Miniconda2', version: '4.7.12.1', platform: 'Linux-x86_64', ext: 'sh' }],
    ['Miniforge3-24.7.1-0-Linux-x86_64.sh', { flavor: 'Miniforge3', version: '24.7.1-0', platform: 'Linux-x86_64', ext: 'sh' }],
    ['Miniforge-pypy3-24.7.1-0-Linux-x86_64.sh', { flavor: 'Miniforge-pypy3', version: '24.7.1-0', platform: 'Linux-x86_64', ext: 'sh' }],
  ])('%s', (filename, want) => {
    expect(parseInstallerName(filename)).toEqual(want);
  });

  it('rejects files that are not installers', () => {
    expect(parseInstallerName('Miniforge3-24.7.1-0-Linux-x86_64.sh.sha256')).toBeUndefined();
    expect(parseInstallerName('index.html')).toBeUndefined();
    expect(parseInstallerName('Anaconda3-2024.06-1-Linux-x86_64.sh')).toBeUndefined();
  });
});

describe('installer version order', () => {
  it('reads python tag, conda release and build number', () => {
    expect(parseInstallerVersion('py311_24.1.2-0')).toEqual({ python: [3, 11], release: [24, 1, 2], build: 0 });
    expect(parseInstallerVersion('py39_4.12.0')).toEqual({ python: [3, 9], release: [4, 12, 0], build: -1 });
    expect(parseInstallerVersion('24.7.1-0')).toEqual({ release: [24, 7, 1], build: 0 });
    expect(parseInstallerVersion('latest')).toBeUndefined();
  });

  it('orders by release numerically, then build, then python', () => {
    const versions = ['py312_24.5.0-0', 'py39_4.12.0', 'py311_23.11.0-1', 'py39_25.7.0-2', 'py311_24.1.2-0', 'py38_4.9.2', 'py311_23.11.0-0', 'py310_24.5.0-0'];
    expect([...versions].sort(compareInstallerVersions)).toEqual([
      'py38_4.9.2',
      'py39_4.12.0',
      'py311_23.11.0-0',
      'py311_23.11.0-1',
      'py311_24.1.2-0',
      'py310_24.5.0-0',
      'py312_24.5.0-0',
      'py39_25.7.0-2',
    ]);
  });
});
