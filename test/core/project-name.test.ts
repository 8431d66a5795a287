import { describe, expect, it } from 'vitest';
import { normalizeProjectName } from '../../src/core/index.js';

describe('PEP 503 project names', () => {
  it.each([
    ['has.script', 'has-script'],
    ['Foo__Bar', 'foo-bar'],
    ['typing_extensions', 'typing-extensions'],
    ['INITools', 'initools'],
    ['a-_.b', 'a-b'],
    ['Foo.Bar__baz-Qux', 'foo-bar-baz-qux'],
    ['-x-', '-x-'],
  ])('%s -> %s', (a, b) => expect(normalizeProjectName(a)).toBe(b));
});
