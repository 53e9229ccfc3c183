/**
 * An sgx-perf-style summary of a transition trace (Weichbrodt, Aublin, Kapitza, "sgx-perf: A Performance
 * Analysis Tool for Intel SGX Enclaves", Middleware 2018, §4-5): calls, time and bytes per interface function,
 * the modeled cost of those transitions on SGX and TrustZone hardware (../hw/cost), and hints saying which rule
 * fired. The rules follow sgx-perf's analyses and the HotCalls study (Weisse et al., ISCA 2017): calls whose
 * body is shorter than the transition they pay for should be batched or made switchless; large copies through
 * the gate argue for `user_check` with a checked shared buffer; many EPC faults mean the working set exceeds
 * the EPC.
 */
import { modeledCycles, modeledNs, type CostEvent } from '../hw/cost/model.js';
import type { TraceEvent, TraceKind } from './sink.js';

export interface FunctionStats {
  readonly kind: TraceKind;
  readonly name: string;
  /** Tracks (guest or guest/enclave) the calls came from. */
  readonly tracks: readonly string[];
  readonly calls: number;
  /** Total and mean duration, ns. */
  readonly totalNs: number;
  readonly meanNs: number;
  readonly maxNs: number;
  readonly bytes: number;
  readonly meanBytes: number;
  /** Modeled transition cost of all these calls on real hardware (cycles), when the event kind has one. */
  readonly modeledSgxCycles?: number;
  readonly modeledTzCycles?: number;
  /** For calls made inside another traced call on the same track (an OCALL inside an ECALL): parent -> count. */
  readonly calledFrom?: Readonly<Record<string, number>>;
}

export interface Hint {
  /** The rule that fired. */
  readonly rule: 'chatty-call' | 'large-copy' | 'epc-faults';
  readonly kind: TraceKind;
  readonly name: string;
  readonly message: string;
}

export interface TraceSummary {
  readonly events: number;
  /** Wall time from the first event's start to the last event's end, ns. */
  readonly spanNs: number;
  readonly functions: readonly FunctionStats[];
  readonly hints: readonly Hint[];
}

/** The cost-table event each trace kind pays on each backend. */
const COST: Partial<Record<TraceKind, { sgx: CostEvent; tz: CostEvent }>> = {
  ecall: { sgx: 'ecall', tz: 'ta_invoke' },
  ta_invoke: { sgx: 'ecall', tz: 'ta_invoke' },
  ocall: { sgx: 'ocall', tz: 'ocall' },
  smc: { sgx: 'ecall', tz: 'smc' },
  hypercall: { sgx: 'hypercall', tz: 'hypercall' },
  epc_fault: { sgx: 'epc_fault', tz: 'epc_fault' },
};

/** Rule thresholds, exported so the docs and tests quote the same numbers. */
export const RULES = {
  /** A call is chatty when it is this frequent and its mean body is shorter than the SGX transition it pays for. */
  chattyMinCalls: 1_000,
  /** Mean bytes copied through the gate per call that make the user_check rule fire. */
  largeCopyBytes: 16 * 1024,
  /** Hypercalls moving fewer bytes than this per call, this often, should be buffered by the guest. */
  smallWriteBytes: 256,
  /** Faults that make the working-set rule fire. */
  epcFaults: 100,
} as const;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function ns(v: number): string {
  if (v < 1_000) return `${Math.round(v)} ns`;
  if (v < 1_000_000) return `${(v / 1e3).toFixed(1)} µs`;
  return `${(v / 1e6).toFixed(1)} ms`;
}

function kib(b: number): string {
  return b >= 1024 ? `${+(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`;
}

/** Timestamps in a Chrome trace are rounded to the nanosecond; nesting tolerates that much (in ms). */
const NESTING_SLACK_MS = 2e-6;

/**
 * For each event, the innermost traced call on the same track that encloses it in time (an OCALL's ECALL), the
 * way sgx-perf reconstructs call nesting from its event log. Events are visited in start order with one stack
 * of open calls per track.
 */
function parents(events: readonly TraceEvent[]): Map<TraceEvent, TraceEvent> {
  const out = new Map<TraceEvent, TraceEvent>();
  const order = [...events].sort((a, b) => a.start - b.start || b.dur - a.dur);
  const stacks = new Map<string, TraceEvent[]>();
  for (const e of order) {
    let stack = stacks.get(e.track);
    if (!stack) stacks.set(e.track, (stack = []));
    // Pop calls that ended before this event ends; an instant (a fault) at the very end of a call is not inside it.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const end = top.start + top.dur;
      if (end + NESTING_SLACK_MS < e.start + e.dur || (e.dur === 0 && end <= e.start + NESTING_SLACK_MS)) stack.pop();
      else break;
    }
    const top = stack[stack.length - 1];
    if (top) out.set(e, top);
    if (e.dur > 0) stack.push(e);
  }
  return out;
}

export function summarize(events: readonly TraceEvent[]): TraceSummary {
  const parentOf = parents(events);
  const groups = new Map<
    string,
    { kind: TraceKind; name: string; tracks: Set<string>; calls: number; total: number; max: number; bytes: number; dirs: Set<string>; from: Map<string, number> }
  >();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.kind === 'guest' || e.kind === 'enclave') continue;
    first = Math.min(first, e.start);
    last = Math.max(last, e.start + e.dur);
    const key = `${e.kind}\u0000${e.name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind: e.kind, name: e.name, tracks: new Set(), calls: 0, total: 0, max: 0, bytes: 0, dirs: new Set(), from: new Map() }));
    const parent = parentOf.get(e);
    if (parent) g.from.set(parent.name, (g.from.get(parent.name) ?? 0) + 1);
    g.tracks.add(e.track);
    g.calls++;
    const d = e.dur * 1e6;
    g.total += d;
    if (d > g.max) g.max = d;
    g.bytes += e.bytes ?? 0;
    const dir = e.args?.direction;
    if (typeof dir === 'string') g.dirs.add(dir);
  }
  const functions: FunctionStats[] = [];
  const hints: Hint[] = [];
  for (const g of groups.values()) {
    const cost = COST[g.kind];
    const sgx = cost ? modeledCycles('sgx', cost.sgx) : undefined;
    const tz = cost ? modeledCycles('tz', cost.tz) : undefined;
    const meanNs = g.total / g.calls;
    const meanBytes = g.bytes / g.calls;
    functions.push({
      kind: g.kind,
      name: g.name,
      tracks: [...g.tracks].sort(),
      calls: g.calls,
      totalNs: g.total,
      meanNs,
      maxNs: g.max,
      bytes: g.bytes,
      meanBytes,
      ...(sgx !== undefined ? { modeledSgxCycles: sgx * g.calls } : {}),
      ...(tz !== undefined ? { modeledTzCycles: tz * g.calls } : {}),
      ...(g.from.size > 0 ? { calledFrom: Object.fromEntries([...g.from].sort((a, b) => b[1] - a[1])) } : {}),
    });
    const label = g.kind === 'ocall' ? 'OCALL' : g.kind === 'ecall' ? 'ECALL' : g.kind === 'ta_invoke' ? 'TA command' : g.kind;
    const transitionNs = cost ? modeledNs('sgx', cost.sgx) : 0;
    if ((g.kind === 'ocall' || g.kind === 'ecall' || g.kind === 'ta_invoke') && g.calls >= RULES.chattyMinCalls && meanNs < transitionNs) {
      const fix = g.kind === 'ocall' ? 'batch it or make it switchless' : 'batch the work into fewer ECALLs or make it switchless';
      const top = [...g.from].sort((a, b) => b[1] - a[1])[0];
      const inside = top ? ` (${plural(top[1], 'call')} from inside ${top[0]})` : '';
      hints.push({
        rule: 'chatty-call',
        kind: g.kind,
        name: g.name,
        message: `${label} ${g.name}: ${plural(g.calls, 'call')}${inside} averaging ${ns(meanNs)} body, less than the ${ns(transitionNs)} an SGX ${g.kind === 'ocall' ? 'OCALL' : 'ECALL'} transition costs — ${fix}`,
      });
    }
    if (g.kind === 'hypercall' && g.calls >= RULES.chattyMinCalls && g.bytes > 0 && meanBytes < RULES.smallWriteBytes) {
      hints.push({
        rule: 'chatty-call',
        kind: g.kind,
        name: g.name,
        message: `hypercall ${g.name}: ${plural(g.calls, 'call')} moving ${kib(meanBytes)} each — buffer in the guest and issue fewer, larger calls (each exit costs ≈${ns(modeledNs('sgx', 'hypercall'))} on hvt)`,
      });
    }
    if ((g.kind === 'ocall' || g.kind === 'ecall' || g.kind === 'ta_invoke') && meanBytes >= RULES.largeCopyBytes) {
      const dirs = g.dirs.size > 0 ? ` [${[...g.dirs].sort().join(', ')}]` : '';
      hints.push({
        rule: 'large-copy',
        kind: g.kind,
        name: g.name,
        message: `${label} ${g.name} copies ${kib(meanBytes)}${dirs} per call (${plural(g.calls, 'call')}): consider user_check with a checked shared buffer instead of copying through the gate`,
      });
    }
  }
  const faults = functions.filter((f) => f.kind === 'epc_fault').reduce((n, f) => n + f.calls, 0);
  if (faults >= RULES.epcFaults) {
    const tracks = [...new Set(functions.filter((f) => f.kind === 'epc_fault').flatMap((f) => f.tracks))];
    hints.push({
      rule: 'epc-faults',
      kind: 'epc_fault',
      name: 'fault',
      message: `${plural(faults, 'EPC fault')} in ${tracks.join(', ')} (≈${ns(faults * modeledNs('sgx', 'epc_fault'))} modeled on SGX): the enclave's working set exceeds its EPC share — shrink or reorder its working set, or raise the EPC budget`,
    });
  }
  functions.sort((a, b) => b.totalNs - a.totalNs);
  return { events: events.length, spanNs: Number.isFinite(first) ? (last - first) * 1e6 : 0, functions, hints };
}

/** The summary as a terminal table plus hints. */
export function formatSummary(s: TraceSummary): string {
  const head = ['kind', 'function', 'calls', 'total', 'mean', 'max', 'bytes/call', 'model SGX (cyc)', 'model TZ (cyc)', 'inside'];
  const rows = s.functions.map((f) => [
    f.kind,
    f.name,
    f.calls.toLocaleString('en-US'),
    ns(f.totalNs),
    ns(f.meanNs),
    ns(f.maxNs),
    f.bytes > 0 ? kib(f.meanBytes) : '',
    f.modeledSgxCycles !== undefined ? f.modeledSgxCycles.toLocaleString('en-US') : '',
    f.modeledTzCycles !== undefined ? f.modeledTzCycles.toLocaleString('en-US') : '',
    Object.entries(f.calledFrom ?? {})
      .slice(0, 2)
      .map(([p, n]) => `${p} (${n.toLocaleString('en-US')})`)
      .join(', '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [`${plural(s.events, 'event')} over ${ns(s.spanNs)}`, line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (s.hints.length > 0) {
    out.push('', 'hints:');
    for (const h of s.hints) out.push(`  [${h.rule}] ${h.message}`);
  } else {
    out.push('', 'hints: none (no rule fired)');
  }
  return out.join('\n');
}
