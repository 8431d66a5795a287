import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCoreMetadata, parseEggRequires, sdistDependenciesAreStatic } from '../../../src/resolve/pypi/metadata.js';
import { parseRequirement } from '../../../src/resolve/pypi/requirement.js';
import { parseWheelFilename } from '../../../src/resolve/pypi/wheel-filename.js';
import { normalizeVersion } from '../../../src/resolve/pypi/pep440.js';
import { UPSTREAM } from '../../helpers/paths.js';

// The wheel's own METADATA: a wheel may vendor others' dist-info (flit_core carries tomli's).
const distInfoMetadata = (wheel: string) => `${wheel.split('-').slice(0, 2).join('-')}.dist-info/METADATA`;

const WHEELS = path.join(UPSTREAM, 'pypi/wheels');
const wheels = [...readdirSync(WHEELS).filter((f) => f.endsWith('.whl')), ...readdirSync(path.join(WHEELS, 'musl-built')).map((f) => `musl-built/${f}`)];

describe('core metadata', () => {
  it.each(wheels)('reads the METADATA of %s, and every Requires-Dist parses', (file) => {
    const text = execFileSync('unzip', ['-p', path.join(WHEELS, file), distInfoMetadata(path.basename(file))], { encoding: 'utf8' });
    const md = parseCoreMetadata(text);
    const wheel = parseWheelFilename(path.basename(file));
    expect(md.name && md.name.toLowerCase().replace(/[-_.]+/g, '-')).toBe(wheel.key);
    expect(normalizeVersion(md.version!)).toBe(normalizeVersion(wheel.version.raw));
    for (const r of md.requiresDist) expect(() => parseRequirement(r)).not.toThrow();
  });

  it('reads PEP 658 sidecars as PyPI serves them', () => {
    const md = parseCoreMetadata(readFileSync(path.join(UPSTREAM, 'pypi/metadata/ipython-7.5.0-py3-none-any.whl.metadata'), 'utf8'));
    expect(md.name).toBe('ipython');
    expect(md.version).toBe('7.5.0');
    expect(md.requiresPython).toBe('>=3.5');
    expect(md.requiresDist.length).toBeGreaterThan(10);
    expect(md.requiresDist).toContain('pexpect; sys_platform != "win32"');
    const yaml = parseCoreMetadata(readFileSync(path.join(UPSTREAM, 'pypi/metadata/PyYAML-3.13-cp27-cp27m-win32.whl.metadata'), 'utf8'));
    expect(yaml.name).toBe('PyYAML');
    expect(yaml.requiresDist).toEqual([]);
  });

  it('joins continuation lines and stops at the body', () => {
    const md = parseCoreMetadata('Metadata-Version: 2.1\nName: x\nLicense: line one\n        line two\nRequires-Dist: a\n\nRequires-Dist: not-a-header\n');
    expect(md.license).toBe('line one\nline two');
    expect(md.requiresDist).toEqual(['a']);
  });

  it('trusts sdist dependencies only from Metadata-Version 2.2+ without Dynamic: Requires-Dist', () => {
    const pkgInfo = execFileSync('tar', ['-xzOf', path.join(UPSTREAM, 'pypi/sdists/tqdm-999.0.0.tar.gz'), 'tqdm-999.0.0/PKG-INFO'], { encoding: 'utf8' });
    const md = parseCoreMetadata(pkgInfo);
    expect(md.metadataVersion).toBe('2.3');
    expect(sdistDependenciesAreStatic(md)).toBe(true);
    const old = parseCoreMetadata(execFileSync('tar', ['-xzOf', path.join(UPSTREAM, 'pypi/sdists/simple-1.0.tar.gz'), 'simple-1.0/PKG-INFO'], { encoding: 'utf8' }));
    expect(sdistDependenciesAreStatic(old)).toBe(false);
    expect(sdistDependenciesAreStatic(parseCoreMetadata('Metadata-Version: 2.2\nName: x\nDynamic: Requires-Dist\n'))).toBe(false);
  });

  it("turns setuptools' requires.txt sections into markers", () => {
    expect(parseEggRequires('a>=1\n\n[:python_version < "3"]\nb\n\n[socks]\nPySocks!=1.5.7\n[test:sys_platform == "win32"]\nc\n')).toEqual([
      'a>=1',
      'b ; python_version < "3"',
      'PySocks!=1.5.7 ; extra == "socks"',
      'c ; (sys_platform == "win32") and extra == "test"',
    ]);
    for (const r of parseEggRequires('[test:sys_platform == "win32"]\nc\n')) expect(() => parseRequirement(r)).not.toThrow();
  });
});
