import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConsoleReporter, formatBytes } from '../../src/cli/console.js';

function capture() {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('ConsoleReporter', () => {
  it('keeps one live progress line with files, bytes, rate and ETA on a TTY', () => {
    const out = capture();
    const r = new ConsoleReporter({ stream: out.stream, tty: true });
    r.plan(2, 2048);
    r.onProgress({ type: 'start', id: 'a', name: 'a 1.0', total: 1024 });
    r.onProgress({ type: 'bytes', id: 'a', bytes: 1024 });
    r.onProgress({ type: 'done', id: 'a', bytes: 1024, cached: false });
    r.info('Using cached b 1.0');
    r.finish();
    const text = out.text();
    expect(text).toMatch(/1\/2 files, 1\.0 KiB \/ 2\.0 KiB, .*\/s, ETA /);
    expect(text).toContain('\r\x1b[2K');
    expect(text).toContain('Using cached b 1.0\n');
  });

  it('counts running totals from fetch once, not once per event', () => {
    const out = capture();
    const r = new ConsoleReporter({ stream: out.stream, tty: true });
    r.plan(1, 300);
    r.onProgress({ type: 'start', id: 'a', name: 'a', total: 300 });
    r.onProgress({ type: 'bytes', id: 'a', bytes: 100 });
    r.onProgress({ type: 'bytes', id: 'a', bytes: 300 });
    r.onProgress({ type: 'done', id: 'a', bytes: 300, cached: false });
    expect(out.text()).toContain('1/1 files, 300 B / 300 B');
  });

  it('prints plain lines and no progress when not a TTY, redacting URLs', () => {
    const out = capture();
    const r = new ConsoleReporter({ stream: out.stream, tty: false });
    r.onProgress({ type: 'start', id: 'a', name: 'a' });
    r.info('Downloading a 1.0 from https://u:p@h/a.tgz');
    r.warn('slow mirror');
    expect(out.text()).toBe('Downloading a 1.0 from https://-redacted-:-redacted-@h/a.tgz\nwarning: slow mirror\n');
  });

  it('formats sizes with binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});
