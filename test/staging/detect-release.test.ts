// bin/detect and bin/release: what Cloud Foundry calls before and after staging.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { runScript } from './run-script.js';

async function app(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('detect-app-');
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

const env = { PATH: process.env.PATH, HOME: '/nonexistent' };

describe('bin/detect', () => {
  const matches = [
    'environment.yml', 'environment.yaml', 'conda-requirements.txt', 'conda-lock.yml', 'conda-linux-64.lock',
    'pylock.toml', 'uv.lock', 'poetry.lock', 'Pipfile.lock', 'requirements.txt', 'setup.py', 'pyproject.toml',
  ];
  for (const f of matches) {
    it(`accepts an app with ${f} and prints the buildpack name and version`, async () => {
      const r = await runScript(path.join(ROOT, 'bin/detect'), [await app({ [f]: '' })], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`python_buildpack ${(await import('node:fs')).readFileSync(path.join(ROOT, 'VERSION'), 'utf8').trim()}\n`);
    });
  }
  const rejected: Array<Record<string, string>> = [{}, { 'package.json': '{}' }, { Pipfile: '' }, { 'sub/requirements.txt': '' }, { 'runtime.txt': 'python-3.11.7' }, { '.python-version': '3.11' }];
  for (const files of rejected) {
    it(`rejects an app with only ${JSON.stringify(Object.keys(files))} (exit 1, nothing printed)`, async () => {
      const r = await runScript(path.join(ROOT, 'bin/detect'), [await app(files)], { env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    });
  }
});

describe('bin/release', () => {
  it("takes the web process from the app's Procfile", async () => {
    const r = await runScript(path.join(ROOT, 'bin/release'), [await app({ Procfile: 'worker: celery\r\nweb:   gunicorn app:app --bind 0.0.0.0:$PORT  \n' })], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("---\ndefault_process_types:\n  web: 'gunicorn app:app --bind 0.0.0.0:$PORT'\n");
  });

  it('quotes a command with YAML-special characters so it parses back unchanged', async () => {
    const cmd = `python -c 'print("a: #b")' # it's`;
    const r = await runScript(path.join(ROOT, 'bin/release'), [await app({ Procfile: `web: ${cmd}\n` })], { env });
    const yaml = await import('js-yaml');
    expect(yaml.load(r.stdout)).toEqual({ default_process_types: { web: cmd } });
  });

  it('declares no process types without a Procfile', async () => {
    const r = await runScript(path.join(ROOT, 'bin/release'), [await app({ 'requirements.txt': '' })], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('---\ndefault_process_types: {}\n');
  });
});
