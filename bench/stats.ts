/**
 * Robust summary statistics for benchmark samples: median and interquartile range (Tukey's hinges by linear
 * interpolation, Hyndman & Fan type 7, the default of R and NumPy), and the two-sided Mann-Whitney U test
 * (normal approximation with tie correction; Mann & Whitney, Ann. Math. Statist. 18(1), 1947) used by
 * `emon bench compare` to tell a real change from noise without assuming normal timings.
 */

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Interquartile range relative to the median: a scale-free spread. */
  readonly relIqr: number;
}

/** Quantile `p` in [0, 1] of an ascending array (type 7 interpolation). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantileSorted(sorted, 0.5);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    median,
    q1,
    q3,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
    relIqr: median > 0 ? (q3 - q1) / median : 0,
  };
}

/**
 * Distribution-free 95 % confidence interval of the median from order statistics: the ranks n/2 ± 0.98·√n
 * (the normal approximation to the binomial; Conover, "Practical Nonparametric Statistics", §3.2). Needs no
 * assumption about the timing distribution, which is usually skewed and multi-modal.
 */
export function medianCi(samples: readonly number[]): [number, number] {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const half = 0.98 * Math.sqrt(n);
  const lo = Math.max(0, Math.floor(n / 2 - half));
  const hi = Math.min(n - 1, Math.ceil(n / 2 + half) - 1);
  return [sorted[lo]!, sorted[hi]!];
}

/** Standard normal upper-tail probability, via the Abramowitz & Stegun 7.1.26 erfc approximation. */
function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

export interface MannWhitney {
  /** U statistic of the first sample. */
  readonly u: number;
  /** Two-sided p-value (normal approximation, tie-corrected, with continuity correction). */
  readonly p: number;
}

/** Two-sided Mann-Whitney U test: are `a` and `b` drawn from the same distribution? */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: Number.NaN, p: 1 };
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]!.g === 0) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1 };
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * normalUpperTail(Math.max(0, z))) };
}
