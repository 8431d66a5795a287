import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_CACHE_FILES, commandTag, loadWithCodeCache } from '../../src/cli/code-cache.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

// A CommonJS file with enough code that V8 has bytecode to cache; `word` is
// what its function answers, so two versions can have the very same length.
function bundleSource(word: string): string {
  const helpers = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x.map((v) => v * ${i + 1}).filter((v) => v % 3 !== 0).length; }`).join('\n');
  return `${helpers}\nexports.answer = () => '${word}' + [${Array.from({ length: 50 }, (_, i) => `f${i}([1, 2, 3])`).join(', ')}].length;\n`;
}

async function setup(word = 'one') {
  const dir = await tempDir();
  const file = path.join(dir, 'cli.bundle.cjs');
  await writeFile(file, bundleSource(word));
  return { dir, file, cacheDir: path.join(dir, '.code-cache') };
}

type Answer = { answer(): string };

const DIST = path.join(ROOT, 'dist/cli/code-cache.js');

/**
 * Loads `file` in a new node process (as bin/package does), saves the cache
 * and says what it found: in one process, V8's in-memory compilation cache
 * would serve the second compile of a source and never look at the file.
 */
async function loadInChild(file: string, cacheDir: string | undefined, tag = 'offline', nodeFlags: string[] = []): Promise<{ cache: string; answer: string }> {
  const code = `const m = await import(${JSON.stringify(pathToFileURL(DIST).href)});
const b = m.loadWithCodeCache(${JSON.stringify(file)}, { cacheDir: ${JSON.stringify(cacheDir)}, tag: ${JSON.stringify(tag)} });
process.stdout.write(JSON.stringify({ cache: b.cache, answer: b.exports.answer() }));
b.save();`;
  const { stdout } = await run(process.execPath, [...nodeFlags, '--input-type=module', '-e', code]);
  return JSON.parse(stdout) as { cache: string; answer: string };
}

describe('code cache', () => {
  it('runs the bundle, saves its code, and the next run of the same command uses it', async () => {
    const { file, cacheDir } = await setup();
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'miss', answer: 'one50' });
    expect(await readdir(cacheDir)).toHaveLength(1);
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'hit', answer: 'one50' });
    // another command has a cache of its own
    expect(await loadInChild(file, cacheDir, 'verify')).toEqual({ cache: 'miss', answer: 'one50' });
    expect(await readdir(cacheDir)).toHaveLength(2);
  });

  it('never runs the cached code of an earlier bundle of the same length', async () => {
    const { file, cacheDir } = await setup('one');
    await loadInChild(file, cacheDir);
    const rebuilt = bundleSource('two');
    expect(rebuilt.length).toBe(bundleSource('one').length); // V8 knows a source only by its length
    await writeFile(file, rebuilt);
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'miss', answer: 'two50' });
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'hit', answer: 'two50' });
  });

  it('keeps one cache per set of node flags: V8 refuses a cache made under other flags', async () => {
    const { file, cacheDir } = await setup();
    // what bin/package's shebang adds, and a plain `node bin/package`
    const shebang = ['--max-semi-space-size=2', '--no-concurrent-array-buffer-sweeping'];
    expect((await loadInChild(file, cacheDir, 'offline', shebang)).cache).toBe('miss');
    expect((await loadInChild(file, cacheDir, 'offline')).cache).toBe('miss');
    expect((await loadInChild(file, cacheDir, 'offline', shebang)).cache).toBe('hit');
    expect((await loadInChild(file, cacheDir, 'offline')).cache).toBe('hit');
    expect(await readdir(cacheDir)).toHaveLength(2);
  });

  it('rewrites a cache V8 refuses (damaged), and still runs the bundle', async () => {
    const { file, cacheDir } = await setup();
    await loadInChild(file, cacheDir);
    const [name] = await readdir(cacheDir);
    const cacheFile = path.join(cacheDir, name!);
    const bytes = await readFile(cacheFile);
    bytes.fill(0x5a, 0, 64);
    await writeFile(cacheFile, bytes);
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'rejected', answer: 'one50' });
    expect(await loadInChild(file, cacheDir)).toEqual({ cache: 'hit', answer: 'one50' });
  });

  it('runs without a cache where none can be written, and with none at all when turned off', async () => {
    const { dir, file } = await setup();
    const blocked = path.join(dir, 'a-file');
    await writeFile(blocked, '');
    const unwritable = loadWithCodeCache<Answer>(file, { cacheDir: path.join(blocked, 'cache'), tag: 'offline' });
    expect(() => unwritable.save()).not.toThrow();
    expect(unwritable.exports.answer()).toBe('one50');
    expect(await readdir(dir)).toEqual(['a-file', 'cli.bundle.cjs']);
    const off = loadWithCodeCache<Answer>(file, { cacheDir: undefined, tag: 'offline' });
    expect(off.cache).toBe('off');
    off.save();
    expect(await readdir(dir)).toEqual(['a-file', 'cli.bundle.cjs']);
  });

  it('keeps at most MAX_CACHE_FILES files: a save beyond that starts the directory afresh', async () => {
    const { file, cacheDir } = await setup();
    loadWithCodeCache<Answer>(file, { cacheDir, tag: 'first' }).save();
    for (let i = 1; i < MAX_CACHE_FILES; i++) await writeFile(path.join(cacheDir, `old-${i}.bin`), 'x');
    expect(await readdir(cacheDir)).toHaveLength(MAX_CACHE_FILES);
    loadWithCodeCache<Answer>(file, { cacheDir, tag: 'offline' }).save();
    expect((await readdir(cacheDir)).map((n) => n.split('.')[3])).toEqual(['offline']);
  });

  it('names the cache after the command (help when help is asked for), and anything else after nothing', () => {
    expect(commandTag(['offline', '--manifest', 'm.yml'])).toBe('offline');
    expect(commandTag(['offline', '--help'])).toBe('help');
    expect(commandTag(['-h'])).toBe('help');
    expect(commandTag(['--tool-version'])).toBe('tool-version');
    expect(commandTag([])).toBe('default');
    expect(commandTag(['/tmp/some.zip'])).toBe('default');
    expect(commandTag(['x'.repeat(40)])).toBe('default');
  });
});
