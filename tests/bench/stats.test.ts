/** Robust statistics and the Mann-Whitney test against hand-computed and textbook values. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mannWhitney, medianCi, quantileSorted, summarize } from '../../bench/stats.js';
import { compareRuns } from '../../bench/compare.js';
import type { BenchRun, CaseResult } from '../../bench/result.js';
import { RESULT_SCHEMA } from '../../bench/result.js';

describe('summary statistics', () => {
  it('matches type-7 quantiles (R/NumPy default)', () => {
    // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) == [2, 3, 4]
    expect(summarize([10, 1, 3, 2, 4])).toMatchObject({ q1: 2, median: 3, q3: 4, min: 1, max: 10, mean: 4 });
    // numpy.percentile([1, 2, 3, 4], 25) == 1.75
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('keeps q1 <= median <= q3 inside [min, max] for any samples', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const s = summarize(xs);
        return s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max;
      }),
    );
  });
});

describe('median confidence interval', () => {
  it('uses the order statistics of the binomial approximation (n = 20: ranks 6 and 15)', () => {
    const xs = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(medianCi(xs)).toEqual([6, 15]);
  });

  it('always brackets the median within the sample range', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 80 }), (xs) => {
        const [lo, hi] = medianCi(xs);
        const s = summarize(xs);
        return s.min <= lo && lo <= s.median && s.median <= hi && hi <= s.max;
      }),
    );
  });
});

describe('Mann-Whitney U', () => {
  it('computes U as the count of pairs where the first sample is larger', () => {
    // a = [1,2,3], b = [4,5,6]: no a exceeds any b, U_a = 0.
    expect(mannWhitney([1, 2, 3], [4, 5, 6]).u).toBe(0);
    expect(mannWhitney([4, 5, 6], [1, 2, 3]).u).toBe(9);
  });

  it('gives p = 1 for identical samples and a small p for clearly separated ones', () => {
    const a = Array.from({ length: 20 }, (_, i) => 100 + i);
    expect(mannWhitney(a, a).p).toBeCloseTo(1, 6);
    // Completely separated groups of 20: z ≈ 5.4, two-sided p well below 1e-6.
    expect(mannWhitney(a, a.map((x) => x + 50)).p).toBeLessThan(1e-6);
  });

  it('agrees with the normal-approximation textbook value for a small example', () => {
    // n1 = n2 = 10, U = 20 (no ties): mu = 50, sigma = sqrt(10*10*21/12) = 13.229; z = (30 - 0.5)/13.229 = 2.230;
    // two-sided p = 0.0257.
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 21, 22];
    const b = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
    const r = mannWhitney(a, b);
    expect(r.u).toBe(20);
    expect(r.p).toBeCloseTo(0.0257, 3);
  });
});

function fakeRun(cases: Record<string, number[]>, floor = 10): BenchRun {
  const mk = (name: string, samples: number[]): CaseResult => {
    const s = summarize(samples);
    return { name, iterations: 1, samples, median: s.median, q1: s.q1, q3: s.q3, min: s.min, max: s.max, ratioToFloor: s.median / floor, baselines: {} };
  };
  const floorCase = mk('wasm-js-wasm', Array.from({ length: 9 }, () => floor));
  return {
    schema: RESULT_SCHEMA,
    startedAt: '',
    finishedAt: '',
    quick: true,
    environment: { node: '', v8: '', platform: '', arch: '', cpu: '', cpus: 1, memoryBytes: 0, loadAverage: [], emon: '' },
    floor: floorCase,
    suites: [{ name: 's', description: '', cases: Object.entries(cases).map(([n, x]) => mk(n, x)) }],
  };
}

describe('bench compare', () => {
  const base = Array.from({ length: 15 }, (_, i) => 100 + (i % 5));
  it('flags a clear slowdown as a regression and a clear speedup as an improvement', () => {
    const cmp = compareRuns(fakeRun({ a: base, b: base }), fakeRun({ a: base.map((x) => x * 1.5), b: base.map((x) => x * 0.5) }));
    expect(cmp.rows.find((r) => r.name === 'a')!.verdict).toBe('regression');
    expect(cmp.rows.find((r) => r.name === 'b')!.verdict).toBe('improvement');
  });

  it('does not flag a shift inside the noise or below the threshold', () => {
    const noisy = [50, 150, 90, 130, 70, 110, 100, 60, 140];
    const shifted = noisy.map((x) => x * 1.08).reverse();
    const cmp = compareRuns(fakeRun({ n: noisy, t: base }), fakeRun({ n: shifted, t: base.map((x) => x * 1.02) }));
    expect(cmp.rows.find((r) => r.name === 'n')!.verdict).not.toBe('regression');
    expect(cmp.rows.find((r) => r.name === 't')!.verdict).toBe('unchanged');
  });

  it('normalises by each run\'s floor when asked, so a uniformly slower machine is not a regression', () => {
    const cmp = compareRuns(fakeRun({ a: base }, 10), fakeRun({ a: base.map((x) => x * 2) }, 20), { byFloor: true });
    expect(cmp.rows[0]!.verdict).toBe('unchanged');
  });

  it('reports cases present in only one run', () => {
    const cmp = compareRuns(fakeRun({ old: base }), fakeRun({ new: base }));
    expect(cmp.rows.map((r) => `${r.name}:${r.verdict}`).sort()).toEqual(['new:added', 'old:removed']);
  });
});
