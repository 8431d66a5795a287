// The only place that writes to the terminal. stdout carries the product (zip
// path, --json); everything else goes to stderr. On a TTY, one live progress
// line is kept at the bottom and log lines scroll above it; otherwise progress
// is silent and every event is its own plain line.
import type { Logger, ProgressEvent } from '../core/index.js';
import { redactText } from '../core/index.js';

export interface ConsoleOptions {
  stream?: NodeJS.WriteStream;
  verbose?: boolean;
  /** --json: keep stderr to warnings and errors so scripts see little noise. */
  quiet?: boolean;
  /** Force TTY rendering on or off (tests). */
  tty?: boolean;
}

/** Human-readable sizes: 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}

/** Logger + progress renderer for the CLI. */
export class ConsoleReporter implements Logger {
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly verbose: boolean;
  private readonly quiet: boolean;
  private statusShown = false;
  private totalFiles = 0;
  private totalBytes = 0;
  private doneFiles = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly active = new Map<string, { name: string; total?: number; bytes: number }>();

  constructor(o: ConsoleOptions = {}) {
    this.out = o.stream ?? process.stderr;
    this.tty = o.tty ?? Boolean(this.out.isTTY && process.env.TERM !== 'dumb' && !process.env.CI);
    this.verbose = o.verbose ?? false;
    this.quiet = o.quiet ?? false;
  }

  /** Tells the progress display how much work there is. */
  plan(files: number, bytes: number): void {
    this.totalFiles = files;
    this.totalBytes = bytes;
  }

  info(message: string): void {
    if (!this.quiet) this.line(message);
  }
  /** Several info lines in one write (the mirror's access log under load). */
  infoLines(messages: readonly string[]): void {
    if (!this.quiet && messages.length) this.line(messages.join('\n'));
  }
  warn(message: string): void {
    this.line(`warning: ${message}`);
  }
  debug(message: string): void {
    if (this.verbose) this.line(message);
  }
  /** Prints an error block (already rendered). */
  error(text: string): void {
    this.line(text);
  }

  /** onProgress callback for fetch/bundle. */
  readonly onProgress = (e: ProgressEvent): void => {
    switch (e.type) {
      case 'start':
        this.active.set(e.id, { name: e.name, total: e.total, bytes: 0 });
        break;
      case 'bytes': {
        // fetch reports the running total of one artifact, not a delta.
        const a = this.active.get(e.id);
        if (a) {
          this.bytes += Math.max(0, e.bytes - a.bytes);
          a.bytes = e.bytes;
        }
        break;
      }
      case 'retry':
        break;
      case 'done': {
        const a = this.active.get(e.id);
        this.bytes += Math.max(0, e.bytes - (a?.bytes ?? 0));
        this.active.delete(e.id);
        this.doneFiles++;
        break;
      }
    }
    if (this.tty && !this.quiet) this.draw(e.type === 'done');
  };

  /** Removes the live line (call before printing the final result). */
  finish(): void {
    if (this.statusShown) {
      this.out.write('\r\x1b[2K');
      this.statusShown = false;
    }
  }

  private line(message: string): void {
    const text = redactText(message);
    if (this.statusShown) this.out.write('\r\x1b[2K');
    this.out.write(text + '\n');
    if (this.statusShown) {
      this.statusShown = false;
      this.draw(true);
    }
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const elapsed = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.bytes / elapsed;
    const remaining = this.totalBytes > this.bytes ? (this.totalBytes - this.bytes) / Math.max(rate, 1) : 0;
    const total = this.totalBytes ? ` / ${formatBytes(this.totalBytes)}` : '';
    const status =
      `  ${this.doneFiles}/${this.totalFiles || '?'} files, ${formatBytes(this.bytes)}${total}, ` +
      `${formatBytes(rate)}/s, ETA ${formatDuration(remaining)}`;
    const width = this.out.columns ?? 100;
    this.out.write('\r\x1b[2K' + status.slice(0, width - 1));
    this.statusShown = true;
  }
}
