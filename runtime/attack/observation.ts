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
  | { readonly t: number; readonly kind: 'cache'; readonly sets: readonly number[] };

/** What one stretch of enclave execution between two transitions showed the monitor. */
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
  readonly end: 'ocall' | 'eexit';
  /** Size of the OCALL that ended it (bytes), 0 for an ECALL exit. */
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
        case 'eexit':
          if (start >= 0) out.push({ faults, accessed, dirty, sets, ms: e.t - start, end: e.kind, size: e.kind === 'ocall' ? e.size : 0 });
          start = e.kind === 'ocall' ? e.t : -1;
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
    const c = { ecall: 0, eexit: 0, ocall: 0, fault: 0, ad: 0, cache: 0 };
    for (const e of this.events) c[e.kind]++;
    return c;
  }
}
