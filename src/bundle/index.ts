// bundle: the buildpack zip — which files go in, where each sits (layout.ts),
// the packaged manifest, the bash-readable TSV indexes, the local conda channels
// and PyPI tree, and a deterministic streaming zip writer. It never downloads
// (cli/ hands it verified files) and never picks exit codes.
export * from './layout.js';
export { writeZip, zipTimestamp, normalizedMode, type ZipEntry, type WrittenZip } from './write-zip.js';
export { byProductsInside, collectBuildpackFiles, excludeMatcher, isByProduct } from './buildpack-files.js';
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
export { buildpackOwnFiles, checkBuildpackVersion, planBundle, selectDependencies, selectLockEntries, CC_MANIFEST_LIMIT, type BundlePlan, type BundlePlanInput } from './plan.js';
export { verifyBundle, MAX_BUNDLE_BYTES, type VerifyReport, type VerifyProblem } from './verify.js';
export { sbomDocument, sbomJson, uuidV5, SBOM_PATH, type SbomArtifact, type SbomInput } from './sbom.js';
export { condaPurl, pypiPurl, genericPurl, condaChannelName } from './purl.js';
export { licenseChoices, spdxId, spdxExpression, type CdxLicenseChoice } from './licenses.js';
export {
  DEPRECATIONS_TSV,
  DEPRECATION_WINDOW_DAYS,
  deprecationCovers,
  deprecationHits,
  deprecationWarning,
  deprecationsTsv,
  daysUntil,
  todayString,
  type DeprecationHit,
} from './deprecations.js';
export {
  resolvePackagingSelection,
  applySelection,
  selectionWarnings,
  selectableNames,
  splitNames,
  isExcludedDependency,
  isExcludedLockEntry,
  PROFILE_NAME_RE,
  type PackagingSelection,
  type SelectionFlags,
} from './packaging-selection.js';
