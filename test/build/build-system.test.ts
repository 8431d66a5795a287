// [build-system] as pip reads it, for an sdist and for an app's own project:
// the legacy setuptools default where PEP 517 says so, nothing for a directory
// pip would not install, and a clear error naming the app for a malformed table.
import { describe, expect, it } from 'vitest';
import { LEGACY_BUILD_SYSTEM, buildSystemOf, projectBuildSystem } from '../../src/build/index.js';
import { thrownPackagerError } from '../helpers/errors.js';

const APP = { label: 'the app apps/web', code: 'EMANIFEST' as const, hint: 'fix apps/web/pyproject.toml' };

describe("an app's own project", () => {
  it('takes [build-system] from pyproject.toml, with or without setup.py', () => {
    const flit = '[build-system]\nrequires = ["flit_core>=3.4,<5"]\nbuild-backend = "flit_core.buildapi"\n';
    expect(projectBuildSystem(flit, false, APP)).toEqual({ requires: ['flit_core>=3.4,<5'], backend: 'flit_core.buildapi', backendPath: [] });
    expect(projectBuildSystem('[build-system]\nrequires = ["setuptools>=61"]\n', true, APP)?.requires).toEqual(['setuptools>=61']);
  });

  it("uses setuptools' legacy default for a setup.py, or a [project] table, without [build-system]", () => {
    expect(projectBuildSystem(undefined, true, APP)).toBe(LEGACY_BUILD_SYSTEM);
    expect(projectBuildSystem('[tool.black]\nline-length = 100\n', true, APP)).toBe(LEGACY_BUILD_SYSTEM);
    expect(projectBuildSystem('[project]\nname = "web"\nversion = "1"\n', false, APP)).toBe(LEGACY_BUILD_SYSTEM);
    expect(LEGACY_BUILD_SYSTEM.requires).toEqual(['setuptools>=40.8.0', 'wheel']);
  });

  it('is no project when pyproject.toml only configures tools and there is no setup.py', () => {
    expect(projectBuildSystem('[tool.ruff]\nline-length = 100\n', false, APP)).toBeUndefined();
    expect(projectBuildSystem(undefined, false, APP)).toBeUndefined();
  });

  it("names the app, not an upstream sdist, when its [build-system] is malformed", () => {
    const e = thrownPackagerError(() => projectBuildSystem('[build-system]\nbuild-backend = "x"\n', false, APP));
    expect(e.code).toBe('EMANIFEST');
    expect(e.message).toBe('Cannot build the app apps/web: [build-system] has no `requires`');
    expect(e.hint).toBe('fix apps/web/pyproject.toml');
    expect(thrownPackagerError(() => projectBuildSystem('[build-system\n', true, APP)).message).toMatch(/^Cannot build the app apps\/web: pyproject\.toml is not valid TOML/);
    // an sdist's error is unchanged
    const s = thrownPackagerError(() => buildSystemOf('[build-system]\nrequires = "x"\n', 'x-1.0.tar.gz'));
    expect([s.code, s.message]).toEqual(['EBUILD', 'Cannot build x-1.0.tar.gz: [build-system] requires is not a list of strings']);
  });
});
