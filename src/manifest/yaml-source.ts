// Loads a YAML document and remembers where every key and value sits, so that
// a validation error can say `manifest.yml: dependencies[3].sha256 (line 14,
// column 13)`. js-yaml builds plain objects and forgets positions; its
// `listener` option reports each node it composes ('open' before the node,
// 'close' after it), which is enough to rebuild a tree of node spans and walk
// it alongside the loaded value.
//
// Schema: YAML 1.2 core (null, bool, int, float) plus merge keys. No timestamp
// type, so `date: 2020-01-01` stays the string the user wrote (js-yaml's
// default schema would make it a Date), and no !!binary/!!set surprises.
// Spec: https://yaml.org/spec/1.2.2/#103-core-schema
import yaml from 'js-yaml';
import { PackagerError, type ErrorCode } from '../core/errors.js';
import { readRegularFile } from '../core/regular-file.js';
import { decodeText } from '../core/text.js';
import type { Position } from './types.js';

// js-yaml exports its built-in types at runtime; @types/js-yaml does not declare them.
const builtinTypes = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [builtinTypes.merge] });

/** Where one key/value pair (or sequence item) of the document sits. */
interface Located {
  /** The key's position (absent for sequence items and the root). */
  key?: Position;
  /** The value's position (for an empty value: just after the colon). */
  value: Position;
  /** Source text of a number scalar (`1.0`, `3`), so versions keep their spelling. */
  numberSource?: string;
}

/** Key path -> position, for one loaded document. Paths look like `dependencies[3].sha256`. */
export class PositionIndex {
  private readonly spots = new Map<string, Located>();

  /** Records where `path` sits. */
  set(path: string, spot: Located): void {
    this.spots.set(path, spot);
  }

  /** Position of the value at `path`, or of its nearest located ancestor. */
  valueAt(path: string): Position | undefined {
    for (let p: string | undefined = path; p !== undefined; p = parentPath(p)) {
      const spot = this.spots.get(p);
      if (spot) return spot.value;
    }
    return undefined;
  }

  /** Position of the key at `path` (falls back to the value, then ancestors). */
  keyAt(path: string): Position | undefined {
    const spot = this.spots.get(path);
    return spot?.key ?? this.valueAt(path);
  }

  /** The exact source text of the number at `path` (`1.0` stays `1.0`). */
  numberSource(path: string): string | undefined {
    return this.spots.get(path)?.numberSource;
  }
}

/** `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> `` -> undefined. */
export function parentPath(path: string): string | undefined {
  if (path === '') return undefined;
  const m = /^(.*)(\[\d+\]|\.[^.[\]]*)$/.exec(path);
  if (m) return m[1];
  return '';
}

/** Joins a key onto a path: `childPath('dependencies[0]', 'uri')`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

interface Frame {
  open: number;
  close: number;
  result: unknown;
  kind: string | null;
  children: Frame[];
}

/** Parsed document plus its position index. */
export interface YamlSource {
  value: unknown;
  index: PositionIndex;
}

/**
 * Parses `text` (one YAML document). Syntax errors become PackagerError(`code`)
 * naming `file` and the 1-based line/column js-yaml reports.
 */
export function loadYamlSource(text: string, file: string, code: ErrorCode): YamlSource {
  const root: Frame = { open: 0, close: 0, result: undefined, kind: null, children: [] };
  const stack: Frame[] = [root];
  let input = text;
  let value: unknown;
  try {
    value = yaml.load(text, {
      schema: SCHEMA,
      filename: file,
      listener(event, state) {
        input = state.input;
        if (event === 'open') {
          stack.push({ open: state.position, close: state.position, result: undefined, kind: null, children: [] });
        } else {
          const frame = stack.pop()!;
          frame.close = state.position;
          frame.result = state.result;
          frame.kind = state.kind;
          stack[stack.length - 1]!.children.push(frame);
        }
      },
    });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const line = err.mark ? err.mark.line + 1 : undefined;
      const column = err.mark ? err.mark.column + 1 : undefined;
      const where = line !== undefined ? ` (line ${line}, column ${column})` : '';
      throw new PackagerError(code, `Invalid YAML in ${file}${where}: ${err.reason}`, {
        file,
        line,
        column,
        hint: 'Fix the YAML syntax at that line (indentation, a missing colon or quote); `yamllint` shows the same spot.',
      }, { cause: err });
    }
    throw err;
  }
  assertYamlSize(value, file, code);
  const index = new PositionIndex();
  const docFrame = root.children[0];
  if (docFrame) {
    const locate = makeLocator(input);
    index.set('', { value: locate(docFrame, true) });
    walk(docFrame, value, '', index, locate);
  }
  return { value, index };
}

/** Largest manifest or lock read: real ones are kilobytes; this only stops a runaway file. */
export const MAX_YAML_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a manifest or lock as UTF-8 text. Refuses what is not a regular file
 * (`--manifest /dev/zero` would never end), a file past MAX_YAML_FILE_BYTES,
 * and bytes that are not UTF-8 (YAML 1.2 section 5.2; decoding them anyway
 * would package mojibake). A missing file throws the fs error (ENOENT) as is.
 */
export async function readYamlFile(file: string, code: ErrorCode): Promise<string> {
  const bytes = await readRegularFile(file, { code, maxBytes: MAX_YAML_FILE_BYTES, what: code === 'ELOCK' ? 'lock' : 'manifest' });
  return decodeText(bytes, file, code);
}

/** Most values a YAML document may stand for once its aliases are followed. */
export const MAX_YAML_VALUES = 1_000_000;

/**
 * How many values `value` stands for with every alias expanded, counting up
 * to just past `limit`. Shared subtrees are counted once per use but walked
 * once (memoised), so this is linear in the document even for a bomb.
 */
export function expandedValueCount(value: unknown, limit = MAX_YAML_VALUES): number {
  const memo = new Map<object, number>();
  const count = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    let n = 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      n += count(child);
      if (n > limit) break;
    }
    memo.set(v, n);
    return n;
  };
  return count(value);
}

/**
 * Refuses a document whose aliases expand past MAX_YAML_VALUES (a "billion
 * laughs" bomb: ten lines that stand for 10^12 strings). js-yaml shares
 * aliased nodes, but any code that walks or prints the value would expand them.
 */
export function assertYamlSize(value: unknown, file: string, code: ErrorCode): void {
  if (expandedValueCount(value) > MAX_YAML_VALUES) {
    throw new PackagerError(code, `${file}: its YAML aliases expand to more than ${MAX_YAML_VALUES} values; refusing to read it`, {
      file,
      hint: 'Write the values out instead of nesting aliases (*name) inside aliased lists; a real manifest needs nothing near this.',
    });
  }
}

interface Locator {
  (frame: Frame, hasContent: boolean): Position;
  /** The trimmed source text a frame spans. */
  source(frame: Frame): string;
}

// js-yaml fires 'open' before it skips the separating whitespace (the space
// after `key:`, a newline, comment lines), so the real start of a node is the
// first significant character at or after the open offset.
function makeLocator(input: string): Locator {
  const lineStarts = [0];
  for (let i = 0; i < input.length; i++) if (input.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toPosition = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
  const start = (frame: Frame, hasContent: boolean): number => {
    let i = frame.open;
    for (;;) {
      const ch = input[i];
      if (ch === ' ' || ch === '\t') i++;
      else if (hasContent && (ch === '\n' || ch === '\r')) i++;
      else if (hasContent && ch === '#') {
        while (i < input.length && input[i] !== '\n') i++;
      } else break;
    }
    return Math.min(i, Math.max(frame.close, frame.open));
  };
  const locate = ((frame: Frame, hasContent: boolean) => toPosition(start(frame, hasContent))) as Locator;
  locate.source = (frame) => input.slice(start(frame, true), frame.close).trim();
  return locate;
}

function hasContent(frame: Frame): boolean {
  return frame.kind !== null || frame.result !== null;
}

// A block mapping or sequence item is composed inside a wrapper frame (js-yaml
// first tries to read the item as an implicit key): descend to the frame that
// actually built the collection.
function unwrap(frame: Frame): Frame {
  let f = frame;
  while (f.children.length === 1 && f.children[0]!.result === f.result) f = f.children[0]!;
  return f;
}

function walk(frame: Frame, value: unknown, path: string, index: PositionIndex, locate: Locator): void {
  if (value === null || typeof value !== 'object') return;
  const f = unwrap(frame);
  if (Array.isArray(value)) {
    if (f.children.length !== value.length) return;
    value.forEach((item, i) => {
      const child = f.children[i]!;
      const p = childPath(path, i);
      index.set(p, { value: locate(child, hasContent(child)), numberSource: numberSource(child, locate) });
      walk(child, item, p, index, locate);
    });
    return;
  }
  // Mapping: children come in (key, value) pairs; a failed attempt to read one
  // more key at the end of a block mapping leaves an odd trailing frame.
  const pairs = Math.floor(f.children.length / 2);
  const obj = value as Record<string, unknown>;
  for (let k = 0; k < pairs; k++) {
    const keyFrame = f.children[2 * k]!;
    const valueFrame = f.children[2 * k + 1]!;
    if (keyFrame.result === null || typeof keyFrame.result === 'object') continue;
    const key = String(keyFrame.result);
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const p = childPath(path, key);
    index.set(p, {
      key: locate(keyFrame, true),
      value: locate(valueFrame, hasContent(valueFrame)),
      numberSource: numberSource(valueFrame, locate),
    });
    walk(valueFrame, obj[key], p, index, locate);
  }
}

function numberSource(frame: Frame, locate: Locator): string | undefined {
  if (typeof frame.result !== 'number') return undefined;
  const text = locate.source(frame);
  // Only a plain scalar's text is the number's spelling; anything else (a tag,
  // an anchor) falls back to the value itself.
  return /^[-+]?[0-9][0-9_.eE+-]*$|^[-+]?\.[0-9]/.test(text) ? text : undefined;
}
