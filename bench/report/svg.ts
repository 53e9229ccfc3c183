/**
 * Plots for the HTML report, drawn as inline SVG (W3C SVG 1.1) so the report needs no script, network or CDN:
 * line plots with optional log axes and IQR whiskers, and grouped horizontal bar charts. Every data mark carries
 * `class="pt"` or `class="bar"` and its value in data- attributes, so a browser test can count what was drawn.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
  /** Whisker (e.g. q1..q3), in y units. */
  readonly lo?: number;
  readonly hi?: number;
  readonly label?: string;
}

export interface Series {
  readonly name: string;
  readonly points: readonly Point[];
}

export interface LinePlot {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Tick label formatters. */
  readonly xFormat?: (v: number) => string;
  readonly yFormat?: (v: number) => string;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series name (missing values are skipped). */
  readonly values: Readonly<Record<string, number>>;
}

export interface BarPlot {
  readonly title: string;
  readonly valueLabel: string;
  readonly seriesNames: readonly string[];
  readonly groups: readonly BarGroup[];
  readonly log?: boolean;
  readonly format?: (v: number) => string;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

interface Scale {
  map(v: number): number;
  ticks: number[];
}

function scale(min: number, max: number, from: number, to: number, log: boolean): Scale {
  if (log) {
    const lmin = Math.floor(Math.log10(Math.max(min, 1e-12)));
    let lmax = Math.ceil(Math.log10(Math.max(max, 1e-12)));
    if (lmax === lmin) lmax = lmin + 1;
    const ticks: number[] = [];
    for (let e = lmin; e <= lmax; e++) ticks.push(10 ** e);
    return { map: (v) => from + ((Math.log10(Math.max(v, 1e-12)) - lmin) / (lmax - lmin)) * (to - from), ticks };
  }
  let lo = Math.min(0, min);
  let hi = max === lo ? lo + 1 : max;
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 5));
  const mult = [1, 2, 5, 10].find((m) => (hi - lo) / (step * m) <= 6) ?? 10;
  const st = step * mult;
  const rlo = Math.floor(lo / st) * st;
  const rhi = Math.ceil(hi / st) * st;
  // Results files are untrusted: values near ±Number.MAX_VALUE round the axis out to ±Infinity (or make the
  // step vanish against the start), and a tick loop over them would never end. Such an axis gets its two ends.
  if (!Number.isFinite(rlo) || !Number.isFinite(rhi) || !(st > 0) || !Number.isFinite(rhi - rlo) || rlo + st === rlo) {
    return { map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks: [lo, hi] };
  }
  lo = rlo;
  hi = rhi;
  const ticks: number[] = [];
  // At most 7 steps by construction (mult above); the bound keeps it so whatever rounding does.
  for (let v = lo, n = 0; v <= hi + st / 2 && n < 16; v += st, n++) ticks.push(+v.toPrecision(12));
  return { map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

/** Powers of two read better than powers of ten for buffer sizes: ticks at each data x instead. */
function dataTicks(series: readonly Series[]): number[] {
  return [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
}

export function linePlot(p: LinePlot): string {
  const W = 640;
  const H = 360;
  const m = { l: 70, r: 170, t: 34, b: 48 };
  const pts = p.series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const xs = pts.map((q) => q.x);
  const ys = pts.flatMap((q) => [q.y, q.lo ?? q.y, q.hi ?? q.y]);
  const xLog = p.xLog ?? false;
  const yLog = p.yLog ?? false;
  const sx = scale(Math.min(...xs), Math.max(...xs), m.l, W - m.r, xLog);
  const sy = scale(Math.min(...ys), Math.max(...ys), H - m.b, m.t, yLog);
  // Data ticks on a log axis can crowd (4 KiB, 16 KiB, 64 KiB...): keep only those at least 40 px apart.
  const xTicks = xLog
    ? dataTicks(p.series).reduce<number[]>((kept, t) => (kept.length === 0 || sx.map(t) - sx.map(kept[kept.length - 1]!) >= 40 ? [...kept, t] : kept), [])
    : sx.ticks;
  const xf = p.xFormat ?? niceNumber;
  const yf = p.yFormat ?? niceNumber;
  const out: string[] = [];
  out.push(`<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(p.title)}">`);
  out.push(`<text x="${W / 2 - m.r / 2 + m.l / 2}" y="18" text-anchor="middle" class="title">${esc(p.title)}</text>`);
  for (const t of sy.ticks) {
    const y = sy.map(t).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 6}" y="${y}" dy="4" text-anchor="end" class="tick">${esc(yf(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = sx.map(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${H - m.b}" y2="${H - m.b + 5}" class="axis"/><text x="${x}" y="${H - m.b + 18}" text-anchor="middle" class="tick">${esc(xf(t))}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" class="axis"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" class="axis"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" class="label">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const path = sorted.map((q, j) => `${j === 0 ? 'M' : 'L'}${sx.map(q.x).toFixed(1)},${sy.map(q.y).toFixed(1)}`).join(' ');
    out.push(`<g class="series" data-name="${esc(s.name)}">`);
    if (sorted.length > 1) out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    for (const q of sorted) {
      const cx = sx.map(q.x).toFixed(1);
      if (q.lo !== undefined && q.hi !== undefined) {
        out.push(`<line x1="${cx}" x2="${cx}" y1="${sy.map(q.lo).toFixed(1)}" y2="${sy.map(q.hi).toFixed(1)}" stroke="${color}" stroke-width="1"/>`);
      }
      const tip = `${s.name}: ${q.label ?? xf(q.x)} → ${yf(q.y)}`;
      out.push(`<circle class="pt" cx="${cx}" cy="${sy.map(q.y).toFixed(1)}" r="3.5" fill="${color}" data-x="${q.x}" data-y="${q.y}"><title>${esc(tip)}</title></circle>`);
    }
    out.push('</g>');
    const ly = m.t + 6 + i * 18;
    out.push(`<rect x="${W - m.r + 12}" y="${ly - 8}" width="12" height="12" fill="${color}"/><text x="${W - m.r + 30}" y="${ly + 2}" class="legend">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

export function barPlot(p: BarPlot): string {
  const groups = p.groups.filter((g) => p.seriesNames.some((n) => g.values[n] !== undefined));
  if (groups.length === 0) return '';
  const barH = 12;
  const gap = 10;
  const m = { l: 230, r: 150, t: 34, b: 44 };
  const W = 760;
  const groupH = p.seriesNames.length * barH + gap;
  const H = m.t + m.b + groups.length * groupH;
  const vals = groups.flatMap((g) => p.seriesNames.map((n) => g.values[n]).filter((v): v is number => v !== undefined && v > 0));
  const log = p.log ?? false;
  const sx = scale(log ? Math.min(...vals) : 0, Math.max(...vals), m.l, W - m.r, log);
  const f = p.format ?? niceNumber;
  const out: string[] = [];
  out.push(`<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(p.title)}">`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="18" text-anchor="middle" class="title">${esc(p.title)}</text>`);
  for (const t of sx.ticks) {
    const x = sx.map(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" class="grid"/><text x="${x}" y="${H - m.b + 16}" text-anchor="middle" class="tick">${esc(f(t))}</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" class="label">${esc(p.valueLabel)}</text>`);
  const x0 = log ? m.l : sx.map(0);
  groups.forEach((g, gi) => {
    const y0 = m.t + gi * groupH;
    out.push(`<text x="${m.l - 6}" y="${y0 + (p.seriesNames.length * barH) / 2 + 4}" text-anchor="end" class="tick">${esc(g.label)}</text>`);
    p.seriesNames.forEach((n, si) => {
      const v = g.values[n];
      if (v === undefined) return;
      const w = Math.max(1, sx.map(Math.max(v, log ? sx.ticks[0]! : 0)) - x0);
      out.push(
        `<rect class="bar" x="${x0.toFixed(1)}" y="${y0 + si * barH}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${PALETTE[si % PALETTE.length]}" data-value="${v}"><title>${esc(`${g.label} · ${n}: ${f(v)}`)}</title></rect>`,
      );
    });
  });
  p.seriesNames.forEach((n, i) => {
    const ly = m.t + 6 + i * 18;
    out.push(`<rect x="${W - m.r + 12}" y="${ly - 8}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${W - m.r + 30}" y="${ly + 2}" class="legend">${esc(n)}</text>`);
  });
  out.push(`<line x1="${x0.toFixed(1)}" x2="${x0.toFixed(1)}" y1="${m.t}" y2="${H - m.b}" class="axis"/>`);
  out.push('</svg>');
  return out.join('');
}
