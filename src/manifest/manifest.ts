// manifest.yml: Cloud Foundry's keys (both packagers' schemas: the Ruby gem's
// kwalify schema lib/buildpack/packager/manifest_schema.yml and libbuildpack's
// packager/models.go) plus this buildpack's resolved sections `miniconda:`,
// `conda:` and `pip:` (docs/MANIFEST.md). Validation reports every problem
// with its key path and line/column; unknown top-level keys only warn.
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { PackagerError } from '../core/errors.js';
import { isHexDigest } from '../core/integrity.js';
import { isPlainName, PLAIN_NAME_RULE } from '../core/plain-name.js';
import { FieldReader, isMapping, preview } from './fields.js';
import { versionMatches } from './version-pattern.js';
import { PositionIndex, childPath, loadYamlSource, readYamlFile } from './yaml-source.js';
import type {
  CondaSection,
  DefaultVersion,
  Dependency,
  DeprecationDate,
  Environment,
  Manifest,
  ManifestWarning,
  MinicondaSpec,
  PackagingProfile,
  PipSection,
  Position,
  UrlToDependency,
} from './types.js';

/** Top-level keys this packager understands; anything else is warned about. */
export const KNOWN_TOP_LEVEL_KEYS = [
  'language',
  'stack',
  'default_versions',
  'dependency_deprecation_dates',
  'dependencies',
  'include_files',
  'exclude_files',
  'pre_package',
  'url_to_dependency_map',
  'packaging_profiles',
  'miniconda',
  'conda',
  'pip',
  'environments',
  'apps',
] as const;

/** Name of the environment the top-level `conda:`/`pip:` sections form. */
export const DEFAULT_ENVIRONMENT = 'default';
const ENVIRONMENT_KEYS = ['conda', 'pip'];

export const DEFAULT_CONDA_SUBDIRS = ['linux-64', 'noarch'];
export const DEFAULT_PIP_INDEX_URL = 'https://pypi.org/simple';
export const DEFAULT_PIP_PYTHON_VERSION = '3.11';
/** libbuildpack's rule for packaging profile names. */
export const PROFILE_NAME = /^[a-z0-9_-]+$/;

const MINICONDA_KEYS = ['flavor', 'version', 'cf_stacks', 'index_url', 'python'];
const CONDA_KEYS = ['channels', 'subdirs', 'specs', 'files', 'channel_alias'];
const PIP_KEYS = ['index_url', 'extra_index_urls', 'find_links', 'python_version', 'platforms', 'requirements', 'files', 'require_wheels'];
const PROFILE_KEYS = ['description', 'exclude'];
const FLAVORS: MinicondaSpec['flavor'][] = ['Miniconda3', 'Miniforge3'];

// Positions stay out of the Manifest type (a plain data contract) but remain
// reachable for later checks (packaging target, resolvers) through this map.
const origins = new WeakMap<Manifest, { file: string; index: PositionIndex }>();

/** Line/column of `key` (`conda.specs[2]`) in the file `m` was parsed from. */
export function manifestPosition(m: Manifest, key: string): Position | undefined {
  return origins.get(m)?.index.valueAt(key);
}

/** A FieldReader over the file `m` came from, for checks made after parsing. */
export function manifestReader(m: Manifest): FieldReader {
  const origin = origins.get(m);
  return new FieldReader(origin?.file ?? m.path, origin?.index ?? new PositionIndex());
}

/** Reads and validates a manifest file. Throws EMANIFEST when it is missing or invalid. */
export async function loadManifest(file: string): Promise<{ manifest: Manifest; warnings: ManifestWarning[] }> {
  let text: string;
  try {
    text = await readYamlFile(file, 'EMANIFEST');
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PackagerError(
      'EMANIFEST',
      code === 'ENOENT' ? `Could not find manifest: ${file}` : `Could not read manifest: ${file}: ${(err as Error).message}`,
      { file, hint: 'Run from the buildpack directory or pass --manifest FILE.' },
      { cause: err },
    );
  }
  return parseManifest(text, file);
}

/** Parses and validates manifest text; `file` names it in errors and anchors relative paths. */
export function parseManifest(text: string, file: string): { manifest: Manifest; warnings: ManifestWarning[] } {
  const { value, index } = loadYamlSource(text, file, 'EMANIFEST');
  const r = new FieldReader(file, index);
  if (!isMapping(value)) {
    const what = value === undefined || value === null ? 'empty' : `a ${Array.isArray(value) ? 'list' : typeof value}`;
    throw new PackagerError('EMANIFEST', `${file}: the manifest must be a YAML mapping (language:, dependencies:, ...), but it is ${what}`, {
      file,
      hint: 'Start from the example in docs/MANIFEST.md or the upstream python-buildpack manifest.yml.',
    });
  }
  const raw = value;
  const warnings: ManifestWarning[] = [];
  for (const key of Object.keys(raw)) {
    if ((KNOWN_TOP_LEVEL_KEYS as readonly string[]).includes(key)) continue;
    const meant = misspeltSection(key);
    if (meant === undefined) warnings.push(warnUnknown(r, key, 'top-level key'));
    else
      r.problem(key, `unknown top-level key: did you mean \`${meant}:\`?`, {
        at: 'key',
        wanted: meant,
        found: key,
        hint: `Rename \`${key}:\` to \`${meant}:\` (as it is, the zip would ship without that section).`,
      });
  }

  if (raw.language === undefined) {
    r.problem('language', 'missing required key', {
      at: 'key',
      hint: 'Add `language: python` (it names the zip: <language>_buildpack-v<version>.zip).',
    });
  }
  const language = raw.language === undefined ? undefined : r.string(raw.language, 'language', true);
  if (language !== undefined && !isPlainName(language)) {
    r.problem('language', `must be a plain name, as it names the zip (<language>_buildpack-v<version>.zip): ${JSON.stringify(language)}`, {
      hint: `Use ${PLAIN_NAME_RULE}, e.g. \`language: python\`.`,
    });
  }
  const stack = r.string(raw.stack, 'stack');

  const dependencies: Dependency[] = [];
  const depList = r.list(raw.dependencies, 'dependencies') ?? [];
  const before = r.problems.length;
  depList.forEach((item, i) => {
    const d = readDependency(r, item, childPath('dependencies', i), stack);
    if (d) dependencies.push(d);
  });
  const dependenciesValid = r.problems.length === before;

  const default_versions = readDefaultVersions(r, raw.default_versions, dependencies, dependenciesValid);
  const dependency_deprecation_dates = readDeprecationDates(r, raw.dependency_deprecation_dates);
  const url_to_dependency_map = readUrlMap(r, raw.url_to_dependency_map);
  const include_files = r.stringList(raw.include_files, 'include_files');
  const exclude_files = r.stringList(raw.exclude_files, 'exclude_files');
  if (include_files && exclude_files) {
    r.problem('exclude_files', 'use either include_files (allow-list) or exclude_files (deny-list), not both', {
      at: 'key',
      hint: 'Keep include_files (libbuildpack style) and delete exclude_files, or the other way round.',
    });
  }
  const pre_package = r.string(raw.pre_package, 'pre_package');
  const miniconda = readMiniconda(r, raw.miniconda, stack, warnings);
  const packaging_profiles = readProfiles(r, raw.packaging_profiles, dependencies, miniconda, dependenciesValid, warnings);
  const conda = readConda(r, raw.conda, warnings, 'conda');
  const pip = readPip(r, raw.pip, warnings, 'pip');
  const apps = readApps(r, raw.apps);
  const environments = readEnvironments(r, raw.environments, { conda, pip }, apps.length > 0, warnings);

  r.throwIfAny('EMANIFEST');

  const manifest: Manifest = {
    language: language!,
    ...(stack !== undefined ? { stack } : {}),
    default_versions,
    dependency_deprecation_dates,
    dependencies,
    ...(include_files ? { include_files } : {}),
    ...(exclude_files ? { exclude_files } : {}),
    ...(pre_package !== undefined ? { pre_package } : {}),
    url_to_dependency_map,
    packaging_profiles,
    miniconda,
    ...(conda ? { conda } : {}),
    ...(pip ? { pip } : {}),
    environments,
    apps,
    raw,
    path: path.resolve(file),
  };
  origins.set(manifest, { file, index });
  return { manifest, warnings };
}

/**
 * Sections of this packager that a typo would silently empty (their packages left out of
 * the zip). A foreign key (Cloud Foundry's rule: unknown keys only warn) is told apart
 * from a misspelling by edit distance: at most 2, and at most 1 for the three-letter
 * `pip` (two edits would catch `api`, `id`, `vip`).
 */
const TYPO_GUARDED_SECTIONS = ['miniconda', 'conda', 'pip', 'environments', 'apps'];

/** The section `key` misspells (case-insensitive), or undefined for a foreign key. */
function misspeltSection(key: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of TYPO_GUARDED_SECTIONS) {
    if (key === name) continue;
    const d = distance(key.toLowerCase(), name);
    if (d <= Math.min(2, name.length - 2) && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** A warning for an unknown key; the reporter prints its location, once. */
function warnUnknown(r: FieldReader, key: string, what: string): ManifestWarning {
  const pos = r.index.keyAt(key);
  return { message: `unknown ${what}, ignored`, key, line: pos?.line, column: pos?.column };
}

function warnUnknownKeys(r: FieldReader, obj: Record<string, unknown>, base: string, known: string[], warnings: ManifestWarning[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) warnings.push(warnUnknown(r, childPath(base, k), `key (known: ${known.join(', ')})`));
  }
}

/** Writes the string form of a number back into the raw document, so a rewrite keeps `1.0`. */
function keepSpelling(obj: Record<string, unknown>, key: string, value: string | undefined): void {
  if (value !== undefined && typeof obj[key] === 'number') obj[key] = value;
}

function readDependency(r: FieldReader, item: unknown, key: string, stack: string | undefined): Dependency | undefined {
  const d = r.mapping(item, key, true);
  if (!d) return undefined;
  const before = r.problems.length;
  const name = r.string(d.name, childPath(key, 'name'), true);
  const version = r.string(d.version, childPath(key, 'version'), true);
  keepSpelling(d, 'version', version);
  const label = name ? `${name}${version ? ` ${version}` : ''}` : key;

  let uri: string | undefined;
  if (d.uri === undefined || d.uri === null) {
    r.problem(childPath(key, 'uri'), `dependency ${label} has no uri`, {
      at: 'key',
      hint: 'Add the download URL as `uri:` (https://, http:// or file://).',
    });
  } else {
    uri = r.string(d.uri, childPath(key, 'uri'), true);
  }

  const sha256 = readDigest(r, d.sha256, childPath(key, 'sha256'), 'sha256');
  const md5 = readDigest(r, d.md5, childPath(key, 'md5'), 'md5');
  if (d.sha256 === undefined && d.md5 === undefined) {
    r.problem(key, `dependency ${label} has no checksum: add sha256 (or the legacy md5)`, {
      hint: 'Add `sha256: <64 hex>`: the upstream publishes it, or compute it with `sha256sum <file>`.',
    });
  }

  let cf_stacks: string[] | undefined;
  if (d.cf_stacks === undefined) {
    // A packaged manifest drops cf_stacks: its top-level `stack:` says it all.
    if (stack !== undefined) cf_stacks = [stack];
    else r.problem(childPath(key, 'cf_stacks'), `dependency ${label} has no cf_stacks`, { at: 'key', hint: 'List the stacks it runs on, e.g. `cf_stacks: [cflinuxfs4]`.' });
  } else if (!Array.isArray(d.cf_stacks)) {
    r.problem(childPath(key, 'cf_stacks'), `cf_stacks must be a list of stack names, got ${d.cf_stacks === null ? 'nothing' : `a ${typeof d.cf_stacks}: ${preview(d.cf_stacks)}`}`, {
      wanted: 'a list',
      found: preview(d.cf_stacks),
      hint: typeof d.cf_stacks === 'string' ? `Write it as a list: \`cf_stacks: [${d.cf_stacks}]\`.` : 'Write it as a list, e.g. `cf_stacks: [cflinuxfs4]`.',
    });
  } else {
    cf_stacks = r.stringList(d.cf_stacks, childPath(key, 'cf_stacks'));
  }
  const source = r.string(d.source, childPath(key, 'source'));
  const source_sha256 = r.string(d.source_sha256, childPath(key, 'source_sha256'));
  const file = r.string(d.file, childPath(key, 'file'));
  if (r.problems.length !== before) return undefined;
  return {
    name: name!,
    version: version!,
    uri: uri!,
    ...(sha256 !== undefined ? { sha256 } : {}),
    ...(md5 !== undefined ? { md5 } : {}),
    cf_stacks: cf_stacks!,
    ...(source !== undefined ? { source } : {}),
    ...(source_sha256 !== undefined ? { source_sha256 } : {}),
    ...(file !== undefined ? { file } : {}),
    raw: d,
  };
}

function readDigest(r: FieldReader, v: unknown, key: string, algorithm: 'sha256' | 'md5'): string | undefined {
  if (v === undefined) return undefined;
  const s = r.string(v, key, true);
  if (s === undefined) return undefined;
  if (!isHexDigest(s, algorithm)) {
    const len = algorithm === 'sha256' ? 64 : 32;
    r.problem(key, `not ${algorithm === 'sha256' ? 'a sha256' : 'an md5'} digest (${len} hexadecimal characters): ${preview(s)}`, {
      wanted: `${len} hexadecimal characters`,
      found: `${s.length} characters${/^[0-9a-fA-F]*$/.test(s) ? '' : ', not all hexadecimal'}`,
      hint: `Copy the ${algorithm} the upstream publishes, or compute it with \`${algorithm}sum <file>\`.`,
    });
    return undefined;
  }
  return s.toLowerCase();
}

function readDefaultVersions(r: FieldReader, v: unknown, deps: Dependency[], checkAgainstDeps: boolean): DefaultVersion[] {
  const out: DefaultVersion[] = [];
  const list = r.list(v, 'default_versions') ?? [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const key = childPath('default_versions', i);
    const m = r.mapping(item, key, true);
    if (!m) return;
    const name = r.string(m.name, childPath(key, 'name'), true);
    const version = r.string(m.version, childPath(key, 'version'), true);
    keepSpelling(m, 'version', version);
    if (name === undefined || version === undefined) return;
    // Wording from the Ruby gem's manifest_validator.rb, which users grep for.
    if (seen.has(name)) {
      r.problem(key, `${name} had more than one 'default_versions' entry in the buildpack manifest.`, {
        hint: `Keep one default_versions entry for ${name}.`,
      });
      return;
    }
    seen.add(name);
    if (checkAgainstDeps && !deps.some((d) => d.name === name && versionMatches(version, d.version))) {
      const have = deps.filter((d) => d.name === name).map((d) => d.version);
      r.problem(
        key,
        `a 'default_versions' entry for ${name} ${version} was specified by the buildpack manifest, but no 'dependencies' entry for ${name} ${version} was found in the buildpack manifest.`,
        {
          wanted: `${name} ${version}`,
          found: have.length ? `${name} ${[...new Set(have)].join(', ')}` : `no dependency named ${name}`,
          hint: 'Point default_versions at a version listed under dependencies (wildcards like 3.10.x are allowed).',
        },
      );
    }
    out.push({ name, version });
  });
  return out;
}

function readDate(r: FieldReader, v: unknown, key: string): string | undefined {
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  const s = r.string(v, key, true);
  if (s === undefined) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:[Tt ][0-9:.]+(?:[Zz]|[-+]\d{1,2}(?::?\d{2})?)?)?$/.exec(s.trim());
  if (!m) {
    r.problem(key, `expected a date (YYYY-MM-DD), got: ${preview(s)}`, { wanted: 'YYYY-MM-DD', found: s });
    return undefined;
  }
  return m[1];
}

function readDeprecationDates(r: FieldReader, v: unknown): DeprecationDate[] {
  const out: DeprecationDate[] = [];
  (r.list(v, 'dependency_deprecation_dates') ?? []).forEach((item, i) => {
    const key = childPath('dependency_deprecation_dates', i);
    const m = r.mapping(item, key, true);
    if (!m) return;
    const name = r.string(m.name, childPath(key, 'name'), true);
    const version_line = r.string(m.version_line, childPath(key, 'version_line'), true);
    keepSpelling(m, 'version_line', version_line);
    const date = readDate(r, m.date, childPath(key, 'date'));
    const link = r.string(m.link, childPath(key, 'link'));
    const match = r.string(m.match, childPath(key, 'match'));
    if (name === undefined || version_line === undefined || date === undefined) return;
    out.push({ name, version_line, date, ...(link !== undefined ? { link } : {}), ...(match !== undefined ? { match } : {}) });
  });
  return out;
}

function readUrlMap(r: FieldReader, v: unknown): UrlToDependency[] {
  const out: UrlToDependency[] = [];
  (r.list(v, 'url_to_dependency_map') ?? []).forEach((item, i) => {
    const key = childPath('url_to_dependency_map', i);
    const m = r.mapping(item, key, true);
    if (!m) return;
    const match = r.string(m.match, childPath(key, 'match'), true);
    const name = r.string(m.name, childPath(key, 'name'), true);
    const version = r.string(m.version, childPath(key, 'version'), true);
    keepSpelling(m, 'version', version);
    if (match === undefined || name === undefined || version === undefined) return;
    out.push({ match, name, version });
  });
  return out;
}

function readUrl(r: FieldReader, v: unknown, key: string, required = false): string | undefined {
  const s = r.string(v, key, required);
  if (s === undefined) return undefined;
  try {
    new URL(s);
  } catch {
    r.problem(key, `not a URL: ${preview(s)}`, { hint: 'Write a full URL such as https://conda.anaconda.org/conda-forge.' });
    return undefined;
  }
  return s;
}

function readMiniconda(r: FieldReader, v: unknown, stack: string | undefined, warnings: ManifestWarning[]): MinicondaSpec[] {
  const out: MinicondaSpec[] = [];
  (r.list(v, 'miniconda') ?? []).forEach((item, i) => {
    const key = childPath('miniconda', i);
    const m = r.mapping(item, key, true);
    if (!m) return;
    warnUnknownKeys(r, m, key, MINICONDA_KEYS, warnings);
    const flavorText = r.string(m.flavor, childPath(key, 'flavor'), true);
    const flavor = FLAVORS.find((f) => f.toLowerCase() === flavorText?.toLowerCase());
    if (flavorText !== undefined && !flavor) {
      r.problem(childPath(key, 'flavor'), `unknown installer flavor: ${flavorText}`, { wanted: FLAVORS.join(' or '), found: flavorText });
    }
    const version = r.string(m.version, childPath(key, 'version'), true);
    keepSpelling(m, 'version', version);
    let cf_stacks: string[] | undefined;
    if (m.cf_stacks === undefined && stack !== undefined) cf_stacks = [stack];
    else cf_stacks = r.stringList(m.cf_stacks, childPath(key, 'cf_stacks'), true);
    const index_url = readUrl(r, m.index_url, childPath(key, 'index_url'));
    const python = r.string(m.python, childPath(key, 'python'));
    keepSpelling(m, 'python', python);
    if (python !== undefined && !/^\d+\.\d+\.\d+$/.test(python)) {
      r.problem(childPath(key, 'python'), `expected the installer's base Python exactly, like "3.11.7", got: ${preview(python)}`, { hint: 'Quote it; leave it out when unknown (the pyXY tag of the name is used).' });
    }
    if (!flavor || version === undefined || !cf_stacks) return;
    out.push({ flavor, version, cf_stacks, ...(index_url !== undefined ? { index_url } : {}), ...(python !== undefined ? { python } : {}) });
  });
  return out;
}

function readProfiles(
  r: FieldReader,
  v: unknown,
  deps: Dependency[],
  miniconda: MinicondaSpec[],
  checkAgainstDeps: boolean,
  warnings: ManifestWarning[],
): Record<string, PackagingProfile> {
  const out: Record<string, PackagingProfile> = {};
  const profiles = r.mapping(v, 'packaging_profiles');
  if (!profiles) return out;
  const names = new Set([...deps.map((d) => d.name), ...miniconda.map((s) => s.flavor.toLowerCase())]);
  for (const [name, body] of Object.entries(profiles)) {
    const key = childPath('packaging_profiles', name);
    // Wording from libbuildpack's packager README (selective packaging).
    if (!PROFILE_NAME.test(name)) {
      r.problem(key, `profile name "${name}" is invalid: must match ${PROFILE_NAME.source}`, { at: 'key' });
      continue;
    }
    const m = r.mapping(body, key, true);
    if (!m) continue;
    warnUnknownKeys(r, m, key, PROFILE_KEYS, warnings);
    const description = r.string(m.description, childPath(key, 'description'));
    const exclude = r.stringList(m.exclude, childPath(key, 'exclude')) ?? [];
    if (checkAgainstDeps) {
      exclude.forEach((dep, i) => {
        if (!names.has(dep)) r.problem(childPath(childPath(key, 'exclude'), i), `profile "${name}" references unknown dependency "${dep}"`);
      });
    }
    out[name] = { ...(description !== undefined ? { description } : {}), exclude };
  }
  return out;
}

/**
 * A `conda:` section at `base` (`conda`, `environments.web.conda`). Keys an
 * environment does not write that say where packages come from (channels,
 * alias, subdirs) are taken from `inherit`, the top-level section.
 */
function readConda(r: FieldReader, v: unknown, warnings: ManifestWarning[], base: string, inherit?: CondaSection): CondaSection | undefined {
  const m = r.mapping(v, base);
  if (!m) return undefined;
  warnUnknownKeys(r, m, base, CONDA_KEYS, warnings);
  const at = (k: string) => childPath(base, k);
  const channels = r.stringList(m.channels, at('channels'), !inherit) ?? inherit?.channels ?? [];
  const channel_alias = readUrl(r, m.channel_alias, at('channel_alias')) ?? (m.channel_alias === undefined ? inherit?.channel_alias : undefined);
  return {
    channels,
    subdirs: r.stringList(m.subdirs, at('subdirs')) ?? inherit?.subdirs ?? [...DEFAULT_CONDA_SUBDIRS],
    specs: r.stringList(m.specs, at('specs')) ?? [],
    files: r.stringList(m.files, at('files')) ?? [],
    ...(channel_alias !== undefined ? { channel_alias } : {}),
  };
}

/** A `pip:` section at `base`; index options and python_version not written come from `inherit`. */
function readPip(r: FieldReader, v: unknown, warnings: ManifestWarning[], base: string, inherit?: PipSection): PipSection | undefined {
  const m = r.mapping(v, base);
  if (!m) return undefined;
  warnUnknownKeys(r, m, base, PIP_KEYS, warnings);
  const at = (k: string) => childPath(base, k);
  const python_version = r.string(m.python_version, at('python_version'));
  keepSpelling(m, 'python_version', python_version);
  if (python_version !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(python_version)) {
    r.problem(at('python_version'), `expected a Python version like "3.11", got: ${preview(python_version)}`, {
      hint: 'Quote it (`python_version: "3.10"`) so YAML keeps the trailing zero.',
    });
  }
  const platforms = r.stringList(m.platforms, at('platforms')) ?? inherit?.platforms;
  const requireWheels = r.boolean(m.require_wheels, at('require_wheels')) ?? inherit?.require_wheels;
  return {
    index_url: readUrl(r, m.index_url, at('index_url')) ?? inherit?.index_url ?? DEFAULT_PIP_INDEX_URL,
    extra_index_urls: r.stringList(m.extra_index_urls, at('extra_index_urls')) ?? inherit?.extra_index_urls ?? [],
    find_links: r.stringList(m.find_links, at('find_links')) ?? inherit?.find_links ?? [],
    python_version: python_version ?? inherit?.python_version ?? DEFAULT_PIP_PYTHON_VERSION,
    ...(platforms ? { platforms } : {}),
    requirements: r.stringList(m.requirements, at('requirements')) ?? [],
    files: r.stringList(m.files, at('files')) ?? [],
    ...(requireWheels !== undefined ? { require_wheels: requireWheels } : {}),
  };
}

/** True when a section asks for packages (not only where to find them). */
export function sectionHasInputs(s: { conda?: CondaSection; pip?: PipSection }): boolean {
  return Boolean(s.conda?.specs.length || s.conda?.files.length || s.pip?.requirements.length || s.pip?.files.length);
}

/**
 * `default` (the top-level sections) then each `environments:` entry. With
 * other environments or apps beside it, `default` is left out when it only
 * says where packages come from (channels, index) without asking for any.
 */
function readEnvironments(
  r: FieldReader,
  v: unknown,
  top: { conda?: CondaSection; pip?: PipSection },
  hasApps: boolean,
  warnings: ManifestWarning[],
): Environment[] {
  const out: Environment[] = [];
  const map = r.mapping(v, 'environments');
  for (const [name, body] of Object.entries(map ?? {})) {
    const key = childPath('environments', name);
    if (!isPlainName(name)) {
      r.problem(key, `environment name ${JSON.stringify(name)} is not a plain name`, { at: 'key', hint: `Use ${PLAIN_NAME_RULE}, e.g. \`legacy-ml\`.` });
      continue;
    }
    if (name === DEFAULT_ENVIRONMENT && (top.conda || top.pip)) {
      r.problem(key, `environment name "${DEFAULT_ENVIRONMENT}" is taken by the top-level conda:/pip: sections`, { at: 'key', hint: 'Rename it, or move the top-level sections into it.' });
      continue;
    }
    const m = r.mapping(body, key, true);
    if (!m) continue;
    warnUnknownKeys(r, m, key, ENVIRONMENT_KEYS, warnings);
    const conda = readConda(r, m.conda, warnings, childPath(key, 'conda'), top.conda);
    const pip = readPip(r, m.pip, warnings, childPath(key, 'pip'), top.pip);
    if (!conda && !pip) r.problem(key, `environment ${name} has neither a conda: nor a pip: section`, { at: 'key' });
    out.push({ name, ...(conda ? { conda } : {}), ...(pip ? { pip } : {}) });
  }
  const others = out.length > 0 || hasApps;
  if ((top.conda || top.pip) && (!others || sectionHasInputs(top))) {
    out.unshift({ name: DEFAULT_ENVIRONMENT, ...(top.conda ? { conda: top.conda } : {}), ...(top.pip ? { pip: top.pip } : {}) });
  }
  return out;
}

/** `apps:` directories (relative to the manifest); each becomes an environment named after its last path segment. */
function readApps(r: FieldReader, v: unknown): string[] {
  const apps = r.stringList(v, 'apps') ?? [];
  apps.forEach((dir, i) => {
    if (path.isAbsolute(dir) || dir.split(/[\\/]/).includes('..')) {
      r.problem(childPath('apps', i), `an app directory must lie inside the buildpack (relative, without ..): ${preview(dir)}`, { hint: 'Copy or link the app under the buildpack directory, e.g. apps/web.' });
    }
  });
  return apps;
}
