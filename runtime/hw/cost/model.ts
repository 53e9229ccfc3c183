/**
 * Modeled hardware costs of enclave transitions (DESIGN.md §5, "Cost model"): one table of cycles per event and
 * backend, each figure with its published source. Benchmarks print these beside measured times; `--emulate-cost`
 * spins for the modeled time at each event (./emulate.ts).
 *
 * These are models, not measurements of this machine. Published figures vary with CPU generation, microcode
 * (post-Foreshadow/SGX-LVI microcode made transitions markedly slower), cache state and SDK version, so each
 * entry says how exact it is: `approximate: true` marks an order-of-magnitude figure chosen from a published
 * range rather than read from one table cell.
 */
export type Backend = 'sgx' | 'tz';
export type CostEvent = 'ecall' | 'ocall' | 'aex' | 'epc_fault' | 'ewb' | 'eldu' | 'smc' | 'ta_invoke' | 'hypercall';

export interface CostEntry {
  readonly cycles: number;
  /** Clock the cycles assume, in GHz, to turn cycles into time. */
  readonly ghz: number;
  /** Where the figure comes from (paper, section/table). */
  readonly source: string;
  /** True when the figure is a rounded value from a published range, not a single reported number. */
  readonly approximate?: boolean;
}

/**
 * SGX figures assume a 3.0 GHz desktop Skylake-class core (the papers below report cycles; 3.0 GHz is our
 * assumption to turn them into time). TrustZone figures assume a 1.2 GHz Cortex-A53 (Raspberry Pi 3 class),
 * the hardware class of the OP-TEE measurements cited.
 */
const SGX_GHZ = 3.0;
const TZ_GHZ = 1.2;

export const costTable: Readonly<Record<Backend, Partial<Record<CostEvent, CostEntry>>>> = {
  sgx: {
    // Weisse, Bertacco, Austin, "Regaining Lost Cycles with HotCalls", ISCA 2017: the SDK's ECALL/OCALL
    // primitives "add between 8,200 - 17,000 cycles overhead" (abstract; §3 breaks this down by warm/cold cache).
    // ECALL is modeled near the warm end of that range, OCALL at its low end.
    ecall: { cycles: 8_600, ghz: SGX_GHZ, source: 'Weisse et al., HotCalls, ISCA 2017 (SDK ECALL, warm cache; range 8,200-17,000 cycles)', approximate: true },
    ocall: { cycles: 8_200, ghz: SGX_GHZ, source: 'Weisse et al., HotCalls, ISCA 2017 (SDK OCALL, low end of 8,200-17,000 cycles)', approximate: true },
    // AEX + ERESUME (Intel SDM Vol. 3D ch. 40): the exit saves state to the SSA and flushes cached translations
    // like EEXIT, ERESUME re-enters like EENTER. We found no single published figure isolating the pair, so it is
    // modeled as one synchronous exit/entry round trip, i.e. an ECALL's order of magnitude.
    aex: { cycles: 8_000, ghz: SGX_GHZ, source: 'Intel SDM Vol. 3D ch. 40 (AEX/ERESUME); modeled as an EEXIT+EENTER pair, order of magnitude of HotCalls ECALL', approximate: true },
    // One EPC page swap (evict a victim with EWB, reload the faulting page with ELDU, plus the OS fault path):
    // "A page swap is expensive (about 40K cycles)": Taassori, Shafiee, Balasubramonian, "VAULT: Reducing Paging
    // Overheads in SGX with Efficient Integrity Verification Structures", ASPLOS 2018 (abstract). Eleos
    // (Orenbach et al., EuroSys 2017) attributes most of the paging slowdown to these thousands-of-cycles
    // instructions plus the enclave exit each fault causes.
    epc_fault: { cycles: 40_000, ghz: SGX_GHZ, source: 'Taassori et al., VAULT, ASPLOS 2018 ("about 40K cycles" per page swap)', approximate: true },
    // The two halves of a swap. Only the whole swap is published; each half is modeled as half of it.
    ewb: { cycles: 20_000, ghz: SGX_GHZ, source: 'half of the VAULT (ASPLOS 2018) per-swap figure; EWB share not published separately', approximate: true },
    eldu: { cycles: 20_000, ghz: SGX_GHZ, source: 'half of the VAULT (ASPLOS 2018) per-swap figure; ELDU share not published separately', approximate: true },
    // Solo5 hvt: a hypercall is an I/O-port write that exits the guest to KVM and on to the tender process
    // (Williams & Koller, "Unikernel Monitors: Extending Minimalism Outside of the Box", HotCloud 2016). A KVM
    // exit that returns to user space costs on the order of a microsecond or more on recent Intel cores; modeled
    // as ≈4,000 cycles. Order of magnitude only.
    hypercall: { cycles: 4_000, ghz: SGX_GHZ, source: 'Williams & Koller, HotCloud 2016 (hvt exit to the user-space tender); order-of-magnitude KVM user-space exit', approximate: true },
  },
  tz: {
    // SMC world switch normal -> secure -> normal through OP-TEE: Amacher & Schiavoni, "On the Performance of ARM
    // TrustZone", DAIS 2019, measure the cost of switching worlds with OP-TEE on a Raspberry Pi 3 (Cortex-A53).
    // Their results put a switch in the microseconds; ≈3 µs is modeled. Order of magnitude only: for a specific
    // board, OP-TEE's benchmark framework (optee_docs, "Benchmark framework", debug/benchmark.rst) measures the
    // client -> driver -> OP-TEE core round trip layer by layer.
    smc: { cycles: 3_600, ghz: TZ_GHZ, source: 'Amacher & Schiavoni, On the Performance of ARM TrustZone, DAIS 2019 (OP-TEE world switch, RPi 3)', approximate: true },
    // Invoking a TA command goes through the TEE client library, the tee driver, an SMC and the TA dispatcher;
    // modeled as ≈20 µs (same study, TEEC_InvokeCommand path). Order of magnitude only.
    ta_invoke: { cycles: 24_000, ghz: TZ_GHZ, source: 'Amacher & Schiavoni, DAIS 2019 (TA command invocation through OP-TEE)', approximate: true },
    // On the TrustZone backend an ECALL is a TA command and an OCALL an OP-TEE RPC (one switch each way).
    ecall: { cycles: 24_000, ghz: TZ_GHZ, source: 'as ta_invoke (an ECALL maps to a TA command)', approximate: true },
    ocall: { cycles: 3_600, ghz: TZ_GHZ, source: 'as smc (an OCALL maps to an OP-TEE RPC, one world switch each way)', approximate: true },
    hypercall: { cycles: 1_600, ghz: TZ_GHZ, source: 'the sgx.hypercall figure in time (≈1.3 µs), at the TZ clock', approximate: true },
  },
};

/** Modeled cycles of one event, or undefined when the table has no figure for it. */
export function modeledCycles(backend: Backend, event: CostEvent): number | undefined {
  return costTable[backend][event]?.cycles;
}

/** The clock (GHz) the backend's figures assume. */
export function clockGhz(backend: Backend): number {
  return backend === 'sgx' ? SGX_GHZ : TZ_GHZ;
}

/** Cycles at the backend's assumed clock, as nanoseconds. */
export function cyclesToNs(backend: Backend, cycles: number): number {
  return cycles / clockGhz(backend);
}

/** Modeled time of one event in ns (0 when the table has no figure for it). */
export function modeledNs(backend: Backend, event: CostEvent): number {
  const e = costTable[backend][event];
  return e ? e.cycles / e.ghz : 0;
}
