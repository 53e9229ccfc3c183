/**
 * The benchmark report: one self-contained HTML file (inline CSS and SVG, no script, no network at view time)
 * built only from result JSON (../result.ts). Plots appear for whatever suites ran: any numeric `params` key
 * that varies across a suite's cases becomes a sweep (latency vs buffer size per backend, EPC working-set
 * sweep, ...), cases with `bytes` give a throughput plot, cases with modeled cycles give modeled-vs-measured
 * bars, and a suite's extra() may add ready-made plots under `plots` (see ReportPlot in ../suite.ts).
 */
import type { BenchRun, CaseResult, SuiteResult } from '../result.js';
import type { ReportPlot } from '../suite.js';
import { formatBytes, formatNs, formatRatio } from '../format.js';
import { barPlot, esc, linePlot, type Series } from './svg.js';
import { compareRuns } from '../compare.js';

/** Sweep keys in order of preference, with how to label them. */
const SWEEP_LABELS: Record<string, string> = {
  size: 'buffer size',
  bytes: 'bytes',
  workingSet: 'working set',
  workingSetPages: 'working set (pages)',
  ws: 'working set (× EPC budget)',
  pages: 'pages',
  epcPages: 'EPC budget (pages)',
  count: 'count',
};

function sweepTitle(suite: string, key: string, what: 'latency' | 'throughput', facet: string): string {
  const f = facet ? ` — ${facet}` : '';
  if (what === 'throughput') return /crypto/.test(suite) ? `Crypto throughput (${suite}${f})` : `Throughput vs ${SWEEP_LABELS[key] ?? key} (${suite}${f})`;
  if (/epc|pag/.test(suite) || /working|pages/i.test(key)) return `EPC working-set sweep (${suite}${f}): time per op vs ${SWEEP_LABELS[key] ?? key}`;
  if (key === 'size' && /transition|hypercall|tz|edl|gate|ecall|ocall/.test(suite)) return `Transition latency vs buffer size (${suite}${f})`;
  return `Time per op vs ${SWEEP_LABELS[key] ?? key} (${suite}${f})`;
}

/** Plots with more series than this are split into one plot per value of a string param. */
const MAX_SERIES = 6;

/**
 * The string param to split a crowded sweep by: the first (in the suite's own param order) that takes two or
 * more values, except `backend`, which stays as series so backends are compared on one plot.
 */
function facetKey(cases: readonly CaseResult[]): string | undefined {
  const values = new Map<string, Set<string>>();
  for (const c of cases) {
    for (const [k, v] of Object.entries(c.params ?? {})) {
      if (typeof v !== 'string' || k === 'backend') continue;
      let set = values.get(k);
      if (!set) values.set(k, (set = new Set()));
      set.add(v);
    }
  }
  return [...values].find(([, set]) => set.size >= 2)?.[0];
}

/** Keys whose values are byte counts (ticks formatted as B/KiB/MiB). */
function isSizeKey(key: string): boolean {
  return key === 'size' || key === 'bytes' || key === 'workingSet';
}

/** Numeric params that take at least two values across the suite's cases, preferred ones first. */
function sweepKeys(cases: readonly CaseResult[]): string[] {
  const values = new Map<string, Set<number>>();
  for (const c of cases) {
    for (const [k, v] of Object.entries(c.params ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      let s = values.get(k);
      if (!s) values.set(k, (s = new Set()));
      s.add(v);
    }
  }
  const keys = [...values].filter(([, s]) => s.size >= 2).map(([k]) => k);
  const order = Object.keys(SWEEP_LABELS);
  return keys.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
}

/** Series name from the params other than the sweep key (e.g. `sgx · ecall`), or the case name's prefix. */
/** String params that take two or more values among `cases`: what tells their series apart. */
function varyingStrings(cases: readonly CaseResult[]): Set<string> {
  const values = new Map<string, Set<string>>();
  for (const c of cases) {
    for (const [k, v] of Object.entries(c.params ?? {})) {
      if (typeof v !== 'string') continue;
      const set = values.get(k) ?? new Set<string>();
      set.add(v);
      values.set(k, set);
    }
  }
  return new Set([...values].filter(([, set]) => set.size >= 2).map(([k]) => k));
}

function seriesName(c: CaseResult, key: string, facet: string | undefined, varying: ReadonlySet<string>): string {
  const rest = Object.entries(c.params ?? {})
    .filter(([k]) => k !== key && k !== facet && varying.has(k))
    .map(([, v]) => String(v));
  if (rest.length > 0) return rest.join(' · ');
  const slash = c.name.lastIndexOf('/');
  return slash > 0 ? c.name.slice(0, slash) : 'cases';
}

function group(cases: readonly CaseResult[], key: string, y: (c: CaseResult) => number | undefined, whiskers: boolean, facet?: string): Series[] {
  const byName = new Map<string, Series['points'][number][]>();
  const varying = varyingStrings(cases);
  for (const c of cases) {
    const x = c.params?.[key];
    const v = y(c);
    if (typeof x !== 'number' || v === undefined || !Number.isFinite(v)) continue;
    const name = seriesName(c, key, facet, varying);
    const list = byName.get(name) ?? [];
    list.push({ x, y: v, ...(whiskers ? { lo: c.q1, hi: c.q3 } : {}), label: c.name });
    byName.set(name, list);
  }
  return [...byName].map(([name, points]) => ({ name, points }));
}

/**
 * Splits series whose typical values lie orders of magnitude apart (e.g. enclave creation in ms beside ECALLs in
 * ns) into separate groups, so no plot is flattened by another's scale. Series are ordered by the geometric
 * mean of their values and cut wherever the next one is more than `gap` times larger.
 */
function scaleClusters(series: readonly Series[], gap = 100): Series[][] {
  const gm = (s: Series): number => {
    const pos = s.points.map((p) => p.y).filter((v) => v > 0);
    return pos.length === 0 ? 0 : Math.exp(pos.reduce((a, v) => a + Math.log(v), 0) / pos.length);
  };
  const sorted = [...series].sort((a, b) => gm(a) - gm(b));
  const out: Series[][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && gm(s) <= gm(last[last.length - 1]!) * gap) last.push(s);
    else out.push([s]);
  }
  return out;
}

function logWorthy(values: readonly number[]): boolean {
  const pos = values.filter((v) => v > 0);
  return pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 20;
}

function sweepPlots(s: SuiteResult, cases: readonly CaseResult[], key: string, facet: string | undefined, facetValue: string): string[] {
  const plots: string[] = [];
  const xf = isSizeKey(key) ? formatBytes : undefined;
  const clusters = scaleClusters(group(cases, key, (c) => c.median, true, facet));
  clusters.forEach((all) => {
    const xLog = logWorthy(all.flatMap((x) => x.points.map((p) => p.x)));
    // A log axis cannot place x = 0 (e.g. a call with no buffer): those cases stay in the table.
    const lat = xLog ? all.map((x) => ({ ...x, points: x.points.filter((p) => p.x > 0) })).filter((x) => x.points.length > 0) : all;
    if (lat.length === 0) return;
    const ys = lat.flatMap((x) => x.points.map((p) => p.y));
    const part = clusters.length > 1 ? `${facetValue ? `${facetValue}, ` : ''}${lat.map((x) => x.name).join(', ')}` : facetValue;
    plots.push(
      linePlot({
        title: sweepTitle(s.name, key, 'latency', part),
        xLabel: SWEEP_LABELS[key] ?? key,
        yLabel: 'median time per op (ns; bars: IQR)',
        series: lat,
        xLog,
        yLog: logWorthy(ys),
        ...(xf ? { xFormat: xf } : {}),
      }),
    );
  });
  if (cases.some((c) => c.mbPerSec !== undefined && typeof c.params?.[key] === 'number')) {
    const tp = group(cases.filter((c) => c.mbPerSec !== undefined), key, (c) => c.mbPerSec, false, facet);
    const xs = tp.flatMap((x) => x.points.map((p) => p.x));
    const xLog = logWorthy(xs);
    plots.push(
      linePlot({
        title: sweepTitle(s.name, key, 'throughput', facetValue),
        xLabel: SWEEP_LABELS[key] ?? key,
        yLabel: 'throughput (MB/s)',
        series: xLog ? tp.map((x) => ({ ...x, points: x.points.filter((p) => p.x > 0) })).filter((x) => x.points.length > 0) : tp,
        xLog,
        ...(xf ? { xFormat: xf } : {}),
      }),
    );
  }
  return plots;
}

function suitePlots(s: SuiteResult): string[] {
  const plots: string[] = [];
  for (const key of sweepKeys(s.cases)) {
    const swept = s.cases.filter((c) => typeof c.params?.[key] === 'number');
    const facet = group(swept, key, (c) => c.median, false).length > MAX_SERIES ? facetKey(swept) : undefined;
    if (facet === undefined) {
      plots.push(...sweepPlots(s, swept, key, undefined, ''));
      continue;
    }
    const values = [...new Set(swept.map((c) => c.params?.[facet]).filter((v): v is string => typeof v === 'string'))];
    for (const v of values) plots.push(...sweepPlots(s, swept.filter((c) => c.params?.[facet] === v), key, facet, `${facet} ${v}`));
  }
  if (plots.length === 0 && s.cases.length > 0 && s.name !== 'floor') {
    const medians = s.cases.map((c) => c.median);
    plots.push(
      barPlot({
        title: `Time per op (${s.name})`,
        valueLabel: `median ns per op${logWorthy(medians) ? ' (log scale)' : ''}`,
        seriesNames: ['median'],
        groups: s.cases.map((c) => ({ label: c.name, values: { median: c.median } })),
        log: logWorthy(medians),
        format: formatNs,
      }),
    );
  }
  const extraPlots = (s.extra as { plots?: unknown } | undefined)?.plots;
  if (Array.isArray(extraPlots)) {
    for (const p of extraPlots as ReportPlot[]) {
      if (!p || typeof p.title !== 'string' || !Array.isArray(p.series)) continue;
      const series = p.series
        .filter((x) => x && Array.isArray(x.points))
        .map((x) => {
          const points: ReadonlyArray<{ x: number; y: number }> = x.points;
          return { name: String(x.name), points: points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y)) };
        });
      plots.push(linePlot({ title: `${p.title} (${s.name})`, xLabel: p.xLabel ?? '', yLabel: p.yLabel ?? '', series, xLog: Boolean(p.xLog), yLog: Boolean(p.yLog) }));
    }
  }
  return plots.filter((x) => x !== '');
}

function modeledPlot(run: BenchRun): string {
  const groups = run.suites.flatMap((s) =>
    s.cases
      .filter((c) => c.modeledNs && (c.modeledNs.sgx !== undefined || c.modeledNs.tz !== undefined))
      .map((c) => ({
        label: `${s.name}/${c.name}`,
        values: {
          'measured here': c.median,
          ...(c.modeledNs?.sgx !== undefined ? { 'modeled SGX': c.modeledNs.sgx } : {}),
          ...(c.modeledNs?.tz !== undefined ? { 'modeled TrustZone': c.modeledNs.tz } : {}),
        },
      })),
  );
  return barPlot({
    title: 'Modeled hardware cost vs measured time per op',
    valueLabel: 'ns per op (log scale)',
    seriesNames: ['measured here', 'modeled SGX', 'modeled TrustZone'],
    groups,
    log: true,
    format: formatNs,
  });
}

function caseTable(run: BenchRun): string {
  const rows = run.suites.flatMap((s) =>
    s.cases.map((c) => {
      const base = Object.entries(c.baselines).map(([b, r]) => `${formatRatio(r)} vs ${esc(b)}`).join('<br>');
      const model = [c.modeledNs?.sgx !== undefined ? `SGX ${formatNs(c.modeledNs.sgx)}` : '', c.modeledNs?.tz !== undefined ? `TZ ${formatNs(c.modeledNs.tz)}` : '']
        .filter(Boolean)
        .join('<br>');
      const target = c.target ? `<span class="${c.target.met ? 'ok' : 'bad'}">${c.target.atLeast ? '≥' : '≤'}${+c.target.ratio.toPrecision(3)}× ${esc(c.target.against)}: ${formatRatio(c.target.actual)}</span>` : '';
      return `<tr><td>${esc(s.name)}</td><td>${esc(c.name)}</td><td class="n">${formatNs(c.median)}</td><td class="n">${formatNs(c.q1)} – ${formatNs(c.q3)}${c.medianCi ? `<br><small>median 95% CI ${formatNs(c.medianCi[0])} – ${formatNs(c.medianCi[1])}</small>` : ''}</td><td class="n">${c.samples.length}×${c.iterations}</td><td class="n">${formatRatio(c.ratioToFloor)}</td><td>${base}</td><td class="n">${c.mbPerSec !== undefined ? c.mbPerSec.toFixed(1) : ''}</td><td>${model}</td><td>${target}</td></tr>`;
    }),
  );
  return `<table><thead><tr><th>suite</th><th>case</th><th>median</th><th>IQR</th><th>samples×iters</th><th>÷ floor</th><th>baselines</th><th>MB/s</th><th>modeled</th><th>target</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function runSection(run: BenchRun, index: number, total: number): string {
  const env = run.environment;
  const failed = run.suites.filter((s) => s.error);
  const targets = run.suites.flatMap((s) => s.cases.filter((c) => c.target).map((c) => ({ s: s.name, c })));
  const headline = [
    `<li>Floor (Wasm→JS→Wasm call, no work): <b>${formatNs(run.floor.median)}</b> per call (IQR ${formatNs(run.floor.q1)} – ${formatNs(run.floor.q3)})</li>`,
    `<li>${run.suites.length - 1} suite(s), ${run.suites.reduce((n, s) => n + s.cases.length, 0) - run.suites[0]!.cases.length} case(s)${run.quick ? ' — <b>quick mode</b>: short samples, indicative only' : ''}${run.emulateCost ? ' — with <b>--emulate-cost</b>: enclave transitions include the modeled hardware spin' : ''}</li>`,
    ...targets.map(({ s, c }) => `<li>${esc(s)}/${esc(c.name)}: ${formatRatio(c.target!.actual)} ${esc(c.target!.against)} (target ${c.target!.atLeast ? '≥' : '≤'}${+c.target!.ratio.toPrecision(3)}×) <span class="${c.target!.met ? 'ok' : 'bad'}">${c.target!.met ? 'met' : 'missed'}</span></li>`),
    ...failed.map((s) => `<li class="bad">suite ${esc(s.name)} failed: ${esc(s.error!)}</li>`),
  ];
  const suites = run.suites
    .filter((s) => s.cases.length > 0 || s.error)
    .map((s) => {
      const plots = suitePlots(s);
      return `<section class="suite"><h3>${esc(s.name)}</h3><p>${esc(s.description)}</p>${plots.map((p) => `<figure>${p}</figure>`).join('')}</section>`;
    });
  const modeled = modeledPlot(run);
  return `<section class="run"><h2>Run ${total > 1 ? `${index + 1} of ${total}: ` : ''}${esc(run.startedAt)}</h2>
<p class="env">Node ${esc(env.node)} (V8 ${esc(env.v8)}), ${esc(env.platform)}/${esc(env.arch)}, ${esc(env.cpu)} × ${env.cpus}, load ${env.loadAverage.map((l) => l.toFixed(2)).join(' ')}, emon ${esc(env.emon)}${env.commit ? ` @ ${esc(env.commit)}` : ''}</p>
<h3>Headline</h3><ul>${headline.join('')}</ul>
${modeled ? `<figure>${modeled}</figure>` : ''}
${suites.join('\n')}
<h3>All cases</h3>${caseTable(run)}</section>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1400px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}figure{margin:.5em 1em .5em 0;display:inline-block;vertical-align:top}
table{border-collapse:collapse;font-size:12px;width:100%}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.ok{color:#2a7}.bad{color:#c22}.env{color:#555}
svg .title{font-weight:600;font-size:13px}svg .tick,svg .legend{font-size:11px;fill:#333}svg .label{font-size:12px;fill:#333}
svg .grid{stroke:#eee}svg .axis{stroke:#555}`;

/** Two runs of the same suites: the `emon bench compare` verdicts, changed cases first. */
function comparisonSection(a: BenchRun, b: BenchRun): string {
  const cmp = compareRuns(a, b, { byFloor: true });
  const shared = cmp.rows.filter((r) => r.ratio !== undefined);
  if (shared.length === 0) return '';
  const order: Record<string, number> = { regression: 0, improvement: 1, noise: 2, unchanged: 3 };
  const rows = [...shared]
    .sort((x, y) => (order[x.verdict] ?? 9) - (order[y.verdict] ?? 9))
    .map((r) => {
      const cls = r.verdict === 'regression' ? 'bad' : r.verdict === 'improvement' ? 'ok' : '';
      const change = `${r.ratio! >= 1 ? '+' : ''}${((r.ratio! - 1) * 100).toFixed(1)}%`;
      return `<tr><td>${esc(r.suite)}</td><td>${esc(r.name)}</td><td class="n">${r.before!.toFixed(2)}</td><td class="n">${r.after!.toFixed(2)}</td><td class="n">${change}</td><td class="n">${r.p! < 0.001 ? '&lt;0.001' : r.p!.toFixed(3)}</td><td class="${cls}">${r.verdict}</td></tr>`;
    });
  return `<section class="run"><h2>Run 2 against run 1</h2>
<p>Times divided by each run's own floor; a change is flagged when the samples differ under a two-sided Mann-Whitney U
test (p &lt; ${cmp.alpha}) and the median moved more than ${cmp.thresholdPct}% (as <code>emon bench compare --by-floor</code>).</p>
<table><thead><tr><th>suite</th><th>case</th><th>run 1 (× floor)</th><th>run 2 (× floor)</th><th>change</th><th>p</th><th>verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

export function renderReport(runs: readonly BenchRun[]): string {
  const body = [...(runs.length === 2 ? [comparisonSection(runs[0]!, runs[1]!)] : []), ...runs.map((r, i) => runSection(r, i, runs.length))].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>emon benchmark report</title><style>${CSS}</style></head>
<body><h1>emon benchmark report</h1>
<p>Every time is measured in this run on this machine; ratios are to the same-run floor. Modeled figures come
from runtime/hw/cost (published hardware measurements, cited there) and are what real SGX/TrustZone hardware would
add per transition; they are not measurements of this machine.</p>
${body}
</body></html>
`;
}
