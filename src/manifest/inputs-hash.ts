// A lock is stale when what it was resolved from changed: the manifest's
// `miniconda:`, `conda:` and `pip:` sections (with defaults filled in, so
// spelling a default out changes nothing), the stacks the manifest targets, and
// the bytes of every file those sections name (requirements.txt, @EXPLICIT...).
import { createHash } from 'node:crypto';
import { manifestStacks } from './packaging-target.js';
import { DEFAULT_ENVIRONMENT } from './manifest.js';
import type { Environment, Manifest } from './types.js';

const FORMAT = 'cf-conda-buildpack/lock-inputs/v1';

/** JSON with object keys sorted at every level and no whitespace: equal data -> equal text. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * sha256 (hex) over the resolve inputs. `files` are the files the sections name,
 * with `path` as the manifest writes it (so the hash does not depend on where
 * the checkout lives); their order does not matter.
 */
export function resolveInputsSha256(m: Manifest, files: { path: string; bytes: Uint8Array }[], environments: Environment[] = m.environments): string {
  const fileDigests = files
    .map((f) => ({ path: f.path, sha256: createHash('sha256').update(f.bytes).digest('hex') }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : 1));
  const inputs = {
    format: FORMAT,
    stacks: manifestStacks(m),
    miniconda: m.miniconda,
    conda: m.conda ?? null,
    pip: m.pip ?? null,
    // only with more than `default`, so the hash of a manifest without environments is unchanged
    environments: environments.some((e) => e.name !== DEFAULT_ENVIRONMENT) ? environments : undefined,
    files: fileDigests,
  };
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex');
}
