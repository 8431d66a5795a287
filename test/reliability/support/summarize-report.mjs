#!/usr/bin/env node
// node test/reliability/support/summarize-report.mjs <RELIABILITY_REPORT file>
// Prints the per-suite counts and outcomes of a reliability run as markdown:
// the tables in docs/RELIABILITY.md are pasted from its output.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: summarize-report.mjs <report.jsonl>');
  process.exit(2);
}
const records = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const bySuite = new Map();
for (const r of records) {
  if (!bySuite.has(r.suite)) bySuite.set(r.suite, []);
  bySuite.get(r.suite).push(r);
}

console.log('| suite | cases | outcomes | exit codes |');
console.log('| --- | ---: | --- | --- |');
for (const [suite, rs] of [...bySuite].sort(([a], [b]) => a.localeCompare(b))) {
  const outcomes = count(rs.map((r) => r.outcome));
  const exits = count(rs.filter((r) => r.exit !== undefined).map((r) => String(r.exit)));
  console.log(`| ${suite} | ${rs.length} | ${fmt(outcomes)} | ${fmt(exits) || '-'} |`);
}

const faults = bySuite.get('fault-matrix') ?? [];
if (faults.length) {
  // case: "<target>: <fault> / <first|every>", target "packaging" or "resolve: <index>"
  const targets = [];
  const rows = new Map();
  for (const r of faults) {
    const m = /^(.*): ([^:]*) \/ (first|every)$/.exec(r.case);
    if (!m) continue;
    const [, target, fault, mode] = m;
    const col = `${target.replace(/^resolve: /, '')}, ${mode}`;
    if (!targets.includes(col)) targets.push(col);
    if (!rows.has(fault)) rows.set(fault, new Map());
    rows.get(fault).set(col, r.exit);
  }
  targets.sort((a, b) => a.localeCompare(b));
  console.log(`\nExit code per fault and target (first try only / every try):\n`);
  console.log(`| fault | ${targets.join(' | ')} |`);
  console.log(`| --- | ${targets.map(() => '---:').join(' | ')} |`);
  for (const [fault, cells] of rows) console.log(`| ${fault} | ${targets.map((t) => cells.get(t) ?? '').join(' | ')} |`);
}

function count(xs) {
  const m = new Map();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
function fmt(m) {
  return [...m].map(([k, n]) => `${k} x${n}`).join(', ');
}
