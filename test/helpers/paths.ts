import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared/upstream: real data files from public projects. */
export const UPSTREAM = path.resolve(ROOT, '../shared/upstream');
export const FIXTURES = path.join(ROOT, 'fixtures');
