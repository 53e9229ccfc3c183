/**
 * Modeled hardware costs of enclave transitions (DESIGN.md §5, "Cost model"): one table of cycles per event and
 * backend, each figure with its published source. Benchmarks print these beside measured times; `--emulate-cost`
 * spins for the modeled time at each event. The figures below are filled in and cited by the cost-model work.
 */
export type Backend = 'sgx' | 'tz';
export type CostEvent = 'ecall' | 'ocall' | 'aex' | 'epc_fault' | 'ewb' | 'eldu' | 'smc' | 'ta_invoke' | 'hypercall';

export interface CostEntry {
  readonly cycles: number;
  /** Clock the cycles assume, in GHz, to turn cycles into time. */
  readonly ghz: number;
  /** Where the figure comes from (paper, section/table). */
  readonly source: string;
}

export const costTable: Readonly<Record<Backend, Partial<Record<CostEvent, CostEntry>>>> = { sgx: {}, tz: {} };

/** Modeled cycles of one event, or undefined when the table has no figure for it. */
export function modeledCycles(backend: Backend, event: CostEvent): number | undefined {
  return costTable[backend][event]?.cycles;
}
