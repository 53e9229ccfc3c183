/**
 * The transition event log (DESIGN.md §7): every hypercall, ECALL, OCALL, TA invoke, SMC and EPC fault can be
 * recorded here. Producers hold a `TraceSink | null` and test it before building an event, so tracing costs one
 * null check when off. Timestamps are `performance.now()` milliseconds (fractional), taken by the producer.
 */
export type TraceKind = 'hypercall' | 'ecall' | 'ocall' | 'smc' | 'ta_invoke' | 'epc_fault' | 'guest' | 'enclave';

export interface TraceEvent {
  kind: TraceKind;
  /** What was called: hypercall name, EDL function name, `fault`, ... */
  name: string;
  /** The track the event belongs to: a guest name, or `guest/enclave` for an enclave. */
  track: string;
  /** Start, performance.now() ms. */
  start: number;
  /** Duration in ms (0 for an instant such as a fault notification). */
  dur: number;
  /** Bytes moved across the boundary, when the call moves any. */
  bytes?: number;
  args?: Record<string, string | number | boolean>;
}

export interface TraceSink {
  record(event: TraceEvent): void;
}

/** Collects events in memory (one per worker; the worker posts them to the main thread at exit). */
export class MemoryTraceSink implements TraceSink {
  readonly events: TraceEvent[] = [];
  record(event: TraceEvent): void {
    this.events.push(event);
  }
}
