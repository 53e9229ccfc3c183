/**
 * Reading a trace file back for `emon trace summary`: either the Chrome trace event JSON that `emon run --trace`
 * writes (./chrome.ts; the JSON Object Format with `traceEvents`, or a bare array of trace events), or a bare
 * array of emon TraceEvents. Tracks are recovered from the 'M' metadata names; events of categories emon does
 * not know are ignored. Any malformed input is a typed error naming the file, never an exception from deep inside.
 */
import { EmonError } from '../errors.js';
import type { TraceEvent, TraceKind } from './sink.js';

const KINDS: ReadonlySet<string> = new Set<TraceKind>(['hypercall', 'ecall', 'ocall', 'smc', 'ta_invoke', 'epc_fault', 'guest', 'enclave']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(file: string, why: string): never {
  throw new EmonError('E_TRACE', `${file} is not a trace emon can read: ${why}`, {
    hint: 'pass the JSON written by `emon run --trace=FILE` (Chrome trace event format)',
  });
}

function scalarArgs(v: unknown): Record<string, string | number | boolean> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) out[k] = x;
  }
  return out;
}

function fromEmonEvents(list: unknown[], file: string): TraceEvent[] {
  return list.map((e, i) => {
    if (!isRecord(e) || typeof e.kind !== 'string' || !KINDS.has(e.kind) || typeof e.name !== 'string' || typeof e.track !== 'string') {
      fail(file, `event ${i} lacks kind/name/track`);
    }
    if (typeof e.start !== 'number' || typeof e.dur !== 'number' || !Number.isFinite(e.start) || !(e.dur >= 0)) fail(file, `event ${i} has no valid start/dur`);
    const args = scalarArgs(e.args);
    return {
      kind: e.kind as TraceKind,
      name: e.name,
      track: e.track,
      start: e.start,
      dur: e.dur,
      ...(typeof e.bytes === 'number' && Number.isFinite(e.bytes) ? { bytes: e.bytes } : {}),
      ...(args ? { args } : {}),
    };
  });
}

function fromChromeEvents(list: unknown[], file: string): TraceEvent[] {
  const processes = new Map<number, string>();
  const threads = new Map<string, string>();
  for (const e of list) {
    if (!isRecord(e) || e.ph !== 'M' || !isRecord(e.args) || typeof e.args.name !== 'string' || typeof e.pid !== 'number') continue;
    if (e.name === 'process_name') processes.set(e.pid, e.args.name.replace(/^guest /, ''));
    if (e.name === 'thread_name' && typeof e.tid === 'number') threads.set(`${e.pid}/${e.tid}`, e.args.name);
  }
  const out: TraceEvent[] = [];
  list.forEach((e, i) => {
    if (!isRecord(e)) fail(file, `trace event ${i} is not an object`);
    if (e.ph !== 'X' && e.ph !== 'i' && e.ph !== 'I') return;
    if (typeof e.cat !== 'string' || !KINDS.has(e.cat)) return;
    if (typeof e.name !== 'string' || typeof e.ts !== 'number' || !Number.isFinite(e.ts)) fail(file, `trace event ${i} lacks name or ts`);
    const dur = e.ph === 'X' ? e.dur : 0;
    if (typeof dur !== 'number' || !(dur >= 0) || !Number.isFinite(dur)) fail(file, `trace event ${i} has no valid dur`);
    const pid = typeof e.pid === 'number' ? e.pid : 0;
    const tid = typeof e.tid === 'number' ? e.tid : 0;
    const guest = processes.get(pid) ?? `pid${pid}`;
    const thread = threads.get(`${pid}/${tid}`);
    const enclave = thread?.match(/^(.*) \(enclave\)$/)?.[1];
    const track = enclave !== undefined ? `${guest}/${enclave}` : thread === undefined && tid > 1 ? `${guest}/tid${tid}` : guest;
    const args = scalarArgs(e.args) ?? {};
    const bytes = args.bytes;
    delete args.bytes;
    out.push({
      kind: e.cat as TraceKind,
      name: e.name,
      track,
      start: e.ts / 1e3,
      dur: dur / 1e3,
      ...(typeof bytes === 'number' ? { bytes } : {}),
      ...(Object.keys(args).length > 0 ? { args } : {}),
    });
  });
  return out;
}

/** Parse trace JSON (already JSON.parse'd) from `file` into emon events. */
export function parseTrace(json: unknown, file: string): TraceEvent[] {
  if (isRecord(json)) {
    if (!Array.isArray(json.traceEvents)) fail(file, 'no traceEvents array');
    return fromChromeEvents(json.traceEvents, file);
  }
  if (Array.isArray(json)) {
    if (json.length === 0) return [];
    const first = json[0];
    if (isRecord(first) && 'ph' in first) return fromChromeEvents(json, file);
    return fromEmonEvents(json, file);
  }
  return fail(file, 'expected a JSON object with traceEvents or an array of events');
}
