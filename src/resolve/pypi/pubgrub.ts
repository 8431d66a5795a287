// Conflict-driven version solving (PubGrub: unit propagation, conflict
// resolution that learns an incompatibility and backjumps to where it first
// applies). Algorithm: https://github.com/dart-lang/pub/blob/master/doc/solver.md
// Every package has a finite, known list of versions (what the index offers
// the target), so a set of versions is a bitset (bit i = version i) and terms
// are exact; the caller (resolver.ts) decides what the versions and
// dependencies are and which package to decide next.

/** Allowed versions of one package: bit i = version i; `absentOk` = the package may also be left out. */
export interface Term {
  pkg: string;
  bits: bigint;
  absentOk: boolean;
}

/** What the caller says an external incompatibility means (for messages). */
export type Fact = { kind: string; [k: string]: unknown };

/** Terms that cannot all hold; `cause` is an external fact or the two incompatibilities it was derived from. */
export interface Incompatibility {
  terms: Term[];
  cause: { fact: Fact } | { left: Incompatibility; right: Incompatibility };
}

interface Assignment {
  pkg: string;
  term: Term;
  level: number;
  index: number;
  /** undefined for a decision */
  cause?: Incompatibility;
}

export interface SolverProvider {
  /** Which of these undecided packages (each with the versions still allowed) to decide next. */
  pick(candidates: { pkg: string; bits: bigint }[], decided: ReadonlyMap<string, number>): string;
  /** The version of `pkg` to try among `bits` (never 0n). */
  choose(pkg: string, bits: bigint, decided: ReadonlyMap<string, number>): number;
  /** Incompatibilities that choosing version `v` of `pkg` brings (its dependencies, or "unusable"). */
  dependencies(pkg: string, v: number, decided: ReadonlyMap<string, number>): Promise<Incompatibility[]>;
}

/** Thrown when the root incompatibility is derived: no solution exists. */
export class NoSolution extends Error {
  constructor(readonly incompatibility: Incompatibility) {
    super('no solution');
  }
}

/** The bits of a package with `n` versions. */
export function fullBits(n: number): bigint {
  return (1n << BigInt(n)) - 1n;
}

export function bitCount(b: bigint): number {
  let n = 0;
  for (; b; b &= b - 1n) n++;
  return n;
}

/** Indices of the set bits, ascending. */
export function bitIndices(b: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; b; i++, b >>= 1n) if (b & 1n) out.push(i);
  return out;
}

const enum Relation {
  Satisfied,
  Contradicted,
  Inconclusive,
}

export class Solver {
  /** Version count per package, from `register`. */
  private readonly full = new Map<string, bigint>();
  private readonly byPkg = new Map<string, Incompatibility[]>();
  private readonly assignments: Assignment[] = [];
  /** Intersection of each package's assignments. */
  private readonly cumulative = new Map<string, Term>();
  private readonly decisions = new Map<string, number>();
  private level = 0;
  /** Decisions plus conflicts, for the caller's budget. */
  steps = 0;
  /** How often each package was in a conflict or had a version refused (for a message when the budget runs out). */
  readonly conflicts = new Map<string, number>();

  constructor(
    private readonly provider: SolverProvider,
    readonly root: string,
  ) {
    this.register(root, 1);
  }

  /** Declares how many versions `pkg` has; must happen before any term on it is built. */
  register(pkg: string, versions: number): void {
    if (!this.full.has(pkg)) this.full.set(pkg, fullBits(versions));
  }

  /** `pkg` at exactly these versions (must be selected). */
  positive(pkg: string, bits: bigint): Term {
    return { pkg, bits, absentOk: false };
  }

  /** "not pkg in bits": left out, or at another version. */
  negative(pkg: string, bits: bigint): Term {
    return { pkg, bits: this.mask(pkg) & ~bits, absentOk: true };
  }

  incompatibility(terms: Term[], fact: Fact): Incompatibility {
    return { terms: this.normalize(terms, false), cause: { fact } };
  }

  /** Runs to a solution (package -> version index) or throws NoSolution. `budget` caps decisions + conflicts. */
  async solve(budget: number): Promise<Map<string, number>> {
    this.add(this.incompatibility([this.negative(this.root, 1n)], { kind: 'root' }));
    let next: string | undefined = this.root;
    while (next !== undefined) {
      this.propagate(next);
      if (++this.steps > budget) throw new BudgetExceeded(this.steps);
      next = await this.decideNext();
    }
    return new Map(this.decisions);
  }

  private mask(pkg: string): bigint {
    const m = this.full.get(pkg);
    if (m === undefined) throw new Error(`pubgrub: package ${pkg} used before register()`);
    return m;
  }

  private any(pkg: string): Term {
    return { pkg, bits: this.mask(pkg), absentOk: true };
  }

  private negate(t: Term): Term {
    return { pkg: t.pkg, bits: this.mask(t.pkg) & ~t.bits, absentOk: !t.absentOk };
  }

  private static intersect(a: Term, b: Term): Term {
    return { pkg: a.pkg, bits: a.bits & b.bits, absentOk: a.absentOk && b.absentOk };
  }

  private static subset(a: Term, b: Term): boolean {
    return (a.bits & ~b.bits) === 0n && (!a.absentOk || b.absentOk);
  }

  private static disjoint(a: Term, b: Term): boolean {
    return (a.bits & b.bits) === 0n && !(a.absentOk && b.absentOk);
  }

  /** One term per package (intersected); terms that always hold dropped; a positive root dropped from derived ones. */
  private normalize(terms: Term[], derived: boolean): Term[] {
    const merged = new Map<string, Term>();
    for (const t of terms) {
      const cur = merged.get(t.pkg);
      merged.set(t.pkg, cur ? Solver.intersect(cur, t) : t);
    }
    let out = [...merged.values()].filter((t) => !(t.absentOk && t.bits === this.mask(t.pkg)));
    if (derived && out.length > 1) out = out.filter((t) => !(t.pkg === this.root && !t.absentOk));
    return out;
  }

  private add(inc: Incompatibility): void {
    for (const t of inc.terms) {
      const list = this.byPkg.get(t.pkg);
      if (list) list.push(inc);
      else this.byPkg.set(t.pkg, [inc]);
    }
  }

  private relation(t: Term): Relation {
    const c = this.cumulative.get(t.pkg) ?? this.any(t.pkg);
    if (Solver.subset(c, t)) return Relation.Satisfied;
    if (Solver.disjoint(c, t)) return Relation.Contradicted;
    return Relation.Inconclusive;
  }

  private assign(pkg: string, term: Term, cause?: Incompatibility): void {
    this.assignments.push({ pkg, term, level: this.level, index: this.assignments.length, cause });
    const cur = this.cumulative.get(pkg);
    this.cumulative.set(pkg, cur ? Solver.intersect(cur, term) : term);
  }

  private decide(pkg: string, v: number): void {
    this.level++;
    this.decisions.set(pkg, v);
    this.assign(pkg, this.positive(pkg, 1n << BigInt(v)));
  }

  private backtrack(level: number): void {
    const touched = new Set<string>();
    while (this.assignments.length && this.assignments[this.assignments.length - 1]!.level > level) {
      const a = this.assignments.pop()!;
      touched.add(a.pkg);
      if (!a.cause) this.decisions.delete(a.pkg);
    }
    this.level = level;
    for (const pkg of touched) this.cumulative.delete(pkg);
    for (const a of this.assignments) {
      if (!touched.has(a.pkg)) continue;
      const cur = this.cumulative.get(a.pkg);
      this.cumulative.set(a.pkg, cur ? Solver.intersect(cur, a.term) : a.term);
    }
  }

  /** The earliest assignment after which the partial solution satisfies `t`. */
  private satisfier(t: Term): Assignment {
    let acc = this.any(t.pkg);
    for (const a of this.assignments) {
      if (a.pkg !== t.pkg) continue;
      acc = Solver.intersect(acc, a.term);
      if (Solver.subset(acc, t)) return a;
    }
    throw new Error(`pubgrub: no satisfier for ${t.pkg}`);
  }

  private propagate(start: string): void {
    const changed = new Set([start]);
    while (changed.size) {
      const pkg: string = changed.values().next().value!;
      changed.delete(pkg);
      const list = this.byPkg.get(pkg) ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const inc = list[i]!;
        const r = this.propagateOne(inc);
        if (r === 'conflict') {
          this.steps++;
          for (const t of inc.terms) this.conflicts.set(t.pkg, (this.conflicts.get(t.pkg) ?? 0) + 1);
          const learned = this.resolveConflict(inc);
          const p = this.propagateOne(learned);
          if (typeof p !== 'string') throw new Error('pubgrub: a learned incompatibility did not propagate');
          changed.clear();
          changed.add(p);
          break;
        }
        if (r !== undefined) changed.add(r);
      }
    }
  }

  /** Derives what `inc` forces: the package of the derived term, 'conflict', or undefined. */
  private propagateOne(inc: Incompatibility): string | 'conflict' | undefined {
    let open: Term | undefined;
    for (const t of inc.terms) {
      const r = this.relation(t);
      if (r === Relation.Contradicted) return undefined;
      if (r === Relation.Inconclusive) {
        if (open) return undefined;
        open = t;
      }
    }
    if (!open) return 'conflict';
    this.assign(open.pkg, this.negate(open), inc);
    return open.pkg;
  }

  private isFailure(inc: Incompatibility): boolean {
    return inc.terms.length === 0 || (inc.terms.length === 1 && inc.terms[0]!.pkg === this.root && !inc.terms[0]!.absentOk);
  }

  private resolveConflict(conflict: Incompatibility): Incompatibility {
    let inc = conflict;
    let learned = false;
    while (!this.isFailure(inc)) {
      let recentTerm: Term | undefined;
      let recent: Assignment | undefined;
      let difference: Term | undefined;
      let previousLevel = 1;
      for (const t of inc.terms) {
        const s = this.satisfier(t);
        if (!recent) {
          recentTerm = t;
          recent = s;
        } else if (recent.index < s.index) {
          previousLevel = Math.max(previousLevel, recent.level);
          recentTerm = t;
          recent = s;
          difference = undefined;
        } else {
          previousLevel = Math.max(previousLevel, s.level);
        }
        if (recentTerm === t) {
          const d = Solver.intersect(recent.term, this.negate(t));
          difference = d.bits === 0n && !d.absentOk ? undefined : d;
          if (difference) previousLevel = Math.max(previousLevel, this.satisfier(this.negate(difference)).level);
        }
      }
      if (previousLevel < recent!.level || !recent!.cause) {
        this.backtrack(previousLevel);
        if (learned) this.add(inc);
        return inc;
      }
      const terms = [...inc.terms.filter((t) => t !== recentTerm), ...recent!.cause.terms.filter((t) => t.pkg !== recent!.pkg)];
      if (difference) terms.push(this.negate(difference));
      inc = { terms: this.normalize(terms, true), cause: { left: inc, right: recent!.cause } };
      learned = true;
    }
    throw new NoSolution(inc);
  }

  private async decideNext(): Promise<string | undefined> {
    const open: { pkg: string; bits: bigint }[] = [];
    for (const [pkg, t] of this.cumulative) if (!t.absentOk && !this.decisions.has(pkg)) open.push({ pkg, bits: t.bits });
    if (open.length === 0) return undefined;
    const pkg = this.provider.pick(open, this.decisions);
    const bits = this.cumulative.get(pkg)!.bits;
    const v = this.provider.choose(pkg, bits, this.decisions);
    const incs = await this.provider.dependencies(pkg, v, this.decisions);
    let conflict = false;
    for (const inc of incs) {
      this.add(inc);
      conflict ||= inc.terms.every((t) => t.pkg === pkg || this.relation(t) === Relation.Satisfied);
    }
    if (conflict) this.conflicts.set(pkg, (this.conflicts.get(pkg) ?? 0) + 1);
    else this.decide(pkg, v);
    return pkg;
  }
}

/** Thrown when `solve` runs past its budget (a safety net; real inputs stay far below it). */
export class BudgetExceeded extends Error {
  constructor(readonly steps: number) {
    super(`gave up after ${steps} steps`);
  }
}
