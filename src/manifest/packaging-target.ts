// What a manifest means for one packaging run: is the target stack packageable
// from it (libbuildpack packager.go validateStack), which dependencies go in,
// and each dependency as an Artifact for fetch.
import { PackagerError } from '../core/errors.js';
import type { Artifact } from '../core/artifact.js';
import { sriFromHex } from '../core/integrity.js';
import { isPlainName, PLAIN_NAME_RULE } from '../core/plain-name.js';
import { manifestReader } from './manifest.js';
import { versionMatches } from './version-pattern.js';
import { childPath } from './yaml-source.js';
import type { Dependency, Manifest } from './types.js';

/**
 * Throws EMANIFEST when `m` cannot be packaged for `target`: it is already
 * packaged (has `stack:`), names no dependency for the stack, or has a
 * default version with no dependency for it. Messages are libbuildpack's.
 */
export function checkPackagingTarget(m: Manifest, target: { stack?: string }): void {
  const r = manifestReader(m);
  if (m.stack !== undefined) {
    r.problem('stack', 'Cannot package from already packaged buildpack manifest', {
      at: 'key',
      hint: "Package from the buildpack's source manifest.yml (the one without a top-level `stack:`), not from an unpacked zip.",
    });
    r.throwIfAny('EMANIFEST');
  }
  const stack = target.stack;
  if (!stack) return;
  if (!isPlainName(stack)) {
    throw new PackagerError('EUSAGE', `Not a usable stack name: ${JSON.stringify(stack)}`, { hint: `stack names are ${PLAIN_NAME_RULE}, e.g. --stack cflinuxfs4` });
  }
  const supported = manifestStacks(m);
  if ((m.dependencies.length > 0 || m.miniconda.length > 0) && !supported.includes(stack)) {
    r.problem(undefined, `Stack \`${stack}\` not found in manifest`, {
      wanted: stack,
      found: supported.join(', '),
      hint: `Package for one of: ${supported.join(', ')}; or pass --any-stack.`,
    });
    r.throwIfAny('EMANIFEST');
  }
  m.default_versions.forEach((d, i) => {
    const forStack = m.dependencies.filter((dep) => dep.name === d.name && dep.cf_stacks.includes(stack));
    if (!forStack.some((dep) => versionMatches(d.version, dep.version))) {
      r.problem(childPath('default_versions', i), `No matching default dependency \`${d.name}\` for stack \`${stack}\``, {
        wanted: `${d.name} ${d.version} on ${stack}`,
        found: forStack.length ? forStack.map((dep) => `${dep.name} ${dep.version}`).join(', ') : `no ${d.name} for ${stack}`,
        hint: `Add a ${d.name} dependency for ${stack}, or change default_versions.`,
      });
    }
  });
  r.throwIfAny('EMANIFEST');
}

/** Every stack named by a dependency or installer spec (sorted). */
export function manifestStacks(m: Manifest): string[] {
  const all = new Set<string>();
  for (const d of m.dependencies) d.cf_stacks.forEach((s) => all.add(s));
  for (const s of m.miniconda) s.cf_stacks.forEach((x) => all.add(x));
  if (m.stack) all.add(m.stack);
  return [...all].sort();
}

/** The dependencies to package for `stack`; all of them when `stack` is undefined (--any-stack). */
export function dependenciesForStack(m: Manifest, stack?: string): Dependency[] {
  if (stack === undefined) return [...m.dependencies];
  return m.dependencies.filter((d) => d.cf_stacks.includes(stack));
}

/** A manifest dependency as an Artifact: integrity from sha256, else from the legacy md5. */
export function dependencyArtifact(d: Dependency): Artifact {
  let integrity: string;
  if (d.sha256) integrity = sriFromHex(d.sha256, 'sha256');
  else if (d.md5) integrity = sriFromHex(d.md5, 'md5');
  else throw new PackagerError('EINTERNAL', `Dependency ${d.name} ${d.version} has no checksum (the manifest loader should have rejected it)`);
  return { kind: 'dependency', name: d.name, version: d.version, url: d.uri, integrity };
}
