import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

/** A copy of the launcher `bin/<name>` in a root of its own, with `dist` files the test writes. */
async function launcherIn(name: 'package' | 'mirror', dist: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir('launcher-');
  await mkdir(path.join(dir, 'bin'));
  await copyFile(path.join(ROOT, 'bin', name), path.join(dir, 'bin', name));
  await copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  for (const [rel, text] of Object.entries(dist)) {
    await mkdir(path.dirname(path.join(dir, 'dist', rel)), { recursive: true });
    await writeFile(path.join(dir, 'dist', rel), text);
  }
  return path.join(dir, 'bin', name);
}

/** Runs `bin` with node (`node bin/package`), or as the executable it is, through `sh`. */
async function exitOf(bin: string, how: 'node' | 'sh' = 'node'): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = how === 'node' ? await run(process.execPath, [bin]) : await run('sh', [bin, 'a b', '--c']);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.each(['package', 'mirror'] as const)('bin/%s', (name) => {
  it('says how to build it when dist/ is missing, and exits 1', async () => {
    const r = await exitOf(await launcherIn(name));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the ${name === 'package' ? 'packager' : 'mirror'} is not built yet\nhint: run \`npm ci\` (or \`npm run build\`) in the buildpack root first\n`,
    );
  });

  it('prints stack traces at the TypeScript source lines, through tsc\'s source maps', async () => {
    // a compiled entry that fails on its first line, which its map places on line 7 of the .ts source
    const bin = await launcherIn(name, {
      [`bundled/${name}.js`]: `throw new Error('boom');\n//# sourceMappingURL=${name}.js.map\n`,
      [`bundled/${name}.js.map`]: JSON.stringify({ version: 3, file: `${name}.js`, sources: [`../../src/cli/${name}-main.ts`], names: [], mappings: 'AAMA' }),
    });
    const r = await exitOf(bin);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('boom');
    expect(r.stderr).toContain(`src/cli/${name}-main.ts:7:`);
  });

  it('runs a bundle whose source maps lead to the TypeScript sources, not to the compiled dist/', async () => {
    const map = JSON.parse(await readFile(path.join(ROOT, 'dist/bundled', `${name}.js.map`), 'utf8')) as { sources: string[] };
    expect(map.sources).toContain(`../../src/cli/${name}-program.ts`);
    expect(map.sources.filter((s) => s.includes('/dist/'))).toEqual([]);
  });
});

describe('bin/package run as an executable', () => {
  it('starts node through sh with a 2 MiB young generation, and passes arguments and exit code through', async () => {
    const bin = await launcherIn('package', {
      'bundled/package.js': 'process.stdout.write(JSON.stringify([process.execArgv, process.argv.slice(2)])); process.exitCode = 3;\n',
    });
    const r = await exitOf(bin, 'sh');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual([['--max-semi-space-size=2'], ['a b', '--c']]);
  });
});
