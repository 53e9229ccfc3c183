/**
 * What the host saw in one real run (issue 18, point 1): reads the trace `emon run --trace=FILE` writes and
 * rebuilds, per enclave, the observations an untrusted monitor has without any help from the enclave: ECALL and
 * OCALL sequences with their sizes and times, EPC faults with page numbers, and the sizes of what the guest
 * stores or sends (block and network writes, which is where sealed blobs go) beside the sizes of the ECALLs that
 * produce them. A/D bits need the monitor to act at each transition, which `emon run` never does (an attack is
 * not a flag of the production path); the samples `run-observed.ts` takes are merged in when given.
 *
 * On TrustZone (`--backend=tz`) the normal world issues every SMC, so it sees the same of each TA: TA commands
 * (`ta_invoke`, the ECALLs of an EDL enclave run as a TA or a GP client's InvokeCommand) with their memref sizes
 * and times, RPCs out of the secure world (an EDL enclave's OCALLs), and the other SMCs (open and close
 * session, refused secure-device calls). Secure-world page tables are not the normal world's: a TA has no
 * fault or A/D channel, only these and the shared cache (ta-campaign.ts).
 */
import type { TraceEvent } from '../trace/sink.js';
import type { ObservedEvent } from './observation.js';
import type { ReportTable } from './timeline.js';

/** An A/D sample the observing monitor took at a transition (run-observed.ts), absolute performance.now() ms. */
export interface AdSampleAt {
  readonly track: string;
  readonly t: number;
  readonly accessed: readonly number[];
  readonly dirty: readonly number[];
  /** Taken as an ECALL entered (before the enclave ran) or as a transition's event was recorded at its exit. */
  readonly at?: 'entry' | 'exit';
}

export interface EnclaveObservation {
  /** `guest/enclave`. */
  readonly track: string;
  readonly events: ObservedEvent[];
  readonly ecalls: number;
  readonly ocalls: number;
  readonly faults: number;
  /** Distinct pages that faulted. */
  readonly pages: number;
  /** A/D samples (only from a run under the observing monitor). */
  readonly adSamples: number;
  /** `tz` for a TA (its events came from SMCs), else `sgx`. */
  readonly world: 'sgx' | 'tz';
  /** SMCs other than TA commands and RPCs (open/close session, ...). */
  readonly smcs: number;
}

export interface RunObservation {
  readonly enclaves: EnclaveObservation[];
  /** Sizes the host sees, per (track, call). */
  readonly sizes: { track: string; call: string; count: number; bytes: number[] }[];
}

const SIZED_HYPERCALLS = new Set(['block_write', 'net_write', 'block_read', 'net_read', 'console_write']);

export function observeTrace(events: readonly TraceEvent[], samples: readonly AdSampleAt[] = []): RunObservation {
  const t0 = events.reduce((m, e) => Math.min(m, e.start), Infinity);
  const perTrack = new Map<string, ObservedEvent[]>();
  const sizes = new Map<string, { track: string; call: string; count: number; bytes: number[] }>();
  const ocallIds = new Map<string, number>();
  const tz = new Set<string>();
  const ocall = (track: string, t: number, name: string, bytes: number | undefined, label: string): void => {
    if (!ocallIds.has(name)) ocallIds.set(name, ocallIds.size);
    at(track).push({ t, kind: 'ocall', id: ocallIds.get(name)!, size: bytes ?? 0 });
    size(track, `${label} ${name}`, bytes);
  };
  const at = (track: string): ObservedEvent[] => {
    let l = perTrack.get(track);
    if (!l) perTrack.set(track, (l = []));
    return l;
  };
  const size = (track: string, call: string, bytes: number | undefined): void => {
    const k = `${track}\u0000${call}`;
    let s = sizes.get(k);
    if (!s) sizes.set(k, (s = { track, call, count: 0, bytes: [] }));
    s.count++;
    if (bytes !== undefined) s.bytes.push(bytes);
  };
  // A sample at ECALL entry shares its time with the ECALL's start and comes before it: pushed first, it stays
  // first through the stable sort below.
  for (const s of samples) if (s.at === 'entry') at(s.track).push({ t: s.t - t0, kind: 'ad', accessed: s.accessed, dirty: s.dirty });
  for (const e of events) {
    const t = e.start - t0;
    if (e.kind === 'ecall') {
      at(e.track).push({ t, kind: 'ecall', name: e.name, size: e.bytes ?? 0 }, { t: t + e.dur, kind: 'eexit', ret: 0 });
      size(e.track, `ECALL ${e.name}`, e.bytes);
    } else if (e.kind === 'ocall') {
      ocall(e.track, t, e.name, e.bytes, 'OCALL');
    } else if (e.kind === 'ta_invoke') {
      // A TA command: the world switch in and back out, with the memrefs' total size.
      tz.add(e.track);
      at(e.track).push({ t, kind: 'ecall', name: e.name, size: e.bytes ?? 0 }, { t: t + e.dur, kind: 'eexit', ret: 0 });
      size(e.track, `TA command ${e.name}`, e.bytes);
    } else if (e.kind === 'smc') {
      tz.add(e.track);
      const rpc = typeof e.args?.['ocall'] === 'string' ? e.args['ocall'] : e.name.startsWith('rpc ') ? e.name.slice(4) : null;
      if (rpc !== null) ocall(e.track, t, rpc, e.bytes, 'RPC');
      else {
        at(e.track).push({ t, kind: 'smc', name: e.name, size: e.bytes ?? 0 });
        size(e.track, `SMC ${e.name}`, e.bytes);
      }
    } else if (e.kind === 'epc_fault') {
      const page = Number(e.args?.['page']);
      if (Number.isInteger(page)) at(e.track).push({ t, kind: 'fault', page, write: e.args?.['access'] === 'write' });
    } else if (e.kind === 'hypercall' && SIZED_HYPERCALLS.has(e.name)) {
      size(e.track, e.name, e.bytes);
    }
  }
  for (const s of samples) if (s.at !== 'entry') at(s.track).push({ t: s.t - t0, kind: 'ad', accessed: s.accessed, dirty: s.dirty });
  const enclaves: EnclaveObservation[] = [];
  for (const [track, list] of perTrack) {
    // Stable: a sample taken when an ECALL's trace event is recorded stays after that ECALL's OCALLs.
    list.sort((a, b) => a.t - b.t);
    const faults = list.filter((e) => e.kind === 'fault');
    enclaves.push({
      track,
      events: list,
      ecalls: list.filter((e) => e.kind === 'ecall').length,
      ocalls: list.filter((e) => e.kind === 'ocall').length,
      faults: faults.length,
      pages: new Set(faults.map((e) => (e.kind === 'fault' ? e.page : -1))).size,
      adSamples: list.filter((e) => e.kind === 'ad').length,
      world: tz.has(track) ? 'tz' : 'sgx',
      smcs: list.filter((e) => e.kind === 'smc').length,
    });
  }
  return { enclaves, sizes: [...sizes.values()] };
}

/** One line of what the host saw of one enclave or TA (the CLI and the timeline). */
export function describeObservation(e: Pick<EnclaveObservation, 'ecalls' | 'ocalls' | 'faults' | 'pages' | 'adSamples'> & { world?: 'sgx' | 'tz'; smcs?: number }): string {
  if (e.world === 'tz') return `${e.ecalls} TA commands, ${e.ocalls} RPCs, ${e.smcs ?? 0} other SMCs (a TA shows the normal world no page faults or A/D bits)`;
  return `${e.ecalls} ECALLs, ${e.ocalls} OCALLs, ${e.faults} faults on ${e.pages} distinct pages, ${e.adSamples} A/D samples`;
}

export function sizesTable(run: RunObservation): ReportTable {
  const fmt = (b: number[]): string => {
    if (b.length === 0) return '-';
    const u = [...new Set(b)].sort((x, y) => x - y);
    return u.length <= 6 ? u.join(', ') : `${u[0]} .. ${u[u.length - 1]} (${u.length} distinct)`;
  };
  return {
    title: 'Sizes the host sees (bytes): ECALLs and OCALLs (TA commands, RPCs and SMCs on TrustZone), and what the guest stores, sends or prints',
    head: ['track', 'call', 'count', 'sizes'],
    rows: run.sizes.map((s) => [s.track, s.call, s.count, fmt(s.bytes)]),
  };
}
