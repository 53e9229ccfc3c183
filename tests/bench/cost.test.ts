/**
 * The cost model (runtime/hw/cost): every figure has a clock and a cited source, conversions follow the table,
 * and --emulate-cost's spin never returns before the modeled time has passed (a guarantee of the spin loop, not
 * a speed claim: it may take longer on a busy machine).
 */
import { describe, expect, it } from 'vitest';
import { clockGhz, costTable, cyclesToNs, modeledCycles, modeledNs, type Backend, type CostEvent } from '../../runtime/hw/cost/model.js';
import { emulateCost, spinFor } from '../../runtime/hw/cost/emulate.js';

const backends: Backend[] = ['sgx', 'tz'];

describe('cost table', () => {
  it('gives every figure positive cycles, the clock it assumes and a source naming a publication', () => {
    let n = 0;
    for (const b of backends) {
      for (const [event, e] of Object.entries(costTable[b])) {
        expect(e!.cycles, `${b}.${event}`).toBeGreaterThan(0);
        expect(e!.ghz).toBe(clockGhz(b));
        expect(e!.source.length, `${b}.${event} source`).toBeGreaterThan(10);
        n++;
      }
    }
    // ECALL, OCALL, AEX, EPC fault and its two halves, SMC, TA invoke, hypercall: the events the issue names.
    for (const ev of ['ecall', 'ocall', 'aex', 'epc_fault', 'ewb', 'eldu', 'hypercall'] as CostEvent[]) expect(modeledCycles('sgx', ev)).toBeDefined();
    for (const ev of ['smc', 'ta_invoke', 'ecall', 'ocall'] as CostEvent[]) expect(modeledCycles('tz', ev)).toBeDefined();
    expect(n).toBeGreaterThanOrEqual(12);
  });

  it('converts cycles to time at the table clock', () => {
    expect(cyclesToNs('sgx', 3000)).toBeCloseTo(3000 / clockGhz('sgx'), 9);
    expect(modeledNs('sgx', 'ecall')).toBeCloseTo(costTable.sgx.ecall!.cycles / costTable.sgx.ecall!.ghz, 9);
    expect(modeledNs('tz', 'epc_fault')).toBe(0);
    // A page swap is the sum of its halves in the model.
    expect(modeledCycles('sgx', 'ewb')! + modeledCycles('sgx', 'eldu')!).toBe(modeledCycles('sgx', 'epc_fault'));
  });
});

describe('--emulate-cost spin', () => {
  it('does not return before the modeled time has passed', () => {
    for (const [b, ev] of [['sgx', 'epc_fault'], ['tz', 'ta_invoke']] as const) {
      const t0 = performance.now();
      emulateCost(b, ev, 3);
      expect(performance.now() - t0).toBeGreaterThanOrEqual((3 * modeledNs(b, ev)) / 1e6);
    }
  });

  it('treats zero, negative and NaN durations as nothing to wait for', () => {
    expect(() => spinFor(0)).not.toThrow();
    expect(() => spinFor(-1)).not.toThrow();
    expect(() => spinFor(Number.NaN)).not.toThrow();
  });
});
