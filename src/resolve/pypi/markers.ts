// PEP 508 environment markers: parse once, evaluate against the TARGET
// environment (the stack's Python and platform), never this machine's.
// Spec: https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers
// `and` binds tighter than `or`: `a or b and c` is `a or (b and c)`.
import { PackagerError, normalizeProjectName } from '../../core/index.js';
import { matchesSpecifier, parseSpecifier, tryParseVersion } from './pep440.js';

export type MarkerVariable =
  | 'python_version'
  | 'python_full_version'
  | 'os_name'
  | 'sys_platform'
  | 'platform_release'
  | 'platform_system'
  | 'platform_version'
  | 'platform_machine'
  | 'platform_python_implementation'
  | 'implementation_name'
  | 'implementation_version'
  | 'extra'
  // PEP 751: sets of names, defined only in lock files (`"dev" in dependency_groups`)
  | 'extras'
  | 'dependency_groups';

export type MarkerValue = { variable: MarkerVariable } | { literal: string };

export type MarkerOp = '===' | '==' | '~=' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | 'not in';

export type Marker =
  | { type: 'compare'; lhs: MarkerValue; op: MarkerOp; rhs: MarkerValue }
  | { type: 'and' | 'or'; left: Marker; right: Marker };

/** Values of every marker variable except `extra` and the lock-file sets. */
export type MarkerEnvironment = Record<Exclude<MarkerVariable, 'extra' | LockSetVariable>, string>;

type LockSetVariable = 'extras' | 'dependency_groups';

/** PEP 751's set-valued variables, as a lock file's reader knows them (normalised names). */
export type LockMarkerSets = Record<LockSetVariable, ReadonlySet<string>>;

// Legacy dotted spellings that packaging still accepts.
const ALIASES: Record<string, MarkerVariable> = {
  'os.name': 'os_name',
  'sys.platform': 'sys_platform',
  'platform.version': 'platform_version',
  'platform.machine': 'platform_machine',
  'platform.python_implementation': 'platform_python_implementation',
  python_implementation: 'platform_python_implementation',
};
const VARIABLES = new Set<string>([
  'python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_release', 'platform_system',
  'platform_version', 'platform_machine', 'platform_python_implementation', 'implementation_name',
  'implementation_version', 'extra', 'extras', 'dependency_groups',
]);

type Token =
  | { kind: 'lparen' | 'rparen' | 'and' | 'or' | 'end'; pos: number }
  | { kind: 'op'; value: MarkerOp; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'variable'; value: MarkerVariable; pos: number };

/** A marker that does not parse; `position` is a 0-based offset into the marker text. */
export class MarkerSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'MarkerSyntaxError';
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', pos: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new MarkerSyntaxError('unterminated string', i);
      tokens.push({ kind: 'string', value: text.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    const op = /^(===|==|~=|!=|<=|>=|<|>)/.exec(text.slice(i));
    if (op) {
      tokens.push({ kind: 'op', value: op[1] as MarkerOp, pos: i });
      i += op[1]!.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (word) {
      const w = word[0];
      if (w === 'and' || w === 'or') tokens.push({ kind: w, pos: i });
      else if (w === 'in') tokens.push({ kind: 'op', value: 'in', pos: i });
      else if (w === 'not') {
        const rest = /^not[ \t]+in\b/.exec(text.slice(i));
        if (!rest) throw new MarkerSyntaxError("expected 'in' after 'not'", i);
        tokens.push({ kind: 'op', value: 'not in', pos: i });
        i += rest[0].length;
        continue;
      } else if (VARIABLES.has(w)) tokens.push({ kind: 'variable', value: w as MarkerVariable, pos: i });
      else if (ALIASES[w]) tokens.push({ kind: 'variable', value: ALIASES[w]!, pos: i });
      else throw new MarkerSyntaxError(`unknown marker variable: ${w}`, i);
      i += w.length;
      continue;
    }
    throw new MarkerSyntaxError(`unexpected character: ${c}`, i);
  }
  tokens.push({ kind: 'end', pos: text.length });
  return tokens;
}

/** Deepest parenthesis nesting accepted (real markers use two or three). */
const MAX_MARKER_DEPTH = 64;

/** Parses a marker expression (the part after `;`). Throws MarkerSyntaxError. */
export function parseMarker(text: string): Marker {
  const tokens = tokenize(text);
  let k = 0;
  const peek = () => tokens[k]!;
  const next = () => tokens[k++]!;

  function parseOr(): Marker {
    let left = parseAnd();
    while (peek().kind === 'or') {
      next();
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): Marker {
    let left = parseAtom();
    while (peek().kind === 'and') {
      next();
      left = { type: 'and', left, right: parseAtom() };
    }
    return left;
  }
  function parseValue(): MarkerValue {
    const t = next();
    if (t.kind === 'string') return { literal: t.value };
    if (t.kind === 'variable') return { variable: t.value };
    throw new MarkerSyntaxError('expected a marker variable or a quoted string', t.pos);
  }
  let depth = 0;
  function parseAtom(): Marker {
    if (peek().kind === 'lparen') {
      const open = next();
      // recursive descent: a hostile line of 20,000 '(' would overflow the stack
      if (++depth > MAX_MARKER_DEPTH) throw new MarkerSyntaxError(`parentheses nested more than ${MAX_MARKER_DEPTH} deep`, open.pos);
      const inner = parseOr();
      depth--;
      if (next().kind !== 'rparen') throw new MarkerSyntaxError("expected ')'", open.pos);
      return inner;
    }
    const lhs = parseValue();
    const opTok = next();
    if (opTok.kind !== 'op') throw new MarkerSyntaxError('expected a comparison operator', opTok.pos);
    const rhs = parseValue();
    return { type: 'compare', lhs, op: opTok.value, rhs };
  }

  const marker = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') throw new MarkerSyntaxError('unexpected text after the marker', rest.pos);
  return marker;
}


function compare(lhs: string, op: MarkerOp, rhs: string): boolean {
  if (op === 'in') return rhs.includes(lhs);
  if (op === 'not in') return !rhs.includes(lhs);
  // Version comparison when both sides are versions (packaging: Specifier(op + rhs).contains(lhs)).
  let spec;
  try {
    spec = parseSpecifier(op + rhs);
  } catch {
    spec = undefined;
  }
  const lv = spec ? tryParseVersion(lhs) : undefined;
  if (spec && lv) return matchesSpecifier(lv, spec);
  switch (op) {
    case '==':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    default:
      // packaging raises UndefinedComparison here (`os_name ~= "linux"`); pip stops with an error too
      throw new PackagerError('EINPUT', `Marker compares ${JSON.stringify(lhs)} ${op} ${JSON.stringify(rhs)}, which is undefined: ${op} needs versions on both sides`, {
        found: `${lhs} ${op} ${rhs}`,
        hint: 'use == or != for names like os_name and sys_platform, ~= only with version variables such as python_version',
      });
  }
}

/**
 * Evaluates a marker. `extra` is the extra being asked about ('' for the
 * package itself): `extra == "x"` is true only while evaluating extra x. A set
 * (poetry.lock and uv.lock markers) holds every active extra: `extra == "x"` is
 * true when x is one of them. `lockSets` gives PEP 751's `extras` and
 * `dependency_groups`, which only lock files define.
 */
export function evaluateMarker(marker: Marker, env: MarkerEnvironment, extra: string | ReadonlySet<string> = '', lockSets?: LockMarkerSets): boolean {
  switch (marker.type) {
    case 'and':
      return evaluateMarker(marker.left, env, extra, lockSets) && evaluateMarker(marker.right, env, extra, lockSets);
    case 'or':
      return evaluateMarker(marker.left, env, extra, lockSets) || evaluateMarker(marker.right, env, extra, lockSets);
    case 'compare': {
      const setSide = lockSetVariable(marker.rhs) ?? lockSetVariable(marker.lhs);
      if (setSide) return compareLockSet(marker, setSide, lockSets);
      const isExtra = ('variable' in marker.lhs && marker.lhs.variable === 'extra') || ('variable' in marker.rhs && marker.rhs.variable === 'extra');
      if (isExtra && typeof extra !== 'string') return compareExtraSet(marker, extra);
      const value = (v: MarkerValue): string => {
        if ('literal' in v) return v.literal;
        return v.variable === 'extra' ? (extra as string) : env[v.variable as keyof MarkerEnvironment];
      };
      let l = value(marker.lhs);
      let r = value(marker.rhs);
      if (isExtra) {
        // PEP 685: extra names compare normalised as project names are
        l = normalizeProjectName(l);
        r = normalizeProjectName(r);
      }
      return compare(l, marker.op, r);
    }
  }
}

function lockSetVariable(v: MarkerValue): LockSetVariable | undefined {
  return 'variable' in v && (v.variable === 'extras' || v.variable === 'dependency_groups') ? v.variable : undefined;
}

/** `"name" in extras` / `"name" not in dependency_groups` (packaging's lock_file context: names normalised, membership only). */
function compareLockSet(marker: Extract<Marker, { type: 'compare' }>, variable: LockSetVariable, lockSets: LockMarkerSets | undefined): boolean {
  const text = formatMarker(marker);
  if (!lockSets) {
    throw new PackagerError('EINPUT', `Marker ${JSON.stringify(text)} uses \`${variable}\`, which only a pylock.toml lock file defines`, {
      found: text,
      hint: `use \`extra == "name"\` outside pylock.toml files`,
    });
  }
  if (!('literal' in marker.lhs) || !('variable' in marker.rhs) || (marker.op !== 'in' && marker.op !== 'not in')) {
    throw new PackagerError('EINPUT', `Marker ${JSON.stringify(text)} compares the set \`${variable}\` with ${marker.op}: only "name" in ${variable} and "name" not in ${variable} are defined`, {
      found: text,
      hint: `write "name" in ${variable} (PEP 751)`,
    });
  }
  const has = lockSets[variable].has(normalizeProjectName(marker.lhs.literal));
  return marker.op === 'in' ? has : !has;
}

/** `extra == "x"` / `extra != "x"` against every active extra at once. */
function compareExtraSet(marker: Extract<Marker, { type: 'compare' }>, extras: ReadonlySet<string>): boolean {
  const literal = 'literal' in marker.lhs ? marker.lhs.literal : 'literal' in marker.rhs ? marker.rhs.literal : undefined;
  if (literal === undefined || (marker.op !== '==' && marker.op !== '!=')) {
    throw new PackagerError('EINPUT', `Marker ${JSON.stringify(formatMarker(marker))} compares \`extra\` with ${marker.op}: a lock file's markers use extra == "name" or extra != "name"`, {
      found: formatMarker(marker),
      hint: 'regenerate the lock file with its tool',
    });
  }
  const has = extras.has(normalizeProjectName(literal));
  return marker.op === '==' ? has : !has;
}

/** Canonical text of a marker, with double quotes and explicit parentheses where `or` sits under `and`. */
export function formatMarker(marker: Marker): string {
  const value = (v: MarkerValue) => ('variable' in v ? v.variable : JSON.stringify(v.literal));
  switch (marker.type) {
    case 'compare':
      return `${value(marker.lhs)} ${marker.op} ${value(marker.rhs)}`;
    case 'or':
      return `${formatMarker(marker.left)} or ${formatMarker(marker.right)}`;
    case 'and': {
      const side = (m: Marker) => (m.type === 'or' ? `(${formatMarker(m)})` : formatMarker(m));
      return `${side(marker.left)} and ${side(marker.right)}`;
    }
  }
}

/** Whether the marker mentions `extra` anywhere. */
export function markerMentionsExtra(marker: Marker): boolean {
  if (marker.type === 'compare') {
    return ('variable' in marker.lhs && marker.lhs.variable === 'extra') || ('variable' in marker.rhs && marker.rhs.variable === 'extra');
  }
  return markerMentionsExtra(marker.left) || markerMentionsExtra(marker.right);
}

/** What the packager knows about a target: CPython `major.minor[.micro]` on Linux `arch`. */
export interface MarkerTarget {
  pythonVersion: string;
  arch: string;
}

/**
 * The marker environment of a CPython on a Cloud Foundry Linux stack.
 * `python_full_version` is the given version padded with `.0` (say `3.11.9`
 * in the manifest to be exact); platform_release/platform_version are unknown
 * for a stack image and evaluate as empty strings.
 */
export function markerEnvironmentFor(t: MarkerTarget): MarkerEnvironment {
  const parts = t.pythonVersion.trim().split('.');
  const full = [parts[0] ?? '3', parts[1] ?? '0', parts[2] ?? '0'].join('.');
  return {
    python_version: `${parts[0]}.${parts[1] ?? '0'}`,
    python_full_version: full,
    implementation_version: full,
    os_name: 'posix',
    sys_platform: 'linux',
    platform_system: 'Linux',
    platform_machine: t.arch,
    platform_python_implementation: 'CPython',
    implementation_name: 'cpython',
    platform_release: '',
    platform_version: '',
  };
}
