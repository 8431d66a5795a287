// Typed reads of a loaded YAML document. Every read that finds the wrong type
// records a Problem with the key path and its line/column instead of throwing,
// so one run reports every mistake in the file, not just the first.
import { PackagerError, formatLocation, type ErrorCode } from '../core/errors.js';
import { childPath, type PositionIndex } from './yaml-source.js';

/** One thing wrong with a file, located. */
export interface Problem {
  key?: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
  wanted?: string;
  found?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What a YAML value is, in words a user recognises: `a list`, `a string`. */
export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

/** Short rendering of a value for a message (`found` side). */
export function preview(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v as Json);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** True for a YAML mapping (a plain object, not a list or null). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Collects problems about one file and reads typed values out of it. */
export class FieldReader {
  readonly problems: Problem[] = [];

  constructor(
    readonly file: string,
    readonly index: PositionIndex,
  ) {}

  /** Records a problem about the value at `key` (or, with `at: 'key'`, about the key itself). */
  problem(key: string | undefined, message: string, extra: Omit<Problem, 'key' | 'message'> & { at?: 'key' | 'value' } = {}): void {
    const { at, ...rest } = extra;
    const pos = key === undefined ? undefined : at === 'key' ? this.index.keyAt(key) : this.index.valueAt(key);
    this.problems.push({ key: key || undefined, line: pos?.line, column: pos?.column, message, ...rest });
  }

  /** `file: key (line L, column C): message`. */
  format(p: Problem): string {
    return `${formatLocation({ file: this.file, key: p.key, line: p.line, column: p.column })}: ${p.message}`;
  }

  /** Throws one PackagerError for everything recorded (no-op when nothing was). */
  throwIfAny(code: ErrorCode): void {
    if (this.problems.length === 0) return;
    const [first] = this.problems;
    const more = this.problems.length - 1;
    const message = this.format(first!) + (more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '');
    throw new PackagerError(code, message, {
      file: this.file,
      key: first!.key,
      line: first!.line,
      column: first!.column,
      wanted: first!.wanted,
      found: first!.found,
      hint: first!.hint,
      ...(more > 0 ? { problems: this.problems.map((p) => this.format(p)) } : {}),
    });
  }

  private wrongType(key: string, wanted: string, v: unknown): undefined {
    const shown = v === null || v === undefined ? '' : `: ${preview(v)}`;
    this.problem(key, `expected ${wanted}, got ${describeType(v)}${shown}`, { wanted, found: describeType(v) });
    return undefined;
  }

  /** A mapping, or undefined (recording a problem unless absent and optional). */
  mapping(v: unknown, key: string, required = false): Record<string, unknown> | undefined {
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (!isMapping(v)) return this.wrongType(key, 'a mapping', v);
    return v;
  }

  /** A list, or undefined. */
  list(v: unknown, key: string, required = false): unknown[] | undefined {
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (!Array.isArray(v)) return this.wrongType(key, 'a list', v);
    return v;
  }

  /**
   * A string. Numbers are accepted with the spelling the file used, because
   * YAML types `version: 1.0` as a float and `3` as an int, yet both mean the
   * text the author typed.
   */
  string(v: unknown, key: string, required = false): string | undefined {
    if (v === undefined || (v === null && required)) return required ? this.missing(key) : undefined;
    if (typeof v === 'string') {
      if (required && v.trim() === '') {
        this.problem(key, 'must not be empty');
        return undefined;
      }
      return v;
    }
    if (typeof v === 'number') return this.index.numberSource(key) ?? String(v);
    return this.wrongType(key, 'a string', v);
  }

  /** A list of strings (each item read with `string`). */
  stringList(v: unknown, key: string, required = false): string[] | undefined {
    const items = this.list(v, key, required);
    if (!items) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = this.string(item, childPath(key, i), true);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  /** A non-negative integer. */
  integer(v: unknown, key: string, required = false): number | undefined {
    if (v === undefined) return required ? this.missing(key) : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return this.wrongType(key, 'a whole number', v);
    return v;
  }

  /** true or false. */
  boolean(v: unknown, key: string): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return this.wrongType(key, 'true or false', v);
    return v;
  }

  private missing(key: string): undefined {
    this.problem(key, 'missing required key', { at: 'key' });
    return undefined;
  }
}
