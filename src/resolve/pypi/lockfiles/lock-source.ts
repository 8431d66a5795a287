// Shared by the lock readers: parsing TOML/JSON into plain data with errors
// that name the file, line and key; typed field access; markers, hashes and
// local paths checked the same way for every format.
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { type ErrorDetails, PackagerError, percentDecoded } from '../../../core/index.js';
import { type Marker, MarkerSyntaxError, parseMarker } from '../markers.js';

export type Table = Record<string, unknown>;

/** Where a problem is, for error details. */
export interface Where {
  file: string;
  line?: number;
  key?: string;
}

/** An EINPUT error about the lock (exit 1: the app's input is wrong). */
export function lockError(message: string, where: Where, details: Omit<ErrorDetails, 'file' | 'line' | 'key'> = {}): PackagerError {
  const d: ErrorDetails = { file: where.file, ...details };
  if (where.line !== undefined) d.line = where.line;
  if (where.key !== undefined) d.key = where.key;
  return new PackagerError('EINPUT', message, d);
}

/** `uv.lock line 42` or `uv.lock` for messages. */
export function describeWhere(where: Where): string {
  return where.line !== undefined ? `${where.file} line ${where.line}` : where.file;
}

/** Parses a TOML lock; a syntax error names its line and column. */
export function parseTomlLock(text: string, file: string, hint: string): Table {
  try {
    return parseToml(text, { unsafeKeyBehaviour: 'throw' }) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0];
      throw new PackagerError('EINPUT', `${file} is not valid TOML: ${first}`, { file, line: err.line, column: err.column, hint });
    }
    throw err;
  }
}

/** Parses a JSON lock; a syntax error names its line and column when the parser gives a position. */
export function parseJsonLock(text: string, file: string, hint: string): Table {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const message = (err as Error).message;
    const details: ErrorDetails = { file, hint };
    const pos = /at position (\d+)/.exec(message);
    if (pos) {
      const before = text.slice(0, Number(pos[1])).split(/\r\n|\r|\n/);
      details.line = before.length;
      details.column = before[before.length - 1]!.length + 1;
    }
    throw new PackagerError('EINPUT', `${file} is not valid JSON: ${message}`, details);
  }
  if (!isTable(data)) throw new PackagerError('EINPUT', `${file} is not a JSON object`, { file, hint });
  return data;
}

/**
 * 1-based line of each `[[name]]` header, in order: the line of the Nth table
 * of an array of tables. Tools write one header per entry; when the count
 * does not match the parsed array (inline arrays), lines are left out.
 */
export function arrayTableLines(text: string, name: string, count: number): (number | undefined)[] {
  const lines: number[] = [];
  const header = new RegExp(`^\\s*\\[\\[\\s*${name.replace(/[.]/g, '\\.')}\\s*\\]\\]\\s*(#.*)?$`);
  text.split(/\r\n|\r|\n/).forEach((l, i) => {
    if (header.test(l)) lines.push(i + 1);
  });
  return lines.length === count ? lines : new Array<undefined>(count).fill(undefined);
}

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** A field that must be a string (or is absent when `optional`). */
export function str(t: Table, key: string, where: Where, optional: true): string | undefined;
export function str(t: Table, key: string, where: Where, optional?: false): string;
export function str(t: Table, key: string, where: Where, optional = false): string | undefined {
  const v = t[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') {
    throw lockError(`${describeWhere(where)}: \`${key}\` must be a string${v === undefined ? ' and is missing' : ''}`, { ...where, key }, { hint: 'regenerate the lock file with its tool' });
  }
  return v;
}

export function table(t: Table, key: string, where: Where): Table | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!isTable(v)) throw lockError(`${describeWhere(where)}: \`${key}\` must be a table`, { ...where, key }, { hint: 'regenerate the lock file with its tool' });
  return v;
}

export function array(t: Table, key: string, where: Where): unknown[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw lockError(`${describeWhere(where)}: \`${key}\` must be an array`, { ...where, key }, { hint: 'regenerate the lock file with its tool' });
  return v;
}

export function tables(t: Table, key: string, where: Where): Table[] {
  return array(t, key, where).map((v, i) => {
    if (!isTable(v)) throw lockError(`${describeWhere(where)}: \`${key}[${i}]\` must be a table`, { ...where, key: `${key}[${i}]` }, { hint: 'regenerate the lock file with its tool' });
    return v;
  });
}

export function strings(t: Table, key: string, where: Where): string[] {
  return array(t, key, where).map((v, i) => {
    if (typeof v !== 'string') throw lockError(`${describeWhere(where)}: \`${key}[${i}]\` must be a string`, { ...where, key: `${key}[${i}]` }, { hint: 'regenerate the lock file with its tool' });
    return v;
  });
}

/** Parses a marker the lock wrote; a bad one is an EINPUT error naming where. */
export function lockMarker(text: string, where: Where): Marker {
  try {
    return parseMarker(text);
  } catch (err) {
    if (err instanceof MarkerSyntaxError) {
      throw lockError(`${describeWhere(where)}: marker ${JSON.stringify(text)} does not parse: ${err.message}`, where, { found: text, hint: 'regenerate the lock file with its tool' });
    }
    throw err;
  }
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/** `sha256:<hex>` (or a bare hex value when `algorithm` is known to be sha256) -> lower-case hex, else undefined. */
export function sha256From(value: string): string | undefined {
  const m = /^sha256[:=]([0-9a-fA-F]{64})$/.exec(value.trim());
  if (m) return m[1]!.toLowerCase();
  return undefined;
}

/** A bare sha256 hex digest, lower-cased, or undefined. */
export function sha256Hex(value: unknown): string | undefined {
  return typeof value === 'string' && SHA256_RE.test(value.toLowerCase()) ? value.toLowerCase() : undefined;
}

/**
 * A path the lock gives for something in the app (a directory, a local archive):
 * relative, POSIX, and inside the lock's directory. Anything else cannot be
 * bundled from the app and is refused.
 */
export function pathInsideApp(p: string, where: Where, what: string): string {
  const posix = p.replace(/\\/g, '/');
  const normal = path.posix.normalize(posix);
  if (path.posix.isAbsolute(posix) || /^[A-Za-z]:\//.test(posix) || normal === '..' || normal.startsWith('../')) {
    throw lockError(`${describeWhere(where)}: ${what} is at ${JSON.stringify(p)}, outside the app: staging has only the app's own files and the buildpack`, where, {
      found: p,
      hint: 'move the project into the app directory (and lock it there), or build it into a wheel that the buildpack carries',
    });
  }
  return normal === '' ? '.' : normal.replace(/\/$/, '');
}

/** The last segment of a URL's path, decoded (a file name). */
export function urlFilename(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url.split(/[?#]/)[0]!;
  }
  return percentDecoded(pathname.split('/').pop() ?? '');
}
