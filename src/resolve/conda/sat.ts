// A small CDCL SAT solver (MiniSat's scheme: two watched literals, 1-UIP
// clause learning, VSIDS, phase saving, Luby restarts) with native
// pseudo-boolean constraints `sum(c_i * l_i) <= k` for "at most one record
// per package" and for the objective bounds of conda's optimisation.
// Pure and synchronous. Variables are 1..n; a literal is 2*v (true) or
// 2*v+1 (false).

/** Literal of variable `v`, negated when `neg`. */
export const lit = (v: number, neg = false): number => (v << 1) | (neg ? 1 : 0);
export const neg = (l: number): number => l ^ 1;

const UNDEF = 0;
const TRUE = 1;
const FALSE = 2;

interface Pb {
  lits: number[];
  coeffs: number[];
  bound: number;
  /** bound minus the coefficients of the literals now true */
  slack: number;
}

/** Outcome of `solve`: a model, unsatisfiable, or the conflict budget ran out. */
export type SatResult = 'sat' | 'unsat' | 'budget';

export class Sat {
  private n = 0;
  private vals: Uint8Array = new Uint8Array(16);
  private levels: Int32Array = new Int32Array(16);
  /** >= 0: clause index; <= -2: PB index -(r + 2); -1: decision or none */
  private reasons: Int32Array = new Int32Array(16);
  private trailPos: Int32Array = new Int32Array(16);
  private activity: Float64Array = new Float64Array(16);
  private phase: Uint8Array = new Uint8Array(16);
  private heap: number[] = [];
  private heapIdx: Int32Array = new Int32Array(16).fill(-1);
  private seen: Uint8Array = new Uint8Array(16);
  private watches: number[][] = [];
  private pbOcc: number[][] = [];
  private readonly clauses: number[][] = [];
  private readonly pbs: Pb[] = [];
  private trail: number[] = [];
  private trailLim: number[] = [];
  private qhead = 0;
  private varInc = 1;
  private broken = false;
  /** Conflicts over every solve() so far. */
  conflicts = 0;
  /** After 'unsat' under assumptions: the assumptions that take part. */
  failedAssumptions: number[] = [];

  get numVars(): number {
    return this.n;
  }

  newVar(): number {
    const v = ++this.n;
    if (v >= this.vals.length) this.grow(v * 2);
    this.watches[2 * v] = [];
    this.watches[2 * v + 1] = [];
    this.pbOcc[2 * v] = [];
    this.pbOcc[2 * v + 1] = [];
    this.reasons[v] = -1;
    this.heapInsert(v);
    return v;
  }

  private grow(size: number): void {
    const g = <T extends Uint8Array | Int32Array | Float64Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      if (fill) b.fill(fill, a.length);
      return b;
    };
    this.vals = g(this.vals);
    this.levels = g(this.levels);
    this.reasons = g(this.reasons);
    this.trailPos = g(this.trailPos);
    this.activity = g(this.activity);
    this.phase = g(this.phase);
    this.heapIdx = g(this.heapIdx, -1);
    this.seen = g(this.seen);
  }

  /** Value of a literal: TRUE, FALSE or UNDEF. */
  private value(l: number): number {
    const v = this.vals[l >> 1]!;
    if (v === UNDEF) return UNDEF;
    return (v === TRUE) === ((l & 1) === 0) ? TRUE : FALSE;
  }

  /** The value of variable `v` in the last model. */
  modelValue(v: number): boolean {
    return this.model[v] === 1;
  }

  private model: Uint8Array = new Uint8Array(0);

  /** Adds a clause (at decision level 0). Returns false once the formula is unsatisfiable. */
  addClause(input: readonly number[]): boolean {
    if (this.broken) return false;
    this.cancelUntil(0);
    const lits: number[] = [];
    for (const l of input) {
      const val = this.value(l);
      if (val === TRUE || lits.includes(neg(l))) return true;
      if (val === FALSE || lits.includes(l)) continue;
      lits.push(l);
    }
    if (lits.length === 0) {
      this.broken = true;
      return false;
    }
    if (lits.length === 1) {
      this.enqueue(lits[0]!, -1);
      if (this.propagate() !== null) this.broken = true;
      return !this.broken;
    }
    const ci = this.clauses.length;
    this.clauses.push(lits);
    this.watches[neg(lits[0]!)]!.push(ci);
    this.watches[neg(lits[1]!)]!.push(ci);
    return true;
  }

  /** Adds `sum(coeffs[i] * lits[i]) <= bound` (positive integer coefficients). */
  addAtMost(lits: readonly number[], coeffs: readonly number[], bound: number): boolean {
    if (this.broken) return false;
    this.cancelUntil(0);
    const order = lits.map((_, i) => i).sort((a, b) => coeffs[b]! - coeffs[a]!);
    const pb: Pb = { lits: order.map((i) => lits[i]!), coeffs: order.map((i) => coeffs[i]!), bound, slack: bound };
    const pi = this.pbs.length;
    this.pbs.push(pb);
    pb.lits.forEach((l, i) => {
      this.pbOcc[l]!.push(pi, pb.coeffs[i]!);
      if (this.value(l) === TRUE) pb.slack -= pb.coeffs[i]!;
    });
    if (pb.slack < 0) {
      this.broken = true;
      return false;
    }
    for (let i = 0; i < pb.lits.length && pb.coeffs[i]! > pb.slack; i++) {
      if (this.value(pb.lits[i]!) === UNDEF) this.enqueue(neg(pb.lits[i]!), -1);
    }
    if (this.propagate() !== null) this.broken = true;
    return !this.broken;
  }

  private enqueue(l: number, reason: number): void {
    const v = l >> 1;
    this.vals[v] = l & 1 ? FALSE : TRUE;
    this.levels[v] = this.trailLim.length;
    this.reasons[v] = reason;
    this.trailPos[v] = this.trail.length;
    this.trail.push(l);
    const occ = this.pbOcc[l]!;
    for (let i = 0; i < occ.length; i += 2) this.pbs[occ[i]!]!.slack -= occ[i + 1]!;
  }

  private cancelUntil(level: number): void {
    if (this.trailLim.length <= level) return;
    const stop = this.trailLim[level]!;
    for (let i = this.trail.length - 1; i >= stop; i--) {
      const l = this.trail[i]!;
      const v = l >> 1;
      const occ = this.pbOcc[l]!;
      for (let j = 0; j < occ.length; j += 2) this.pbs[occ[j]!]!.slack += occ[j + 1]!;
      this.phase[v] = l & 1 ? 0 : 1;
      this.vals[v] = UNDEF;
      this.reasons[v] = -1;
      if (this.heapIdx[v]! < 0) this.heapInsert(v);
    }
    this.trail.length = stop;
    this.trailLim.length = level;
    this.qhead = stop;
  }

  /** Unit propagation; returns the conflicting clause's literals, or null. */
  private propagate(): number[] | null {
    while (this.qhead < this.trail.length) {
      const p = this.trail[this.qhead++]!;
      const falseLit = neg(p);
      const ws = this.watches[p]!;
      // clauses watching ¬p (they sit in watches[p]: "visit when p becomes true")
      let i = 0;
      let j = 0;
      while (i < ws.length) {
        const ci = ws[i++]!;
        const c = this.clauses[ci]!;
        if (c[0] === falseLit) {
          c[0] = c[1]!;
          c[1] = falseLit;
        }
        if (this.value(c[0]!) === TRUE) {
          ws[j++] = ci;
          continue;
        }
        let found = false;
        for (let k = 2; k < c.length; k++) {
          if (this.value(c[k]!) !== FALSE) {
            c[1] = c[k]!;
            c[k] = falseLit;
            this.watches[neg(c[1])]!.push(ci);
            found = true;
            break;
          }
        }
        if (found) continue;
        ws[j++] = ci;
        if (this.value(c[0]!) === FALSE) {
          while (i < ws.length) ws[j++] = ws[i++]!;
          ws.length = j;
          return c;
        }
        this.enqueue(c[0]!, ci);
      }
      ws.length = j;
      const occ = this.pbOcc[p]!;
      for (let k = 0; k < occ.length; k += 2) {
        const pi = occ[k]!;
        const pb = this.pbs[pi]!;
        if (pb.slack < 0) return this.pbExplain(pb, -1, pb.bound, Infinity);
        for (let m = 0; m < pb.lits.length && pb.coeffs[m]! > pb.slack; m++) {
          const l = pb.lits[m]!;
          if (this.value(l) === UNDEF) this.enqueue(neg(l), -(pi + 2));
        }
      }
    }
    return null;
  }

  /** The reason clause of an implied variable, implied literal first. */
  private reasonOf(v: number): number[] {
    const r = this.reasons[v]!;
    if (r >= 0) return this.clauses[r]!;
    const pb = this.pbs[-r - 2]!;
    const i = pb.lits.findIndex((l) => l >> 1 === v);
    return [this.vals[v] === TRUE ? 2 * v : 2 * v + 1, ...this.pbExplain(pb, v, pb.bound - pb.coeffs[i]!, this.trailPos[v]!)];
  }

  /**
   * Negations of true literals of `pb` (assigned before trail position `pos`,
   * other than variable `skip`) whose coefficients add up to more than
   * `limit`: few and large ones first, so learnt clauses stay short.
   */
  private pbExplain(pb: Pb, skip: number, limit: number, pos: number): number[] {
    const out: number[] = [];
    let sum = 0;
    for (let k = 0; k < pb.lits.length && sum <= limit; k++) {
      const l = pb.lits[k]!;
      const u = l >> 1;
      if (u !== skip && this.value(l) === TRUE && this.trailPos[u]! < pos) {
        out.push(neg(l));
        sum += pb.coeffs[k]!;
      }
    }
    return out;
  }

  private analyze(conflict: number[]): { learnt: number[]; level: number } {
    const learnt: number[] = [0];
    const level = this.trailLim.length;
    let pathC = 0;
    let p = -1;
    let idx = this.trail.length - 1;
    let reason = conflict;
    const touched: number[] = [];
    for (;;) {
      for (let k = p === -1 ? 0 : 1; k < reason.length; k++) {
        const q = reason[k]!;
        const v = q >> 1;
        if (this.seen[v] || this.levels[v] === 0) continue;
        this.seen[v] = 1;
        touched.push(v);
        this.bump(v);
        if (this.levels[v]! >= level) pathC++;
        else learnt.push(q);
      }
      while (!this.seen[this.trail[idx]! >> 1]) idx--;
      p = this.trail[idx]!;
      idx--;
      this.seen[p >> 1] = 0;
      pathC--;
      if (pathC <= 0) break;
      reason = this.reasonOf(p >> 1);
    }
    learnt[0] = neg(p);
    // drop literals implied by others of the clause (MiniSat's local minimisation)
    let j = 1;
    for (let k = 1; k < learnt.length; k++) {
      const v = learnt[k]! >> 1;
      const r = this.reasons[v]!;
      if (r === -1 || !this.reasonOf(v).slice(1).every((q) => this.seen[q >> 1] || this.levels[q >> 1] === 0)) learnt[j++] = learnt[k]!;
    }
    learnt.length = j;
    for (const v of touched) this.seen[v] = 0;
    let back = 0;
    if (learnt.length > 1) {
      let maxI = 1;
      for (let k = 2; k < learnt.length; k++) if (this.levels[learnt[k]! >> 1]! > this.levels[learnt[maxI]! >> 1]!) maxI = k;
      [learnt[1], learnt[maxI]] = [learnt[maxI]!, learnt[1]!];
      back = this.levels[learnt[1]! >> 1]!;
    }
    this.varInc *= 1 / 0.95;
    return { learnt, level: back };
  }

  /** Which assumptions imply ¬p (p: a failed assumption literal). */
  private analyzeFinal(p: number): number[] {
    const out = [p];
    const v0 = p >> 1;
    if (this.levels[v0] === 0) return out;
    this.seen[v0] = 1;
    for (let i = this.trail.length - 1; i >= (this.trailLim[0] ?? this.trail.length); i--) {
      const v = this.trail[i]! >> 1;
      if (!this.seen[v]) continue;
      if (this.reasons[v] === -1) {
        if (v !== v0) out.push(neg(this.trail[i]!));
      } else {
        for (const q of this.reasonOf(v).slice(1)) if (this.levels[q >> 1]! > 0) this.seen[q >> 1] = 1;
      }
      this.seen[v] = 0;
    }
    this.seen[v0] = 0;
    return out;
  }

  private bump(v: number): void {
    if ((this.activity[v]! += this.varInc) > 1e100) {
      for (let u = 1; u <= this.n; u++) this.activity[u]! *= 1e-100;
      this.varInc *= 1e-100;
    }
    const i = this.heapIdx[v]!;
    if (i >= 0) this.heapUp(i);
  }

  /** Raises a variable's priority for decisions (a hint; ties break on the lower variable). */
  prefer(v: number, amount: number): void {
    this.activity[v]! += amount;
    const i = this.heapIdx[v]!;
    if (i >= 0) this.heapUp(i);
  }

  private before(a: number, b: number): boolean {
    const x = this.activity[a]!;
    const y = this.activity[b]!;
    return x > y || (x === y && a < b);
  }

  private heapInsert(v: number): void {
    this.heapIdx[v] = this.heap.length;
    this.heap.push(v);
    this.heapUp(this.heap.length - 1);
  }

  private heapUp(i: number): void {
    const h = this.heap;
    const v = h[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(v, h[parent]!)) break;
      h[i] = h[parent]!;
      this.heapIdx[h[i]!] = i;
      i = parent;
    }
    h[i] = v;
    this.heapIdx[v] = i;
  }

  private heapPop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    this.heapIdx[top] = -1;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && this.before(h[r]!, h[l]!) ? r : l;
        if (!this.before(h[c]!, last)) break;
        h[i] = h[c]!;
        this.heapIdx[h[i]!] = i;
        i = c;
      }
      h[i] = last;
      this.heapIdx[last] = i;
    }
    return top;
  }

  /**
   * Searches for a model that makes every `assumptions` literal true.
   * 'budget' when more than `maxConflicts` conflicts were needed.
   */
  solve(assumptions: readonly number[] = [], maxConflicts = Infinity): SatResult {
    this.failedAssumptions = [];
    if (this.broken) return 'unsat';
    this.cancelUntil(0);
    if (this.propagate() !== null) {
      this.broken = true;
      return 'unsat';
    }
    const start = this.conflicts;
    let restart = 0;
    let limit = 100 * luby(restart);
    let sinceRestart = 0;
    for (;;) {
      const conflict = this.propagate();
      if (conflict !== null) {
        this.conflicts++;
        sinceRestart++;
        if (this.trailLim.length === 0) {
          this.broken = true;
          return 'unsat';
        }
        const { learnt, level } = this.analyze(conflict);
        this.cancelUntil(level);
        if (learnt.length === 1) {
          this.enqueue(learnt[0]!, -1);
        } else {
          const ci = this.clauses.length;
          this.clauses.push(learnt);
          this.watches[neg(learnt[0]!)]!.push(ci);
          this.watches[neg(learnt[1]!)]!.push(ci);
          this.enqueue(learnt[0]!, ci);
        }
        if (this.conflicts - start > maxConflicts) {
          this.cancelUntil(0);
          return 'budget';
        }
        continue;
      }
      if (sinceRestart >= limit) {
        sinceRestart = 0;
        limit = 100 * luby(++restart);
        this.cancelUntil(0);
        continue;
      }
      let next = -1;
      while (this.trailLim.length < assumptions.length) {
        const a = assumptions[this.trailLim.length]!;
        const val = this.value(a);
        if (val === TRUE) {
          this.trailLim.push(this.trail.length);
        } else if (val === FALSE) {
          this.failedAssumptions = this.analyzeFinal(neg(a)).map(neg);
          this.cancelUntil(0);
          return 'unsat';
        } else {
          next = a;
          break;
        }
      }
      if (next === -1) {
        let v = 0;
        while (this.heap.length > 0) {
          const u = this.heapPop();
          if (this.vals[u] === UNDEF) {
            v = u;
            break;
          }
        }
        if (v === 0) {
          this.model = new Uint8Array(this.n + 1);
          for (let u = 1; u <= this.n; u++) this.model[u] = this.vals[u] === TRUE ? 1 : 0;
          this.cancelUntil(0);
          return 'sat';
        }
        next = this.phase[v] ? 2 * v : 2 * v + 1;
      }
      this.trailLim.push(this.trail.length);
      this.enqueue(next, -1);
    }
  }
}

/** The Luby restart sequence 1 1 2 1 1 2 4 ... */
function luby(i: number): number {
  let size = 1;
  let seq = 0;
  while (size < i + 1) {
    seq++;
    size = 2 * size + 1;
  }
  let x = i;
  while (size - 1 !== x) {
    size = (size - 1) >> 1;
    seq--;
    x = x % size;
  }
  return 2 ** seq;
}
