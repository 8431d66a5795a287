// manifest: loads and validates manifest.yml (Cloud Foundry keys + the
// miniconda/conda/pip sections) and reads/writes manifest.lock.yml, with errors
// that name file, key path and line/column. It knows nothing of HTTP, conda
// channels or PyPI: resolvers and cli/ do the fetching.
export type * from './types.js';
export {
  parseManifest,
  loadManifest,
  manifestPosition,
  KNOWN_TOP_LEVEL_KEYS,
  DEFAULT_CONDA_SUBDIRS,
  DEFAULT_PIP_INDEX_URL,
  DEFAULT_PIP_PYTHON_VERSION,
  DEFAULT_ENVIRONMENT,
  sectionHasInputs,
} from './manifest.js';
export { readApp, manifestEnvironments, runtimePython, APP_FILES, type AppInputs, type AppFileRole } from './apps.js';
export { checkPackagingTarget, dependenciesForStack, dependencyArtifact, manifestStacks } from './packaging-target.js';
export { parseLock, loadLock, serializeLock, writeLock, compareLockEntries, entryNameProblem, entryEnvironments, LOCK_VERSION } from './lock.js';
export { resolveInputsSha256, canonicalJson } from './inputs-hash.js';
export { versionMatches, highestMatching } from './version-pattern.js';
export { dumpYaml } from './yaml-dump.js';
export { lockedUri, fetchableUri } from './local-uri.js';
export { assertYamlSize, expandedValueCount, MAX_YAML_VALUES } from './yaml-source.js';
