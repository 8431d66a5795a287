// Dependency resolution over conda records: choose, for every package the
// specs need, the best record (select.ts order) that satisfies every `depends`
// and `constrains` collected so far; when a choice leaves some later package
// without a candidate, jump back to the most recent choice that contributed to
// the conflict (conflict-directed backjumping) and try its next candidate.
// Also checks that a complete environment (conda list -e, @EXPLICIT,
// conda-lock) is closed. Pure: records come from a RecordSource.

import { PackagerError } from '../../core/errors.js';
import { MatchSpec } from './match-spec.js';
import { sortCandidates, type SolverRecord } from './select.js';

/** Where the solver gets the records of a package name (all channels, all subdirs, virtual included). */
export interface RecordSource {
  records(name: string): Promise<readonly SolverRecord[]>;
  /** Human description of the channels for messages (`https://…/conda-forge (linux-64, noarch)`). */
  describe(): string;
}

export interface SolveOptions {
  /** Give up (ERESOLVE) after this many candidate tries; guards against pathological searches. */
  maxSteps?: number;
}

interface Req {
  spec: MatchSpec;
  /** Decision level that added it; -1 for a root spec. */
  level: number;
  /** Record whose depends/constrains it came from (undefined for root specs). */
  parent?: SolverRecord;
}

interface Frame {
  name: string;
  cands: SolverRecord[];
  next: number;
  conflict: Set<number>;
  chosen?: SolverRecord;
  reqNames: string[];
  consNames: string[];
  newNames: number;
  /** Why candidates were rejected for reasons other than the specs on this name (first few). */
  reasons: string[];
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

/**
 * Solves root MatchSpecs against a record source. Returns the chosen records
 * (virtual packages excluded), sorted by name. Throws ENOTFOUND when a spec
 * names a package no channel has, ENOMATCH when no record matches a spec on
 * its own, and ERESOLVE with the requirement chains when there is no solution.
 */
export async function solve(rootSpecs: readonly string[], source: RecordSource, options: SolveOptions = {}): Promise<SolverRecord[]> {
  const solver = new Solver(source, options.maxSteps ?? 200_000);
  return solver.run(rootSpecs);
}

class Solver {
  private readonly cache = new Map<string, readonly SolverRecord[]>();
  private readonly reqs = new Map<string, Req[]>();
  private readonly cons = new Map<string, Req[]>();
  private readonly selected = new Map<string, { rec: SolverRecord; level: number }>();
  private readonly order: string[] = [];
  private readonly ordered = new Set<string>();
  private readonly frames: Frame[] = [];
  private readonly requested = new Set<string>();
  private readonly missing = new Map<string, string>();
  private readonly conflicts = new Set<string>();
  private steps = 0;

  constructor(
    private readonly source: RecordSource,
    private readonly maxSteps: number,
  ) {}

  private async recordsOf(name: string): Promise<readonly SolverRecord[]> {
    let r = this.cache.get(name);
    if (!r) {
      r = await this.source.records(name);
      this.cache.set(name, r);
    }
    return r;
  }

  async run(rootSpecs: readonly string[]): Promise<SolverRecord[]> {
    for (const text of rootSpecs) {
      const spec = MatchSpec.parse(text);
      const name = spec.exactName;
      if (!name) {
        throw new PackagerError('EINPUT', `Unsupported conda spec: "${text}" (the package name must be exact, not a pattern)`, {
          found: text,
          hint: 'name the package, e.g. `numpy>=1.26`',
        });
      }
      const all = await this.recordsOf(name);
      if (all.length === 0) {
        throw new PackagerError('ENOTFOUND', `Package not found in the configured channels: ${name}`, {
          wanted: text,
          found: this.source.describe(),
          hint: `check the spelling, or add the channel that publishes ${name} to conda.channels`,
        });
      }
      const matching = all.filter((r) => spec.match(r));
      if (matching.length === 0) {
        const versions = [...new Set(sortCandidates(all, true).map((r) => r.version))].slice(0, 12);
        throw new PackagerError('ENOMATCH', `No record of ${name} matches the spec: ${text}`, {
          wanted: text,
          found: `${name} versions ${versions.join(', ')}${versions.length === 12 ? ', ...' : ''} in ${this.source.describe()}`,
          hint: 'pick one of the versions found, or widen the spec',
        });
      }
      this.requested.add(name);
      this.addReq(this.reqs, name, { spec, level: -1 });
      this.addName(name);
    }

    for (;;) {
      const name = this.order.find((n) => !this.selected.has(n) && (this.reqs.get(n)?.length ?? 0) > 0);
      if (name === undefined) break;
      const cands = sortCandidates(await this.recordsOf(name), this.requested.has(name));
      this.frames.push({ name, cands, next: 0, conflict: new Set(), reqNames: [], consNames: [], newNames: 0, reasons: [] });
      await this.advance();
    }
    return [...this.selected.values()]
      .map((s) => s.rec)
      .filter((r) => !r.virtual)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private addReq(map: Map<string, Req[]>, name: string, req: Req): void {
    let list = map.get(name);
    if (!list) map.set(name, (list = []));
    list.push(req);
  }

  private addName(name: string): boolean {
    if (this.ordered.has(name)) return false;
    this.ordered.add(name);
    this.order.push(name);
    return true;
  }

  /** Picks a candidate for the top frame, jumping back as often as needed. */
  private async advance(): Promise<void> {
    for (;;) {
      const level = this.frames.length - 1;
      const frame = this.frames[level]!;
      if (await this.tryNext(frame, level)) return;
      // exhausted: the reasons are the rejections plus whatever made the package required
      const conflict = new Set(frame.conflict);
      for (const r of this.reqs.get(frame.name) ?? []) if (r.level >= 0) conflict.add(r.level);
      this.noteConflict(frame);
      conflict.delete(level);
      if (conflict.size === 0) throw this.unsatisfiable();
      const target = Math.max(...conflict);
      this.frames.pop();
      while (this.frames.length - 1 > target) this.undo(this.frames.pop()!);
      const back = this.frames[target]!;
      this.undo(back);
      conflict.delete(target);
      for (const l of conflict) back.conflict.add(l);
    }
  }

  private undo(frame: Frame): void {
    if (!frame.chosen) return;
    for (const n of frame.reqNames) this.reqs.get(n)!.pop();
    for (const n of frame.consNames) this.cons.get(n)!.pop();
    for (let i = 0; i < frame.newNames; i++) this.ordered.delete(this.order.pop()!);
    this.selected.delete(frame.name);
    frame.chosen = undefined;
    frame.reqNames = [];
    frame.consNames = [];
    frame.newNames = 0;
  }

  private async tryNext(frame: Frame, level: number): Promise<boolean> {
    const name = frame.name;
    candidates: while (frame.next < frame.cands.length) {
      const c = frame.cands[frame.next++]!;
      if (++this.steps > this.maxSteps) {
        throw new PackagerError('ERESOLVE', `conda resolution gave up after ${this.maxSteps} candidate tries (while choosing ${name})`, {
          hint: 'pin the main packages more tightly (e.g. python=3.11, numpy=1.26) so fewer combinations need trying',
        });
      }
      for (const list of [this.reqs.get(name), this.cons.get(name)]) {
        for (const r of list ?? []) {
          if (!r.spec.match(c)) {
            if (r.level >= 0) frame.conflict.add(r.level);
            continue candidates;
          }
        }
      }
      for (const text of c.depends) {
        const dep = parseDep(text, c, 'depends');
        const depName = dep.exactName;
        if (!depName) continue; // conda ignores pattern-named depends too (`*` feature specs)
        const sel = this.selected.get(depName);
        if (sel) {
          if (!dep.match(sel.rec)) {
            frame.conflict.add(sel.level);
            this.reason(frame, `${describeRecord(c)} requires ${text}, but ${describeRecord(sel.rec)} is chosen`);
            continue candidates;
          }
          continue;
        }
        const providers = (await this.recordsOf(depName)).filter((r) => dep.match(r));
        if (providers.length === 0) {
          this.noteMissing(c, text, depName);
          continue candidates;
        }
        const others = [...(this.reqs.get(depName) ?? []), ...(this.cons.get(depName) ?? [])];
        if (others.length && !providers.some((p) => others.every((o) => o.spec.match(p)))) {
          for (const o of others) if (o.level >= 0) frame.conflict.add(o.level);
          this.reason(frame, `${describeRecord(c)} requires ${text}, which conflicts with ${others.map((o) => this.describeReq(o, depName)).join(', ')}`);
          continue candidates;
        }
      }
      for (const text of c.constrains) {
        const con = parseDep(text, c, 'constrains');
        const n = con.exactName;
        const sel = n ? this.selected.get(n) : undefined;
        if (sel && !con.match(sel.rec)) {
          frame.conflict.add(sel.level);
          this.reason(frame, `${describeRecord(c)} constrains ${text}, but ${describeRecord(sel.rec)} is chosen`);
          continue candidates;
        }
      }
      this.choose(frame, level, c);
      return true;
    }
    return false;
  }

  private choose(frame: Frame, level: number, c: SolverRecord): void {
    frame.chosen = c;
    this.selected.set(frame.name, { rec: c, level });
    for (const text of c.depends) {
      const dep = MatchSpec.parse(text);
      const n = dep.exactName;
      if (!n) continue;
      this.addReq(this.reqs, n, { spec: dep, level, parent: c });
      frame.reqNames.push(n);
      if (this.addName(n)) frame.newNames++;
    }
    for (const text of c.constrains) {
      const con = MatchSpec.parse(text);
      const n = con.exactName;
      if (!n) continue;
      this.addReq(this.cons, n, { spec: con, level, parent: c });
      frame.consNames.push(n);
    }
  }

  /** `numpy=1.26 (spec) -> numpy 1.26.4 py311_0 requires python >=3.11`: how `name` came to be needed. */
  private chainTo(name: string, seen = new Set<string>()): string[] {
    const req = this.reqs.get(name)?.[0];
    if (!req) return [];
    if (!req.parent) return [`${req.spec.original} (spec)`];
    if (seen.has(req.parent.name)) return [];
    seen.add(req.parent.name);
    return [...this.chainTo(req.parent.name, seen), `${describeRecord(req.parent)} requires ${req.spec.original}`];
  }

  private noteMissing(c: SolverRecord, text: string, depName: string): void {
    const key = `${describeRecord(c)}|${text}`;
    if (this.missing.has(key)) return;
    const what = depName.startsWith('__') ? 'which the target stack does not provide' : 'which no configured channel provides';
    const chain = [...this.chainTo(c.name), `${describeRecord(c)} requires ${text}, ${what}`];
    this.missing.set(key, chain.join(' -> '));
  }

  private reason(frame: Frame, text: string): void {
    if (frame.reasons.length < 4 && !frame.reasons.includes(text)) frame.reasons.push(text);
  }

  /** `un-q>=1 (spec)`, `un-q <1 (un-p 1.0 requires it)`. */
  private describeReq(r: Req, name: string): string {
    if (!r.parent) return `${r.spec.original} (spec)`;
    const verb = this.cons.get(name)?.includes(r) ? 'constrains' : 'requires';
    return `${r.spec.original} (${describeRecord(r.parent)} ${verb} it)`;
  }

  private noteConflict(frame: Frame): void {
    if (frame.reasons.length > 0) {
      this.conflicts.add(`no record of ${frame.name} fits: ${frame.reasons.join('; ')}`);
      return;
    }
    const reqs = [...(this.reqs.get(frame.name) ?? []), ...(this.cons.get(frame.name) ?? [])];
    this.conflicts.add(`no record of ${frame.name} satisfies all of: ${reqs.map((r) => this.describeReq(r, frame.name)).join(', ')}`);
  }

  private unsatisfiable(): PackagerError {
    // missing providers first (the usual root cause), then conflicts in the order met
    const shown = [...this.missing.values(), ...this.conflicts].slice(0, 8);
    return new PackagerError('ERESOLVE', `Cannot resolve the conda specs: ${shown[0] ?? 'no combination of records satisfies them'}`, {
      chains: shown,
      found: this.source.describe(),
      hint:
        shown.length > 1
          ? `other reasons:\n  ${shown.slice(1).join('\n  ')}\nrelax the specs, or add a channel that has the missing packages`
          : 'relax the specs, or add a channel that has the missing packages',
    });
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
