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
  /**
   * Optional: called as a traced ECALL enters the enclave, before it runs (its event is recorded at its exit);
   * returns the entry time, performance.now() ms. Writes nothing to the trace: the observing monitor of
   * `emon attack observe --run` samples the A/D bits of the enclave's pages here.
   */
  enter?(name: string, track: string): number;
}

/** Events one sink keeps by default: about 0.5-1 GiB of heap at the most, so a guest looping forever under
 * `--trace` cannot take the monitor's memory with it. */
export const DEFAULT_TRACE_LIMIT = 2_000_000;

/**
 * Collects events in memory (one per worker; the worker posts them to the main thread at exit). Past `limit`
 * events it keeps the first ones and counts the rest in `dropped`, so the trace says it was cut short.
 */
export class MemoryTraceSink implements TraceSink {
  readonly events: TraceEvent[] = [];
  dropped = 0;
  constructor(readonly limit: number = DEFAULT_TRACE_LIMIT) {}
  record(event: TraceEvent): void {
    if (this.events.length < this.limit) this.events.push(event);
    else this.dropped++;
  }
}
