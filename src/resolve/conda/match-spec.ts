// conda MatchSpec: the package query language of `conda install`, repodata
// `depends`/`constrains` and `conda list -e` lines. Ported from
// conda/models/match_spec.py (_parse_spec_str, __str__, the matchers) at 23.7.4:
// https://github.com/conda/conda/blob/23.7.4/conda/models/match_spec.py
// https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/pkg-specs.html
// Pure: no I/O.

import { PackagerError } from '../../core/errors.js';
import { VersionSpec, buildNumberMatcher, globRegExp } from './version-order.js';

/** Where a record comes from, as a spec's `channel::` part sees it. */
export interface ChannelRef {
  /** Channel base URL without subdir (may carry a token: never print raw). */
  url: string;
  /** Names that select this channel in `name::` form: `conda-forge`, `defaults`, `pkgs/main`. */
  names: string[];
}

/** The record fields a MatchSpec can look at (a repodata record plus where it lives). */
export interface MatchableRecord {
  name: string;
  version: string;
  build: string;
  build_number?: number;
  subdir?: string;
  md5?: string;
  sha256?: string;
  fn?: string;
  url?: string;
  track_features?: string | string[];
  features?: string | string[];
  license?: string;
  license_family?: string;
  channel?: ChannelRef;
}

const FIELD_NAMES = [
  'channel',
  'subdir',
  'name',
  'version',
  'build',
  'build_number',
  'track_features',
  'features',
  'url',
  'md5',
  'sha256',
  'license',
  'license_family',
  'fn',
] as const;
type Field = (typeof FIELD_NAMES)[number];

/** Subdirs conda knows (context.known_subdirs), so `conda-forge/linux-64::x` splits right. */
export const KNOWN_SUBDIRS = new Set([
  'noarch',
  'emscripten-wasm32',
  'wasi-wasm32',
  'freebsd-64',
  'linux-32',
  'linux-64',
  'linux-aarch64',
  'linux-armv6l',
  'linux-armv7l',
  'linux-ppc64',
  'linux-ppc64le',
  'linux-riscv64',
  'linux-s390x',
  'osx-64',
  'osx-arm64',
  'win-32',
  'win-64',
  'win-arm64',
  'zos-z',
]);

function invalid(spec: string, reason: string): PackagerError {
  return new PackagerError('EINPUT', `Invalid conda MatchSpec: "${spec}" (${reason})`, {
    found: spec,
    hint: 'write e.g. `numpy`, `numpy=1.26`, `numpy>=1.26,<2`, `numpy 1.26.4 py311h*`, `conda-forge::numpy[build_number=0]`',
  });
}

/** A glob (`py39*`), a `^regex$` or a literal, as conda's GlobStrMatch. */
class Glob {
  readonly raw: string;
  private readonly rx?: RegExp;
  constructor(raw: string, spec: string) {
    this.raw = raw;
    try {
      if (raw.startsWith('^') && raw.endsWith('$')) this.rx = new RegExp(raw);
      else if (raw.includes('*')) this.rx = globRegExp(raw);
    } catch (err) {
      throw invalid(spec, `invalid regular expression: ${(err as Error).message}`);
    }
  }
  get isExact(): boolean {
    return this.rx === undefined;
  }
  match(value: string | undefined): boolean {
    const v = value ?? '';
    return this.rx ? this.rx.test(v) : this.raw === v;
  }
}

function featureSet(value: string | readonly string[] | undefined): Set<string> {
  if (!value) return new Set();
  const parts = typeof value === 'string' ? value.replace(/ /g, ',').split(',') : value;
  return new Set(parts.map((f) => f.trim()).filter((f) => f));
}

/** Splits `conda-forge/linux-64` into channel + subdir (conda's Channel().subdir). */
export function splitChannel(text: string): { channel?: string; subdir?: string } {
  const t = text.replace(/\/+$/, '');
  const slash = t.lastIndexOf('/');
  if (slash > 0 && KNOWN_SUBDIRS.has(t.slice(slash + 1))) return { channel: t.slice(0, slash), subdir: t.slice(slash + 1) };
  return { channel: t };
}

/** Short name conda prints for a channel URL on its well-known hosts (`pkgs/main`, `conda-forge`). */
export function canonicalChannelName(channel: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?(repo\.anaconda\.com|conda\.anaconda\.org|repo\.continuum\.io)(?:\/t\/[^/]+)?\/(.+?)\/*$/i.exec(channel);
  return m ? m[2]! : channel;
}

/** True when the channel text of a spec (`conda-forge`, `defaults`, a URL, `*`) selects `ch`. */
export function channelMatches(text: string, ch: ChannelRef): boolean {
  if (text === '*') return true;
  if (text.includes('*')) {
    const rx = globRegExp(text);
    return ch.names.some((n) => rx.test(n)) || rx.test(ch.url);
  }
  const want = text.replace(/\/+$/, '');
  if (want === ch.url.replace(/\/+$/, '')) return true;
  const short = canonicalChannelName(want);
  return ch.names.includes(want) || ch.names.includes(short);
}

interface Components {
  name: string;
  channel?: string;
  subdir?: string;
  version?: string;
  build?: string;
  [k: string]: string | undefined;
}

// Step 3 of _parse_spec_str: key=value pairs inside [...] (values may be quoted).
const KV = /([a-zA-Z0-9_-]+?)=(["']?)([^'"]*?)(\2)(?:[, ]|$)/g;

function parseKeyValues(text: string, spec: string, strict: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(KV)) {
    const key = m[1]!;
    const value = m[3]!;
    if (strict && (!key || !value)) throw invalid(spec, 'key-value mismatch in brackets');
    out[key] = value;
  }
  return out;
}

/** conda's _parse_version_plus_build: `>=1.0 , < 2.0 py34_0` -> [`>=1.0,<2.0`, `py34_0`]. */
export function parseVersionPlusBuild(text: string): [version: string, build: string | undefined] {
  const m = /((?:.+?)[^><!,|]?)(?:(?<![=!|,<>~])(?:[ =])([^-=,|<>~]+?))?$/.exec(text);
  if (!m) return [text.replace(/ /g, ''), undefined];
  const build = m[2]?.trim();
  return [m[1]!.replace(/ /g, ''), build === undefined ? undefined : build];
}

const PACKAGE_FILE = /\.(?:tar\.bz2|conda)$/;

function parseSpecString(spec: string): Components {
  let s = spec;
  // legacy `mkl@` = any package tracking feature mkl
  if (s.endsWith('@')) return { name: '*', track_features: s.slice(0, -1) };
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  // conda strips nothing else here: `numpy= ` (trailing blank) stays invalid
  s = s.split(' if ')[0]!;

  if (PACKAGE_FILE.test(s)) {
    // a package URL or path: name/version/build come from the file name
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `file://${s.startsWith('/') ? '' : '/'}${s}`;
    const fn = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
    const dist = parseDistName(fn);
    const dir = url.slice(0, url.lastIndexOf('/'));
    const { channel, subdir } = splitChannel(dir);
    if (!subdir) return { name: '*', fn, url };
    return { name: dist.name, version: dist.version, build: dist.build, channel: channel!, subdir, fn, url };
  }

  let brackets: Record<string, string> = {};
  const b = /^.*(\[.*\])/.exec(s);
  if (b) {
    const text = b[1]!;
    s = s.split(text).join('');
    brackets = parseKeyValues(text.slice(1, -1), spec, true);
  }
  const p = /^.*(\(.*\))/.exec(s);
  if (p) s = s.split(p[1]!).join(''); // (target=..., optional): conda ignores them too

  // channel::name, channel/subdir::name (rsplit(':', 2))
  let channelText: string | undefined;
  const last = s.lastIndexOf(':');
  if (last >= 0) {
    const prev = s.lastIndexOf(':', last - 1);
    if (prev >= 0) channelText = s.slice(0, prev);
    s = s.slice(last + 1);
  }
  let channel: string | undefined;
  let subdir: string | undefined;
  if (channelText) ({ channel, subdir } = splitChannel(channelText));
  if (brackets.channel !== undefined) {
    const bc = splitChannel(brackets.channel);
    delete brackets.channel;
    if (bc.channel) channel = bc.channel;
    if (bc.subdir) subdir = bc.subdir;
  }
  if (brackets.subdir !== undefined) {
    subdir = brackets.subdir;
    delete brackets.subdir;
  }

  const nm = /^([^ =<>!~]+)?([><!=~ ].+)?/.exec(s);
  const name = nm?.[1];
  if (!name) throw invalid(spec, `no package name found in '${s}'`);
  const rest = nm?.[2]?.trim();

  let version: string | undefined;
  let build: string | undefined;
  if (rest) {
    if (rest.includes('[')) throw invalid(spec, 'multiple brackets sections not allowed');
    [version, build] = parseVersionPlusBuild(rest);
    if (version === '==' || version === '=') {
      // left for VersionSpec to reject: `numpy==` / `numpy= `
    } else if (version.startsWith('=')) {
      // `=1.2.3` is fuzzy (1.2.3.*), `==1.2.3` exact
      const test = version.slice(1);
      if (version.startsWith('==') && build === undefined) version = version.slice(2);
      else if (!/[=,|]/.test(test)) version = build === undefined && !test.endsWith('*') ? `${test}*` : test;
    }
  }

  const out: Components = { name };
  if (channel !== undefined) out.channel = channel;
  if (subdir !== undefined) out.subdir = subdir;
  if (version !== undefined) out.version = version;
  if (build !== undefined) out.build = build;
  delete brackets.name; // a bracketed name never overrides the real one (conda does the same)
  for (const [k, v] of Object.entries(brackets)) {
    if (!(FIELD_NAMES as readonly string[]).includes(k)) throw invalid(spec, `cannot match on field(s): ${k}`);
    out[k] = v;
  }
  return out;
}

/** `numpy-1.26.4-py311h64a7726_0.conda` -> name, version, build (rsplit('-', 2)). */
export function parseDistName(filename: string): { name: string; version: string; build: string } {
  const stem = filename.replace(PACKAGE_FILE, '');
  const b = stem.lastIndexOf('-');
  const v = b > 0 ? stem.lastIndexOf('-', b - 1) : -1;
  if (v <= 0) throw new PackagerError('EINPUT', `Not a conda package file name: ${filename}`, { found: filename, hint: 'conda package files are named <name>-<version>-<build>.conda or .tar.bz2' });
  return { name: stem.slice(0, v), version: stem.slice(v + 1, b), build: stem.slice(b + 1) };
}

/** A parsed MatchSpec; `match(record)` is conda's MatchSpec.match. */
export class MatchSpec {
  /** Lower-cased package name, or a glob (`*` when the spec names none). */
  readonly name: string;
  /** The text it was parsed from. */
  readonly original: string;
  readonly version?: VersionSpec;
  readonly build?: string;
  readonly channel?: string;
  readonly subdir?: string;
  /** Every other bracket field (build_number, md5, sha256, fn, url, track_features, features, license, license_family). */
  readonly fields: Readonly<Record<string, string>>;
  private readonly nameGlob: Glob;
  private readonly buildGlob?: Glob;
  private readonly buildNumber?: ReturnType<typeof buildNumberMatcher>;

  private constructor(original: string, c: Components) {
    this.original = original;
    this.name = c.name.toLowerCase();
    this.nameGlob = new Glob(this.name, original);
    if (c.version !== undefined) this.version = VersionSpec.parse(c.version);
    if (c.build !== undefined) {
      this.build = c.build;
      this.buildGlob = new Glob(c.build, original);
    }
    if (c.channel !== undefined) this.channel = c.channel;
    if (c.subdir !== undefined) this.subdir = c.subdir;
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(c)) {
      if (v === undefined || ['name', 'version', 'build', 'channel', 'subdir'].includes(k)) continue;
      fields[k] = v;
    }
    if (fields.build_number !== undefined) this.buildNumber = buildNumberMatcher(fields.build_number);
    this.fields = fields;
  }

  private static readonly cache = new Map<string, MatchSpec>();

  /** Parses (and caches) a MatchSpec string; throws PackagerError EINPUT when invalid. */
  static parse(spec: string): MatchSpec {
    let m = MatchSpec.cache.get(spec);
    if (!m) {
      m = new MatchSpec(spec, parseSpecString(spec));
      if (MatchSpec.cache.size > 200_000) MatchSpec.cache.clear();
      MatchSpec.cache.set(spec, m);
    }
    return m;
  }

  /** The exact package name, or undefined when the spec uses a glob/regex name. */
  get exactName(): string | undefined {
    return this.nameGlob.isExact && this.name !== '*' ? this.name : undefined;
  }

  /** True when the record satisfies every field of the spec. */
  match(rec: MatchableRecord): boolean {
    if (!this.nameGlob.match(rec.name.toLowerCase())) return false;
    if (this.version && !this.version.match(rec.version)) return false;
    if (this.buildGlob && !this.buildGlob.match(rec.build)) return false;
    if (this.subdir !== undefined && rec.subdir !== this.subdir) return false;
    if (this.channel !== undefined && !(rec.channel && channelMatches(this.channel, rec.channel))) return false;
    if (this.buildNumber && !this.buildNumber.match(rec.build_number ?? 0)) return false;
    for (const [k, v] of Object.entries(this.fields)) {
      switch (k as Field) {
        case 'build_number':
          break;
        case 'track_features':
        case 'features': {
          const want = featureSet(v);
          const have = featureSet(rec[k as 'features']);
          if (want.size !== have.size || [...want].some((f) => !have.has(f))) return false;
          break;
        }
        case 'license':
        case 'license_family': {
          const g = new Glob(v.toLowerCase(), this.original);
          if (!g.match((rec[k as 'license'] ?? '').toLowerCase())) return false;
          break;
        }
        default:
          if (String(rec[k as 'md5'] ?? 'None') !== v) return false;
      }
    }
    return true;
  }

  /** conda's canonical string form (`numpy=1.7`, `numpy[version='>=1.7']`, `conda-forge::numpy==1.7=py38_0`). */
  toString(): string {
    const builder: string[] = [];
    const brackets: string[] = [];
    const channelExact = this.channel !== undefined && !this.channel.includes('*');
    if (this.channel !== undefined) {
      if (channelExact) builder.push(canonicalChannelName(this.channel));
      else if (this.channel !== '*') brackets.push(`channel=${this.channel}`);
    }
    if (this.subdir !== undefined) {
      if (channelExact) builder.push(`/${this.subdir}`);
      else brackets.push(`subdir=${this.subdir}`);
    }
    builder.push(builder.length ? `::${this.name}` : this.name);
    let versionExact = false;
    if (this.version) {
      const v = this.version.spec;
      if (/[><$^|,]/.test(v)) brackets.push(`version='${v}'`);
      else if (v.startsWith('!=') || v.startsWith('~=')) {
        if (this.build !== undefined) brackets.push(`version='${v}'`);
        else builder.push(v);
      } else if (v.endsWith('.*')) builder.push(`=${v.slice(0, -2)}`);
      else if (v.endsWith('*')) builder.push(`=${v.slice(0, -1)}`);
      else if (v.startsWith('==')) {
        builder.push(v);
        versionExact = true;
      } else {
        builder.push(`==${v}`);
        versionExact = true;
      }
    }
    if (this.build !== undefined) {
      const b = this.build;
      if (/[><$^|,]/.test(b)) brackets.push(`build='${b}'`);
      else if (b.includes('*')) brackets.push(`build=${b}`);
      else if (versionExact) builder.push(`=${b}`);
      else brackets.push(`build=${b}`);
    }
    for (const key of FIELD_NAMES) {
      const v = this.fields[key];
      if (v === undefined) continue;
      if (key === 'fn' && this.fields.url !== undefined) continue;
      if (key === 'url' && this.channel !== undefined) continue;
      const text = key === 'build_number' ? this.buildNumber!.spec : key === 'track_features' || key === 'features' ? [...featureSet(v)].sort().join(' ') : v;
      brackets.push(/[, =]/.test(text) ? `${key}='${text}'` : `${key}=${text}`);
    }
    if (brackets.length) builder.push(`[${brackets.join(',')}]`);
    return builder.join('');
  }
}

/** Parses a MatchSpec (cached). */
export function parseMatchSpec(spec: string): MatchSpec {
  return MatchSpec.parse(spec);
}
