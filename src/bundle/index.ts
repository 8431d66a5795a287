// bundle: the buildpack zip — which files go in, where each sits (layout.ts),
// the packaged manifest, the bash-readable TSV indexes, the local conda channels
// and PyPI tree, and a deterministic streaming zip writer. It never downloads
// (cli/ hands it verified files) and never picks exit codes.
export * from './layout.js';
export { writeZip, zipTimestamp, normalizedMode, type ZipEntry, type WrittenZip } from './write-zip.js';
export { collectBuildpackFiles, excludeMatcher } from './buildpack-files.js';
export { copyBuildpackRoot, runPrePackage } from './pre-package.js';
export {
  packagedManifestYaml,
  dependencyOnStack,
  lockEntryOnStack,
  installerDependencyName,
  LOCKED_ARTIFACTS_KEY,
  type PackagedManifestOptions,
  type DependencyFile,
} from './packaged-manifest.js';
export { indexTsv, urlMapTsv, namesTsv, lockTsv, tsv, type IndexRow, type NamesRow, type LockTsvRow } from './index-tsv.js';
export {
  condaChannelEntries,
  condaChannelDirs,
  condaEntryPath,
  condaCoordinates,
  repodataRecord,
  sortedJson,
  type ShippedFile,
  type CondaChannelConfig,
} from './conda-channel.js';
export { pypiTreeEntries, escapeHtml } from './pypi-tree.js';
export { planBundle, selectDependencies, selectLockEntries, CC_MANIFEST_LIMIT, type BundlePlan, type BundlePlanInput } from './plan.js';
export { verifyBundle, MAX_BUNDLE_BYTES, type VerifyReport, type VerifyProblem } from './verify.js';
