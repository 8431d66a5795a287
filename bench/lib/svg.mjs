// A small SVG writer for the benchmark charts: line charts (cost against the
// amount of work, min–max whiskers around each median) and grouped bars. Plain
// SVG 1.1 text, no scripts or external fonts, so GitHub renders it inline.

const W = 720;
const H = 420;
const M = { top: 48, right: 190, bottom: 62, left: 78 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round "nice" tick values covering [lo, hi]. */
function linearTicks(lo, hi, count = 6) {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo / 1.0001 && t <= hi * 1.0001) ticks.push(t);
    }
  }
  return ticks;
}

const label = (v) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(4))));

/**
 * series: [{ name, points: [{ x, y, min?, max? }] }]; xLabel, yLabel, title;
 * logY: log10 y axis; note: small text under the title.
 */
export function lineChart({ title, note, xLabel, yLabel, series, logY = false, logX = false, yMin }) {
  const pts = series.flatMap((s) => s.points);
  const xs = pts.map((p) => p.x);
  const ys = pts.flatMap((p) => [p.y, p.min ?? p.y, p.max ?? p.y]).filter((v) => Number.isFinite(v));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [yMin ?? (logY ? Math.min(...ys) / 1.5 : 0), Math.max(...ys) * (logY ? 1.5 : 1.1)];
  if (!logX) {
    const pad = (x1 - x0) * 0.05 || 1;
    x0 = Math.max(0, x0 - pad);
    x1 += pad;
  } else {
    x0 /= 1.3;
    x1 *= 1.3;
  }
  const xt = logX ? logTicks(x0, x1) : linearTicks(x0, x1);
  const yt = logY ? logTicks(y0, y1) : linearTicks(y0, y1);
  if (!logY) y1 = Math.max(y1, yt[yt.length - 1]);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x) => M.left + (logX ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * pw;
  const sy = (y) => M.top + ph - (logY ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (note) out.push(`<text x="${M.left}" y="38" font-size="11" fill="#555">${esc(note)}</text>`);
  for (const t of yt) {
    if (t < y0 || t > y1) continue;
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${esc(label(t))}</text>`);
  }
  for (const t of xt) {
    if (t < x0 || t > x1) continue;
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(label(t))}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 16}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}${logY ? ' (log scale)' : ''}</text>`);
  series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length];
    const sorted = [...s.points].filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (sorted.length > 1) {
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${sorted.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of sorted) {
      if (p.min !== undefined && p.max !== undefined && p.max > p.min) {
        const x = sx(p.x).toFixed(1);
        out.push(`<line x1="${x}" x2="${x}" y1="${sy(p.min).toFixed(1)}" y2="${sy(p.max).toFixed(1)}" stroke="${c}" stroke-width="1.5"/>`);
        for (const v of [p.min, p.max]) out.push(`<line x1="${(sx(p.x) - 4).toFixed(1)}" x2="${(sx(p.x) + 4).toFixed(1)}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="${c}"/>`);
      }
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${c}"/>`);
    }
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${M.left + pw + 14}" x2="${M.left + pw + 38}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${M.left + pw + 44}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * groups: ['small files req/s', ...]; series: [{ name, values: [{ y, min?, max? }] }]
 * (one value per group). Each group gets its own scale when `perGroupScale`.
 */
export function barChart({ title, note, groups, series, yLabel, perGroupScale = false }) {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const gw = pw / groups.length;
  const bw = Math.min(48, (gw * 0.7) / series.length);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (note) out.push(`<text x="${M.left}" y="38" font-size="11" fill="#555">${esc(note)}</text>`);
  const globalMax = Math.max(...series.flatMap((s) => s.values.map((v) => v.max ?? v.y)));
  if (!perGroupScale) {
    for (const t of linearTicks(0, globalMax * 1.1)) {
      const y = M.top + ph - (t / (globalMax * 1.1)) * ph;
      if (y < M.top) continue;
      out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(label(t))}</text>`);
    }
    out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  groups.forEach((g, gi) => {
    const top = perGroupScale ? Math.max(...series.map((s) => s.values[gi].max ?? s.values[gi].y)) * 1.15 : globalMax * 1.1;
    const sy = (v) => M.top + ph - (v / top) * ph;
    const gx = M.left + gi * gw + (gw - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[gi];
      const c = s.color ?? COLORS[si % COLORS.length];
      const x = gx + si * bw;
      out.push(`<rect x="${x.toFixed(1)}" y="${sy(v.y).toFixed(1)}" width="${(bw - 4).toFixed(1)}" height="${(M.top + ph - sy(v.y)).toFixed(1)}" fill="${c}"/>`);
      if (v.min !== undefined && v.max !== undefined && v.max > v.min) {
        const cx = (x + (bw - 4) / 2).toFixed(1);
        out.push(`<line x1="${cx}" x2="${cx}" y1="${sy(v.min).toFixed(1)}" y2="${sy(v.max).toFixed(1)}" stroke="#000"/>`);
      }
      out.push(`<text x="${(x + (bw - 4) / 2).toFixed(1)}" y="${(sy(v.max ?? v.y) - 5).toFixed(1)}" text-anchor="middle" font-size="11">${esc(v.text ?? label(v.y))}</text>`);
    });
    out.push(`<text x="${(M.left + gi * gw + gw / 2).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length];
    const ly = M.top + 10 + i * 20;
    out.push(`<rect x="${M.left + pw + 14}" y="${ly - 6}" width="20" height="12" fill="${c}"/>`);
    out.push(`<text x="${M.left + pw + 40}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
