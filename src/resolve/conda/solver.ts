// The conda solver: conda 23.7.4's classic solver (conda/resolve.py,
// Resolve.solve) on our own SAT core. Records are collected by name from a
// RecordSource, pruned to conda's reduced index (Resolve.get_reduced_index),
// encoded as clauses (one record per name, depends, constrains, features),
// and then conda's objectives are minimised one after the other, each first
// by its largest active term and then by its sum (conda's Clauses.minimize):
// channel and version of the requested packages, track_features count,
// featureless records, build and noarch of the requested packages, channel,
// version, build and noarch of every other package, the number of packages,
// and timestamps when that still leaves a choice. Remaining ties go to
// whatever the (deterministic) SAT search meets first, as conda leaves them
// to picosat.
// Also checks that a complete environment (conda list -e, @EXPLICIT,
// conda-lock) is closed. Pure apart from RecordSource reads.

import { PackagerError } from '../../core/errors.js';
import { MatchSpec } from './match-spec.js';
import { Sat, lit } from './sat.js';
import { sameVersion, sortCandidates, type SolverRecord } from './select.js';

/** Where the solver gets the records of a package name (all channels, all subdirs, virtual included). */
export interface RecordSource {
  records(name: string): Promise<readonly SolverRecord[]>;
  /** Human description of the channels for messages (`https://…/conda-forge (linux-64, noarch)`). */
  describe(): string;
}

export interface SolveOptions {
  /** Give up (ERESOLVE) after this many SAT conflicts; guards against pathological inputs. */
  maxConflicts?: number;
  /** Told when an objective was left at the best solution found rather than its proven optimum. */
  warn?: (text: string) => void;
}

/** A dependency as conda's Resolve.ms_depends sees it: a spec on a name, or a `features` entry. */
interface Dep {
  /** Cache key: the spec text, or `@feature`. */
  key: string;
  name: string;
  spec?: MatchSpec;
  feature?: string;
  /** constrains entries (conda: optional specs of combined_depends). */
  optional: boolean;
  strictness: number;
}

/** `numpy 1.26.4`: how a record is named in messages (the brief chain style). */
export function describeRecord(r: SolverRecord): string {
  return `${r.name} ${r.version}`;
}

function parseDep(text: string, owner: SolverRecord, field: string): MatchSpec {
  try {
    return MatchSpec.parse(text);
  } catch (err) {
    throw new PackagerError('EBADINDEX', `Malformed ${field} entry in repodata: ${describeRecord(owner)} has "${text}"`, {
      found: text,
      hint: 'the channel publishes a record conda itself could not read; report it to the channel',
    }, { cause: err });
  }
}

/** conda's MatchSpec.strictness: 1 name only, 2 name + version, 3 anything more exact. */
function strictness(spec: MatchSpec): number {
  const version = spec.version !== undefined && spec.version.spec !== '*';
  const build = spec.build !== undefined;
  const others = Number(spec.channel !== undefined) + Number(spec.subdir !== undefined) + Object.keys(spec.fields).length;
  if (others > 0 || !spec.exactName || build) return 3;
  return version ? 2 : 1;
}

function splitFeatures(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? value.split(/[\s,]+/) : value;
  return [...new Set(parts.map((s) => s.trim()).filter(Boolean))];
}

const isVirtual = (name: string): boolean => name.startsWith('__');

/**
 * Solves root MatchSpecs against a record source. Returns the chosen records
 * (virtual packages excluded), sorted by name. Throws ENOTFOUND when a spec
 * names a package no channel has, ENOMATCH when no record matches a spec on
 * its own, and ERESOLVE with the requirement chains when there is no solution.
 */
export async function solve(rootSpecs: readonly string[], source: RecordSource, options: SolveOptions = {}): Promise<SolverRecord[]> {
  const specs: MatchSpec[] = [];
  for (const text of rootSpecs) {
    const spec = MatchSpec.parse(text);
    if (!spec.exactName) {
      throw new PackagerError('EINPUT', `Unsupported conda spec: "${text}" (the package name must be exact, not a pattern)`, {
        found: text,
        hint: 'name the package, e.g. `numpy>=1.26`',
      });
    }
    specs.push(spec);
  }
  const index = new Index(source);
  await index.load(specs.map((s) => s.exactName!));
  for (const spec of specs) {
    const name = spec.exactName!;
    const all = index.group(name);
    if (all.length === 0) {
      throw new PackagerError('ENOTFOUND', `Package not found in the configured channels: ${name}`, {
        wanted: spec.original,
        found: source.describe(),
        hint: `check the spelling, or add the channel that publishes ${name} to conda.channels`,
      });
    }
    if (!all.some((r) => spec.match(r))) {
      const versions = [...new Set(all.map((r) => r.version))].slice(0, 12);
      throw new PackagerError('ENOMATCH', `No record of ${name} matches the spec: ${spec.original}`, {
        wanted: spec.original,
        found: `${name} versions ${versions.join(', ')}${versions.length === 12 ? ', ...' : ''} in ${source.describe()}`,
        hint: 'pick one of the versions found, or widen the spec',
      });
    }
  }
  const reduced = index.reduce(specs);
  const problem = new Problem(index, reduced, specs, source, options.maxConflicts ?? 1_000_000);
  const chosen = problem.run();
  if (problem.approximate) {
    options.warn?.(`conda specs ${rootSpecs.join(' ')}: proving one of conda's preferences optimal was cut short after ${STEP_CONFLICTS} conflicts; conda may pick other builds`);
  }
  return chosen;
}

/** Every record of every name reachable from the specs (conda/core/index.py get_reduced_index). */
class Index {
  private readonly groups = new Map<string, SolverRecord[]>();
  readonly trackers = new Map<string, SolverRecord[]>();
  private readonly deps = new Map<SolverRecord, Dep[]>();
  private readonly depCache = new Map<string, Dep>();
  private readonly matches = new Map<string, SolverRecord[]>();

  constructor(private readonly source: RecordSource) {}

  async load(roots: string[]): Promise<void> {
    const pending = [...new Set(roots)];
    const seen = new Set(pending);
    while (pending.length) {
      const batch = pending.splice(0, pending.length);
      const loaded = await Promise.all(batch.map((n) => this.source.records(n)));
      batch.forEach((name, i) => {
        const group = sortCandidates(loaded[i]!);
        this.groups.set(name, group);
        for (const r of group) {
          for (const f of r.track_features) {
            const t = this.trackers.get(f) ?? [];
            t.push(r);
            this.trackers.set(f, t);
          }
          for (const d of this.depends(r)) {
            if (d.spec && !seen.has(d.name)) {
              seen.add(d.name);
              pending.push(d.name);
            }
          }
        }
      });
    }
  }

  group(name: string): readonly SolverRecord[] {
    return this.groups.get(name) ?? [];
  }

  names(): string[] {
    return [...this.groups.keys()];
  }

  private dep(text: string, owner: SolverRecord, optional: boolean): Dep | undefined {
    const key = `${optional ? '?' : ''}${text}`;
    let d = this.depCache.get(key);
    if (!d) {
      const spec = parseDep(text, owner, optional ? 'constrains' : 'depends');
      const name = spec.exactName;
      if (!name) return undefined; // conda's classic solver does not pull in pattern-named depends either
      d = { key, name, spec, optional, strictness: strictness(spec) };
      this.depCache.set(key, d);
    }
    return d;
  }

  /** conda's ms_depends: depends, constrains (optional), and one track_features spec per `features` entry. */
  depends(r: SolverRecord): Dep[] {
    let list = this.deps.get(r);
    if (!list) {
      list = [];
      const named = new Set<string>();
      // conda's add_pip_as_python_dependency (default true; conda/core/subdir_data.py)
      const texts = r.name === 'python' && /^[23]\./.test(r.version) ? [...r.depends, 'pip'] : r.depends;
      for (const t of texts) {
        const d = this.dep(t, r, false);
        if (d) {
          list.push(d);
          named.add(d.name);
        }
      }
      for (const t of r.constrains) {
        const d = this.dep(t, r, !named.has(MatchSpec.parse(t).name));
        if (d) list.push(d);
      }
      for (const f of splitFeatures(r.features)) {
        const key = `@${f}`;
        let d = this.depCache.get(key);
        if (!d) this.depCache.set(key, (d = { key, name: '*', feature: f, optional: false, strictness: 3 }));
        list.push(d);
      }
      this.deps.set(r, list);
    }
    return list;
  }

  /** Records of the whole index that a dependency accepts, best first. */
  findMatches(d: Dep): SolverRecord[] {
    let m = this.matches.get(d.key);
    if (!m) {
      m = d.feature !== undefined ? sortCandidates(this.trackers.get(d.feature) ?? []) : this.group(d.name).filter((r) => d.spec!.match(r));
      this.matches.set(d.key, m);
    }
    return m;
  }

  specDep(spec: MatchSpec): Dep {
    return { key: `!${spec.original}`, name: spec.exactName!, spec, optional: false, strictness: strictness(spec) };
  }

  /**
   * conda's Resolve.get_reduced_index: prunes records that conflict with the
   * specs or whose dependencies cannot be met, then keeps what the specs reach
   * without broadening an explicit spec. Returns the kept records in order.
   */
  reduce(specs: MatchSpec[]): Reduced {
    const filterOut = new Map<SolverRecord, string | false>();
    const explicit = specs.map((s) => this.specDep(s));
    const exactness = (d: Dep): number => {
      if (d.strictness !== 3) return d.strictness;
      const first = this.findMatches(d)[0];
      let v = 3;
      for (const t of first?.depends ?? []) v += strictness(MatchSpec.parse(t));
      return v;
    };
    explicit.sort((a, b) => exactness(b) - exactness(a) || (a.spec!.toString() < b.spec!.toString() ? 1 : -1));
    const explicitPool = new Map<string, Set<SolverRecord>>();
    for (const d of explicit) {
      const pool = explicitPool.get(d.name) ?? new Set();
      for (const r of this.findMatches(d)) pool.add(r);
      explicitPool.set(d.name, pool);
    }
    const snames = new Set<string>();
    const filterGroup = (deps: Dep[]): boolean | null => {
      const name = deps[0]!.name;
      const group = this.group(name);
      let nold = 0;
      let nnew = 0;
      const pool = explicitPool.get(name);
      for (const r of group) {
        if (filterOut.get(r)) continue;
        nold++;
        if (!deps.some((d) => d.spec!.match(r)) || (pool && pool.size > 0 && !pool.has(r))) {
          filterOut.set(r, 'incompatible with a required spec');
          continue;
        }
        if (this.depends(r).some((d) => !d.optional && !this.findMatches(d).some((x) => !filterOut.get(x)))) {
          filterOut.set(r, 'unsatisfiable dependencies');
          continue;
        }
        filterOut.set(r, false);
        nnew++;
      }
      let reduced = nnew < nold;
      if (nnew === 0) return null;
      if (reduced || !snames.has(name)) {
        snames.add(name);
        const byName = new Map<string, Dep[]>();
        for (const r of group) {
          if (filterOut.get(r)) continue;
          for (const d of this.depends(r)) {
            if (d.optional || d.feature !== undefined) continue;
            const list = byName.get(d.name) ?? [];
            list.push(d);
            byName.set(d.name, list);
          }
        }
        for (const list of byName.values()) {
          if (list.length < nnew) continue;
          const res = filterGroup([...new Set(list)]);
          if (res) reduced = true;
          else if (res === null) return null;
        }
      }
      return reduced;
    };
    for (let pass = 0; pass < 2; pass++) {
      snames.clear();
      const queue = [...explicit];
      while (queue.length) {
        const d = queue.shift()!;
        if (filterGroup([d])) queue.push(d);
      }
    }

    const valid2 = (r: SolverRecord): boolean => {
      const memo = new Map<string, boolean>();
      const validDep = (d: Dep): boolean => {
        if (d.optional) return true;
        let v = memo.get(d.key);
        if (v === undefined) {
          memo.set(d.key, true);
          v = this.findMatches(d).some(validRec);
          memo.set(d.key, v);
        }
        return v;
      };
      const validRec = (x: SolverRecord): boolean => {
        let val = filterOut.get(x);
        if (val === undefined) {
          filterOut.set(x, false);
          val = this.depends(x).every(validDep) ? false : 'invalid depends specs';
          filterOut.set(x, val);
        }
        return !val;
      };
      return validRec(r);
    };

    const kept = new Set<SolverRecord>();
    const seed = new Map<string, Dep[]>();
    for (const d of explicit) seed.set(d.name, [...(seed.get(d.name) ?? []), d]);
    for (const e of explicit) {
      const add = this.findMatches(e).filter((r) => !kept.has(r) && valid2(r));
      for (const r of add) kept.add(r);
      for (const pkg of add) {
        const seen = new Set<Dep>();
        const specsByName = new Map([...seed].map(([k, v]) => [k, [...v]]));
        const depSpecs = new Set(this.depends(pkg));
        for (const d of depSpecs) {
          const list = specsByName.get(d.name) ?? [];
          if (!list.includes(d) && (list.length === 0 || d.strictness >= list[0]!.strictness)) list.unshift(d);
          specsByName.set(d.name, list);
        }
        while (depSpecs.size) {
          const ms = depSpecs.values().next().value as Dep;
          depSpecs.delete(ms);
          seen.add(ms);
          for (const dp of this.findMatches(ms)) {
            if (kept.has(dp) || !valid2(dp)) continue;
            kept.add(dp);
            for (const n of this.depends(dp)) {
              if (seen.has(n)) continue;
              const list = specsByName.get(n.name);
              const broader = list !== undefined && list.length > 0 && n.strictness < list[0]!.strictness;
              if (n.feature === undefined && !broader) depSpecs.add(n);
              else seen.add(n);
            }
          }
        }
      }
    }
    return new Reduced(this, kept, filterOut);
  }
}

/** The reduced index: conda's `r2` (groups best first, trackers). */
class Reduced {
  readonly groups = new Map<string, SolverRecord[]>();
  readonly trackers = new Map<string, SolverRecord[]>();

  constructor(
    readonly index: Index,
    kept: Set<SolverRecord>,
    readonly filterOut: Map<SolverRecord, string | false>,
  ) {
    for (const name of index.names()) {
      const g = index.group(name).filter((r) => kept.has(r));
      if (g.length) this.groups.set(name, g);
    }
    for (const [f, list] of index.trackers) {
      const t = list.filter((r) => kept.has(r));
      if (t.length) this.trackers.set(f, sortCandidates(t));
    }
  }

  findMatches(d: Dep): SolverRecord[] {
    if (d.feature !== undefined) return this.trackers.get(d.feature) ?? [];
    return (this.groups.get(d.name) ?? []).filter((r) => d.spec!.match(r));
  }
}

type Objective = Map<number, number>;

/**
 * Conflicts one bisection step of an objective may take. Past it the best
 * solution found so far is kept for that objective: conda would go on proving
 * optimality (it takes up to minutes on R channels with r/mro variants);
 * solve() then says the result may differ from conda's.
 */
const STEP_CONFLICTS = 5_000;

/** The SAT encoding of a reduced index and conda's sequence of objectives. */
class Problem {
  private readonly sat = new Sat();
  private readonly varOf = new Map<SolverRecord, number>();
  private readonly recOf: SolverRecord[] = [];
  private best: number[] = [];
  /** True when some objective was left at the best solution found instead of its proven optimum. */
  approximate = false;

  constructor(
    private readonly index: Index,
    private readonly r2: Reduced,
    private readonly specs: MatchSpec[],
    private readonly source: RecordSource,
    private readonly maxConflicts: number,
  ) {}

  private check(result: ReturnType<Sat['solve']>): boolean {
    if (result === 'budget') {
      throw new PackagerError('ERESOLVE', `conda resolution gave up after ${this.maxConflicts} conflicts`, {
        hint: 'pin the main packages more tightly (e.g. python=3.11, numpy=1.26) so fewer combinations need trying',
      });
    }
    return result === 'sat';
  }

  private solveWith(assumptions: number[], stepBudget = Infinity): boolean | undefined {
    const budget = Math.min(stepBudget, this.maxConflicts - this.sat.conflicts);
    const result = this.sat.solve(assumptions, budget);
    if (result === 'budget' && budget === stepBudget) return undefined;
    const ok = this.check(result);
    if (ok) {
      this.best = [];
      for (let v = 1; v <= this.sat.numVars; v++) this.best[v] = this.sat.modelValue(v) ? 1 : 0;
    }
    return ok;
  }

  run(): SolverRecord[] {
    const sat = this.sat;
    for (const [, group] of this.r2.groups) {
      if (isVirtual(group[0]!.name)) continue;
      const vars = group.map((r) => {
        const v = sat.newVar();
        this.varOf.set(r, v);
        this.recOf[v] = r;
        return v;
      });
      if (vars.length > 1) sat.addAtMost(vars.map((v) => lit(v)), vars.map(() => 1), 1);
    }
    for (const [r, v] of this.varOf) {
      for (const d of this.index.depends(r)) {
        if (isVirtual(d.name)) continue;
        const ok = this.r2.findMatches(d);
        if (d.optional) {
          // constrains: every other record of that name is ruled out
          for (const x of this.r2.groups.get(d.name) ?? []) if (!ok.includes(x) && this.varOf.has(x)) sat.addClause([lit(v, true), lit(this.varOf.get(x)!, true)]);
        } else {
          sat.addClause([lit(v, true), ...ok.filter((x) => this.varOf.has(x)).map((x) => lit(this.varOf.get(x)!))]);
        }
      }
    }
    // root specs, each behind an assumption so a failure can name the specs involved
    const guards = this.specs.map((s) => {
      const g = sat.newVar();
      const ok = this.r2.findMatches(this.index.specDep(s)).filter((x) => this.varOf.has(x));
      sat.addClause([lit(g, true), ...ok.map((x) => lit(this.varOf.get(x)!))]);
      return g;
    });
    // hint for the first search: the best records first, installed
    for (const [, group] of this.r2.groups) group.forEach((r, i) => this.varOf.has(r) && sat.prefer(this.varOf.get(r)!, 1 / (i + 2)));
    if (!this.solveWith(guards.map((g) => lit(g)))) throw this.unsatisfiable(guards); // no step budget: never undefined
    for (const g of guards) sat.addClause([lit(g)]);

    const requested = new Set(this.specs.map((s) => s.exactName!));
    const [reqC, reqV, reqB, reqA, reqT] = this.versionMetrics([...requested]);
    this.minimize(reqC);
    this.minimize(reqV);
    this.minimize(this.featureCount());
    this.minimize(this.featureMetric());
    this.minimize(reqB);
    this.minimize(reqA);
    const others = [...this.r2.groups.keys()].filter((n) => !requested.has(n) && !isVirtual(n));
    const [c, v, b, a, t] = this.versionMetrics(others);
    this.minimize(c);
    this.minimize(v);
    this.minimize(b);
    this.minimize(a);
    this.minimize(this.packageCount(others), true);
    if (!this.converged()) {
      for (const [k, w] of reqT) t.set(k, w);
      this.minimize(t);
    }
    return this.chosen().sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  private chosen(): SolverRecord[] {
    const out: SolverRecord[] = [];
    for (const [r, v] of this.varOf) if (this.best[v]) out.push(r);
    return out;
  }

  /** conda's generate_version_metrics: per name, ranks in version_key order (channel, version, build, noarch, timestamp). */
  private versionMetrics(names: string[]): Objective[] {
    const eq: Objective[] = [new Map(), new Map(), new Map(), new Map(), new Map()];
    for (const name of names) {
      let prev: SolverRecord | undefined;
      let ic = 0;
      let iv = 0;
      let ib = 0;
      let ia = 0;
      let it = 0;
      for (const r of this.r2.groups.get(name) ?? []) {
        if (prev) {
          if (prev.channelIndex !== r.channelIndex) {
            ic++;
            iv = ib = ia = it = 0;
          } else if (!sameVersion(prev, r)) {
            iv++;
            ib = ia = it = 0;
          } else if (prev.build_number !== r.build_number) {
            ib++;
            ia = it = 0;
          } else if ((prev.subdir === 'noarch') !== (r.subdir === 'noarch')) {
            ia++;
            it = 0;
          } else if (prev.timestamp !== r.timestamp) {
            it++;
          }
        }
        const v = this.varOf.get(r)!;
        [ic, iv, ib, ia, it].forEach((w, i) => w && eq[i]!.set(v, w));
        prev = r;
      }
    }
    return eq;
  }

  /** One variable per tracked feature, true when a record tracking it is installed. */
  private readonly featureVars = new Map<string, number>();

  private featureVar(f: string): number {
    let fv = this.featureVars.get(f);
    if (fv === undefined) {
      fv = this.sat.newVar();
      this.featureVars.set(f, fv);
      for (const r of this.r2.trackers.get(f) ?? []) {
        const v = this.varOf.get(r);
        if (v !== undefined) this.sat.addClause([lit(v, true), lit(fv)]);
      }
      // the model we hold must stay a model: set it the way the clauses force
      this.best[fv] = (this.r2.trackers.get(f) ?? []).some((r) => this.best[this.varOf.get(r) ?? 0]) ? 1 : 0;
    }
    return fv;
  }

  /** conda's generate_feature_count: the number of distinct track_features installed. */
  private featureCount(): Objective {
    const eq: Objective = new Map();
    for (const f of this.r2.trackers.keys()) eq.set(this.featureVar(f), 1);
    return eq;
  }

  /** conda's generate_feature_metric: a record without a feature its group offers, while that feature is active. */
  private featureMetric(): Objective {
    const eq: Objective = new Map();
    for (const [, group] of this.r2.groups) {
      const feats = group.map((r) => new Set(splitFeatures(r.features)));
      const active = new Set([...feats.flatMap((s) => [...s])].filter((f) => this.r2.trackers.has(f)));
      for (const f of active) {
        const fv = this.featureVar(f);
        group.forEach((r, i) => {
          const v = this.varOf.get(r);
          if (v === undefined || feats[i]!.has(f)) return;
          const m = this.sat.newVar();
          this.sat.addClause([lit(v, true), lit(fv, true), lit(m)]);
          this.best[m] = this.best[v] && this.best[fv] ? 1 : 0;
          eq.set(m, 1);
        });
      }
    }
    return eq;
  }

  /** conda's generate_package_count over the names no spec asked for: one variable per name, true when a record of it is installed. */
  private packageCount(names: string[]): Objective {
    const eq: Objective = new Map();
    for (const n of names) {
      const vars = (this.r2.groups.get(n) ?? []).map((r) => this.varOf.get(r)!);
      const m = this.sat.newVar();
      for (const v of vars) this.sat.addClause([lit(v, true), lit(m)]);
      this.sat.addClause([lit(m, true), ...vars.map((v) => lit(v))]);
      this.best[m] = vars.some((v) => this.best[v]) ? 1 : 0;
      eq.set(m, 1);
    }
    return eq;
  }

  /** conda's is_converged: no other optimal solution drops one of the chosen packages. */
  private converged(): boolean {
    const g = this.sat.newVar();
    const chosen = [...this.varOf.values()].filter((v) => this.best[v]);
    this.sat.addClause([lit(g, true), ...chosen.map((v) => lit(v, true))]);
    // the model stays `best`: this search only asks whether another exists
    const result = this.sat.solve([lit(g)], Math.min(STEP_CONFLICTS, this.maxConflicts - this.sat.conflicts));
    this.sat.addClause([lit(g, true)]);
    return result === 'unsat';
  }

  /**
   * conda's Clauses.minimize: bisects on the largest active coefficient
   * (peak), then on the sum; the final bound stays as a constraint, so later
   * objectives cannot undo earlier ones.
   */
  private minimize(objective: Objective, trymax = false): void {
    let terms = [...objective].filter(([, c]) => c > 0);
    if (terms.length === 0) return;
    const maxval = Math.max(...terms.map(([, c]) => c));
    const peakVal = (): number => terms.reduce((m, [v, c]) => (this.best[v] ? Math.max(m, c) : m), 0);
    const sumVal = (): number => terms.reduce((s, [v, c]) => (this.best[v] ? s + c : s), 0);
    let lo = 0;
    let try0: number | undefined = 0;
    for (const peak of maxval > 1 ? [true, false] : [false]) {
      const objval = peak ? peakVal : sumVal;
      let bestval = objval();
      let hi = bestval;
      if (trymax && !peak) try0 = hi - 1;
      for (;;) {
        const mid = try0 ?? Math.floor((lo + hi) / 2);
        const g = this.sat.newVar();
        if (peak) {
          for (const [v, c] of terms) if (c > mid) this.sat.addClause([lit(g, true), lit(v, true)]);
          const require = terms.filter(([, c]) => lo <= c && c <= mid).map(([v]) => lit(v));
          if (require.length) this.sat.addClause([lit(g, true), ...require]);
        } else {
          const total = terms.reduce((s, [, c]) => s + c, 0);
          if (mid < total) this.sat.addAtMost([...terms.map(([v]) => lit(v)), lit(g)], [...terms.map(([, c]) => c), total - mid], total);
        }
        const found = this.solveWith([lit(g)], STEP_CONFLICTS);
        if (found === undefined) {
          // proving this bound takes too long: keep the best solution found so far
          this.sat.addClause([lit(g, true)]);
          this.keepBound(terms, hi);
          this.approximate = true;
          return;
        }
        if (!found) {
          this.sat.addClause([lit(g, true)]);
          lo = mid + 1;
          try0 = undefined;
          if (lo > hi) break;
          continue;
        }
        const done = lo === mid;
        bestval = objval();
        hi = bestval;
        try0 = undefined;
        if (done) {
          this.sat.addClause([lit(g)]);
          break;
        }
        this.sat.addClause([lit(g, true)]);
      }
      if (bestval === 0) break;
      if (peak) {
        terms = terms.filter(([, c]) => c <= bestval);
        try0 = sumVal();
        lo = bestval;
      }
    }
  }

  /** Makes `sum(terms) <= bound` permanent (the best solution meets it). */
  private keepBound(terms: [number, number][], bound: number): void {
    const total = terms.reduce((s, [, c]) => s + c, 0);
    if (bound < total) this.sat.addAtMost(terms.map(([v]) => lit(v)), terms.map(([, c]) => c), bound);
  }

  // ---- explaining a failure ----

  private unsatisfiable(guards: number[]): PackagerError {
    const chains: string[] = [];
    for (const s of this.specs) {
      const chain = this.missingChain(this.index.specDep(s), `${s.original} (spec)`, new Set());
      if (chain) chains.push(chain);
    }
    if (chains.length === 0) {
      // the reduced index already applied every spec, so the SAT core can be a
      // single spec: narrow from all of them, name the core's in the fallback
      const core = new Set(this.sat.failedAssumptions.map((l) => guards.indexOf(l >> 1)).filter((i) => i >= 0));
      const involved = core.size > 1 ? this.specs.filter((_, i) => core.has(i)) : this.specs;
      const conflict = this.narrow(this.specs);
      chains.push(conflict ?? `the specs ${involved.map((s) => s.original).join(', ')} cannot be installed together`);
    }
    return new PackagerError('ERESOLVE', `Cannot resolve the conda specs: ${chains[0]}`, {
      chains,
      found: this.source.describe(),
      hint:
        chains.length > 1
          ? `other reasons:\n  ${chains.slice(1).join('\n  ')}\nrelax the specs, or add a channel that has the missing packages`
          : 'relax the specs, or add a channel that has the missing packages',
    });
  }

  /** `un-alpha (spec) -> un-alpha 1.0 requires un-gamma >=3 -> ... which no configured channel provides`, when no record of a spec can be installed. */
  private missingChain(d: Dep, head: string, seen: Set<string>): string | undefined {
    const all = this.index.findMatches(d);
    if (all.some((r) => !this.r2.filterOut.get(r))) return undefined;
    const r = all[0];
    if (!r || seen.has(r.name)) return undefined;
    seen.add(r.name);
    for (const dep of this.index.depends(r)) {
      if (dep.optional) continue;
      let text = dep.spec?.original ?? `a package with the ${dep.feature} feature`;
      if (r.name === 'python' && text === 'pip' && !r.depends.includes('pip')) text = "pip (conda adds pip to python's depends)";
      const m = this.index.findMatches(dep);
      if (m.length === 0) {
        const what = isVirtual(dep.name) ? 'which the target stack does not provide' : 'which no configured channel provides';
        return `${head} -> ${describeRecord(r)} requires ${text}, ${what}`;
      }
      if (!m.some((x) => !this.r2.filterOut.get(x))) {
        const rest = this.missingChain(dep, `${describeRecord(r)} requires ${text}`, seen);
        if (rest) return `${head} -> ${rest}`;
      }
    }
    return undefined;
  }

  /**
   * Package-level propagation from the conflicting specs: narrows each name to
   * the records every requirement on it allows, until one is left with none.
   * Returns `no record of X fits: X 1.0 requires Y <1, which conflicts with Y>=1 (spec)`.
   */
  private narrow(specs: MatchSpec[]): string | undefined {
    const allowed = new Map<string, { recs: SolverRecord[]; why: string[] }>();
    for (const s of specs) {
      const name = s.exactName!;
      const prev = allowed.get(name);
      const recs = this.index.findMatches(this.index.specDep(s)).filter((r) => !prev || prev.recs.includes(r));
      allowed.set(name, { recs, why: [...(prev?.why ?? []), `${s.original} (spec)`] });
    }
    for (let round = 0; round < 50; round++) {
      let changed = false;
      for (const [name, { recs }] of [...allowed].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (recs.length === 0) continue;
        const common = new Map<string, Dep[]>();
        recs.forEach((r, i) => {
          const mine = new Map<string, Dep[]>();
          for (const d of this.index.depends(r)) if (!d.optional && d.spec && !isVirtual(d.name)) mine.set(d.name, [...(mine.get(d.name) ?? []), d]);
          if (i === 0) for (const [k, v] of mine) common.set(k, v);
          else for (const k of [...common.keys()]) if (!mine.has(k)) common.delete(k);
            else common.set(k, [...common.get(k)!, ...mine.get(k)!]);
        });
        for (const [dn, deps] of common) {
          const ok = new Set(deps.flatMap((d) => this.index.findMatches(d)));
          const prev = allowed.get(dn);
          const base = prev?.recs ?? this.index.group(dn);
          const next = base.filter((r) => ok.has(r));
          if (prev && next.length === prev.recs.length) continue;
          const texts = [...new Set(deps.map((d) => d.spec!.original))];
          const who = recs.length === 1 ? describeRecord(recs[0]!) : `every ${name} record`;
          const because = `${who} requires ${texts.join(' or ')}`;
          if (next.length === 0) {
            const against = prev ? prev.why.join(', ') : `the ${dn} records the channels have`;
            return `no record of ${name} fits: ${because}, which conflicts with ${against}`;
          }
          allowed.set(dn, { recs: next, why: [...(prev?.why ?? []), `${texts.join(' or ')} (${who} requires it)`] });
          changed = true;
        }
      }
      if (!changed) break;
    }
    return undefined;
  }
}

/**
 * Checks that a complete environment is closed: every `depends` of every
 * record is satisfied by another record of the set (or a virtual package) and
 * every `constrains` holds. Throws ERESOLVE listing each gap and who needs it.
 */
export function verifyClosed(records: readonly SolverRecord[], virtual: readonly SolverRecord[], origin: string): void {
  const byName = new Map<string, SolverRecord[]>();
  for (const r of [...records, ...virtual]) {
    const list = byName.get(r.name) ?? [];
    list.push(r);
    byName.set(r.name, list);
  }
  const problems: string[] = [];
  for (const r of records) {
    for (const text of r.depends) {
      const dep = parseDep(text, r, 'depends');
      const n = dep.exactName;
      if (!n) continue;
      const have = byName.get(n) ?? [];
      if (!have.some((h) => dep.match(h))) {
        const found = have.length ? ` (it has ${have.map(describeRecord).join(', ')})` : '';
        const what = n.startsWith('__') ? 'which the target stack does not provide' : `which ${origin} does not list${found}`;
        problems.push(`${describeRecord(r)} requires ${text}, ${what}`);
      }
    }
    for (const text of r.constrains) {
      const con = parseDep(text, r, 'constrains');
      const n = con.exactName;
      for (const h of (n && byName.get(n)) || []) {
        if (!con.match(h)) problems.push(`${describeRecord(r)} constrains ${text}, but ${origin} has ${describeRecord(h)}`);
      }
    }
  }
  if (problems.length) {
    throw new PackagerError('ERESOLVE', `The environment in ${origin} is not complete: ${problems[0]}`, {
      file: origin,
      chains: problems,
      hint:
        problems.length > 1
          ? `${problems.length - 1} more:\n  ${problems.slice(1, 20).join('\n  ')}\nregenerate the file from a working environment (conda list -e / conda list --explicit --md5)`
          : 'regenerate the file from a working environment (conda list -e / conda list --explicit --md5)',
    });
  }
}
