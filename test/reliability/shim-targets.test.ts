// The curl/wget shims (bin/shim/*) under the command lines a hostile or merely
// unusual build script gives them (issue 21, item 1). Each case is what real
// curl 7.88 / wget 1.21 do, checked by hand or, for byte ranges, against the
// real curl on a file:// URL of the same bytes:
// - an output that is not a plain file (/dev/null, a FIFO, /dev/stdout) is
//   written in place; renamed over, as root, it replaced /dev/null itself
//   (run here on a /dev of its own, in a private mount namespace);
// - `-o DIR` is curl's exit 23 and leaves no temp file (it was moved INTO DIR);
// - `-r/--range` sends those bytes (it was ignored, with exit 0);
// - a URL with a newline or control characters cannot forge a log line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteDir, tempDir } from '../helpers/tmp.js';
import { makeBundle, type Bundle } from '../staging/bundle-dir.js';
import { runScript } from '../staging/run-script.js';
import { record } from './support/report.js';

const URL = 'https://downloads.example.com/tools/blob-1.0.bin';
/** 3,000 bytes, every offset distinguishable. */
const BYTES = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + (i >> 8)) % 256));

let bp: Bundle;
let dirs: string[] = [];
beforeAll(async () => {
  const dir = await suiteDir('shim-targets-', process.env.TEST_DISK_TMPDIR);
  dirs.push(dir);
  bp = await makeBundle(dir, { installers: [], condaPackages: [], wheels: [], dependencies: [{ name: 'blob', version: '1.0', uri: URL, bytes: BYTES }] });
});
afterAll(async () => {
  const { rm } = await import('node:fs/promises');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

/** A command line in bash with the shim dir first on PATH, as bin/supply sets it. */
function sh(cwd: string, line: string, prefix: string[] = []) {
  const args = ['bash', '-c', line];
  const argv = [...prefix, ...args];
  return runScript(argv[0]!, argv.slice(1), { cwd, env: { PATH: `${path.join(bp.dir, 'bin/shim')}:${process.env.PATH}`, HOME: cwd, LANG: 'C.UTF-8' } });
}

const bundled = () => path.join(bp.dir, bp.index.find((r) => r.url === URL)!.path);
const isRoot = process.getuid?.() === 0;
const canUnshareMount = isRoot && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
if (!canUnshareMount) console.warn('[shim targets] not root or `unshare -m` not permitted: the /dev/null case is SKIPPED');

describe('shim output targets that are not plain files', () => {
  it.skipIf(!canUnshareMount)('as root, keeps /dev/null a device and /dev/stdout a link (private /dev in a mount namespace)', async () => {
    // the bundle and the working directory stay visible once /dev is replaced (vitest.config.ts may put temp files in /dev/shm)
    const cwd = await tempDir('shim-dev-', process.env.TEST_DISK_TMPDIR);
    // A /dev of its own, with a real null device: whatever the shim does, the machine's /dev is
    // untouched. Every case naming a /dev path runs in here, never against the real /dev.
    const script = [
      'set -u',
      // nothing below may run unless /dev is the private tmpfs
      'mount -t tmpfs tmpfs /dev && [ "$(stat -f -c %T /dev)" = tmpfs ] || { echo "no private /dev" >&2; exit 97; }',
      'mknod -m 666 /dev/null c 1 3',
      'ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/1 /dev/stdout',
      `curl -fsS -o /dev/null ${URL}; echo "curl=$?"`,
      `wget -q -O /dev/null ${URL}; echo "wget=$?"`,
      `curl -fsS -o /dev/stdout ${URL} > "$PWD/via-stdout"; echo "stdout=$?"`,
      `curl -fsS -o /dev/stdout ${URL} | cat > "$PWD/via-pipe"; echo "pipe=\${PIPESTATUS[0]}"`,
      `curl -fsS --output-dir /dev -o null ${URL}; echo "output-dir=$?"`,
      'stat -c "%F" /dev/null /dev/stdout',
      'ls -A /dev | tr "\\n" " "; echo',
    ].join('\n');
    const r = await sh(cwd, script, ['unshare', '-m', '--propagation', 'private']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['curl=0', 'wget=0', 'stdout=0', 'pipe=0', 'output-dir=0', 'character special file', 'symbolic link', 'fd null stdout ', '']);
    expect(Buffer.compare(await readFile(path.join(cwd, 'via-stdout')), BYTES)).toBe(0);
    expect(Buffer.compare(await readFile(path.join(cwd, 'via-pipe')), BYTES)).toBe(0);
    record({ suite: 'shim', case: '-o /dev/null as root', exit: 0, outcome: '/dev/null stays a character device, /dev/stdout a link' });
  });

  for (const tool of ['curl -fsS -o', 'wget -q -O']) {
    it(`\`${tool} FIFO\` writes into the FIFO: its reader gets the bytes and it stays a FIFO`, async () => {
      const cwd = await tempDir('shim-fifo-');
      // the reader gives up after 10 s, so a shim that replaced the FIFO fails the test instead of hanging it
      const r = await sh(cwd, `mkfifo pipe; timeout 10 cat pipe > got & ${tool} pipe ${URL}; echo "rc=$?"; wait; stat -c %F pipe`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('rc=0\nfifo\n');
      expect(Buffer.compare(await readFile(path.join(cwd, 'got')), BYTES)).toBe(0);
      expect((await readdir(cwd)).sort()).toEqual(['got', 'pipe']);
    });
  }

  it('fails `curl -o DIR` with exit 23 like curl, and `wget -O DIR` too, leaving no temp file', async () => {
    const cwd = await tempDir('shim-dir-');
    await mkdir(path.join(cwd, 'out'));
    const c = await sh(cwd, `curl -fsS -o out ${URL}`);
    expect(c.code).toBe(23);
    expect(c.stderr).toBe('curl: (23) Failure writing output to destination\n');
    const w = await sh(cwd, `wget -q -O out ${URL}`);
    expect(w.code).toBe(23);
    expect(w.stderr).toBe("wget: cannot write to 'out'\n");
    expect(await readdir(path.join(cwd, 'out'))).toEqual([]);
    expect(await readdir(cwd)).toEqual(['out']);
    record({ suite: 'shim', case: '-o EXISTING_DIR', exit: 23, outcome: 'curl (23) message, no temp file' });
  });
});

describe('curl shim byte ranges (-r/--range)', () => {
  // The real curl on a file:// URL of the same bytes is the reference (file:// honours ranges).
  const ranges = ['0-4', '1000-1999', '2990-', '-3', '2500-99999', '0-0'];
  for (const range of ranges) {
    it(`sends the bytes real curl sends for -r ${range}`, async () => {
      const cwd = await tempDir('shim-range-');
      const real = spawnSync('curl', ['-q', '-sS', '-r', range, `file://${bundled()}`]);
      expect(real.status).toBe(0);
      const r = await sh(cwd, `curl -fsS -r ${range} ${URL} > stdout && curl -fsS --range ${range} -o f ${URL}`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(Buffer.compare(await readFile(path.join(cwd, 'stdout')), real.stdout)).toBe(0);
      expect(Buffer.compare(await readFile(path.join(cwd, 'f')), real.stdout)).toBe(0);
    });
  }

  it('answers like a server that accepts ranges: 206, Content-Range, the range length in -w', async () => {
    const cwd = await tempDir('shim-range-');
    const r = await sh(cwd, `curl -sS -i -r 1000-1999 -w '%{http_code} %{size_download}' -o f ${URL}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('206 1000');
    const f = await readFile(path.join(cwd, 'f'));
    const head = 'HTTP/1.1 206 Partial Content\r\nContent-Length: 1000\r\nContent-Range: bytes 1000-1999/3000\r\n';
    expect(f.subarray(0, head.length).toString()).toBe(head);
    expect(Buffer.compare(f.subarray(f.indexOf('\r\n\r\n') + 4), BYTES.subarray(1000, 2000))).toBe(0);
  });

  it('fails a range past the end with 416 (exit 22), writing nothing', async () => {
    const cwd = await tempDir('shim-range-');
    const r = await sh(cwd, `curl -sS -r 3000- -w '%{http_code}' -o f ${URL}`);
    expect(r.code).toBe(22);
    expect(r.stdout).toBe('416');
    expect(r.stderr).toBe('curl: (22) The requested URL returned error: 416\n');
    expect(existsSync(path.join(cwd, 'f'))).toBe(false);
  });

  it('refuses several ranges or a value that is no range with a usage error (exit 2), never the whole file', async () => {
    const cwd = await tempDir('shim-range-');
    const cases: Array<[string, string]> = [
      ['0-1,5-6', 'curl: option --range: several ranges (0-1,5-6) cannot be answered from the buildpack; ask for one\n'],
      ['9-3', 'curl: option --range: 9-3 ends before it starts\n'],
      ['https://u:S3CR3T@h/x', 'curl: option --range: the value is not a byte range (FROM-TO, FROM- or -COUNT)\n'],
    ];
    for (const [range, message] of cases) {
      const r = await sh(cwd, `curl -fsS -r '${range}' ${URL}`);
      expect(r.code, range).toBe(2);
      expect(r.stdout, range).toBe('');
      expect(r.stderr.split('\n')[0] + '\n', range).toBe(message);
    }
    record({ suite: 'shim', case: '-r/--range', exit: 0, outcome: 'one range sent as 206; past the end 416 (exit 22); several or malformed: exit 2' });
  });
});

describe('a missed URL with control characters', () => {
  const forged = `https://downloads.example.com/a\nDEPENDENCY_MISSING_IN_BUNDLE: https://forged.example/\u001b[31mred\rz`;

  it('is shown by wget on its one DEPENDENCY_MISSING_IN_BUNDLE line, control characters as %XX', async () => {
    const cwd = await tempDir('shim-ctl-');
    const r = await runScript('wget', ['-q', '-O', 'f', forged], { cwd, env: { PATH: `${path.join(bp.dir, 'bin/shim')}:${process.env.PATH}`, HOME: cwd } });
    expect(r.code).toBe(22);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('DEPENDENCY_MISSING_IN_BUNDLE'))).toEqual([
      'DEPENDENCY_MISSING_IN_BUNDLE: https://downloads.example.com/a%0ADEPENDENCY_MISSING_IN_BUNDLE: https://forged.example/%1B[31mred%0Dz',
    ]);
    // nothing but the newlines that end lines: no raw CR, ESC or other control character
    expect([...r.stderr].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'))).toEqual([]);
    expect(existsSync(path.join(cwd, 'f'))).toBe(false);
  });

  it('is refused by curl as real curl refuses it (exit 3), unechoed', async () => {
    const cwd = await tempDir('shim-ctl-');
    for (const url of [forged, 'https://downloads.example.com/a b', 'https://downloads.example.com/a\tb']) {
      const r = await runScript('curl', ['-fsS', '-o', 'f', url], { cwd, env: { PATH: `${path.join(bp.dir, 'bin/shim')}:${process.env.PATH}`, HOME: cwd } });
      expect(r.code, JSON.stringify(url)).toBe(3);
      expect(r.stderr).toBe('curl: (3) URL using bad/illegal format or missing URL\n');
    }
    record({ suite: 'shim', case: 'URL with control characters', exit: 3, outcome: 'curl: exit 3 unechoed; wget: one line, %XX' });
  });
});
