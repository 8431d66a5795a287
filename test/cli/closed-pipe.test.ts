// A reader that closes its end of our stdout or stderr early (`| head -1`)
// must not turn a command into a crash with a stack trace: the work is
// finished and the exit code says how it went.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tolerateClosedPipes } from '../../src/cli/closed-pipe.js';
import { runBin } from '../helpers/run-cli.js';
import { INCLUDE_FILES, makeBuildpackRoot } from './buildpack-root.js';

// no dependencies: the run writes a zip and its log lines without any download
const NO_DEPENDENCIES = `---\nlanguage: python\ndependencies: []\n${INCLUDE_FILES}`;

function sink(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

describe('tolerateClosedPipes', () => {
  it('drops EPIPE and lets any other write error surface', () => {
    const s = sink();
    tolerateClosedPipes([s]);
    expect(() => s.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).not.toThrow();
    expect(() => s.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('write EIO');
  });

  it('guards a stream once however often it is called', () => {
    const s = sink();
    tolerateClosedPipes([s]);
    tolerateClosedPipes([s]);
    expect(s.listenerCount('error')).toBe(1);
  });
});

describe('a closed pipe on the command line', () => {
  it.each(['package', 'mirror'] as const)('bin/%s --help exits 0 when stdout is closed before it writes', async (bin) => {
    const r = await runBin(bin, ['--help'], { closed: 'stdout' });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error'/);
    expect(r.code).toBe(0);
  });

  it('bin/package offline still writes its zip and exits 0 when stderr is closed before its first log line', async () => {
    const root = await makeBuildpackRoot(NO_DEPENDENCIES);
    const out = path.join(root, 'out.zip');
    // without --json, which keeps stderr quiet: the log lines go there
    const r = await runBin('package', ['offline', '--cache-dir', path.join(root, 'cache'), '--output', out], { cwd: root, closed: 'stderr' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${out}\n`);
    expect(existsSync(out)).toBe(true);
  });

  it('bin/package offline --json exits 0 with its zip written when the reader of stdout is gone', async () => {
    const root = await makeBuildpackRoot(NO_DEPENDENCIES);
    const out = path.join(root, 'out.zip');
    const r = await runBin('package', ['offline', '--cache-dir', path.join(root, 'cache'), '--output', out, '--json'], { cwd: root, closed: 'stdout' });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error'/);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
