// Runs a CLI's one-file CommonJS bundle through V8's code cache: the bytecode
// of every function a command compiled is saved when it exits, and the next
// run of that command deserialises it instead of parsing and compiling the
// ~1 MB bundle again. Node 20 has no module compile cache
// (`module.enableCompileCache` arrived in Node 22.1), so this is the same
// idea done by hand with node:vm, as v8-compile-cache did for older Nodes.
// That package caches only what V8 compiles eagerly (the top-level code); a
// command spends its start-up in the functions it calls, which only
// `createCachedData()` at exit captures (bench/BENCHMARKS.md, "Start-up").
//
// One cache file per command (`offline`, `verify`, ...): each holds the code
// that command ran. V8 checks a cache against its own version and flags but
// knows the source only by its length, so the file name carries a sha256 of
// the bundle's text: a rebuilt bundle never meets the bytecode of another.
// The node flags (the command line's and NODE_OPTIONS) go into that hash too:
// V8 refuses a cache made under other flags, and `node bin/package` and
// `bin/package` (whose shebang adds some) would otherwise overwrite each
// other's cache on every run.
// A cache that cannot be read or written (a read-only install) only costs
// the compile; PACKAGER_CODE_CACHE=0 turns it off.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

/** What happened to the cache on this load. */
export type CodeCacheUse = 'hit' | 'miss' | 'rejected' | 'off';

export interface LoadedBundle<T> {
  exports: T;
  cache: CodeCacheUse;
  /** Writes the cache for the next run when this one had none (or V8 refused it); never throws. */
  save(): void;
}

/**
 * The cache file's name part for a command line (without node and the
 * script): its command word (`offline`), `help` when help is asked for (a
 * cache made by `offline --help` would hold little of what `offline` runs),
 * else `default`.
 */
export function commandTag(args: string[]): string {
  if (args.some((a) => a === '-h' || a === '--help')) return 'help';
  const m = /^-{0,2}([a-z][a-z-]{0,23})$/.exec(args[0] ?? '');
  return m ? m[1]! : 'default';
}

/** Cache files kept at most: a save beyond this clears the directory first (typos make tags too). */
export const MAX_CACHE_FILES = 32;

/**
 * Loads the CommonJS file `file` (as require would, with its own require for
 * node_modules beside it), using and later refreshing the code cache in
 * `cacheDir` (undefined: no cache) under `tag`.
 */
export function loadWithCodeCache<T>(file: string, o: { cacheDir: string | undefined; tag: string }): LoadedBundle<T> {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(source).update(`\0${process.execArgv.join('\0')}\0${process.env.NODE_OPTIONS ?? ''}`).digest('hex').slice(0, 20);
  const cacheFile = o.cacheDir ? path.join(o.cacheDir, `${path.basename(file)}.${o.tag}.${key}.bin`) : undefined;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // none yet: this run writes it
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cache: CodeCacheUse = !cacheFile ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const mod = { exports: {} as T };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  return {
    exports: mod.exports,
    cache,
    save() {
      if (!cacheFile || cache === 'hit') return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        const dir = path.dirname(cacheFile);
        if (existsSync(dir) && readdirSync(dir).length >= MAX_CACHE_FILES) rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        // temp + rename: two commands finishing at once never leave a torn file
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {
          // nothing more to do: the next run compiles again
        }
      }
    },
  };
}

/**
 * What bin/package and bin/mirror run: the CLI `name` from its bundle
 * (dist/cli/<name>.bundle.cjs) through the code cache, or, in a tsc-only
 * build, from its modules (dist/cli/<name>-main.js).
 */
export async function runCli(name: 'package' | 'mirror', argv: string[]): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.join(here, `${name}.bundle.cjs`);
  if (!existsSync(file)) {
    await import(pathToFileURL(path.join(here, `${name}-main.js`)).href);
    return;
  }
  const cacheDir = process.env.PACKAGER_CODE_CACHE === '0' ? undefined : path.join(here, '.code-cache');
  const bundle = loadWithCodeCache<{ main(argv: string[]): Promise<void> }>(file, { cacheDir, tag: commandTag(argv.slice(2)) });
  process.once('exit', () => bundle.save());
  await bundle.exports.main(argv);
}
