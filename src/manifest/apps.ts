// An app directory read as staging reads it (bin/lib/app.sh, docs/APP-DEVELOPERS.md),
// turned into an environment: `apps:` in the manifest and `bin/package check`
// use this one reader. APP_FILES is the single table of what is read: for each
// role the first file that exists wins, in the order staging applies.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackagerError } from '../core/errors.js';
import { isPlainName, PLAIN_NAME_RULE } from '../core/plain-name.js';
import { DEFAULT_PIP_INDEX_URL, DEFAULT_PIP_PYTHON_VERSION, DEFAULT_CONDA_SUBDIRS } from './manifest.js';
import type { CondaSection, Environment, Manifest, PipSection } from './types.js';

/** conda: the file that decides the conda packages; pip: the requirements; python: the Python version. */
export type AppFileRole = 'conda' | 'pip' | 'python';

/** Staging's precedence: a lock is exact, so it beats specs; the first file of each role that exists is read. */
export const APP_FILES: readonly { file: string; role: AppFileRole }[] = [
  { file: 'conda-lock.yml', role: 'conda' },
  { file: 'conda-linux-64.lock', role: 'conda' },
  { file: 'conda-requirements.txt', role: 'conda' },
  { file: 'environment.yml', role: 'conda' },
  { file: 'environment.yaml', role: 'conda' },
  // a Python lock file is a complete environment, so it beats requirements.txt
  { file: 'pylock.toml', role: 'pip' },
  { file: 'uv.lock', role: 'pip' },
  { file: 'poetry.lock', role: 'pip' },
  { file: 'Pipfile.lock', role: 'pip' },
  { file: 'requirements.txt', role: 'pip' },
  { file: 'runtime.txt', role: 'python' },
  { file: '.python-version', role: 'python' },
];

/** What makes the app a project pip installs itself (`pip install -e .`), as staging checks (APP_PROJECT_FILES in bin/lib/app.sh). */
export const PROJECT_FILES = ['pyproject.toml', 'setup.py'] as const;

export interface AppInputs {
  env: Environment;
  /** The files read, by role (paths relative to the base directory). */
  files: Partial<Record<AppFileRole, string>>;
  /** Things staging does that the bundle cannot prepare for (vendor/, a project without requirements). */
  notes: string[];
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * runtime.txt / .python-version as staging reads them (bin/lib/app.sh): the
 * first line that is no comment; `python-3.11.7`, `Python-3.11.x`, `3.11`,
 * `cpython@3.11` -> `3.11.7` / `3.11`; undefined when no line names anything.
 */
export function runtimePython(text: string, file: string): string | undefined {
  const first = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').replace(/\s+/g, ''))
    .find((l) => l !== '');
  if (first === undefined) return undefined;
  const line = first.toLowerCase().replace(/^cpython[@-]/, '').replace(/^python-?/, '').replace(/\.(x|\*)$/, '');
  if (!/^\d+\.\d+(\.\d+)?$/.test(line)) {
    throw new PackagerError('EINPUT', `${path.basename(file)} must name a CPython version like python-3.11.7, 3.11.x or 3.11, found: ${text.slice(0, 80)}`, {
      file,
      hint: 'write python-3.11.x (any 3.11) or python-3.11.7 (exactly)',
    });
  }
  return line;
}

/**
 * Reads the app at `dir` (relative to `baseDir`) into an environment named
 * after the directory. Where packages come from (channels, index) is taken
 * from `top`, the manifest's top-level sections.
 */
export async function readApp(baseDir: string, dir: string, top: { conda?: CondaSection; pip?: PipSection }, name = path.basename(path.resolve(baseDir, dir))): Promise<AppInputs> {
  const root = path.resolve(baseDir, dir);
  if (!(await isDir(root))) {
    throw new PackagerError('EMANIFEST', `The app directory does not exist: ${dir}`, { file: root, key: 'apps', hint: 'apps: lists directories relative to the manifest' });
  }
  const files: AppInputs['files'] = {};
  let python: string | undefined;
  for (const f of APP_FILES) {
    if (files[f.role] !== undefined || !(await isFile(path.join(root, f.file)))) continue;
    // the Python comes from the first file that names one
    if (f.role === 'python' && (python = runtimePython(await readFile(path.join(root, f.file), 'utf8'), path.join(root, f.file))) === undefined) continue;
    files[f.role] = path.join(dir, f.file);
  }
  const notes: string[] = [];
  if (files.pip && path.basename(files.pip) === 'requirements.txt' && (await isDir(path.join(root, 'vendor')))) {
    notes.push(`${dir}: requirements.txt is installed from vendor/ at staging, not from the bundle`);
    delete files.pip;
  }
  const projectFiles: string[] = [];
  for (const f of PROJECT_FILES) if (await isFile(path.join(root, f))) projectFiles.push(path.join(dir, f));
  if (!files.pip && !files.conda && projectFiles.length) {
    notes.push(`${dir}: the project itself (setup.py / pyproject.toml) is installed at staging with its build backend from the bundle; list its dependencies in requirements.txt to bundle them`);
  }
  const conda: CondaSection | undefined = files.conda
    ? { channels: top.conda?.channels ?? [], subdirs: top.conda?.subdirs ?? [...DEFAULT_CONDA_SUBDIRS], specs: [], files: [files.conda], ...(top.conda?.channel_alias ? { channel_alias: top.conda.channel_alias } : {}) }
    : undefined;
  const pip: PipSection = {
    index_url: top.pip?.index_url ?? DEFAULT_PIP_INDEX_URL,
    extra_index_urls: top.pip?.extra_index_urls ?? [],
    find_links: top.pip?.find_links ?? [],
    python_version: python ?? top.pip?.python_version ?? DEFAULT_PIP_PYTHON_VERSION,
    ...(top.pip?.platforms ? { platforms: top.pip.platforms } : {}),
    requirements: [],
    files: files.pip ? [files.pip] : [],
  };
  return { env: { name, ...(conda ? { conda } : {}), pip, app: dir, ...(projectFiles.length ? { project_files: projectFiles } : {}) }, files, notes };
}

/** Every environment of the manifest: `default`, `environments:`, then one per `apps:` entry. */
export async function manifestEnvironments(m: Manifest): Promise<Environment[]> {
  const out = [...m.environments];
  const dir = path.dirname(m.path);
  for (const app of m.apps) {
    const { env } = await readApp(dir, app, { conda: m.conda, pip: m.pip });
    if (!isPlainName(env.name)) {
      throw new PackagerError('EMANIFEST', `The app directory ${app} cannot name an environment: ${JSON.stringify(env.name)}`, { file: m.path, key: 'apps', hint: `name the directory with ${PLAIN_NAME_RULE}` });
    }
    if (out.some((e) => e.name === env.name)) {
      throw new PackagerError('EMANIFEST', `Two environments are named ${env.name} (apps: ${app})`, { file: m.path, key: 'apps', hint: 'environment names (and app directory names) must be unique' });
    }
    out.push(env);
  }
  return out;
}
