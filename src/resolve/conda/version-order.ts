// conda's version ordering and version-spec grammar, ported from
// conda/models/version.py (conda 23.7.4, the client this buildpack stages with):
// https://github.com/conda/conda/blob/23.7.4/conda/models/version.py
// Pure: no I/O. Parse errors are PackagerError('EINPUT'); callers that read
// upstream data (repodata) turn them into EBADINDEX or skip the record.

import { PackagerError } from '../../core/errors.js';

/** One sub-component: an integer run, a lower-cased letter run, `DEV` (sorts first) or Infinity (`post`). */
type Part = number | string;

const VERSION_CHECK = /^[*.+!_0-9a-z]+$/;
const VERSION_SPLIT = /([0-9]+|[*]+|[^0-9*]+)/g;
const DIGITS = /^[0-9]+$/;
const FILL = 0;

function invalidVersion(raw: string, reason: string): PackagerError {
  return new PackagerError('EINPUT', `Invalid conda version: "${raw}" (${reason})`, {
    found: raw,
    hint: 'conda versions use letters, digits and . _ + ! * (see conda/models/version.py)',
  });
}

function splitComponents(raw: string, comps: string[]): Part[][] {
  return comps.map((comp) => {
    const runs = comp.match(VERSION_SPLIT);
    if (!runs) throw invalidVersion(raw, 'empty version component');
    const parts: Part[] = runs.map((r) => {
      if (DIGITS.test(r)) return Number(r);
      // `post` beats every number, `dev` loses to every string: conda's own trick.
      if (r === 'post') return Infinity;
      if (r === 'dev') return 'DEV';
      return r;
    });
    // Components that start with a letter get a leading 0 so numbers and
    // strings stay in phase: 1.1.a1 == 1.1.0a1.
    return DIGITS.test(comp[0] ?? '') ? parts : [FILL, ...parts];
  });
}

/**
 * A parsed conda version. `compare`, `equals` and `startsWith` behave exactly
 * like VersionOrder's __lt__/__eq__/startswith in conda.
 */
export class VersionOrder {
  /** Lower-cased, trimmed, `-` turned into `_` when that makes it valid. */
  readonly norm: string;
  /** Epoch first, then one entry per `.`/`_` component. */
  readonly version: Part[][];
  /** Components after `+`, or empty. */
  readonly local: Part[][];

  private constructor(raw: string) {
    let v = raw.trim().toLowerCase();
    if (v === '') throw invalidVersion(raw, 'empty version string');
    let invalid = !VERSION_CHECK.test(v);
    if (invalid && v.includes('-') && !v.includes('_')) {
      v = v.replace(/-/g, '_');
      invalid = !VERSION_CHECK.test(v);
    }
    if (invalid) throw invalidVersion(raw, 'invalid character(s)');
    this.norm = v;

    const bang = v.split('!');
    let epoch: string;
    if (bang.length === 1) epoch = '0';
    else if (bang.length === 2) {
      if (!DIGITS.test(bang[0]!)) throw invalidVersion(raw, 'epoch must be an integer');
      epoch = bang[0]!;
    } else throw invalidVersion(raw, "duplicated epoch separator '!'");

    const plus = bang[bang.length - 1]!.split('+');
    let local: string[] = [];
    if (plus.length === 2) local = plus[1]!.replace(/_/g, '.').split('.');
    else if (plus.length > 2) throw invalidVersion(raw, "duplicated local version separator '+'");
    const main = plus[0]!;
    if (main === '') throw invalidVersion(raw, "missing version before local version separator '+'");

    let split: string[];
    if (main.endsWith('_')) {
      // openssl style `1.1.1_`: the trailing underscore stays in the last
      // component, so 1.0.1_ < 1.0.1a (conda's documented work-around).
      split = main.slice(0, -1).replace(/_/g, '.').split('.');
      split[split.length - 1] += '_';
    } else {
      split = main.replace(/_/g, '.').split('.');
    }
    this.version = splitComponents(raw, [epoch, ...split]);
    this.local = splitComponents(raw, local);
  }

  private static readonly cache = new Map<string, VersionOrder>();

  /** Parses (and caches) a version string; throws PackagerError EINPUT when invalid. */
  static parse(raw: string): VersionOrder {
    let v = VersionOrder.cache.get(raw);
    if (!v) {
      v = new VersionOrder(raw);
      if (VersionOrder.cache.size > 200_000) VersionOrder.cache.clear();
      VersionOrder.cache.set(raw, v);
    }
    return v;
  }

  /** Negative, zero or positive, as conda orders the two versions. */
  compare(other: VersionOrder): number {
    const c = compareLists(this.version, other.version);
    return c !== 0 ? c : compareLists(this.local, other.local);
  }

  equals(other: VersionOrder): boolean {
    return this.compare(other) === 0;
  }

  /** conda's VersionOrder.startswith: the `1.7.*` / `=1.7` match. */
  startsWith(other: VersionOrder): boolean {
    let t1: Part[][];
    let t2: Part[][];
    if (other.local.length > 0) {
      if (compareLists(this.version, other.version) !== 0) return false;
      t1 = this.local;
      t2 = other.local;
    } else {
      t1 = this.version;
      t2 = other.version;
    }
    let nt = t2.length - 1;
    if (compareLists(t1.slice(0, nt), t2.slice(0, nt)) !== 0) return false;
    const v1 = t1.length <= nt ? [] : t1[nt]!;
    const v2 = t2[nt]!;
    nt = v2.length - 1;
    if (compareLists([v1.slice(0, nt)], [v2.slice(0, nt)]) !== 0) return false;
    const c1 = v1.length <= nt ? FILL : v1[nt]!;
    const c2 = v2[nt]!;
    if (typeof c2 === 'string') return typeof c1 === 'string' && c1.startsWith(c2);
    return c1 === c2;
  }

  toString(): string {
    return this.norm;
  }
}

function comparePart(a: Part, b: Part): number {
  if (a === b) return 0;
  if (typeof a === 'string') {
    if (typeof b !== 'string') return -1; // strings sort before numbers
    return a < b ? -1 : 1;
  }
  if (typeof b === 'string') return 1;
  return a < b ? -1 : 1;
}

function compareLists(t1: Part[][], t2: Part[][]): number {
  const n = Math.max(t1.length, t2.length);
  for (let i = 0; i < n; i++) {
    const v1 = t1[i] ?? [];
    const v2 = t2[i] ?? [];
    const m = Math.max(v1.length, v2.length);
    for (let j = 0; j < m; j++) {
      const c = comparePart(v1[j] ?? FILL, v2[j] ?? FILL);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** Compares two version strings in conda order (for sorting). */
export function compareVersions(a: string, b: string): number {
  return VersionOrder.parse(a).compare(VersionOrder.parse(b));
}

// ---------------------------------------------------------------------------
// VersionSpec: `>=1.2,<2|1.0.*`, `1.7.*`, `~=1.10`, `!=3.3.*`, `^regex$`.

/** A leaf spec, or [op, ...children] with op `,` (and) or `|` (or). */
type Tree = string | TreeNode;
type TreeNode = Tree[];

function invalidSpec(spec: string, reason: string): PackagerError {
  return new PackagerError('EINPUT', `Invalid conda version spec: "${spec}" (${reason})`, {
    found: spec,
    hint: 'write e.g. `>=1.2,<2`, `1.7.*`, `==1.7.1` or `1.6.*|1.7.*`',
  });
}

// Each token slurps up leading whitespace, which is stripped afterwards.
const VSPEC_TOKENS = /\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+/g;

/** Builds the AND/OR expression tree of a version spec (`,` binds tighter than `|`). */
export function treeify(spec: string): Tree {
  const tokens = `(${spec})`.match(VSPEC_TOKENS) ?? [];
  const output: Tree[] = [];
  const stack: string[] = [];
  const applyOps = (stop: string) => {
    while (stack.length > 0 && !stop.includes(stack[stack.length - 1]!)) {
      if (output.length < 2) throw invalidSpec(spec, 'cannot join single expression');
      const c = stack.pop() as ',' | '|';
      const r = output.pop()!;
      const left = output.pop()!;
      // fuse chains of the same operator: ('|', ('|', a, b), c) -> ('|', a, b, c)
      const rs = Array.isArray(r) && r[0] === c ? r.slice(1) : [r];
      const ls = Array.isArray(left) && left[0] === c ? left.slice(1) : [left];
      output.push([c, ...(ls as Tree[]), ...(rs as Tree[])]);
    }
  };
  for (const raw of tokens) {
    const item = raw.trim();
    if (item === '|') {
      applyOps('(');
      stack.push('|');
    } else if (item === ',') {
      applyOps('|(');
      stack.push(',');
    } else if (item === '(') {
      stack.push('(');
    } else if (item === ')') {
      applyOps('(');
      if (stack.length === 0 || stack[stack.length - 1] !== '(') throw invalidSpec(spec, "expression must start with '('");
      stack.pop();
    } else {
      output.push(item);
    }
  }
  if (stack.length > 0) throw invalidSpec(spec, `unable to convert to expression tree: ${stack.join('')}`);
  if (output.length === 0) throw invalidSpec(spec, 'unable to determine version from spec');
  return output[0]!;
}

const RELATION = /^(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)$/;
const NEEDS_TREE = /^.*[()|,^$]/;

type Op = '==' | '!=' | '<=' | '>=' | '<' | '>' | '=' | '!=startswith' | '~=';

function applyOp(op: Op, v: VersionOrder, target: VersionOrder): boolean {
  switch (op) {
    case '==':
      return v.compare(target) === 0;
    case '!=':
      return v.compare(target) !== 0;
    case '<=':
      return v.compare(target) <= 0;
    case '>=':
      return v.compare(target) >= 0;
    case '<':
      return v.compare(target) < 0;
    case '>':
      return v.compare(target) > 0;
    case '=':
      return v.startsWith(target);
    case '!=startswith':
      return !v.startsWith(target);
    case '~=': {
      // compatible release: >= target and same prefix minus the last component
      if (v.compare(target) < 0) return false;
      const prefix = target.norm.split('.').slice(0, -1).join('.');
      return v.startsWith(VersionOrder.parse(prefix));
    }
  }
}

/**
 * A whole-string matcher for a glob whose only wildcard is `*` (versions,
 * names, channels). Every other character stands for itself: conda escapes
 * only `.` and `+`, and a stray `\` or `(` then made an invalid regex.
 */
export function globRegExp(glob: string): RegExp {
  return new RegExp(`^(?:${glob.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&').replace(/\*/g, '.*')})$`);
}

/** A parsed conda version spec; `match(version)` tells whether a record version satisfies it. */
export class VersionSpec {
  /** Normalised text (conda's `spec` property), e.g. `1.7.*` for `1.7*`. */
  readonly spec: string;
  /** True for a plain version (`1.7.1`, `==1.7.1`). */
  readonly isExact: boolean;
  private readonly matcher: (v: string) => boolean;

  private constructor(input: string | Tree) {
    if (typeof input === 'string' && NEEDS_TREE.test(input)) input = treeify(input);
    if (Array.isArray(input)) {
      const [op, ...kids] = input as [string, ...Tree[]];
      const subs = kids.map((k) => VersionSpec.fromTree(k));
      this.spec = subs.map((s) => s.spec).join(op);
      this.isExact = false;
      this.matcher = op === '|' ? (v) => subs.some((s) => s.match(v)) : (v) => subs.every((s) => s.match(v));
      return;
    }
    let spec = input.trim();
    if (spec === '') throw invalidSpec(input, 'empty version spec');
    if (spec.startsWith('^') || spec.endsWith('$')) {
      if (!spec.startsWith('^') || !spec.endsWith('$')) throw invalidSpec(spec, "regex specs must start with '^' and end with '$'");
      const rx = compileRegex(spec);
      this.matcher = (v) => rx.test(v);
      this.isExact = false;
    } else if ('=<>!~'.includes(spec[0]!)) {
      const m = RELATION.exec(spec);
      if (!m) throw invalidSpec(spec, 'invalid operator');
      let op = m[1] as Op;
      let vo = m[2]!;
      if (vo.endsWith('.*')) {
        if (op === '=' || op === '>=') vo = vo.slice(0, -2);
        else if (op === '!=') {
          vo = vo.slice(0, -2);
          op = '!=startswith';
        } else if (op === '~=') throw invalidSpec(spec, "invalid operator with '.*'");
        else vo = vo.slice(0, -2); // conda warns "superfluous" and ignores the .*
      }
      const target = VersionOrder.parse(vo);
      this.matcher = (v) => applyOp(op, VersionOrder.parse(v), target);
      this.isExact = op === '==';
    } else if (spec === '*') {
      this.matcher = () => true;
      this.isExact = false;
    } else if (spec.replace(/\*+$/, '').includes('*')) {
      // an inner glob like 1.*.1: a regex over the version text
      const rx = globRegExp(spec);
      this.matcher = (v) => rx.test(v);
      this.isExact = false;
    } else if (spec.endsWith('*')) {
      if (!spec.endsWith('.*')) spec = spec.slice(0, -1) + '.*';
      const target = VersionOrder.parse(spec.replace(/\*+$/, '').replace(/\.+$/, ''));
      this.matcher = (v) => VersionOrder.parse(v).startsWith(target);
      this.isExact = false;
    } else if (!spec.includes('@')) {
      const target = VersionOrder.parse(spec);
      this.matcher = (v) => VersionOrder.parse(v).compare(target) === 0;
      this.isExact = true;
    } else {
      const exact = spec;
      this.matcher = (v) => v === exact;
      this.isExact = true;
    }
    this.spec = spec;
  }

  private static readonly cache = new Map<string, VersionSpec>();

  private static fromTree(t: Tree): VersionSpec {
    return typeof t === 'string' ? VersionSpec.parse(t) : new VersionSpec(t);
  }

  /** Parses (and caches) a version spec; throws PackagerError EINPUT when invalid. */
  static parse(spec: string): VersionSpec {
    let s = VersionSpec.cache.get(spec);
    if (!s) {
      s = new VersionSpec(spec);
      if (VersionSpec.cache.size > 100_000) VersionSpec.cache.clear();
      VersionSpec.cache.set(spec, s);
    }
    return s;
  }

  /** True when `version` satisfies the spec. An unparsable record version never matches. */
  match(version: string): boolean {
    try {
      return this.matcher(version);
    } catch (err) {
      if (err instanceof PackagerError) return false;
      throw err;
    }
  }

  toString(): string {
    return this.spec;
  }
}

function compileRegex(spec: string): RegExp {
  try {
    return new RegExp(spec);
  } catch (err) {
    throw invalidSpec(spec, `invalid regular expression: ${(err as Error).message}`);
  }
}

/** conda's BuildNumberMatch: an int (exact), `*`, a relation (`>=3`) or a `^regex$`. */
export function buildNumberMatcher(raw: string | number): { spec: string; match(n: number | undefined): boolean } {
  const text = String(raw).trim();
  if (/^[+-]?\d+$/.test(text)) {
    const want = Number(text);
    return { spec: String(want), match: (n) => n === want };
  }
  if (text === '*') return { spec: text, match: () => true };
  if ('=<>!'.includes(text[0] ?? '')) {
    const m = RELATION.exec(text);
    if (!m || m[1] === '~=') throw invalidSpec(text, 'invalid operator');
    const op = m[1] as Op;
    const target = VersionOrder.parse(m[2]!);
    return { spec: text, match: (n) => applyOp(op, VersionOrder.parse(String(n ?? 0)), target) };
  }
  if (text.startsWith('^') || text.endsWith('$')) {
    if (!text.startsWith('^') || !text.endsWith('$')) throw invalidSpec(text, "regex specs must start with '^' and end with '$'");
    const rx = compileRegex(text);
    return { spec: text, match: (n) => rx.test(String(n ?? 0)) };
  }
  // conda compares a non-integer text with the int build number: never equal
  return { spec: text, match: () => false };
}
