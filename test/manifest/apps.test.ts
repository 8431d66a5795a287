// An app directory read as staging reads it: the first file of each role wins
// (a conda lock beats environment.yml), runtime.txt gives the Python, vendor/
// apps are not resolved from the bundle; `apps:` makes one environment each.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestEnvironments, parseManifest, readApp, runtimePython } from '../../src/manifest/index.js';
import { FIXTURES } from '../helpers/paths.js';
import { rejectedPackagerError, thrownPackagerError } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

async function app(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('app-');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const TOP = {
  conda: { channels: ['conda-forge'], channel_alias: 'http://127.0.0.1:9', subdirs: ['linux-64', 'noarch'], specs: ['ignored'], files: [] },
  pip: { index_url: 'http://127.0.0.1:9/simple', extra_index_urls: [], find_links: [], python_version: '3.11', requirements: ['ignored'], files: [] },
};

describe('readApp', () => {
  it('reads the sample apps as staging does, with the sources of the top-level sections', async () => {
    const pipOnly = await readApp(FIXTURES, 'apps/pip-only', TOP);
    expect(pipOnly.env).toEqual({ name: 'pip-only', app: 'apps/pip-only', pip: { ...TOP.pip, requirements: [], files: ['apps/pip-only/requirements.txt'] } });
    const condaPip = await readApp(FIXTURES, 'apps/conda-pip', TOP);
    expect(condaPip.env.conda).toEqual({ ...TOP.conda, specs: [], files: ['apps/conda-pip/environment.yml'] });
    expect(condaPip.env.pip?.files).toEqual([]);
  });

  it('takes the first conda file by staging\'s precedence and the Python from runtime.txt', async () => {
    const dir = await app({
      'environment.yml': 'dependencies: [numpy]\n',
      'conda-requirements.txt': 'numpy=1.26\n',
      'conda-linux-64.lock': '@EXPLICIT\n',
      'requirements.txt': 'flask\n',
      'runtime.txt': 'python-3.12.x\n',
    });
    const r = await readApp(dir, '.', {});
    expect(r.files).toEqual({ conda: 'conda-linux-64.lock', pip: 'requirements.txt', python: 'runtime.txt' });
    expect(r.env.pip?.python_version).toBe('3.12');
    expect(r.env.conda?.channels).toEqual([]);
    await writeFile(path.join(dir, 'conda-lock.yml'), 'version: 1\n');
    await writeFile(path.join(dir, 'uv.lock'), 'version = 1\n');
    await writeFile(path.join(dir, 'runtime.txt'), '# no version here\n');
    await writeFile(path.join(dir, '.python-version'), '3.13\n');
    const again = await readApp(dir, '.', {});
    expect(again.files).toEqual({ conda: 'conda-lock.yml', pip: 'uv.lock', python: '.python-version' });
    expect(again.env.pip?.python_version).toBe('3.13');
  });

  it('leaves a vendored app\'s requirements to vendor/, and says so', async () => {
    const dir = await app({ 'requirements.txt': 'flask\n', 'vendor/flask-3.0.0-py3-none-any.whl': '' });
    const r = await readApp(dir, '.', {});
    expect(r.env.pip?.files).toEqual([]);
    expect(r.notes[0]).toContain('requirements.txt is installed from vendor/ at staging');
  });

  it('names the project files of an app that is a project, so its build backend is bundled and its pyproject.toml is a lock input', async () => {
    const dir = await app({ 'web/setup.py': 'from setuptools import setup\nsetup()\n', 'web/pyproject.toml': '[build-system]\nrequires = ["setuptools"]\n', 'plain/requirements.txt': 'flask\n' });
    const web = await readApp(dir, 'web', {});
    expect(web.env.project_files).toEqual(['web/pyproject.toml', 'web/setup.py']);
    expect(web.notes[0]).toContain('installed at staging with its build backend from the bundle');
    expect((await readApp(dir, 'plain', {})).env.project_files).toBeUndefined();
  });

  it('reads runtime.txt in every spelling staging accepts and refuses others', () => {
    expect(['python-3.11.7', 'Python-3.11.x', '3.11', ' python-3.12.* \n', '# pyenv\ncpython@3.13\n', '\n'].map((t) => runtimePython(t, 'runtime.txt'))).toEqual(['3.11.7', '3.11', '3.11', '3.12', '3.13', undefined]);
    expect(thrownPackagerError(() => runtimePython('ruby-3.2', 'runtime.txt')).code).toBe('EINPUT');
  });
});

describe('apps: in the manifest', () => {
  it('makes one environment per app, named after its directory, after the others', async () => {
    const { manifest } = parseManifest(
      `language: python\npip: { index_url: "http://127.0.0.1:9/simple" }\nenvironments:\n  extra:\n    pip: { requirements: [wheel] }\napps: [apps/pip-only, apps/conda-pip]\n`,
      path.join(FIXTURES, 'manifest.yml'),
    );
    const envs = await manifestEnvironments(manifest);
    expect(envs.map((e) => e.name)).toEqual(['extra', 'pip-only', 'conda-pip']);
    expect(envs[1]!.pip?.index_url).toBe('http://127.0.0.1:9/simple');
  });

  it('refuses a missing app directory and two apps with one name', async () => {
    const load = (apps: string) => parseManifest(`language: python\napps: ${apps}\n`, path.join(FIXTURES, 'manifest.yml')).manifest;
    expect((await rejectedPackagerError(manifestEnvironments(load('[apps/nope]')))).message).toContain('The app directory does not exist: apps/nope');
    const dup = parseManifest(`language: python\nenvironments:\n  pip-only:\n    pip: { requirements: [a] }\napps: [apps/pip-only]\n`, path.join(FIXTURES, 'manifest.yml')).manifest;
    expect((await rejectedPackagerError(manifestEnvironments(dup))).message).toContain('Two environments are named pip-only');
  });
});
