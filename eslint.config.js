// ESLint: typescript-eslint's recommended rules, and the import directions
// docs/ARCHITECTURE.md states, enforced per folder of src/ with core ESLint's
// no-restricted-imports (imports are relative, so a folder's forbidden
// neighbours are fixed paths from it).
import js from '@eslint/js';
import path from 'node:path';
import tseslint from 'typescript-eslint';

/** What each folder of src/ may import, besides itself. Everything else of ours is forbidden. */
const ALLOWED = {
  core: [],
  manifest: ['core'],
  fetch: ['core'],
  'resolve/conda': ['core', 'manifest'],
  'resolve/pypi': ['core', 'manifest'],
  'resolve/miniconda': ['core', 'manifest'],
  bundle: ['core', 'manifest', 'fetch'],
  build: ['core', 'manifest', 'fetch'],
  mirror: ['core', 'bundle'],
  cli: ['core', 'manifest', 'fetch', 'resolve/conda', 'resolve/pypi', 'resolve/miniconda', 'bundle', 'build', 'mirror'],
};
const FOLDERS = Object.keys(ALLOWED);

/** `../` repeated to climb from src/<folder>/ back to src/. */
const up = (folder) => '../'.repeat(folder.split('/').length);

function importDirection(folder) {
  const forbidden = FOLDERS.filter((f) => f !== folder && !ALLOWED[folder].includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        // both spellings of a path: through src/ (`../../fetch`) and the short one (`../conda`)
        patterns: forbidden.map((f) => ({
          group: [...new Set([`${up(folder)}${f}`, path.posix.relative(folder, f)])].flatMap((p) => [p, `${p}/*`]),
          message: `src/${folder}/ may import only ${ALLOWED[folder].join(', ') || 'nothing of ours'} (docs/ARCHITECTURE.md).`,
        })),
      }],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'demo-out/**', 'bench/out/**', 'fixtures/upstream/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', fetch: 'readonly',
        Response: 'readonly', Request: 'readonly', Headers: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly',
        performance: 'readonly', globalThis: 'readonly', __filename: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // tests read JSON documents (repodata, SBOMs, manifests) whose shape they assert on
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...FOLDERS.map(importDirection),
);
