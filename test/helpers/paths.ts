import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** fixtures/upstream: real data files from public projects (provenance in its README.md). */
export const UPSTREAM = path.join(ROOT, 'fixtures/upstream');
export const FIXTURES = path.join(ROOT, 'fixtures');
