/** SVG plots of a report: null distributions, traces, design matrices, bar charts. Pure strings. */
import type { BarPlot, Marker, MatrixPlot, NullPlot, ReportPlot, TracePlot } from './types.ts';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** Counts of `values` in `bins` equal-width bins over [lo, hi] (hi inclusive in the last bin). */
export function histogram(values: ArrayLike<number>, bins: number, lo: number, hi: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins || 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]!++;
  }
  return counts;
}

/** Round tick positions (1, 2, 5 × 10^k) covering [lo, hi], about `n` of them. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

const fmtTick = (t: number) => (Math.abs(t) >= 1e4 || (Math.abs(t) < 1e-3 && t !== 0) ? t.toExponential(1) : String(Number(t.toPrecision(6))));

interface Frame {
  w: number;
  h: number;
  l: number;
  r: number;
  t: number;
  b: number;
}

function axes(fr: Frame, x: [number, number], y: [number, number], xLabel: string, yLabel: string, yTicks = true): { sx: (v: number) => number; sy: (v: number) => number; svg: string } {
  const sx = (v: number) => fr.l + ((v - x[0]) / (x[1] - x[0] || 1)) * (fr.w - fr.l - fr.r);
  const sy = (v: number) => fr.h - fr.b - ((v - y[0]) / (y[1] - y[0] || 1)) * (fr.h - fr.t - fr.b);
  const parts = [`<line class="axis" x1="${fr.l}" y1="${fr.h - fr.b}" x2="${fr.w - fr.r}" y2="${fr.h - fr.b}"/>`, `<line class="axis" x1="${fr.l}" y1="${fr.t}" x2="${fr.l}" y2="${fr.h - fr.b}"/>`];
  for (const t of niceTicks(x[0], x[1])) parts.push(`<text class="tick" x="${f(sx(t))}" y="${fr.h - fr.b + 14}" text-anchor="middle">${fmtTick(t)}</text>`);
  if (yTicks) for (const t of niceTicks(y[0], y[1], 4)) parts.push(`<text class="tick" x="${fr.l - 5}" y="${f(sy(t) + 4)}" text-anchor="end">${fmtTick(t)}</text><line class="grid" x1="${fr.l}" x2="${fr.w - fr.r}" y1="${f(sy(t))}" y2="${f(sy(t))}"/>`);
  parts.push(`<text class="label" x="${f((fr.l + fr.w - fr.r) / 2)}" y="${fr.h - 4}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(12 ${f((fr.t + fr.h - fr.b) / 2)}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return { sx, sy, svg: parts.join('') };
}

function open(id: string, title: string, w: number, h: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="${esc(id)}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>`;
}

function markerLines(ms: Marker[] | undefined, cls: string, sx: (v: number) => number, fr: Frame, row0: number): string {
  return (ms ?? [])
    .map((m, i) => {
      const px = sx(m.value);
      const x = f(px);
      const right = px > fr.l + (fr.w - fr.l - fr.r) * 0.7;
      return `<line class="${cls}" x1="${x}" x2="${x}" y1="${fr.t}" y2="${fr.h - fr.b}"/><text class="${cls}-text" x="${x}" y="${fr.t + 10 + 12 * (row0 + i)}" dx="${right ? -3 : 3}" text-anchor="${right ? 'end' : 'start'}">${esc(m.label)} ${fmtTick(Number(m.value.toPrecision(4)))}</text>`;
    })
    .join('');
}

export function nullPlotSvg(p: NullPlot): string {
  const vals = p.values ? Array.from(p.values) : [];
  const fr: Frame = { w: 560, h: vals.length ? 240 : 130, l: 52, r: 16, t: 12, b: 36 };
  const marks = [...(p.observed ?? []), ...(p.thresholds ?? [])].map((m) => m.value).filter(Number.isFinite);
  const all = [...vals.filter(Number.isFinite), ...marks];
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.1 || 1;
  lo -= pad;
  hi += pad;
  const bins = vals.length ? Math.min(40, Math.max(8, Math.ceil(Math.sqrt(vals.length)))) : 0;
  const counts = bins ? histogram(vals, bins, lo, hi) : [];
  const yMax = counts.length ? Math.max(...counts) : 1;
  const ax = axes(fr, [lo, hi], [0, yMax], p.xLabel, vals.length ? 'count' : '', vals.length > 0);
  const bw = (hi - lo) / (bins || 1);
  const bars = counts.map((c, i) => `<rect class="bar" data-count="${c}" x="${f(ax.sx(lo + i * bw))}" y="${f(ax.sy(c))}" width="${f(Math.max(0.5, ax.sx(lo + (i + 1) * bw) - ax.sx(lo + i * bw) - 1))}" height="${f(ax.sy(0) - ax.sy(c))}"/>`).join('');
  const none = vals.length ? '' : `<text class="tick" x="${f((fr.l + fr.w) / 2)}" y="${fr.h - fr.b - 6}" text-anchor="middle">the null values are not in this result: its percentiles and the observed value</text>`;
  return `${open(p.id, p.title, fr.w, fr.h)}${ax.svg}${bars}${none}${markerLines(p.thresholds, 'threshold', ax.sx, fr, 0)}${markerLines(p.observed, 'observed', ax.sx, fr, (p.thresholds ?? []).length)}</svg>`;
}

export function tracePlotSvg(p: TracePlot): string {
  const fr: Frame = { w: 560, h: 240, l: 52, r: 16, t: 12, b: 36 };
  const n = Math.max(1, ...p.series.map((s) => s.values.length));
  // the axis fits the included series (an excluded subject's large motion is clipped at the top)
  const kept = p.series.filter((s) => !s.excluded);
  const all = (kept.length ? kept : p.series).flatMap((s) => s.values.filter(Number.isFinite));
  const yMax = Math.max(...all, ...(p.thresholds ?? []).map((m) => m.value * 1.5), 1e-6) * 1.08;
  const ax = axes(fr, [0, n - 1], [0, yMax], p.xLabel, p.yLabel);
  const lines = p.series
    .map((s) => {
      const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${f(ax.sx(i))},${f(ax.sy(Math.min(v, yMax)))}` : '')).filter(Boolean).join(' ');
      return `<polyline class="trace${s.excluded ? ' excluded' : ''}" data-label="${esc(s.label)}" points="${pts}"><title>${esc(s.label)}${s.excluded ? ' (excluded)' : ''}</title></polyline>`;
    })
    .join('');
  const thr = (p.thresholds ?? [])
    .map((m) => `<line class="threshold" x1="${fr.l}" x2="${fr.w - fr.r}" y1="${f(ax.sy(m.value))}" y2="${f(ax.sy(m.value))}"/><text class="threshold-text" x="${fr.w - fr.r - 2}" y="${f(ax.sy(m.value) - 3)}" text-anchor="end">${esc(m.label)} ${fmtTick(m.value)}</text>`)
    .join('');
  const legend = p.series
    .slice(0, 12)
    .map((s, i) => `<text class="legend${s.excluded ? ' excluded-text' : ''}" x="${fr.l + 6 + (i % 4) * 120}" y="${fr.t + 10 + 12 * Math.floor(i / 4)}">${esc(s.label)}${s.excluded ? ' ✗' : ''}</text>`)
    .join('');
  return `${open(p.id, p.title, fr.w, fr.h)}${ax.svg}${lines}${thr}${legend}</svg>`;
}

export function matrixPlotSvg(p: MatrixPlot): string {
  const cols = p.columns.length;
  const rows = p.values.length;
  const cw = Math.max(18, Math.min(48, Math.floor(420 / Math.max(1, cols))));
  const rh = Math.max(2, Math.min(12, Math.floor(300 / Math.max(1, rows))));
  const l = p.rowLabels && rh >= 9 ? 70 : 20;
  const t = 90;
  const con = p.contrasts ?? [];
  const w = l + cols * cw + 80;
  const h = t + rows * rh + 14 + con.length * 16 + 10;
  // each column scaled to its own range (grey 0..1), as SPM shows the design
  const cells: string[] = [];
  for (let c = 0; c < cols; c++) {
    const col = p.values.map((r) => r[c]!);
    const lo = Math.min(...col);
    const hi = Math.max(...col);
    col.forEach((v, r) => {
      const g = Math.round(255 * (hi > lo ? (v - lo) / (hi - lo) : v ? 1 : 0));
      cells.push(`<rect x="${l + c * cw}" y="${t + r * rh}" width="${cw}" height="${rh}" fill="rgb(${g},${g},${g})"><title>${esc(p.rowLabels?.[r] ?? `row ${r + 1}`)} · ${esc(p.columns[c]!)} = ${v}</title></rect>`);
    });
  }
  const heads = p.columns.map((name, c) => `<text class="tick" transform="translate(${l + c * cw + cw / 2 + 4} ${t - 6}) rotate(-60)">${esc(name)}</text>`).join('');
  const rl = l > 20 ? (p.rowLabels ?? []).map((s, r) => `<text class="tick" x="${l - 4}" y="${t + r * rh + rh - 1}" text-anchor="end">${esc(s)}</text>`).join('') : '';
  const y0 = t + rows * rh + 14;
  const conRows = con
    .map((k, i) => {
      const m = Math.max(1e-12, ...k.vector.map(Math.abs));
      const boxes = k.vector
        .map((v, c) => `<rect x="${l + c * cw + 1}" y="${y0 + i * 16}" width="${cw - 2}" height="12" fill="${v > 0 ? `rgba(220,60,20,${(0.2 + 0.8 * v / m).toFixed(2)})` : v < 0 ? `rgba(30,90,230,${(0.2 + 0.8 * -v / m).toFixed(2)})` : '#eee'}"><title>${esc(k.name)} · ${esc(p.columns[c] ?? '')}: ${v}</title></rect>`)
        .join('');
      return `${boxes}<text class="tick" x="${l + cols * cw + 6}" y="${y0 + i * 16 + 10}">${esc(k.name)}</text>`;
    })
    .join('');
  return `${open(p.id, p.title, w, h)}${heads}${rl}${cells.join('')}${conRows}</svg>`;
}

export function barPlotSvg(p: BarPlot): string {
  const n = Math.max(1, p.bars.length);
  const bw = Math.max(10, Math.min(40, Math.floor(480 / n)));
  const fr: Frame = { w: Math.max(320, 60 + n * bw + 20), h: 250, l: 52, r: 16, t: 12, b: 70 };
  const yMax = Math.max(1e-9, ...p.bars.map((b) => b.value)) * 1.08;
  const sy = (v: number) => fr.h - fr.b - (v / yMax) * (fr.h - fr.t - fr.b);
  const parts = [`<line class="axis" x1="${fr.l}" y1="${fr.h - fr.b}" x2="${fr.w - fr.r}" y2="${fr.h - fr.b}"/>`, `<line class="axis" x1="${fr.l}" y1="${fr.t}" x2="${fr.l}" y2="${fr.h - fr.b}"/>`];
  for (const t of niceTicks(0, yMax, 4)) parts.push(`<text class="tick" x="${fr.l - 5}" y="${f(sy(t) + 4)}" text-anchor="end">${fmtTick(t)}</text><line class="grid" x1="${fr.l}" x2="${fr.w - fr.r}" y1="${f(sy(t))}" y2="${f(sy(t))}"/>`);
  p.bars.forEach((b, i) => {
    const x = fr.l + 6 + i * bw;
    parts.push(`<rect class="bar${b.highlight ? ' highlight' : ''}" data-value="${b.value}" x="${x}" y="${f(sy(b.value))}" width="${bw - 3}" height="${f(sy(0) - sy(b.value))}"><title>${esc(b.label)}: ${b.value}</title></rect>`);
    parts.push(`<text class="tick" transform="translate(${x + bw / 2} ${fr.h - fr.b + 8}) rotate(55)">${esc(b.label.length > 16 ? b.label.slice(0, 15) + '…' : b.label)}</text>`);
  });
  parts.push(`<text class="label" transform="translate(12 ${f((fr.t + fr.h - fr.b) / 2)}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
  return `${open(p.id, p.title, fr.w, fr.h)}${parts.join('')}</svg>`;
}

export function plotSvg(p: ReportPlot): string {
  switch (p.type) {
    case 'null':
      return nullPlotSvg(p);
    case 'traces':
      return tracePlotSvg(p);
    case 'matrix':
      return matrixPlotSvg(p);
    case 'bars':
      return barPlotSvg(p);
  }
}
