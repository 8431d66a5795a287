// fetch: gets artifacts and documents over HTTP(S) or file:// into a verified,
// content-addressed cache (undici + p-limit + retries + ssri-style integrity).
// It must not know what conda, PyPI or a manifest is: it sees Artifacts and
// URLs, and never writes to stdout/stderr (Logger and onProgress only).
export { fetchArtifact, fetchArtifacts } from './fetch-artifact.js';
export { fetchDocument, type FetchDocumentOptions, type FetchedDocument } from './http-document.js';
export { ContentCache, defaultCacheDir, type CacheCheck, type ContentKey } from './content-cache.js';
export type { FetchOptions, CachedFile } from './options.js';
export { MAX_REDIRECTS } from './http-client.js';
export { Digester, digestFile, type FileDigests } from './digests.js';
