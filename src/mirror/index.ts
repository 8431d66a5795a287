// mirror: serves a buildpack bundle (zip read in place, or a directory) as a
// conda channel + PyPI simple index + installer listing over HTTP, and writes
// the same tree as static files. It reads bundles through bundle/layout.ts's
// names only; it never downloads, never writes to stdout/stderr, never exits.
export { parseRequestTarget, encodeSitePath, MAX_TARGET_LENGTH, type ParsedTarget } from './request-path.js';
export { parseRange, parseEntityTags, weakMatch, isNotModified, ifRangeAllows, type RangeResult } from './http-range.js';
export {
  negotiateSimple,
  parseAccept,
  projectLinks,
  rootProjects,
  projectJson,
  rootJson,
  versionFromFilename,
  resolveSitePath,
  SIMPLE_JSON,
  SIMPLE_HTML,
  TEXT_HTML,
  SIMPLE_API_VERSION,
  type SimpleFormat,
  type SimpleLink,
  type LinkedFile,
} from './pep691.js';
export { routeRequest, type Route } from './routes.js';
export type { Source, SourceEntry } from './source.js';
export { openZipSource } from './zip-source.js';
export { openDirSource, type DirSourceOptions } from './dir-source.js';
export {
  MirrorSite,
  buildBundleSite,
  buildExportSite,
  minicondaPage,
  contentTypeFor,
  cacheControlFor,
  simpleJsonPath,
  sitePathToFile,
  fileToSitePath,
  isSimplePage,
  HEALTHZ_PATH,
  MINICONDA_PATH,
  SIMPLE_ROOT_PATH,
  type SiteFile,
  type SiteOptions,
} from './site.js';
export { openSite } from './open-site.js';
export { startMirrorServer, formatAccessLine, answerFor, headsOf, type Answer, type Representation, type MirrorServer, type MirrorServerOptions, type MirrorStats, type AccessLogEntry } from './server.js';
export { nginxConf, type NginxConfOptions } from './nginx-conf.js';
export { exportSite, readExportIndex, EXPORT_INDEX, type ExportIndex, type ExportOptions, type ExportResult, type ExportedFile } from './export.js';
