/**
 * The Chrome trace export has the shape chrome://tracing and ui.perfetto.dev load (Trace Event Format, JSON
 * Object Format): a `traceEvents` array of 'X' slices with µs ts/dur, 'i' instants for faults, and 'M' events
 * naming one process per guest and one thread per guest/enclave track.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toChromeTrace, type ChromeTraceEvent } from '../../runtime/trace/chrome.js';
import type { TraceEvent } from '../../runtime/trace/sink.js';
import { checkEvent } from './shape.js';

const events: TraceEvent[] = [
  { kind: 'hypercall', name: 'console_write', track: 'hello', start: 100.0, dur: 0.002, bytes: 12 },
  { kind: 'ecall', name: 'seal', track: 'hello/sealer', start: 100.01, dur: 0.05, bytes: 4096, args: { fn: 3 } },
  { kind: 'ocall', name: 'print', track: 'hello/sealer', start: 100.02, dur: 0.001 },
  { kind: 'epc_fault', name: 'fault', track: 'hello/sealer', start: 100.03, dur: 0, args: { page: 17 } },
  { kind: 'hypercall', name: 'exit', track: 'other', start: 101, dur: 0.001 },
];

describe('toChromeTrace', () => {
  const trace = toChromeTrace(events);
  const byName = (n: string) => trace.traceEvents.find((e) => e.name === n && e.ph !== 'M')!;

  it('is JSON with a traceEvents array of well-formed events', () => {
    const back = JSON.parse(JSON.stringify(trace)) as { traceEvents: ChromeTraceEvent[] };
    expect(Array.isArray(back.traceEvents)).toBe(true);
    back.traceEvents.forEach(checkEvent);
  });

  it('puts each guest in its own process and each enclave on its own thread, named by metadata', () => {
    const hello = byName('console_write');
    const seal = byName('seal');
    const other = byName('exit');
    expect(seal.pid).toBe(hello.pid);
    expect(seal.tid).not.toBe(hello.tid);
    expect(other.pid).not.toBe(hello.pid);
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}=${e.args!.name}`);
    expect(names).toContain(`${seal.pid}/${seal.tid}=sealer (enclave)`);
    expect(names).toContain(`${hello.pid}/${hello.tid}=hello (guest)`);
    const procs = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!.name);
    expect(procs.sort()).toEqual(['guest hello', 'guest other']);
  });

  it('converts ms to µs relative to the first event and keeps sizes as args', () => {
    const seal = byName('seal');
    expect(byName('console_write').ts).toBe(0);
    expect(seal.ts).toBeCloseTo(10, 3);
    expect(seal.dur).toBeCloseTo(50, 3);
    expect(seal.args).toEqual({ fn: 3, bytes: 4096 });
    expect(seal.cat).toBe('ecall');
  });

  it('shows EPC faults as thread-scoped instants', () => {
    const fault = byName('fault');
    expect(fault.ph).toBe('i');
    expect(fault.args).toEqual({ page: 17 });
  });

  it('is well-formed for any event list', () => {
    const ev = fc.record({
      kind: fc.constantFrom('hypercall', 'ecall', 'ocall', 'smc', 'ta_invoke', 'epc_fault') as fc.Arbitrary<TraceEvent['kind']>,
      name: fc.string(),
      track: fc.oneof(fc.constantFrom('g', 'g/e1', 'g/e2', 'h'), fc.string()),
      start: fc.double({ min: 0, max: 1e7, noNaN: true }),
      dur: fc.double({ min: 0, max: 1e4, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 40 }), (list) => {
        const t = toChromeTrace(list);
        t.traceEvents.forEach(checkEvent);
        const slices = t.traceEvents.filter((e) => e.ph !== 'M');
        expect(slices.length).toBe(list.length);
        for (let i = 1; i < slices.length; i++) expect(slices[i]!.ts).toBeGreaterThanOrEqual(slices[i - 1]!.ts);
      }),
      { numRuns: 100 },
    );
  });
});

describe('MemoryTraceSink', () => {
  it('keeps its first `limit` events and counts the rest as dropped', async () => {
    const { MemoryTraceSink } = await import('../../runtime/trace/sink.js');
    const sink = new MemoryTraceSink(3);
    for (let i = 0; i < 10; i++) sink.record({ kind: 'hypercall', name: `c${i}`, track: 'g', start: i, dur: 0 });
    expect(sink.events.map((e) => e.name)).toEqual(['c0', 'c1', 'c2']);
    expect(sink.dropped).toBe(7);
  });
});
