/**
 * An opt-in trusted paging-event counter for enclaves (issue 18), a simulation choice: hw counts the faults an
 * enclave took and the page walks that found an accessed bit cleared by the OS (pte.ts), and an enclave that
 * imports `emon_hw.paging_events` may read the count at any time. Real SGX gives an enclave no such counter;
 * defences approximate it: T-SGX (Shih et al., NDSS 2017) runs code in TSX transactions that abort on a fault,
 * Varys (Oleksenko et al., USENIX ATC 2018) checks the SSA for an exit marker, Deja Vu (Chen et al., AsiaCCS
 * 2017) times execution against a trusted reference clock. Modelling the outcome of such a defence as one
 * counter lets an enclave notice an abnormal fault or walk rate and stop before its secret leaks.
 */
import type { EnclaveSpace } from './space.js';

export const HW_COUNTER_IMPORT = 'emon_hw';

/** The `emon_hw` import module for an enclave that asked for it (imports it); `{}` otherwise. */
export function pagingCounterImports(space: EnclaveSpace, module: WebAssembly.Module): WebAssembly.Imports {
  const wants = WebAssembly.Module.imports(module).some((i) => i.module === HW_COUNTER_IMPORT && i.name === 'paging_events');
  if (!wants) return {};
  return { [HW_COUNTER_IMPORT]: { paging_events: (): number => (space.faults + space.pte.walks) >>> 0 } };
}
