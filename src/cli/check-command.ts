// `bin/package check APP_DIR [--zip ZIP | --manifest FILE]`: would this app
// stage from this buildpack? No staging, no network: the app is read as
// staging reads it (manifest/apps.ts), then resolved with the project's own
// resolvers against the bundle's channels and index: the zip's own (its
// repodata, simple pages and, when a wheel's metadata is needed, that wheel,
// taken from the zip one at a time), or those the manifest's lock describes
// (written to a temp dir in the zip's layout, each wheel's metadata from the lock).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_STACK, PackagerError, isPackagerError, normalizeProjectName, redactUrl, type Artifact } from '../core/index.js';
import { condaChannelEntries, escapeHtml, type ShippedFile } from '../bundle/index.js';
import { loadLock, manifestStacks, parseManifest, readApp, type CondaSection, type Environment, type LockEntry, type Manifest, type PipSection } from '../manifest/index.js';
import { openZipSource, type Source } from '../mirror/index.js';
import { readEntry } from '../mirror/source.js';
import { resolveConda } from '../resolve/conda/index.js';
import { parseRequirementsFile, resolvePypi } from '../resolve/pypi/index.js';
import { condaPythons, environmentPython, installerPythons, missingPythonError, wantedPython, type PythonSource } from './environment-python.js';
import { EXIT_RESOLVE } from './exit-codes.js';
import { loadManifestReporting } from './common.js';
import { appBuildRequirements, lockPathFor } from './lock-step.js';
import type { CommandContext } from './run.js';

/** The bundle as the resolvers see it: a directory in the zip's layout, filled as they ask. */
interface BundleView {
  dir: string;
  label: string;
  manifest: Manifest;
  /** dir under conda/ -> the upstream channel URL (redacted) it copies. */
  channels: { dir: string; url: string; subdirs: string[] }[];
  installers: PythonSource[];
  pythons: PythonSource[];
  /** Makes `name` (a zip entry path) exist under `dir`; false when the bundle has no such file. */
  ensure(name: string): Promise<boolean>;
  /** sha256 and size of a file the view knows without having it (the lock's entries). */
  digest?(name: string): { sha256: string; size: number } | undefined;
  close(): Promise<void>;
}

interface Planned {
  kind: string;
  name: string;
  version: string;
  filename: string;
}

const REPODATA = /^conda\/[^/]+\/[^/]+\/repodata\.json$/;
const MAX_PAGE = 64 << 20;

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

function readChannelsTsv(text: string): BundleView['channels'] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .map(([dir, url, subdirs]) => ({ dir: dir!, url: url!, subdirs: (subdirs ?? '').split(',').filter(Boolean) }));
}

async function pythonsInRepodata(dir: string, channels: BundleView['channels']): Promise<PythonSource[]> {
  const out: PythonSource[] = [];
  for (const c of channels) {
    for (const subdir of c.subdirs) {
      const file = path.join(dir, 'conda', c.dir, subdir, 'repodata.json');
      if (!(await exists(file))) continue;
      const repodata = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, { name?: string; version?: string }> | undefined>;
      for (const key of ['packages', 'packages.conda']) {
        for (const [fn, r] of Object.entries(repodata[key] ?? {})) if (r.name === 'python' && r.version) out.push({ label: `conda python ${r.version} (${fn})`, version: r.version, kind: 'conda' });
      }
    }
  }
  return out;
}

/** The zip's own channels and index: small files extracted at once, wheels when the resolver reads one. */
async function zipView(zip: string, dir: string): Promise<BundleView> {
  const source: Source = await openZipSource(zip);
  const write = async (name: string) => {
    const out = path.join(dir, name);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, await readEntry(source, name, 2 ** 31 - 1));
  };
  for (const name of source.entries.keys()) {
    if (name === 'manifest.yml' || name === 'conda/channels.tsv' || REPODATA.test(name) || (name.startsWith('pypi/simple/') && (source.entries.get(name)?.size ?? 0) <= MAX_PAGE)) await write(name);
  }
  if (!source.entries.has('manifest.yml')) throw new PackagerError('EBUNDLE', `Not a buildpack zip (no manifest.yml): ${zip}`, { file: zip, hint: 'give a zip written by bin/package' });
  const { manifest } = parseManifest(await readFile(path.join(dir, 'manifest.yml'), 'utf8'), path.join(dir, 'manifest.yml'));
  const channels = (await exists(path.join(dir, 'conda/channels.tsv'))) ? readChannelsTsv(await readFile(path.join(dir, 'conda/channels.tsv'), 'utf8')) : [];
  return {
    dir,
    label: zip,
    manifest,
    channels,
    installers: installerPythons(manifest, []),
    pythons: await pythonsInRepodata(dir, channels),
    async ensure(name) {
      if (await exists(path.join(dir, name))) return true;
      if (!source.entries.has(name)) return false;
      await write(name);
      return true;
    },
    close: () => source.close(),
  };
}

/** The channels and index the manifest's lock describes, in the zip's layout; each wheel's metadata from its lock entry (PEP 658 sidecars). */
async function lockView(m: Manifest, dir: string): Promise<BundleView> {
  const lockFile = lockPathFor(m);
  const lock = await loadLock(lockFile);
  if (!lock) throw new PackagerError('ELOCK', `No lock to check against: ${lockFile}`, { file: lockFile, hint: 'run `bin/package resolve` first, or give the zip with --zip' });
  const files = new Map<LockEntry, ShippedFile>(lock.artifacts.map((e) => [e, { path: '', sha256: e.sha256, size: e.size }]));
  const conda = lock.artifacts.filter((e) => e.kind === 'conda');
  // every channel with both subdirs a stack asks for, so the solver finds each repodata.json
  const channelUrls = [...new Set(conda.map((e) => e.channel ?? ''))].filter(Boolean);
  for (const entry of condaChannelEntries(conda, files, channelUrls.map((url) => ({ url, subdirs: ['linux-64', 'noarch'] })))) {
    if (!('data' in entry.source)) continue;
    await mkdir(path.dirname(path.join(dir, entry.name)), { recursive: true });
    await writeFile(path.join(dir, entry.name), entry.source.data);
  }
  const projects = new Map<string, LockEntry[]>();
  for (const e of lock.artifacts) if (e.kind === 'wheel' || e.kind === 'sdist') projects.set(normalizeProjectName(e.name), [...(projects.get(normalizeProjectName(e.name)) ?? []), e]);
  for (const [project, list] of projects) {
    await mkdir(path.join(dir, 'pypi/simple', project), { recursive: true });
    await mkdir(path.join(dir, 'pypi/files'), { recursive: true });
    const links = list.map((e) => {
      const rp = e.requires_python ? ` data-requires-python="${escapeHtml(e.requires_python)}"` : '';
      return `<a href="../../files/${escapeHtml(e.filename)}#sha256=${e.sha256}" data-dist-info-metadata="true"${rp}>${escapeHtml(e.filename)}</a>`;
    });
    await writeFile(path.join(dir, 'pypi/simple', project, 'index.html'), `<!DOCTYPE html>\n<html><body>\n${links.join('\n')}\n</body></html>\n`);
    for (const e of list) {
      const md = [`Metadata-Version: 2.1`, `Name: ${e.name}`, `Version: ${e.version}`, ...(e.requires_python ? [`Requires-Python: ${e.requires_python}`] : []), ...e.depends.map((d) => `Requires-Dist: ${d}`)];
      await writeFile(path.join(dir, 'pypi/files', `${e.filename}.metadata`), md.join('\n') + '\n');
    }
  }
  const channels = (await exists(path.join(dir, 'conda/channels.tsv'))) ? readChannelsTsv(await readFile(path.join(dir, 'conda/channels.tsv'), 'utf8')) : [];
  return {
    dir,
    label: lockFile,
    manifest: m,
    channels,
    installers: installerPythons(m, lock.artifacts.filter((e) => e.kind === 'installer')),
    pythons: condaPythons(conda),
    ensure: async (name) => exists(path.join(dir, name)),
    digest: (name) => lock.artifacts.find((e) => `pypi/files/${e.filename}` === name),
    close: async () => undefined,
  };
}

/** A document of the bundle; anything else is "not found", as staging finds no network. */
function bundleFetch(view: BundleView, ctx: CommandContext) {
  const notFound = (url: string) => new PackagerError('EHTTP', `Not in the bundle: ${redactUrl(url)}`, { status: 404, url: redactUrl(url) });
  return async (url: string): Promise<{ path: string; url: string; contentType?: string }> => {
    if (!/^file:/i.test(url)) {
      ctx.reporter.warn(`check reads only the bundle (staging has no network): ${redactUrl(url)} is not asked`);
      throw notFound(url);
    }
    const file = fileURLToPath(url) + (url.endsWith('/') ? 'index.html' : '');
    const rel = path.relative(view.dir, file);
    if (rel.startsWith('..') || !(await view.ensure(rel.split(path.sep).join('/')))) throw notFound(url);
    return { path: file, url, contentType: file.endsWith('.html') ? 'text/html' : undefined };
  };
}

/** The top-level requirements whose project the bundle's index lacks, every one of them. */
async function missingProjects(env: Environment, appDir: string, view: BundleView): Promise<string[]> {
  const out: string[] = [];
  for (const f of (env.pip?.files ?? []).filter((x) => x.endsWith('.txt'))) {
    const parsed = await parseRequirementsFile(path.resolve(appDir, f), { readText: (p) => readFile(p, 'utf8'), env: process.env }).catch(() => undefined);
    for (const l of parsed?.requirements ?? []) {
      const key = normalizeProjectName(l.requirement.name);
      if (!(await view.ensure(`pypi/simple/${key}/index.html`))) out.push(`pip package ${l.requirement.name} (${path.basename(l.file)} line ${l.line}) is not in the bundle`);
    }
  }
  return out;
}

function messageOf(err: unknown): string {
  if (!isPackagerError(err)) throw err;
  const problems = err.details.problems as string[] | undefined;
  return problems?.length ? problems.join('\n') : err.message;
}

/** Checks one app against a zip or a manifest's lock; exit 0 when it would stage, 4 with every problem when not. */
export async function checkCommand(appDir: string, o: { zip?: string; manifest?: string }, ctx: CommandContext): Promise<number> {
  if (!(await stat(appDir).catch(() => undefined))?.isDirectory()) {
    throw new PackagerError('EUSAGE', `Not an app directory: ${appDir}`, { hint: 'give the directory you would `cf push`' });
  }
  if (o.zip && o.manifest) throw new PackagerError('EUSAGE', 'Give either --zip or --manifest, not both', { hint: 'check against a packaged zip, or against the lock of the manifest it is packaged from' });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bp-check-'));
  let view: BundleView | undefined;
  try {
    view = o.zip ? await zipView(o.zip, dir) : await lockView((await loadManifestReporting(o.manifest, ctx.reporter)).manifest, dir);
    const channelUrl = (c: BundleView['channels'][number]) => pathToFileURL(path.join(dir, 'conda', c.dir)).href;
    const top: { conda?: CondaSection; pip?: PipSection } = {
      conda: { channels: view.channels.map(channelUrl), subdirs: [...new Set(view.channels.flatMap((c) => c.subdirs))], specs: [], files: [] },
      pip: { index_url: pathToFileURL(path.join(dir, 'pypi/simple')).href, extra_index_urls: [], find_links: [], python_version: view.manifest.pip?.python_version ?? wantedPython({ name: '' }), requirements: [], files: [] },
    };
    const app = await readApp(path.resolve(appDir), '.', top);
    for (const n of app.notes) ctx.reporter.info(n);
    const env = app.env;
    const stacks = view.manifest.stack ? [view.manifest.stack] : manifestStacks(view.manifest).slice(0, 1);
    if (!stacks.length) stacks.push(DEFAULT_STACK);
    const fetchDocument = bundleFetch(view, ctx);
    const problems: string[] = [];
    const install: Planned[] = [];

    let conda: LockEntry[] = [];
    let pipFromConda: string[] = [];
    if (env.conda) {
      const v = view;
      try {
        const r = await resolveConda(
          { conda: env.conda, stacks, manifestDir: path.resolve(appDir), bundled: { channelCopy: (url) => v.channels.find((c) => c.url === url.replace(/\/+$/, '')) && channelUrl(v.channels.find((c) => c.url === url.replace(/\/+$/, ''))!) } },
          { fetchDocument, logger: ctx.reporter },
        );
        conda = r.entries;
        pipFromConda = r.pipRequirements;
      } catch (err) {
        problems.push(messageOf(err));
      }
    }
    install.push(...conda.map((e) => ({ kind: 'conda', name: e.name, version: e.version, filename: e.filename })));
    const python = environmentPython(env, conda, view.installers, view.pythons);
    if (!python) problems.push(missingPythonError([env], view.installers, view.pythons).message);

    const missing = await missingProjects(env, appDir, view);
    problems.push(...missing);
    if (env.pip && !missing.length && (env.pip.files.length || pipFromConda.length)) {
      try {
        const dists = await resolvePypi(
          { pip: { ...env.pip, python_version: python?.markerVersion ?? wantedPython(env) }, stacks, manifestDir: path.resolve(appDir), extraRequirements: pipFromConda },
          { fetchDocument, fetchFile: (a) => bundleFile(a, view!, fetchDocument), logger: ctx.reporter },
        );
        install.push(...dists.map((e) => ({ kind: e.kind, name: e.name, version: e.version, filename: e.filename })));
      } catch (err) {
        problems.push(messageOf(err));
      }
    }

    // an app that is a project is built at staging with its backend from the bundle's index
    const build = await appBuildRequirements(env, path.resolve(appDir)).catch((err: unknown) => void problems.push(messageOf(err)));
    if (build && env.pip) {
      try {
        const dists = await resolvePypi(
          { pip: { ...env.pip, python_version: python?.markerVersion ?? wantedPython(env), requirements: build.requires, files: [] }, stacks, manifestDir: path.resolve(appDir) },
          { fetchDocument, fetchFile: (a) => bundleFile(a, view!, fetchDocument), logger: ctx.reporter },
        );
        install.push(...dists.map((e) => ({ kind: 'build', name: e.name, version: e.version, filename: e.filename })));
      } catch (err) {
        problems.push(`The build backend of the app's project (${build.from}: ${build.requires.join(', ')}): ${messageOf(err)}`);
      }
    }

    const ok = problems.length === 0;
    if (ctx.json) {
      process.stdout.write(JSON.stringify({ ok, app: appDir, bundle: view.label, python: python ? { version: python.markerVersion, from: python.source.label } : null, install: ok ? install : [], problems }, null, 2) + '\n');
    } else if (ok) {
      process.stdout.write(`${appDir} would stage from ${view.label} with Python ${python!.markerVersion} (${python!.source.label}):\n`);
      for (const p of install) process.stdout.write(`  ${p.kind.padEnd(6)} ${p.name} ${p.version} (${p.filename})\n`);
    } else {
      process.stdout.write(`${appDir} would not stage from ${view.label}:\n`);
      for (const p of problems) process.stdout.write(`  ${p.split('\n').join('\n  ')}\n`);
    }
    return ok ? 0 : EXIT_RESOLVE;
  } finally {
    await view?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A wheel of the bundle, with its digest (the resolver reads its metadata). */
async function bundleFile(a: Artifact, view: BundleView, fetchDocument: (url: string) => Promise<{ path: string }>): Promise<{ path: string; sha256: string; size: number }> {
  const known = /^file:/i.test(a.url) ? view.digest?.(path.relative(view.dir, fileURLToPath(a.url)).split(path.sep).join('/')) : undefined;
  if (known) return { path: '', sha256: known.sha256, size: known.size };
  const { path: file } = await fetchDocument(a.url);
  const bytes = await readFile(file);
  return { path: file, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}
