// Libraries report; cli/ renders. Library code never writes to stdout/stderr
// itself: it is handed a Logger and, for long work, an onProgress callback.

/** Where library code sends human-readable events. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Progress of one artifact through fetch/copy; cli/ turns these into a display. */
export type ProgressEvent =
  | { type: 'start'; id: string; name: string; total?: number }
  | { type: 'bytes'; id: string; bytes: number }
  | { type: 'retry'; id: string; attempt: number; delayMs: number; reason: string }
  | { type: 'done'; id: string; bytes: number; cached: boolean };

export type OnProgress = (event: ProgressEvent) => void;

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, debug() {} };

/** A logger that keeps lines in memory (tests, --json runs). */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'info' | 'warn' | 'debug'; message: string }[] = [];
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.message}`).join('\n');
  }
}
