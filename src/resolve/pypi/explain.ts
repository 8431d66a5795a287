// Why a resolution failed, from the solver's proof (the derivation of the
// root incompatibility): the headline names your requirements and the
// projects they fight over, `conflict:` lists each requirement on those
// projects with the chain that brings it in, `because:` is the proof step by
// step (PubGrub's report layout). A lone dead end (a missing project, a
// version no index has, no wheel for the target) keeps its short message.
import { type ErrorCode, PackagerError, redactUrl } from '../../core/index.js';
import { type FileTarget, type FilterFailure, type Offer, whyNone } from './candidates.js';
import { formatMarker } from './markers.js';
import { formatVersion } from './pep440.js';
import { type Fact, type Incompatibility, type Term, bitIndices } from './pubgrub.js';
import { type Requirement, formatRequirement } from './requirement.js';
import { type IndexFile } from './simple-index.js';

/** What the explanation reads about the failed attempt. */
export interface ResolutionContext {
  target: FileTarget;
  root: string;
  offer(key: string): Offer;
  files(key: string): Promise<{ files: IndexFile[]; where: string; missing?: boolean }>;
  hashes(key: string): ReadonlySet<string> | undefined;
  /** Conflicts per package, for the budget message. */
  conflicts?: ReadonlyMap<string, number>;
}

/** `idna>=2.8 (python_version < "3.11")`: a requirement as messages show it. */
export function describeRequirement(req: Requirement): string {
  const base = formatRequirement(req);
  return req.marker ? `${base} (${formatMarker(req.marker)})` : base;
}

interface RequiresFact extends Fact {
  kind: 'requires';
  pkg: string;
  v: number;
  req: Requirement;
  source?: string;
  /** No version of the project satisfies the requirement on its own. */
  empty?: boolean;
}

const isDerived = (inc: Incompatibility): inc is Incompatibility & { cause: { left: Incompatibility; right: Incompatibility } } => 'left' in inc.cause;
const factOf = (inc: Incompatibility): Fact | undefined => ('fact' in inc.cause ? inc.cause.fact : undefined);

/** The PackagerError for a failed resolution. */
export async function explainFailure(failure: Incompatibility, ctx: ResolutionContext): Promise<PackagerError> {
  const leaves = externalLeaves(failure).filter((f) => f.kind !== 'root' && f.kind !== 'extra-base');
  const text = new Texts(ctx);
  const deadEnds = leaves.filter((f) => (f.kind === 'requires' && (f as RequiresFact).empty) || f.kind === 'unusable' || f.kind === 'unlisted');
  const requires = leaves.filter((f): f is RequiresFact => f.kind === 'requires');
  if (deadEnds.length === 1 && leaves.every((f) => f === deadEnds[0] || f.kind === 'requires')) {
    return deadEnd(deadEnds[0]!, requires, text, ctx);
  }
  return conflictError(failure, leaves, requires, text, ctx);
}

/** The PackagerError when the search ran past its budget: names the projects it kept failing on. */
export function explainBudget(steps: number, ctx: ResolutionContext): PackagerError {
  const worst = [...(ctx.conflicts ?? new Map<string, number>())]
    .filter(([pkg]) => pkg !== ctx.root)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5);
  const names = worst.map(([pkg, n]) => `${pkg} (${n} conflicts)`).join(', ');
  return new PackagerError('ERESOLVE', `Gave up resolving for ${ctx.target.label} after ${steps} steps; the conflicts were mostly about ${names || 'nothing in particular'}`, {
    target: ctx.target.label,
    hint: `Pin ${worst[0]?.[0] ?? 'the projects above'} (==) in the requirements to cut the search short.`,
  });
}

function externalLeaves(root: Incompatibility): Fact[] {
  const out: Fact[] = [];
  const seen = new Set<Incompatibility>();
  const walk = (inc: Incompatibility) => {
    if (seen.has(inc)) return;
    seen.add(inc);
    if (isDerived(inc)) {
      walk(inc.cause.left);
      walk(inc.cause.right);
    } else out.push(factOf(inc)!);
  };
  walk(root);
  return out;
}

// ---------------------------------------------------------------------------
// A single dead end: one requirement nothing satisfies, one unusable file, or
// one dependency a fully pinned input leaves out, reached by a chain of requirements.

async function deadEnd(f: Fact, requires: RequiresFact[], text: Texts, ctx: ResolutionContext): Promise<PackagerError> {
  const base = { target: ctx.target.label };
  if (f.kind === 'unusable') {
    const o = text.offered(f.pkg as string, f.v as number);
    return new PackagerError('ERESOLVE', `Cannot use ${o.candidate.file.filename}: ${f.reason as string}`, {
      ...base,
      url: redactUrl(o.candidate.file.url),
      chain: text.chainTo(f.pkg as string, requires),
      hint: `Pin another version of ${o.candidate.key}, or fix the file on the index.`,
    });
  }
  if (f.kind === 'unlisted') {
    const req = f.req as Requirement;
    const label = text.label(f.pkg as string, f.v as number);
    return new PackagerError('ERESOLVE', `${label} requires ${describeRequirement(req)}, which the fully pinned requirements do not list`, {
      ...base,
      chain: [...text.chainTo(f.pkg as string, requires), label, describeRequirement(req)],
      hint: `Add ${req.key}==<version> with its --hash to the requirements file (pip-compile --generate-hashes does it).`,
    });
  }
  const r = f as RequiresFact;
  const req = r.req;
  const files = await ctx.files(req.key);
  const why: FilterFailure | 'missing' = files.missing || files.files.length === 0 ? 'missing' : whyNone(req.key, [req.specifier], urlFiles(req, files.files), ctx.target, ctx.hashes(req.key));
  if (r.pkg === ctx.root) return rootDeadEnd(r, why, files, base, ctx);
  const label = text.label(r.pkg, r.v);
  const chain = [...text.chainTo(r.pkg, requires), label, describeRequirement(req)];
  const lead = `${label} requires ${describeRequirement(req)}`;
  switch (why === 'missing' ? why : why.why) {
    case 'missing':
      return new PackagerError('ERESOLVE', `${lead}, which the index does not have`, {
        ...base,
        chain,
        hint: `Add ${req.name} to the index (or a --find-links location), or change pip.python_version if the marker should not apply.`,
      });
    default:
      return new PackagerError(codeOf(why as FilterFailure), `${lead}, but ${reasonClause(req, why as FilterFailure, ctx)}`, { ...base, chain, ...failureDetails(why as FilterFailure) });
  }
}

function rootDeadEnd(r: RequiresFact, why: FilterFailure | 'missing', files: { where: string; missing?: boolean }, base: Record<string, unknown>, ctx: ResolutionContext): PackagerError {
  const req = r.req;
  const need = `${describeRequirement(req)} (${r.source})`;
  if (why === 'missing') {
    return new PackagerError('ENOTFOUND', files.missing ? `No project named ${req.name} on any configured index` : `No project named ${req.name} on the index: ${files.where}`, {
      ...base,
      hint: `Check the spelling of ${req.name} (${r.source}) and pip.index_url.`,
      requirement: describeRequirement(req),
      // the pages that answered 404, so a wrong index URL shows at once
      ...(files.missing && files.where ? { looked_in: files.where } : {}),
    });
  }
  switch (why.why) {
    case 'no-match':
      return new PackagerError('ERESOLVE', `No version of ${req.key} satisfies ${need}; the index has: ${why.available.join(', ') || 'none'}`, {
        ...base,
        available: why.available,
        hint: `Pick one of the versions the index has (${files.where}).`,
      });
    case 'yanked':
      return new PackagerError('ERESOLVE', `Only yanked versions of ${req.key} satisfy ${need}: ${why.yanked.join(', ')}`, {
        ...base,
        hint: `Pin one with == to use it anyway (PEP 592), e.g. ${why.example}.`,
      });
    case 'python':
      return new PackagerError('ERESOLVE', `No version of ${req.key} that satisfies ${need} supports Python ${formatVersion(ctx.target.pythonFull)}: ${why.needs.slice(0, 5).join('; ')}`, {
        ...base,
        hint: 'Change pip.python_version, or pin an older release that supports it.',
      });
    case 'no-wheel':
      return new PackagerError('ENOMATCH', `No wheel of ${req.key} ${why.newest} matches the target ${ctx.target.label}: ${why.accepted[0]}`, {
        ...base,
        seen: why.seen,
        accepted: why.accepted,
        requirements: [need],
        hint: `The index has wheels for: ${why.seen.slice(0, 6).join(', ')}${why.seen.length > 6 ? ', ...' : ''}. Add an sdist or a compatible wheel, or change pip.python_version / pip.platforms.`,
      });
    case 'hash': {
      const allowed = ctx.hashes(req.key) ?? new Set<string>();
      return new PackagerError('EINTEGRITY', `Hash mismatch for ${why.best.file.filename} (${r.source}): the index publishes a sha256 that --hash does not allow`, {
        ...base,
        wanted: [...allowed].map((h) => `sha256:${h}`).join(' or '),
        found: `sha256:${why.best.file.hashes.sha256}`,
        url: redactUrl(why.best.file.url),
        hint: 'The file changed upstream or the requirements file is stale: re-run pip-compile --generate-hashes, or check where the index gets its files.',
      });
    }
  }
}

function codeOf(why: FilterFailure): ErrorCode {
  return why.why === 'no-wheel' ? 'ENOMATCH' : why.why === 'hash' ? 'EINTEGRITY' : 'ERESOLVE';
}

/** "but ..." after "X 1.0 requires Y>=2". */
function reasonClause(req: Requirement, why: FilterFailure, ctx: ResolutionContext): string {
  switch (why.why) {
    case 'no-match':
      return `the index has only: ${why.available.join(', ') || 'none'}`;
    case 'yanked':
      return `only yanked versions satisfy it: ${why.yanked.join(', ')}`;
    case 'python':
      return `no version that satisfies it supports Python ${formatVersion(ctx.target.pythonFull)}: ${why.needs.slice(0, 5).join('; ')}`;
    case 'no-wheel':
      return `no wheel of ${req.key} ${why.newest} matches the target ${ctx.target.label}: ${why.accepted[0]}`;
    case 'hash':
      return `the index publishes a sha256 for ${why.best.file.filename} that --hash does not allow`;
  }
}

function failureDetails(why: FilterFailure): Record<string, unknown> {
  if (why.why === 'no-match') return { available: why.available };
  if (why.why === 'no-wheel') return { seen: why.seen, accepted: why.accepted };
  return {};
}

function urlFiles(req: Requirement, files: IndexFile[]): IndexFile[] {
  if (!req.url) return files;
  const u = req.url.replace(/#.*$/, '');
  return files.filter((f) => f.url.replace(/#.*$/, '') === u);
}

// ---------------------------------------------------------------------------
// A conflict: requirements that cannot hold together.

function conflictError(failure: Incompatibility, leaves: Fact[], requires: RequiresFact[], text: Texts, ctx: ResolutionContext): PackagerError {
  const yours = [...new Set(requires.filter((f) => f.pkg === ctx.root).map((f) => `${describeRequirement(f.req)} (${f.source})`))].sort();
  const targets = new Map<string, Fact[]>();
  for (const f of leaves) {
    const key = f.kind === 'requires' ? (f as RequiresFact).req.key : f.kind === 'constraint' ? (f.req as Requirement).key : undefined;
    if (key !== undefined) targets.set(key, [...(targets.get(key) ?? []), f]);
  }
  // the projects asked for from more than one side, or that nothing satisfies
  const contested = [...targets]
    .filter(([, fs]) => fs.length > 1 || fs.some((f) => (f as RequiresFact).empty))
    .map(([k]) => k)
    .sort();
  const who = yours.length > 1 ? `${joinAnd(yours)} cannot be installed together` : yours.length === 1 ? `${yours[0]} cannot be installed` : 'Your requirements cannot be installed';
  const over = contested.length ? `: ${yours.length > 1 ? 'they need' : 'it needs'} conflicting versions of ${joinAnd(contested)}` : '';
  const offered = contested.length === 1 ? `; the index has ${text.offeredVersions(contested[0]!)}` : '';
  // your requirements first, then by requiring project and version
  const order = (f: Fact): [number, string, number] => (f.kind === 'requires' && f.pkg !== ctx.root ? [1, f.pkg as string, f.v as number] : [0, '', 0]);
  const byOrder = (a: Fact, b: Fact) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : x[2] - y[2]);
  };
  const conflict = contested.flatMap((k) =>
    [...targets.get(k)!].sort(byOrder).map((f) => {
      if (f.kind === 'constraint') return `${describeRequirement(f.req as Requirement)} <- constraint (${f.source as string})`;
      const r = f as RequiresFact;
      const tail = r.pkg === ctx.root ? [r.source!] : [text.label(r.pkg, r.v), ...text.chainTo(r.pkg, requires, true).reverse()];
      return [describeRequirement(r.req) + (r.empty ? ' (nothing on the index satisfies it)' : ''), ...tail].join(' <- ');
    }),
  );
  return new PackagerError('ERESOLVE', `${who}${over}${offered}`, {
    target: ctx.target.label,
    ...(conflict.length ? { conflict } : {}),
    because: new Report(text).lines(failure),
    hint: yours.length > 1 ? 'Relax one of these requirements (the lines above say which versions need what).' : 'Pin another version of it, or of the projects named above.',
  });
}

function joinAnd(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------
// Words for versions, terms and incompatibilities.

class Texts {
  constructor(private readonly ctx: ResolutionContext) {}

  offered(pkg: string, v: number) {
    return this.ctx.offer(splitKey(pkg)).versions[v]!;
  }

  /** `1.0, 2.0` (the newest ten) of what the target can install. */
  offeredVersions(key: string): string {
    const all = this.ctx.offer(key).versions.map((o) => formatVersion(o.version));
    return all.length === 0 ? 'no version for the target' : all.length > 10 ? `${all.slice(-10).join(', ')} (and ${all.length - 10} older)` : all.join(', ');
  }

  /** `anyio 4.3.0`, `anyio[trio] 4.3.0`. */
  label(pkg: string, v: number): string {
    return `${pkg} ${formatVersion(this.offered(pkg, v).version)}`;
  }

  /** A set of versions of a package as short text, in terms of what the index offers. */
  versions(pkg: string, bits: bigint): string {
    const all = this.ctx.offer(splitKey(pkg)).versions;
    const idx = bitIndices(bits);
    const v = (i: number) => formatVersion(all[i]!.version);
    if (idx.length === 1) return `${pkg} ${v(idx[0]!)}`;
    if (idx.length === all.length) return pkg;
    const first = idx[0]!;
    const last = idx[idx.length - 1]!;
    if (last - first + 1 === idx.length) {
      if (last === all.length - 1) return `${pkg}>=${v(first)}`;
      if (first === 0) return `${pkg}<=${v(last)}`;
      return `${pkg}>=${v(first)},<=${v(last)}`;
    }
    const shown = idx.slice(0, 5).map(v);
    return `${pkg} ${shown.join(', ')}${idx.length > 5 ? ` (and ${idx.length - 5} more)` : ''}`;
  }

  /** The versions a positive term allows: `numpy>=2.0`, `every version of numpy`. */
  term(t: Term): string {
    const n = this.ctx.offer(splitKey(t.pkg)).versions.length;
    return n > 1 && bitIndices(t.bits).length === n ? `every version of ${t.pkg}` : this.versions(t.pkg, t.bits);
  }

  /**
   * The chain from one of your requirements down to `pkg`, root first:
   * [`requirements.txt line 3`, `a 1.0`, ...] (`withRequirement`: `a>=1 (requirements.txt line 3)`).
   */
  chainTo(pkg: string, requires: RequiresFact[], withRequirement = false, seen = new Set<string>()): string[] {
    if (pkg === this.ctx.root || seen.has(pkg)) return [];
    seen.add(pkg);
    const key = splitKey(pkg);
    const into = requires.filter((f) => f.req.key === key).sort((a, b) => (a.pkg === this.ctx.root ? -1 : b.pkg === this.ctx.root ? 1 : 0));
    for (const f of into) {
      if (f.pkg === this.ctx.root) return [withRequirement ? `${describeRequirement(f.req)} (${f.source})` : f.source!];
      const up = this.chainTo(f.pkg, requires, withRequirement, seen);
      if (up.length) return [...up, this.label(f.pkg, f.v)];
    }
    return [];
  }

  /** An incompatibility as a sentence fragment. */
  incompatibility(inc: Incompatibility): string {
    const f = factOf(inc);
    if (f) return this.fact(f);
    const terms = inc.terms.filter((t) => !(t.pkg === this.ctx.root && !t.absentOk));
    if (terms.length === 0) return 'no set of versions satisfies your requirements';
    const pos = terms.filter((t) => !t.absentOk);
    const neg = terms.filter((t) => t.absentOk).map((t) => this.versions(t.pkg, this.complement(t)));
    if (pos.length === 0) return `you need ${joinOr(neg)}`;
    const p = joinAnd(pos.map((t) => this.term(t)));
    if (neg.length === 0) return pos.length === 1 ? `${p} cannot be used` : `${p} cannot be used together`;
    return `${p} ${pos.length === 1 ? 'requires' : 'together require'} ${joinOr(neg)}`;
  }

  private complement(t: Term): bigint {
    const n = BigInt(this.ctx.offer(splitKey(t.pkg)).versions.length);
    return ((1n << n) - 1n) & ~t.bits;
  }

  private fact(f: Fact): string {
    switch (f.kind) {
      case 'requires': {
        const r = f as RequiresFact;
        const what = describeRequirement(r.req) + (r.empty ? ', which no version on the index satisfies' : '');
        return r.pkg === this.ctx.root ? `you require ${what} (${r.source})` : `${this.label(r.pkg, r.v)} requires ${what}`;
      }
      case 'unusable':
        return `${this.label(f.pkg as string, f.v as number)} cannot be used (${f.reason as string})`;
      case 'unlisted':
        return `${this.label(f.pkg as string, f.v as number)} requires ${describeRequirement(f.req as Requirement)}, which the fully pinned requirements do not list`;
      case 'constraint':
        return `the constraint ${describeRequirement(f.req as Requirement)} (${f.source as string}) applies`;
      case 'extra-base':
        return `${this.label(f.pkg as string, f.v as number)} needs ${splitKey(f.pkg as string)} at the same version`;
      default:
        return 'your requirements are needed';
    }
  }
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function splitKey(pkg: string): string {
  return pkg.replace(/\[.*\]$/, '');
}

/** PubGrub's report: one line per step of the proof, numbered when a later line refers back to it. */
class Report {
  private readonly out: string[] = [];
  private readonly numbers = new Map<Incompatibility, number>();
  private readonly refs = new Map<Incompatibility, number>();

  constructor(private readonly text: Texts) {}

  lines(failure: Incompatibility): string[] {
    if (!isDerived(failure)) return [`Because ${this.text.incompatibility(failure)}, no set of versions satisfies your requirements.`];
    this.count(failure);
    this.visit(failure);
    return this.out;
  }

  private count(inc: Incompatibility): void {
    const n = (this.refs.get(inc) ?? 0) + 1;
    this.refs.set(inc, n);
    if (n === 1 && isDerived(inc)) {
      this.count(inc.cause.left);
      this.count(inc.cause.right);
    }
  }

  private write(inc: Incompatibility, line: string, numbered: boolean): void {
    if (numbered) {
      const n = this.numbers.size + 1;
      this.numbers.set(inc, n);
      this.out.push(`${line} (${n})`);
    } else this.out.push(line);
  }

  private say(inc: Incompatibility): string {
    return this.text.incompatibility(inc);
  }

  private ref(inc: Incompatibility): string {
    return `${this.say(inc)} (${this.numbers.get(inc)})`;
  }

  private visit(inc: Incompatibility, conclusion = false): void {
    if (!isDerived(inc)) return;
    const numbered = conclusion || (this.refs.get(inc) ?? 0) > 1;
    const and = numbered ? 'So, because' : 'And because';
    const what = this.say(inc);
    const { left, right } = inc.cause;
    if (isDerived(left) && isDerived(right)) {
      const ln = this.numbers.get(left);
      const rn = this.numbers.get(right);
      if (ln !== undefined && rn !== undefined) this.write(inc, `Because ${this.ref(left)} and ${this.ref(right)}, ${what}.`, numbered);
      else if (ln !== undefined || rn !== undefined) {
        const [withLine, without] = ln !== undefined ? [left, right] : [right, left];
        this.visit(without);
        this.write(inc, `${and} ${this.ref(withLine)}, ${what}.`, numbered);
      } else if (this.singleLine(left) || this.singleLine(right)) {
        const [first, second] = this.singleLine(right) ? [left, right] : [right, left];
        this.visit(first);
        this.visit(second);
        this.write(inc, `Thus, ${what}.`, numbered);
      } else {
        this.visit(left, true);
        this.visit(right);
        this.write(inc, `${and} ${this.ref(left)}, ${what}.`, numbered);
      }
    } else if (isDerived(left) || isDerived(right)) {
      const [derived, ext] = isDerived(left) ? [left, right] : [right, left];
      const dn = this.numbers.get(derived);
      if (dn !== undefined) this.write(inc, `Because ${this.say(ext)} and ${this.ref(derived)}, ${what}.`, numbered);
      else if (this.collapsible(derived)) {
        const dc = (derived as Incompatibility & { cause: { left: Incompatibility; right: Incompatibility } }).cause;
        const [inner, innerExt] = isDerived(dc.left) ? [dc.left, dc.right] : [dc.right, dc.left];
        this.visit(inner);
        this.write(inc, `${and} ${this.say(innerExt)} and ${this.say(ext)}, ${what}.`, numbered);
      } else {
        this.visit(derived);
        this.write(inc, `${and} ${this.say(ext)}, ${what}.`, numbered);
      }
    } else {
      this.write(inc, `Because ${this.say(left)} and ${this.say(right)}, ${what}.`, numbered);
    }
  }

  private singleLine(inc: Incompatibility): boolean {
    return isDerived(inc) && !isDerived(inc.cause.left) && !isDerived(inc.cause.right);
  }

  private collapsible(inc: Incompatibility): boolean {
    if ((this.refs.get(inc) ?? 0) > 1 || !isDerived(inc)) return false;
    const { left, right } = inc.cause;
    if (isDerived(left) === isDerived(right)) return false;
    return !this.numbers.has(isDerived(left) ? left : right);
  }
}
