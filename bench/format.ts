/**
 * Human-readable numbers for benchmark output: times scaled to ns/µs/ms, ratios with two significant digits,
 * and the one-line summary of a case that `emon bench` prints.
 */
import type { CaseResult } from './result.js';

export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns < 1_000) return `${ns.toFixed(ns < 10 ? 2 : 1)} ns`;
  if (ns < 1_000_000) return `${(ns / 1e3).toFixed(2)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  return r >= 100 ? `${Math.round(r)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toPrecision(3)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toPrecision(3)} KiB`;
  return `${+n.toPrecision(4)} B`;
}

/** `name  median ±spread  ratio-to-floor  [MB/s] [vs baseline] [modeled]`. */
export function caseLine(suite: string, r: CaseResult): string {
  const spread = r.median > 0 ? `±${(((r.q3 - r.q1) / 2 / r.median) * 100).toFixed(1)}%` : '';
  const parts = [`${suite}/${r.name}`.padEnd(40), formatNs(r.median).padStart(10), spread.padStart(8), `${formatRatio(r.ratioToFloor)} floor`.padStart(14)];
  if (r.mbPerSec !== undefined) parts.push(`${r.mbPerSec.toFixed(1)} MB/s`);
  for (const [b, ratio] of Object.entries(r.baselines)) parts.push(`${formatRatio(ratio)} vs ${b}`);
  if (r.modeledNs?.sgx !== undefined) parts.push(`model sgx ${formatNs(r.modeledNs.sgx)}`);
  if (r.modeledNs?.tz !== undefined) parts.push(`model tz ${formatNs(r.modeledNs.tz)}`);
  if (r.target) parts.push(`target ${r.target.atLeast ? '≥' : '≤'}${r.target.ratio}× ${r.target.against}: ${r.target.met ? 'met' : 'MISSED'}`);
  return parts.join('  ');
}
