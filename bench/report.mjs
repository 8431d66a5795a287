// Turns bench results (bench/out/results*.json) into BENCHMARKS.md and the SVG
// charts: the prose is bench/BENCHMARKS.template.md, every number comes from
// the results.
import { readFileSync } from 'node:fs';
import { fmt } from './lib/measure.mjs';
import { barChart, lineChart } from './lib/svg.mjs';
import { parseTable } from './parse-simple.mjs';

const MB = 1e6;
const TARGETS = {
  speedup: 15,
  coldVsIdealSmall: 0.7,
  coldVsIdealBig: 0.5,
  warmVsZip0: 0.7,
  rssMiB: 150,
  resolveSeconds: 10,
  resolveRssMiB: 1024,
  shimMs: 50,
  mirrorRatio: 0.5,
  mirrorRssMiB: 200,
  parseSeconds: 2,
};

const verdict = (ok) => (ok ? '**met**' : '**missed**');
const point = (x, s) => ({ x, y: s.median, min: s.min, max: s.max });

const TEMPLATE = new URL('./BENCHMARKS.template.md', import.meta.url);

/** { markdown, charts: { 'name.svg': text } }: the template's prose with this run's figures. */
export function renderReport(r, { quick }) {
  const charts = {};
  const values = {
    ...headerValues(r, quick),
    targets: table(['figure', 'target', 'measured', ''], ['---', '---', '---', '---'], targetRows(r)),
  };
  if (r.packaging?.length) Object.assign(values, { packaging: true }, packagingValues(r.packaging, quick, r.plan.runs, charts));
  if (r.resolve?.length) Object.assign(values, { resolve: true }, resolveValues(r.resolve, charts));
  if (r['conda-sets']?.length) Object.assign(values, { condaSets: true, condaSetsTable: condaSetsTable(r['conda-sets']).join('\n') });
  if (r['resolve-pip']) Object.assign(values, { resolvePip: true }, resolvePipValues(r['resolve-pip']));
  if (r.shim?.length) Object.assign(values, { shim: true }, shimValues(r.shim, charts));
  if (r.mirror) Object.assign(values, { mirror: true }, mirrorValues(r.mirror, quick, charts));
  if (r.parse?.length) Object.assign(values, { parse: true, parseTable: parseTable(r.parse).join('\n') });
  if (r.limits) Object.assign(values, { limits: true, limitsTable: limitsTable(r.limits) });
  return { markdown: fillTemplate(readFileSync(TEMPLATE, 'utf8'), values), charts };
}

/**
 * `<!-- if KEY -->...<!-- end KEY -->` keeps its body only when KEY is set;
 * `{{KEY}}` is replaced by its value. A key the template names and the report
 * does not fill is an error, so the two cannot drift apart unnoticed.
 */
export function fillTemplate(text, values) {
  const kept = text.replace(/<!-- if (\w+) -->\n([\s\S]*?)<!-- end \1 -->\n/g, (_, key, body) => (values[key] ? body : ''));
  const filled = kept.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!(key in values)) throw new Error(`bench/BENCHMARKS.template.md names {{${key}}}, which bench/report.mjs does not fill`);
    return String(values[key]);
  });
  // an empty placeholder paragraph leaves no blank lines behind
  return filled.replace(/\n{3,}/g, '\n\n');
}

function table(head, align, rows) {
  return [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function headerValues(r, quick) {
  const m = r.machine;
  const older = Object.entries(r.sectionHeads ?? {}).filter(([, h]) => h && r.product && h !== r.product.head);
  const kept = older.length ? ` Kept from an earlier run (\`--only\`): ${older.map(([n, h]) => `${n} at ${h}`).join(', ')}.` : '';
  const failed = Object.entries(r.errors ?? {});
  return {
    quickFlag: quick ? ' -- --quick' : '',
    date: m.date,
    runsNote: quick ? 'quick run: **1 run per figure** (min = median = max), fewer sizes; not for conclusions' : `${r.plan.runs} runs per figure; each cell is median (min–max)`,
    productNote: r.product
      ? `Product measured: a snapshot of \`bin/\` and \`dist/\` built from commit ${r.product.head}${r.product.dirty ? ` plus ${r.product.dirty} files under src/ and bin/ that other sessions were editing at the time` : ''}.${kept}`
      : '',
    machine: `${m.cores} cores (${m.cpu}${m.shaNi ? ', SHA-NI' : ''}), ${m.memGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}`,
    loadStart: m.load,
    loadEnd: r.loadAfter ?? 'n/a',
    failedSections: failed.length
      ? ['**Sections that failed in this run** (their figures are missing below):', '', ...failed.map(([name, msg]) => `- ${name}: \`${msg.split('\n').find((l) => l.trim()) ?? msg}\``)].join('\n')
      : '',
  };
}

function targetRows(r) {
  const rows = [];
  for (const p of r.packaging ?? []) {
    const idealT = p.profile === 'small' ? TARGETS.coldVsIdealSmall : TARGETS.coldVsIdealBig;
    const ok = p.speedupVsBaseline.median >= TARGETS.speedup && p.coldVsIdeal.median <= idealT;
    rows.push([`\`offline\`, cold cache, \`${p.profile}\``, `>= ${TARGETS.speedup}x faster than the baseline, <= ${idealT}x the ideal pipeline`, `${fmt(p.speedupVsBaseline, 1, 'x')} faster; ${fmt(p.coldVsIdeal, 2, 'x')} the ideal`, verdict(ok)]);
  }
  for (const p of r.packaging ?? []) {
    rows.push([`\`offline\`, warm cache, \`${p.profile}\``, `<= ${TARGETS.warmVsZip0}x \`zip -0\` over the same files`, `${fmt(p.warmVsZip0, 2, 'x')}`, verdict(p.warmVsZip0.median <= TARGETS.warmVsZip0)]);
  }
  if (r.packaging?.length) {
    const peaks = r.packaging.map((p) => Math.max(p.coldRssMiB.max, p.warmRssMiB.max));
    const flat = Math.max(...peaks) / Math.min(...peaks);
    rows.push([
      'max RSS while packaging',
      `< ${TARGETS.rssMiB} MiB, flat as the bundle grows`,
      `${r.packaging.map((p, i) => `${p.profile} ${peaks[i].toFixed(0)}`).join(', ')} MiB (largest/smallest ${flat.toFixed(2)})`,
      verdict(Math.max(...peaks) < TARGETS.rssMiB && flat <= 1.25),
    ]);
  }
  const R300 = (r.resolve ?? []).find((x) => x.mb === 300) ?? (r.resolve ?? []).at(-1);
  if (R300) {
    const rss = Math.max(R300.coldRssMiB.max, R300.warmRssMiB.max);
    rows.push([`resolve, ${R300.mb} MB repodata.json`, `< ${TARGETS.resolveSeconds} s and < 1 GiB RSS`, `${fmt(R300.cold, 2, ' s')} cold, ${fmt(R300.warm, 2, ' s')} warm; ${rss.toFixed(0)} MiB`, verdict(R300.cold.median < TARGETS.resolveSeconds && rss < TARGETS.resolveRssMiB) + (R300.mb !== 300 ? ' (not measured at 300 MB)' : '')]);
  }
  const S10k = (r.shim ?? []).find((x) => x.rows === 10000);
  if (S10k) rows.push(['curl shim hit, 10,000-line index', `< ${TARGETS.shimMs} ms per call beyond the copy`, fmt(S10k.beyondMs, 1, ' ms'), verdict(S10k.beyondMs.median < TARGETS.shimMs)]);
  if (r.mirror) {
    const x = r.mirror;
    rows.push(['mirror vs nginx, small files', `was >= ${TARGETS.mirrorRatio}x nginx requests/s`, `${fmt(x.rpsRatio, 2, 'x')} (${x.mirrorRps.median.toFixed(0)} vs ${x.nginxRps.median.toFixed(0)} req/s)`, '**retired**']);
    rows.push(['mirror vs nginx, large files', `>= ${TARGETS.mirrorRatio}x nginx MB/s`, `${fmt(x.mbpsRatio, 2, 'x')} (${x.mirrorMBps.median.toFixed(0)} vs ${x.nginxMBps.median.toFixed(0)} MB/s)`, verdict(x.mbpsRatio.median >= TARGETS.mirrorRatio)]);
    rows.push(['mirror RSS at 200 connections', `< ${TARGETS.mirrorRssMiB} MiB`, `${x.c200.peakRssMiB.toFixed(0)} MiB peak (${x.c200.idleRssMiB.toFixed(0)} MiB before)`, verdict(x.c200.peakRssMiB < TARGETS.mirrorRssMiB)]);
  }
  const P100k = (r.parse ?? []).find((x) => x.page === 'links:100000' && x.reader === 'resolver');
  if (P100k) rows.push(['simple page of 100,000 links, resolver (issue 21)', `< ${TARGETS.parseSeconds} s`, `${fmt(P100k, 2, ' s')} CPU`, verdict(!P100k.timedOut && P100k.median < TARGETS.parseSeconds)]);
  return rows;
}

function packagingValues(packaging, quick, runs, charts) {
  const P = Object.fromEntries(packaging.map((p) => [p.profile, p]));
  const rows = packaging.map((p) => [p.profile, p.files, (p.bytes / MB).toFixed(0), fmt(p.baseline), fmt(p.ideal), fmt(p.zip0), fmt(p.cold), fmt(p.warm), fmt(p.speedupVsBaseline, 1, 'x'), fmt(p.coldVsIdeal, 2, 'x'), fmt(p.warmVsZip0, 2, 'x'), fmt(p.coldMBps, 0), `${fmt(p.coldRssMiB, 0)} / ${fmt(p.warmRssMiB, 0)}`]);
  const byBytes = [...packaging].sort((a, b) => a.bytes - b.bytes);
  charts['packaging-time.svg'] = lineChart({
    title: 'Packaging time against bytes packaged',
    note: `${quick ? '1 run' : `median of ${runs} runs, whiskers min–max`}; small = 300 files, large = 6, mixed = both`,
    xLabel: 'dependency bytes (MB)',
    yLabel: 'seconds',
    logY: true,
    series: [
      { name: 'baseline (Ruby gem)', points: byBytes.map((p) => point(p.bytes / MB, p.baseline)) },
      { name: 'ideal pipeline', points: byBytes.map((p) => point(p.bytes / MB, p.ideal)) },
      { name: 'zip -0 alone', points: byBytes.map((p) => point(p.bytes / MB, p.zip0)), dashed: true },
      { name: 'ours, cold cache', points: byBytes.map((p) => point(p.bytes / MB, p.cold)) },
      { name: 'ours, warm cache', points: byBytes.map((p) => point(p.bytes / MB, p.warm)) },
    ],
  });
  charts['packaging-rss.svg'] = lineChart({
    title: 'Peak RSS of bin/package against bytes packaged',
    note: `GNU time max resident set; target: under ${TARGETS.rssMiB} MiB and flat`,
    xLabel: 'dependency bytes (MB)',
    yLabel: 'MiB',
    series: [
      { name: 'cold cache', points: byBytes.map((p) => point(p.bytes / MB, p.coldRssMiB)) },
      { name: 'warm cache', points: byBytes.map((p) => point(p.bytes / MB, p.warmRssMiB)) },
      { name: `target ${TARGETS.rssMiB} MiB`, points: byBytes.map((p) => ({ x: p.bytes / MB, y: TARGETS.rssMiB })), dashed: true, color: '#999' },
    ],
  });
  return {
    packagingTable: table(
      ['set', 'files', 'MB', 'baseline s', 'ideal pipeline s', '`zip -0` s', 'ours cold s', 'ours warm s', 'speed-up vs baseline', 'cold / ideal', 'warm / `zip -0`', 'cold MB/s', 'peak RSS cold / warm MiB'],
      ['---', ...Array(12).fill('---:')],
      rows,
    ),
    rewarmTable: packaging.every((p) => p.rewarm)
      ? table(['set', 'ours warm s', 'ours warm, over the previous zip s', 'ratio'], ['---', '---:', '---:', '---:'], packaging.map((p) => [p.profile, fmt(p.warm), fmt(p.rewarm), fmt(p.rewarmVsWarm, 2, 'x')]))
      : '(not measured in this run)',
    idealStages: packaging.map((p) => `${p.profile}: download ${med(p.iterations, (i) => i.idealStages.download)}, sha256sum ${med(p.iterations, (i) => i.idealStages.verify)}, zip -0 ${med(p.iterations, (i) => i.idealStages.zip0)}`).join('; '),
    packagingMisses: packagingMisses(P),
  };
}

function packagingMisses(P) {
  const misses = [];
  for (const [name, p] of Object.entries(P)) {
    const idealT = name === 'small' ? TARGETS.coldVsIdealSmall : TARGETS.coldVsIdealBig;
    if (p.speedupVsBaseline.median < TARGETS.speedup) misses.push(`cold \`${name}\` is ${p.speedupVsBaseline.median.toFixed(1)}x the baseline, not ${TARGETS.speedup}x`);
    if (p.coldVsIdeal.median > idealT) misses.push(`cold \`${name}\` takes ${p.coldVsIdeal.median.toFixed(2)}x the ideal pipeline, not <= ${idealT}x`);
    if (p.warmVsZip0.median > TARGETS.warmVsZip0) misses.push(`warm \`${name}\` takes ${p.warmVsZip0.median.toFixed(2)}x \`zip -0\`, not <= ${TARGETS.warmVsZip0}x`);
  }
  if (!misses.length) return '';
  const large = P.large ? ` of ${(P.large.bytes / MB).toFixed(0)} MB in ${(P.large.baseline.median / TARGETS.speedup).toFixed(2)} s` : '';
  return `Misses in this run: ${misses.join('; ')}. The ${TARGETS.speedup}x target asks for the whole download + verify + zip${large} on this machine, where one pass of sha256 over those bytes takes a large share of a core, the zip's own sha256 as much again, receiving them over loopback about as much again, and they are written twice into new page-cache pages (the cache entry, then the zip).`;
}

function resolveValues(resolve, charts) {
  charts['resolve.svg'] = lineChart({
    title: 'Resolve time and peak RSS against repodata.json size',
    note: 'time in seconds (left series) and peak RSS in hundreds of MiB (right series) on one axis',
    xLabel: 'repodata.json (MB)',
    yLabel: 's  |  RSS / 100 MiB',
    series: [
      { name: 'cold (download+index+solve) s', points: resolve.map((x) => point(x.bytes / MB, x.cold)) },
      { name: 'warm (304 + index + solve) s', points: resolve.map((x) => point(x.bytes / MB, x.warm)) },
      { name: 'peak RSS cold /100 MiB', points: resolve.map((x) => point(x.bytes / MB, scale(x.coldRssMiB, 0.01))), dashed: true },
    ],
  });
  const big = resolve.at(-1);
  const small = resolve[0];
  return {
    resolveTable: table(
      ['repodata.json', 'records', 'locked artifacts', 'cold s', 'warm s', 'peak RSS cold MiB', 'peak RSS warm MiB', 'cold MB/s'],
      Array(8).fill('---:'),
      resolve.map((x) => [`${(x.bytes / MB).toFixed(0)} MB`, x.records.toLocaleString('en-US'), x.artifacts, fmt(x.cold), fmt(x.warm), fmt(x.coldRssMiB, 0), fmt(x.warmRssMiB, 0), (x.bytes / MB / x.cold.median).toFixed(0)]),
    ),
    resolveGrowth: `${(small.bytes / MB).toFixed(0)} → ${(big.bytes / MB).toFixed(0)} MB: ${small.cold.median.toFixed(2)} → ${big.cold.median.toFixed(2)} s cold`,
    resolveRssGrowth: `${fmt(small.coldRssMiB, 0)} → ${fmt(big.coldRssMiB, 0)}`,
  };
}

function shimValues(shim, charts) {
  charts['shim.svg'] = lineChart({
    title: 'curl shim cost against index.tsv size',
    note: 'per call; a hit copies and verifies 1 MiB',
    xLabel: 'index.tsv rows',
    yLabel: 'ms per call',
    logX: true,
    series: [
      { name: 'hit, beyond the copy', points: shim.map((x) => point(x.rows, x.beyondMs)) },
      { name: 'miss (lookup only)', points: shim.map((x) => point(x.rows, x.missMs)) },
      { name: `target ${TARGETS.shimMs} ms`, points: shim.map((x) => ({ x: x.rows, y: TARGETS.shimMs })), dashed: true, color: '#999' },
    ],
  });
  return {
    shimTable: table(
      ['index.tsv rows', 'hit beyond the copy ms', 'hit ms', 'miss (lookup only) ms', 'cp + sha256sum ms'],
      Array(5).fill('---:'),
      shim.map((x) => [x.rows.toLocaleString('en-US'), fmt(x.beyondMs, 1), fmt(x.hitMs, 1), fmt(x.missMs, 1), fmt(x.copyMs, 1)]),
    ),
  };
}

function mirrorValues(x, quick, charts) {
  charts['mirror.svg'] = barChart({
    title: 'bin/mirror serve against nginx on the export',
    note: `same URLs, wrk -t2; ${quick ? '1 run' : `median of ${x.runs} runs, whiskers min–max`}; each group on its own scale`,
    groups: ['small files: requests/s (-c64)', 'large files: MB/s (-c4)'],
    perGroupScale: true,
    series: [
      { name: 'nginx (2 workers)', values: [bar(x.nginxRps, 0), bar(x.nginxMBps, 0)] },
      { name: 'bin/mirror serve', values: [bar(x.mirrorRps, 0), bar(x.mirrorMBps, 0)] },
    ],
  });
  const rows = [['small files, requests/s', fmt(x.nginxRps, 0), fmt(x.mirrorRps, 0), fmt(x.rpsRatio, 2, 'x')]];
  if (x.bareRps) rows.push(['small files, requests/s, bare `node:http` (constant body, no routing)', '', fmt(x.bareRps, 0), fmt(x.bareRatio, 2, 'x')]);
  rows.push(
    ['large files, MB/s', fmt(x.nginxMBps, 0), fmt(x.mirrorMBps, 0), fmt(x.mbpsRatio, 2, 'x')],
    ['200 connections, small files, requests/s', x.c200.nginxSmall.rps.toFixed(0), x.c200.small.rps.toFixed(0), `${(x.c200.small.rps / x.c200.nginxSmall.rps).toFixed(2)}x`],
    ['200 connections, large files, MB/s', '', x.c200.large.mbps.toFixed(0), ''],
    ['mirror peak RSS at 200 connections', '', `${x.c200.peakRssMiB.toFixed(0)} MiB`, ''],
  );
  return {
    mirrorSets: `**Small files**: the ${x.smallFiles} URLs of at most 64 KiB (simple pages and the smallest wheels; mean ${(x.meanSmallBytes / 1024).toFixed(1)} KiB), \`wrk -t2 -c64 -d${x.seconds}s\`. **Large files**: the ${x.largeFiles} packages (${(x.largeBytes / MB).toFixed(0)} MB), \`wrk -t2 -c4 -d${x.seconds}s\`. Errors or non-2xx answers: ${x.errors + x.c200.errors}.`,
    mirrorTable: table(['', 'nginx', 'mirror', 'mirror / nginx'], ['---', '---:', '---:', '---:'], rows),
    mirrorBare: x.bareRps
      ? `A bare \`node:http\` server answering a constant ${(x.meanSmallBytes / 1024).toFixed(1)} KiB body to the same \`wrk\` load (\`bench/bare-http.mjs\`, measured in every iteration) reached ${fmt(x.bareRatio, 2, 'x')} nginx's requests/s, the ceiling of a node:http server here; the mirror reached ${((x.rpsRatio.median / x.bareRatio.median) * 100).toFixed(0)} % of it. `
      : '',
    mirrorIdleRss: `~${x.c200.idleRssMiB.toFixed(0)}`,
  };
}

function limitsTable(text) {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('|') || l.startsWith('set:'))
    .map((l) => (l.startsWith('set:') ? `${l}\n` : l))
    .join('\n');
}

function resolvePipValues(x) {
  return {
    pipOldRev: x.oldRev,
    pipMeasured: `${x.head ? `Measured at commit ${x.head}. ` : ''}Load average at the end: ${x.load}.`,
    resolvePipTable: renderResolvePip(x).join('\n'),
  };
}

/** The pip resolver table and its failures (also printed by `node bench/resolve-pip.mjs`). */
export function renderResolvePip(x) {
  const tools = ['new', 'old', 'pip26', 'pip23'].filter((t) => x.results[0]?.[t]);
  const names = { new: 'this resolver', old: `previous (${x.oldRev})`, pip26: 'pip 26.2.1', pip23: 'pip 23.2.1' };
  const cell = (c) => (c.solved ? `${fmt(c.seconds)}${c.pipAnswer ? '' : " (not pip 26's files)"}` : `fails after ${fmt(c.seconds)}`);
  const out = [
    table(
      ['set', 'packages', ...tools.map((t) => `${names[t]} s`), ...tools.map((t) => `${names[t]} MiB`)],
      ['---', '---:', ...tools.map(() => '---:'), ...tools.map(() => '---:')],
      x.results.map((row) => [row.set, row.packages, ...tools.map((t) => cell(row[t])), ...tools.map((t) => fmt(row[t].rssMiB, 0))]),
    ),
  ];
  const failed = x.results.flatMap((row) => tools.filter((t) => !row[t].solved && row[t].message).map((t) => `${names[t]} on ${row.set}: \`${row[t].message}\``));
  if (failed.length) out.push('', `Failures: ${failed.join('; ')}.`);
  return out;
}

/** The real conda spec sets: this product against the previous one (bench/resolve.mjs benchCondaSets). */
export function condaSetsTable(rows) {
  return [
    table(
      ['specs', 'channels', 'packages', 'this s', 'this RSS MiB', 'previous s', 'previous RSS MiB', 'previous result'],
      ['---', '---', '---:', '---:', '---:', '---:', '---:', '---'],
      rows.map((x) => {
        const a = x.by.this;
        const b = x.by.previous;
        const result = !b ? '' : b.code === 0 ? `${b.artifacts} packages` : `exit ${b.code}: ${b.error.replace(/\|/g, '\\|').slice(0, 90)}`;
        return [`\`${x.specs.join(' ')}\``, x.channels.join(' + '), a.code === 0 ? a.artifacts : `exit ${a.code}`, fmt(a.time), fmt(a.rss, 0), b ? fmt(b.time) : '', b ? fmt(b.rss, 0) : '', result];
      }),
    ),
  ];
}

function med(its, f) {
  const v = its.map(f).sort((a, b) => a - b);
  const mid = v.length >> 1;
  return (v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2).toFixed(2);
}

function scale(s, k) {
  return { min: s.min * k, median: s.median * k, max: s.max * k, n: s.n };
}

function bar(s, digits) {
  return { y: s.median, min: s.min, max: s.max, text: s.median.toFixed(digits) };
}
