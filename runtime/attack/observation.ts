/**
 * What an untrusted monitor observes of one enclave during one ECALL (issue 18; the channels of Xu et al., IEEE
 * S&P 2015 and Van Bulck et al., USENIX Security 2017): transitions (ECALL in, OCALLs with their kind and size,
 * ECALL out) with their times, EPC faults with page numbers, and A/D bit samples taken at transitions. Events
 * are kept in order; `segments` cuts them at transitions, the unit every recovery works on.
 */
export type ObservedEvent =
  | { readonly t: number; readonly kind: 'ecall'; readonly name: string; readonly size: number }
  | { readonly t: number; readonly kind: 'eexit'; readonly ret: number }
  | { readonly t: number; readonly kind: 'ocall'; readonly id: number; readonly size: number }
  | { readonly t: number; readonly kind: 'fault'; readonly page: number; readonly write: boolean }
  | { readonly t: number; readonly kind: 'ad'; readonly accessed: readonly number[]; readonly dirty: readonly number[] }
  | { readonly t: number; readonly kind: 'cache'; readonly sets: readonly number[] }
  /** A world switch of TrustZone that is not a TA command or an RPC (open/close session, ...), or, against a TA
   *  victim, the return of each command: the normal world issues every SMC, so it sees each one. */
  | { readonly t: number; readonly kind: 'smc'; readonly name: string; readonly size: number };

/** What one stretch of enclave execution between two transitions showed the monitor (for a TA, between two
 *  SMCs: the first SMC seen starts the first stretch). */
export interface Segment {
  /** Pages that faulted in the segment, in order. */
  readonly faults: readonly number[];
  /** Pages whose accessed / dirty bit was set when the monitor sampled at the segment's end (if it did). */
  readonly accessed: readonly number[];
  readonly dirty: readonly number[];
  /** Cache sets the monitor found used by the enclave when it probed at the segment's end (if it did). */
  readonly sets: readonly number[];
  /** Time from the transition that began the segment to the one that ended it, ms. */
  readonly ms: number;
  /** The transition that ended it. */
  readonly end: 'ocall' | 'eexit' | 'smc';
  /** Size of the OCALL or SMC that ended it (bytes), 0 for an ECALL exit. */
  readonly size: number;
}

export class Observation {
  readonly events: ObservedEvent[] = [];
  private readonly t0 = performance.now();

  /** Milliseconds since this observation began. */
  now(): number {
    return performance.now() - this.t0;
  }

  push(e: ObservedEvent): void {
    this.events.push(e);
  }

  /** The segments between consecutive transitions; an A/D sample at a transition belongs to the segment it ends. */
  segments(): Segment[] {
    const out: Segment[] = [];
    let start = -1;
    let faults: number[] = [];
    let accessed: readonly number[] = [];
    let dirty: readonly number[] = [];
    let sets: readonly number[] = [];
    for (const e of this.events) {
      switch (e.kind) {
        case 'ecall':
          start = e.t;
          faults = [];
          accessed = [];
          dirty = [];
          sets = [];
          break;
        case 'fault':
          faults.push(e.page);
          break;
        case 'ad':
          accessed = e.accessed;
          dirty = e.dirty;
          break;
        case 'cache':
          sets = e.sets;
          break;
        case 'ocall':
        case 'smc':
        case 'eexit':
          if (start >= 0) out.push({ faults, accessed, dirty, sets, ms: e.t - start, end: e.kind, size: e.kind === 'eexit' ? 0 : e.size });
          start = e.kind === 'eexit' ? -1 : e.t;
          faults = [];
          accessed = [];
          dirty = [];
          sets = [];
          break;
      }
    }
    return out;
  }

  counts(): Record<ObservedEvent['kind'], number> {
    const c = { ecall: 0, eexit: 0, ocall: 0, fault: 0, ad: 0, cache: 0, smc: 0 };
    for (const e of this.events) c[e.kind]++;
    return c;
  }
}
