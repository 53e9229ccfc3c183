/**
 * `emon bench compare a.json b.json`: which cases got slower or faster beyond the noise. A change is flagged
 * only when both hold: the two sample sets differ under a two-sided Mann-Whitney U test (p < 0.01; no normality
 * assumed, robust to the outliers a shared machine produces) and the medians differ by more than a threshold
 * (default 5 %), so a statistically clear but practically irrelevant shift is not called a regression.
 * `byFloor` divides each run's samples by its own floor median, for runs on different machines or loads.
 */
import type { BenchRun, CaseResult } from './result.js';
import { mannWhitney, summarize } from './stats.js';
import { formatNs } from './format.js';

export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'noise' | 'added' | 'removed';

export interface ComparisonRow {
  readonly suite: string;
  readonly name: string;
  readonly before?: number;
  readonly after?: number;
  /** after / before medians. */
  readonly ratio?: number;
  readonly p?: number;
  readonly verdict: Verdict;
}

export interface Comparison {
  readonly rows: readonly ComparisonRow[];
  readonly byFloor: boolean;
  readonly thresholdPct: number;
  readonly alpha: number;
}

export interface CompareOptions {
  readonly thresholdPct?: number;
  readonly byFloor?: boolean;
  readonly alpha?: number;
}

function casesOf(run: BenchRun): Map<string, CaseResult> {
  const m = new Map<string, CaseResult>();
  for (const s of run.suites) for (const c of s.cases) m.set(`${s.name}\u0000${c.name}`, c);
  return m;
}

export function compareRuns(before: BenchRun, after: BenchRun, options: CompareOptions = {}): Comparison {
  const thresholdPct = options.thresholdPct ?? 5;
  const alpha = options.alpha ?? 0.01;
  const byFloor = options.byFloor ?? false;
  const scaleA = byFloor ? 1 / before.floor.median : 1;
  const scaleB = byFloor ? 1 / after.floor.median : 1;
  const a = casesOf(before);
  const b = casesOf(after);
  const rows: ComparisonRow[] = [];
  for (const [key, ca] of a) {
    const [suite, name] = key.split('\u0000') as [string, string];
    const cb = b.get(key);
    if (!cb) {
      rows.push({ suite, name, before: ca.median * scaleA, verdict: 'removed' });
      continue;
    }
    const sa = ca.samples.map((x) => x * scaleA);
    const sb = cb.samples.map((x) => x * scaleB);
    const ma = summarize(sa).median;
    const mb = summarize(sb).median;
    const ratio = mb / ma;
    const { p } = mannWhitney(sa, sb);
    const big = Math.abs(ratio - 1) * 100 > thresholdPct;
    const significant = p < alpha;
    const verdict: Verdict = significant && big ? (ratio > 1 ? 'regression' : 'improvement') : big ? 'noise' : 'unchanged';
    rows.push({ suite, name, before: ma, after: mb, ratio, p, verdict });
  }
  for (const [key, cb] of b) {
    if (a.has(key)) continue;
    const [suite, name] = key.split('\u0000') as [string, string];
    rows.push({ suite, name, after: cb.median * scaleB, verdict: 'added' });
  }
  return { rows, byFloor, thresholdPct, alpha };
}

export function formatComparison(c: Comparison): string {
  const fmt = (v: number | undefined): string => (v === undefined ? '-' : c.byFloor ? `${v.toFixed(2)}×fl` : formatNs(v));
  const lines = [
    `${'case'.padEnd(44)} ${'before'.padStart(11)} ${'after'.padStart(11)} ${'change'.padStart(8)} ${'p'.padStart(7)}  verdict`,
  ];
  for (const r of c.rows) {
    const change = r.ratio === undefined ? '' : `${r.ratio >= 1 ? '+' : ''}${((r.ratio - 1) * 100).toFixed(1)}%`;
    const p = r.p === undefined ? '' : r.p < 0.001 ? '<0.001' : r.p.toFixed(3);
    const mark = r.verdict === 'regression' ? 'REGRESSION' : r.verdict;
    lines.push(`${`${r.suite}/${r.name}`.padEnd(44)} ${fmt(r.before).padStart(11)} ${fmt(r.after).padStart(11)} ${change.padStart(8)} ${p.padStart(7)}  ${mark}`);
  }
  const reg = c.rows.filter((r) => r.verdict === 'regression').length;
  const imp = c.rows.filter((r) => r.verdict === 'improvement').length;
  lines.push(
    `${reg} regression(s), ${imp} improvement(s) beyond the noise (Mann-Whitney p < ${c.alpha}, change > ${c.thresholdPct}%${c.byFloor ? ', times relative to each run\'s floor' : ''})`,
  );
  return lines.join('\n');
}
