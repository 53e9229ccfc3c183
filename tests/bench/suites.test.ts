/**
 * Every suite in bench/suites runs in --quick mode and produces well-formed results: finite positive medians,
 * ratios to the floor and baselines, modeled times where cycles are given, and the JSON schema. Benchmarks are
 * not tests, so nothing here asserts a time; a suite that cannot set up (e.g. an unbuilt enclave) fails here.
 */
import { describe, expect, it } from 'vitest';
import { discoverSuites, runBench } from '../../bench/runner.js';
import { parseBenchRun } from '../../bench/result.js';
import { cyclesToNs } from '../../runtime/hw/cost/model.js';

const suites = [...(await discoverSuites()).keys()];

describe('benchmark suites in --quick mode', () => {
  it('finds the suites in bench/suites', () => {
    expect(suites).toContain('tracing');
  });

  for (const name of suites) {
    it(`${name}: runs and produces well-formed results`, async () => {
      const run = await runBench({ quick: true, suites: [name] });
      parseBenchRun(JSON.parse(JSON.stringify(run)), `${name}.json`);
      const suite = run.suites.find((s) => s.name === name)!;
      expect(suite.error).toBeUndefined();
      expect(suite.cases.length).toBeGreaterThan(0);
      const names = new Set(suite.cases.map((c) => c.name));
      expect(names.size).toBe(suite.cases.length);
      for (const c of suite.cases) {
        expect(Number.isFinite(c.median) && c.median > 0, `${name}/${c.name} median`).toBe(true);
        expect(Number.isFinite(c.ratioToFloor), `${name}/${c.name} ratio`).toBe(true);
        for (const r of Object.values(c.baselines)) expect(Number.isFinite(r) && r > 0).toBe(true);
        if (c.modeledCycles?.sgx !== undefined) expect(c.modeledNs?.sgx).toBeCloseTo(cyclesToNs('sgx', c.modeledCycles.sgx), 6);
        if (c.modeledCycles?.tz !== undefined) expect(c.modeledNs?.tz).toBeCloseTo(cyclesToNs('tz', c.modeledCycles.tz), 6);
        if (c.bytes !== undefined) expect(c.mbPerSec).toBeGreaterThan(0);
      }
    }, 90_000);
  }
});
