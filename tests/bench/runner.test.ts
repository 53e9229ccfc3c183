/**
 * The runner in --quick mode produces well-formed results: the floor first, finite medians and spreads, ratios
 * to the floor and to baselines consistent with the medians, modeled cycles turned into time, failures of one
 * suite recorded without losing the others. Nothing here asserts how fast anything is.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { discoverSuites, runBench, sampleCase, QUICK } from '../../bench/runner.js';
import { parseBenchRun, RESULT_SCHEMA } from '../../bench/result.js';
import { cyclesToNs } from '../../runtime/hw/cost/model.js';
import { isEmonError } from '../../runtime/errors.js';

const fixtures = path.join(__dirname, 'fixtures', 'suites');

describe('bench runner', () => {
  it('discovers suite modules by file name', async () => {
    const found = await discoverSuites(fixtures);
    expect([...found.keys()].sort()).toEqual(['broken', 'ecall-sweep', 'toy']);
  });

  it('runs the floor first and every case of a suite, with consistent statistics', async () => {
    const events: string[] = [];
    const run = await runBench({
      quick: true,
      suites: ['toy'],
      suitesDir: fixtures,
      progress: {
        suiteStart: (s) => events.push(`start ${s}`),
        caseDone: (s, r) => events.push(`${s}/${r.name}`),
        suiteEnd: (s) => events.push(`end ${s}`),
      },
    });
    expect(events[0]).toBe('start floor');
    expect(events).toContain('toy/large');
    expect(run.schema).toBe(RESULT_SCHEMA);
    expect(run.suites.map((s) => s.name)).toEqual(['floor', 'toy']);
    expect(run.floor.name).toBe('wasm-js-wasm');
    expect(run.floor.ratioToFloor).toBe(1);

    const toy = run.suites[1]!;
    expect(toy.error).toBeUndefined();
    expect(toy.extra).toEqual({ accumulated: true });
    for (const c of [run.floor, ...toy.cases]) {
      expect(c.samples.length).toBeGreaterThanOrEqual(QUICK.minSamples);
      // Unstable medians get extra rounds, never more than twice the planned samples.
      expect(c.samples.length).toBeLessThanOrEqual(2 * QUICK.samples);
      expect(c.medianCi![0]).toBeLessThanOrEqual(c.median);
      expect(c.medianCi![1]).toBeGreaterThanOrEqual(c.median);
      expect(c.samples.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
      expect(c.q1).toBeLessThanOrEqual(c.median);
      expect(c.median).toBeLessThanOrEqual(c.q3);
      expect(c.min).toBe(Math.min(...c.samples));
      expect(c.ratioToFloor).toBeCloseTo(c.median / run.floor.median, 10);
    }
    const [small, large] = toy.cases as [(typeof toy.cases)[0], (typeof toy.cases)[0]];
    expect(large.baselines.small).toBeCloseTo(large.median / small.median, 10);
    expect(small.mbPerSec).toBeCloseTo((16 / small.median) * 1e3, 6);
    expect(small.modeledNs?.sgx).toBeCloseTo(cyclesToNs('sgx', 8600), 6);
    expect(small.params).toEqual({ size: 16, backend: 'sgx' });
    expect(large.target?.actual).toBeCloseTo(large.median / small.median, 10);
    expect(large.target?.met).toBe(large.target!.actual <= 1000);

    // The JSON round-trips through the schema check the report and compare use.
    const back = parseBenchRun(JSON.parse(JSON.stringify(run)), 'run.json');
    expect(back.suites[1]!.cases.length).toBe(2);
  });

  it('records a failing suite and still runs the others', async () => {
    const run = await runBench({ quick: true, suitesDir: fixtures });
    const broken = run.suites.find((s) => s.name === 'broken')!;
    expect(broken.error).toMatch(/no such enclave/);
    expect(run.suites.find((s) => s.name === 'toy')!.cases.length).toBe(2);
  });

  it('rejects an unknown suite name with the list of available ones', async () => {
    const err = await runBench({ quick: true, suites: ['nope'], suitesDir: fixtures }).catch((e: unknown) => e);
    expect(isEmonError(err, 'E_BENCH_SUITE')).toBe(true);
    expect((err as Error).message).toContain('"nope"');
    expect((err as { hint: string }).hint).toContain('toy');
  });

  it('takes at least the minimum number of samples of a slow op, each a whole batch', () => {
    let calls = 0;
    const slow = { name: 'slow', run: (n: number) => { calls += n; const until = performance.now() + 0.5 * n; while (performance.now() < until); } };
    const m = sampleCase(slow, { ...QUICK, sampleMs: 1, maxCaseMs: 2, warmupMs: 0 });
    expect(m.iterations).toBeGreaterThanOrEqual(1);
    expect(m.samples.length).toBe(QUICK.minSamples);
    expect(m.samples.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
    // Calibration and warm-up calls come on top of the measured batches.
    expect(calls).toBeGreaterThan(m.iterations * m.samples.length);
  });
});

describe('result schema', () => {
  it('names the file and the problem for malformed results', () => {
    for (const bad of [null, [], { schema: 'other' }, { schema: RESULT_SCHEMA, environment: {}, floor: { name: 'x' }, suites: [] }]) {
      let err: unknown;
      try {
        parseBenchRun(bad, 'bad.json');
      } catch (e) {
        err = e;
      }
      expect(isEmonError(err, 'E_BENCH_RESULT')).toBe(true);
      expect((err as Error).message).toContain('bad.json');
    }
  });
});
