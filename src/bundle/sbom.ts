// sbom.cdx.json: a CycloneDX 1.5 JSON bill of materials for one cached zip
// (https://cyclonedx.org/docs/1.5/json/), one component per artifact the zip
// carries: purl (pkg:conda / pkg:pypi / pkg:generic, see purl.ts), version,
// SHA-256 (and MD5 when the index published one), the upstream download URL
// (redacted) as a `distribution` reference, licenses where the metadata states
// them, and the path inside the zip as a property. `dependencies` links the
// buildpack to every component and each conda package / wheel to the bundled
// packages its `depends` / `Requires-Dist` name.
//
// Deterministic: the same inputs give the same bytes. Components are sorted by
// their path in the zip; there is no random serialNumber: it is a UUIDv5 (RFC
// 4122, SHA-1 name-based) of the document's own SHA-256, so it changes exactly
// when the content does; `metadata.timestamp` is written only when the caller
// passes one (cli/ passes SOURCE_DATE_EPOCH when set, as for the zip's entries).
import { createHash } from 'node:crypto';
import { normalizeProjectName } from '../core/project-name.js';
import { redactUrl } from '../core/redact.js';
import { compareBytes } from './layout.js';
import { licenseChoices, type CdxLicenseChoice } from './licenses.js';
import { condaPurl, genericPurl, pypiPurl } from './purl.js';

/** Where the SBOM sits in a cached zip. */
export const SBOM_PATH = 'sbom.cdx.json';

/** Namespace of the properties this packager adds. */
const PROP = 'buildpack';

/** One artifact in the zip, as the SBOM describes it. */
export interface SbomArtifact {
  kind: 'dependency' | 'installer' | 'conda' | 'wheel' | 'sdist';
  name: string;
  version: string;
  /** conda build string, channel URL and subdir. */
  build?: string;
  channel?: string;
  subdir?: string;
  /** File name as downloaded (`zlib-1.2.11-h7b6447c_3.conda`, a wheel name, an installer name). */
  filename: string;
  /** Upstream URL (redacted here; may hold credentials when passed in). */
  url: string;
  sha256: string;
  md5?: string;
  size: number;
  /** License text from the metadata (repodata `license`, wheel `License-Expression`/`License`). */
  license?: string;
  /** Path inside the zip; also the component's bom-ref. */
  path: string;
  cf_stacks: string[];
  /** conda `depends` / wheel `Requires-Dist` that apply (lock entries). */
  depends?: string[];
  /** A wheel built at packaging time: the sdist's file name (`buildpack:built_from`). */
  builtFrom?: string;
  /** A wheel the zip carries only to repeat those builds (`buildpack:build_requirement`). */
  buildRequirement?: boolean;
  /** The environments that need it, when the bundle serves more than `default`. */
  environments?: string[];
}

export interface SbomInput {
  buildpack: { language: string; version: string; stack?: string; profile?: string; excluded?: string[] };
  tool: { name: string; version: string };
  artifacts: SbomArtifact[];
  /** metadata.timestamp; omitted when undefined so the document stays reproducible. */
  timestamp?: Date;
}

type Json = Record<string, unknown>;

/** The CycloneDX 1.5 document (plain JSON data). */
export function sbomDocument(input: SbomInput): Json {
  const artifacts = mergeByPath(input.artifacts);
  const bp = input.buildpack;
  const rootRef = `${bp.language}_buildpack@${bp.version}`;
  const rootProps: Json[] = [
    { name: `${PROP}:cached`, value: 'true' },
    { name: `${PROP}:stack`, value: bp.stack ?? 'any' },
  ];
  if (bp.profile) rootProps.push({ name: `${PROP}:profile`, value: bp.profile });
  if (bp.excluded?.length) rootProps.push({ name: `${PROP}:excluded`, value: [...bp.excluded].sort(compareBytes).join(',') });

  const metadata: Json = {};
  if (input.timestamp) metadata.timestamp = input.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z');
  metadata.tools = { components: [{ type: 'application', name: input.tool.name, version: input.tool.version }] };
  metadata.component = { type: 'application', 'bom-ref': rootRef, name: `${bp.language}_buildpack`, version: bp.version, properties: rootProps };

  const body: Json = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata,
    components: artifacts.map(component),
    dependencies: [{ ref: rootRef, dependsOn: artifacts.map((a) => a.path) }, ...dependencyGraph(artifacts)],
  };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  // serialNumber goes right after version, where CycloneDX documents usually carry it.
  const { bomFormat, specVersion, version, ...rest } = body;
  return { bomFormat, specVersion, serialNumber: `urn:uuid:${uuidV5(`sha256:${digest}`)}`, version, ...rest };
}

/** The SBOM as the bytes written to the zip (2-space JSON, trailing newline). */
export function sbomJson(input: SbomInput): string {
  return JSON.stringify(sbomDocument(input), null, 2) + '\n';
}

function component(a: SbomArtifact): Json {
  const c: Json = {
    type: a.kind === 'installer' ? 'application' : 'library',
    'bom-ref': a.path,
    name: a.name,
    version: a.version,
  };
  const licenses: CdxLicenseChoice[] | undefined = licenseChoices(a.license);
  if (licenses) c.licenses = licenses;
  c.purl = purlOf(a);
  c.hashes = [{ alg: 'SHA-256', content: a.sha256.toLowerCase() }, ...(a.md5 ? [{ alg: 'MD5', content: a.md5.toLowerCase() }] : [])];
  c.externalReferences = [{ type: 'distribution', url: redactUrl(a.url) }];
  const props: Json[] = [
    { name: `${PROP}:kind`, value: a.kind },
    { name: `${PROP}:path`, value: a.path },
    { name: `${PROP}:size`, value: String(a.size) },
  ];
  if (a.cf_stacks.length) props.push({ name: `${PROP}:cf_stacks`, value: a.cf_stacks.join(',') });
  if (a.builtFrom) props.push({ name: `${PROP}:built_from`, value: a.builtFrom });
  if (a.buildRequirement) props.push({ name: `${PROP}:build_requirement`, value: 'true' });
  if (a.environments?.length) props.push({ name: `${PROP}:environments`, value: a.environments.join(',') });
  c.properties = props;
  return c;
}

function purlOf(a: SbomArtifact): string {
  switch (a.kind) {
    case 'conda':
      return condaPurl(a);
    case 'wheel':
    case 'sdist':
      return pypiPurl(a);
    default:
      return genericPurl(a);
  }
}

/** One component per path in the zip (the same file listed for two stacks is one file). */
function mergeByPath(list: SbomArtifact[]): SbomArtifact[] {
  const byPath = new Map<string, SbomArtifact>();
  for (const a of list) {
    const seen = byPath.get(a.path);
    if (!seen) {
      byPath.set(a.path, { ...a, cf_stacks: [...a.cf_stacks].sort(compareBytes) });
      continue;
    }
    const stacks = seen.cf_stacks.length && a.cf_stacks.length ? [...new Set([...seen.cf_stacks, ...a.cf_stacks])].sort(compareBytes) : [];
    byPath.set(a.path, { ...seen, cf_stacks: stacks, license: seen.license ?? a.license });
  }
  return [...byPath.values()].sort((x, y) => compareBytes(x.path, y.path));
}

/** `numpy >=1.22,<2` -> numpy; `idna>=2.8; python_version<"3.11"` -> idna. */
function dependsName(spec: string, kind: SbomArtifact['kind']): string | undefined {
  const m = /^\s*([A-Za-z0-9_][A-Za-z0-9._+-]*)/.exec(spec);
  if (!m) return undefined;
  return kind === 'conda' ? m[1]!.toLowerCase() : normalizeProjectName(m[1]!);
}

function sharesStack(a: SbomArtifact, b: SbomArtifact): boolean {
  return !a.cf_stacks.length || !b.cf_stacks.length || a.cf_stacks.some((s) => b.cf_stacks.includes(s));
}

function dependencyGraph(artifacts: SbomArtifact[]): Json[] {
  const conda = new Map<string, SbomArtifact[]>();
  const pypi = new Map<string, SbomArtifact[]>();
  for (const a of artifacts) {
    if (a.kind === 'conda') push(conda, a.name.toLowerCase(), a);
    else if (a.kind === 'wheel' || a.kind === 'sdist') push(pypi, normalizeProjectName(a.name), a);
  }
  const out: Json[] = [];
  for (const a of artifacts) {
    if (!a.depends?.length) continue;
    const pool = a.kind === 'conda' ? conda : a.kind === 'wheel' || a.kind === 'sdist' ? pypi : undefined;
    if (!pool) continue;
    const refs = new Set<string>();
    for (const spec of a.depends) {
      const name = dependsName(spec, a.kind);
      for (const b of (name && pool.get(name)) || []) if (b !== a && sharesStack(a, b)) refs.add(b.path);
    }
    if (refs.size) out.push({ ref: a.path, dependsOn: [...refs].sort(compareBytes) });
  }
  return out;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** RFC 4122 name-based UUID (version 5, SHA-1) in the URL namespace. */
export function uuidV5(name: string, namespace = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'): string {
  const h = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
