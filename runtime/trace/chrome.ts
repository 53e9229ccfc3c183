/**
 * Export of the transition log (./sink.ts) as Chrome trace event JSON, the format chrome://tracing and
 * ui.perfetto.dev open ("Trace Event Format", Google, the JSON Object Format with a `traceEvents` array):
 * one process per guest, one thread (track) for the guest itself and one per enclave it talks to; each
 * transition is a complete ('X') event with ts/dur in microseconds, EPC faults are thread-scoped instants ('i'),
 * and metadata ('M') events name the processes and threads.
 */
import type { TraceEvent } from './sink.js';

export interface ChromeTraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'M';
  /** Microseconds since the first event. */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't' | 'p' | 'g';
  args?: Record<string, string | number | boolean>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ns' | 'ms';
  otherData?: Record<string, string>;
}

/** Kinds shown as instants rather than slices, whatever their duration. */
const INSTANT_KINDS = new Set(['epc_fault']);

/** Round to nanosecond precision in µs, so the JSON stays short. */
function us(ms: number): number {
  return Math.round(ms * 1e6) / 1e3;
}

/**
 * Convert recorded events to a Chrome trace. Tracks are `guest` or `guest/enclave`; a guest is a process and
 * each of its tracks a thread, so Perfetto shows one row per guest and per enclave.
 */
export function toChromeTrace(events: readonly TraceEvent[], otherData?: Record<string, string>): ChromeTrace {
  const pids = new Map<string, number>();
  const tids = new Map<string, { pid: number; tid: number }>();
  const meta: ChromeTraceEvent[] = [];
  let t0 = Number.POSITIVE_INFINITY;
  for (const e of events) if (e.start < t0) t0 = e.start;
  if (!Number.isFinite(t0)) t0 = 0;

  function trackOf(track: string): { pid: number; tid: number } {
    const known = tids.get(track);
    if (known) return known;
    const slash = track.indexOf('/');
    const guest = slash < 0 ? track : track.slice(0, slash);
    let pid = pids.get(guest);
    if (pid === undefined) {
      pid = pids.size + 1;
      pids.set(guest, pid);
      meta.push({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid: 0, args: { name: `guest ${guest}` } });
    }
    // The guest's own track is thread 1 of its process; enclaves follow in order of first appearance.
    const tid = slash < 0 ? 1 : 2 + [...tids.keys()].filter((k) => k.startsWith(`${guest}/`)).length;
    const id = { pid, tid };
    tids.set(track, id);
    const label = slash < 0 ? `${guest} (guest)` : `${track.slice(slash + 1)} (enclave)`;
    meta.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid, args: { name: label } });
    meta.push({ name: 'thread_sort_index', cat: '__metadata', ph: 'M', ts: 0, pid, tid, args: { sort_index: tid } });
    return id;
  }

  const out: ChromeTraceEvent[] = [];
  for (const e of events) {
    const { pid, tid } = trackOf(e.track);
    const args: Record<string, string | number | boolean> = { ...(e.args ?? {}) };
    if (e.bytes !== undefined) args.bytes = e.bytes;
    const base = { name: e.name, cat: e.kind, ts: us(e.start - t0), pid, tid, ...(Object.keys(args).length ? { args } : {}) };
    if (INSTANT_KINDS.has(e.kind)) out.push({ ...base, ph: 'i', s: 't' });
    else out.push({ ...base, ph: 'X', dur: us(e.dur) });
  }
  // Viewers want slices in start order; a nested call is recorded when it ends, so sort.
  out.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  return { traceEvents: [...meta, ...out], displayTimeUnit: 'ns', ...(otherData ? { otherData } : {}) };
}
