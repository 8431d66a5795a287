// libbuildpack's selective packaging matrix (packager/packager_test.go, fixture
// packager/fixtures/with_profiles/manifest.yml), plus this buildpack's installers.
import { describe, expect, it } from 'vitest';
import { applySelection, resolvePackagingSelection, selectionWarnings, type SelectionFlags } from '../../src/bundle/packaging-selection.js';
import { zipFileName } from '../../src/bundle/layout.js';
import { parseManifest } from '../../src/manifest/manifest.js';
import type { Lock } from '../../src/manifest/types.js';
import { lockEntry } from './manifest-fixture.js';
import { thrownPackagerError as failure } from '../helpers/errors.js';

const SHA = (c: string) => c.repeat(64);
// libbuildpack's with_profiles fixture, with a Miniforge spec added.
const WITH_PROFILES = `---
language: ruby
default_versions:
- name: core-dep
  version: 1.0.0
dependencies:
- name: core-dep
  version: 1.0.0
  sha256: ${SHA('1')}
  uri: file:///tmp/core.txt
  cf_stacks: [cflinuxfs4]
- name: agent-dep
  version: 2.0.0
  sha256: ${SHA('2')}
  uri: file:///tmp/agent.txt
  cf_stacks: [cflinuxfs4]
- name: profiler-dep
  version: 3.0.0
  sha256: ${SHA('3')}
  uri: file:///tmp/profiler.txt
  cf_stacks: [cflinuxfs4]
miniconda:
- flavor: Miniforge3
  version: 24.7.1-0
  cf_stacks: [cflinuxfs4]
packaging_profiles:
  minimal:
    description: Core deps only. No agents or profilers.
    exclude:
    - agent-dep
    - profiler-dep
  no-profiler:
    description: Core and agents only. No profilers.
    exclude:
    - profiler-dep
  no-python:
    description: Bring your own Python.
    exclude: [miniforge3]
`;
const m = parseManifest(WITH_PROFILES, '/virtual/manifest.yml').manifest;
const lock: Lock = {
  lock_version: 1,
  inputs_sha256: SHA('f'),
  artifacts: [
    lockEntry({ kind: 'installer', name: 'miniforge3', flavor: 'Miniforge3', version: '24.7.1-0', filename: 'Miniforge3.sh', uri: 'https://h.invalid/Miniforge3.sh', sha256: SHA('a'), size: 1, cf_stacks: ['cflinuxfs4'] }),
    lockEntry({ kind: 'conda', name: 'numpy', version: '1.26.4', filename: 'numpy.conda', uri: 'https://h.invalid/numpy.conda', sha256: SHA('b'), size: 1 }),
    lockEntry({ kind: 'wheel', name: 'idna', version: '3.20', filename: 'idna-3.20-py3-none-any.whl', uri: 'https://h.invalid/idna.whl', sha256: SHA('c'), size: 1 }),
  ],
};

const select = (flags: SelectionFlags, cached = true, modeWord?: string) => resolvePackagingSelection(m, flags, { cached, lock, ...(modeWord ? { modeWord } : {}) });

describe('resolvePackagingSelection: libbuildpack semantics', () => {
  it('no profile, no exclude, no include: nothing left out, the standard file name', () => {
    const s = select({});
    expect(s).toEqual({ excluded: [] });
    expect(zipFileName({ language: 'ruby', cached: true, stack: 'cflinuxfs4', version: '1.0.0', profile: s.infix })).toBe('ruby_buildpack-cached-cflinuxfs4-v1.0.0.zip');
  });

  it.each([
    [{ profile: 'minimal' }, ['agent-dep', 'profiler-dep'], 'minimal'],
    [{ exclude: ['agent-dep'] }, ['agent-dep'], 'custom'],
    [{ exclude: ['agent-dep', 'profiler-dep'] }, ['agent-dep', 'profiler-dep'], 'custom'],
    [{ profile: 'no-profiler', exclude: ['agent-dep'] }, ['agent-dep', 'profiler-dep'], 'no-profiler+custom'],
    [{ profile: 'minimal', include: ['profiler-dep'] }, ['agent-dep'], 'minimal+custom'],
    [{ profile: 'no-profiler', exclude: ['agent-dep'], include: ['profiler-dep'] }, ['agent-dep'], 'no-profiler+custom'],
    [{ profile: 'no-python' }, ['miniforge3'], 'no-python'],
    [{ exclude: ['miniforge3', 'agent-dep'] }, ['agent-dep', 'miniforge3'], 'custom'],
  ] as [SelectionFlags, string[], string][])('%j leaves out %j, zip infix -%s', (flags, excluded, infix) => {
    const s = select(flags);
    expect(s.excluded).toEqual(excluded);
    expect(s.infix).toBe(infix);
    expect(zipFileName({ language: 'ruby', cached: true, stack: 'cflinuxfs4', version: '1.0.0', profile: s.infix })).toBe(`ruby_buildpack-cached-${infix}-cflinuxfs4-v1.0.0.zip`);
  });

  it.each([
    [{ profile: 'minimal' }, false, undefined, '--profile/--exclude/--include are only valid for cached buildpacks'],
    [{ exclude: ['agent-dep'] }, false, 'offline', '--profile/--exclude/--include are only valid for offline buildpacks'],
    [{ include: ['agent-dep'] }, false, 'cached', '--profile/--exclude/--include are only valid for cached buildpacks'],
    [{ include: ['agent-dep'] }, true, undefined, '--include requires --profile'],
    [{ profile: 'does-not-exist' }, true, undefined, 'packaging profile "does-not-exist" not found in manifest'],
    [{ profile: 'has space' }, true, undefined, 'profile name "has space" is invalid: must match ^[a-z0-9_-]+$'],
    [{ profile: 'has/slash' }, true, undefined, 'profile name "has/slash" is invalid: must match ^[a-z0-9_-]+$'],
    [{ profile: 'Minimal' }, true, undefined, 'profile name "Minimal" is invalid: must match ^[a-z0-9_-]+$'],
    [{ exclude: ['no-such-dep'] }, true, undefined, 'dependency "no-such-dep" not found in manifest'],
    [{ profile: 'minimal', include: ['no-such-dep'] }, true, undefined, 'dependency "no-such-dep" not found in manifest'],
    [{ profile: 'no-profiler', include: ['agent-dep'] }, true, undefined, '--include "agent-dep" has no effect: dependency is not excluded by the profile or --exclude'],
  ] as [SelectionFlags, boolean, string | undefined, string][])('%j (cached: %s) fails: %s', (flags, cached, word, message) => {
    const err = failure(() => select(flags, cached, word));
    expect(err.code).toBe('EUSAGE');
    expect(err.message).toBe(message);
  });

  it('refuses a profile whose exclude list names an unknown dependency, naming the profile', () => {
    const bad = { ...m, packaging_profiles: { broken: { exclude: ['core-dep', 'nope'] } } };
    const err = failure(() => resolvePackagingSelection(bad, { profile: 'broken' }, { cached: true }));
    expect(err.message).toBe('profile "broken" references unknown dependency "nope"');
    expect(err.details.key).toBe('packaging_profiles.broken.exclude');
  });

  it('explains that locked conda packages and wheels are dropped from the conda:/pip: sections, not excluded', () => {
    const conda = failure(() => select({ exclude: ['numpy'] }));
    expect(conda.message).toBe('dependency "numpy" not found in manifest');
    expect(conda.hint).toContain("numpy is a locked conda package: profiles and --exclude leave out manifest dependencies and installers only");
    expect(conda.hint).toContain("remove numpy from the manifest's conda: section and run `bin/package resolve`");
    expect(failure(() => select({ exclude: ['idna'] })).hint).toContain("pip: section");
    expect(failure(() => select({ exclude: ['typo'] })).hint).toBe('names that can be left out: agent-dep, core-dep, miniforge3, profiler-dep');
  });

  it('the manifest loader already refuses bad profile names and unknown references (exit 1 before any work)', () => {
    expect(() => parseManifest(WITH_PROFILES.replace('  minimal:', '  Mini mal:'), '/v/manifest.yml')).toThrow(/profile name "Mini mal" is invalid: must match \^\[a-z0-9_-\]\+\$/);
    expect(() => parseManifest(WITH_PROFILES.replace('    - agent-dep\n    - profiler-dep', '    - agent-dep\n    - ghost'), '/v/manifest.yml')).toThrow(
      /profile "minimal" references unknown dependency "ghost"/,
    );
  });
});

describe('applySelection / selectionWarnings', () => {
  it('drops excluded dependencies and installers, keeps the same objects otherwise', () => {
    const { manifest, lock: l } = applySelection(m, lock, new Set(['agent-dep', 'miniforge3']));
    expect(manifest.dependencies.map((d) => d.name)).toEqual(['core-dep', 'profiler-dep']);
    expect(manifest.dependencies[0]).toBe(m.dependencies[0]);
    expect(l!.artifacts.map((a) => a.name)).toEqual(['numpy', 'idna']);
    expect(applySelection(m, lock, new Set()).manifest).toBe(m);
  });

  it('warns when the default version or every installer is left out', () => {
    expect(selectionWarnings(m, lock, 'cflinuxfs4', new Set(['agent-dep']))).toEqual([]);
    expect(selectionWarnings(m, lock, 'cflinuxfs4', new Set(['core-dep', 'miniforge3']))).toEqual([
      'default_versions names core-dep 1.0.0, but every matching dependency is left out: apps that rely on the default will fail to stage',
      'every installer (miniforge3) is left out: staging installs Python from one, so every app will fail to stage',
    ]);
  });
});
