// Core metadata (a wheel's `*.dist-info/METADATA`, an sdist's `PKG-INFO`, a
// PEP 658 `<file>.metadata` sidecar): RFC 822 style headers, continuation
// lines starting with whitespace, an optional body (the description).
// Spec: https://packaging.python.org/en/latest/specifications/core-metadata/
import { normalizeProjectName } from '../../core/project-name.js';

export interface CoreMetadata {
  metadataVersion?: string;
  name?: string;
  version?: string;
  /** Requirement strings exactly as written (markers included). */
  requiresDist: string[];
  requiresPython?: string;
  /** Normalised extra names. */
  providesExtra: string[];
  license?: string;
  /** Fields the metadata says a build may change (Metadata-Version >= 2.2). */
  dynamic: string[];
  /** Every header, lower-cased name -> values in order. */
  headers: Map<string, string[]>;
}

/** Parses core metadata text. Never throws: unknown or odd lines are kept or skipped as RFC 822 readers do. */
export function parseCoreMetadata(text: string): CoreMetadata {
  const headers = new Map<string, string[]>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (!current) return;
    const key = current.name.toLowerCase();
    const list = headers.get(key) ?? [];
    list.push(current.value);
    headers.set(key, list);
    current = undefined;
  };
  for (const line of lines) {
    if (line === '') break; // end of headers; the rest is the description
    if (/^[ \t]/.test(line)) {
      if (current) current.value += '\n' + line.replace(/^[ \t]+/, '');
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
  }
  flush();
  const first = (k: string) => headers.get(k)?.[0];
  const md: CoreMetadata = {
    requiresDist: (headers.get('requires-dist') ?? []).map((s) => s.trim()).filter(Boolean),
    providesExtra: [...new Set((headers.get('provides-extra') ?? []).map((s) => normalizeProjectName(s.trim())))],
    dynamic: (headers.get('dynamic') ?? []).map((s) => s.trim().toLowerCase()),
    headers,
  };
  const mv = first('metadata-version');
  if (mv !== undefined) md.metadataVersion = mv;
  const name = first('name');
  if (name !== undefined) md.name = name;
  const version = first('version');
  if (version !== undefined) md.version = version;
  const rp = first('requires-python');
  if (rp !== undefined && rp.trim()) md.requiresPython = rp.trim();
  const license = first('license-expression') ?? first('license');
  if (license !== undefined) md.license = license;
  return md;
}

/**
 * Whether an sdist's PKG-INFO can be trusted for dependencies: Metadata-Version
 * 2.2+ promises its fields are final unless listed in Dynamic (PEP 643).
 */
export function sdistDependenciesAreStatic(md: CoreMetadata): boolean {
  const [maj, min] = (md.metadataVersion ?? '1.0').split('.').map(Number) as [number, number];
  const atLeast22 = maj > 2 || (maj === 2 && (min ?? 0) >= 2);
  return atLeast22 && !md.dynamic.includes('requires-dist');
}

/**
 * setuptools' `*.egg-info/requires.txt` (the only dependency record of an old
 * sdist) as PEP 508 strings: `[extra]`, `[:marker]` and `[extra:marker]`
 * sections become markers. Format: setuptools `_write_requirements`.
 */
export function parseEggRequires(text: string): string[] {
  const out: string[] = [];
  let extra = '';
  let marker = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      const [e, ...m] = section[1]!.split(':');
      extra = (e ?? '').trim();
      marker = m.join(':').trim();
      continue;
    }
    const conds: string[] = [];
    if (marker) conds.push(extra ? `(${marker})` : marker);
    if (extra) conds.push(`extra == "${extra}"`);
    out.push(conds.length ? `${line} ; ${conds.join(' and ')}` : line);
  }
  return out;
}
