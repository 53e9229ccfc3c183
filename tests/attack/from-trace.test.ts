/**
 * What the host saw, rebuilt from a trace file (runtime/attack/from-trace.ts): a trace is untrusted input (any
 * JSON `emon trace` reads), so for any events of any kind, SGX or TrustZone, the observation counts what it
 * holds, keeps time order, and its timeline page escapes every name and stays one self-contained file.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { describeObservation, observeTrace, sizesTable } from '../../runtime/attack/from-trace.js';
import { renderRunTimeline } from '../../runtime/attack/timeline.js';
import type { TraceEvent, TraceKind } from '../../runtime/trace/sink.js';

const kinds: TraceKind[] = ['hypercall', 'ecall', 'ocall', 'smc', 'ta_invoke', 'epc_fault', 'guest', 'enclave'];
const event: fc.Arbitrary<TraceEvent> = fc
  .record({
    kind: fc.constantFrom(...kinds),
    name: fc.oneof(fc.constantFrom('open_session', 'close_session', 'rpc ocall_log', 'cmd 1', 'block_write', 'net_write', 'fault'), fc.string({ maxLength: 12 })),
    track: fc.constantFrom('g', 'g/sealer', 'g/ta:7a1c7ab1-e5e0-4c5a-9e18-5ec12e7c0de5', '<b>x</b>'),
    start: fc.double({ min: 0, max: 1e6, noNaN: true }),
    dur: fc.double({ min: 0, max: 1e3, noNaN: true }),
    bytes: fc.option(fc.nat(1 << 20), { nil: undefined }),
    args: fc.option(fc.dictionary(fc.constantFrom('page', 'access', 'ocall', 'ecall'), fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.string({ maxLength: 6 }), fc.boolean())), { nil: undefined }),
  })
  .map((e) => {
    const out: TraceEvent = { kind: e.kind, name: e.name, track: e.track, start: e.start, dur: e.dur };
    if (e.bytes !== undefined) out.bytes = e.bytes;
    if (e.args !== undefined) out.args = e.args;
    return out;
  });

describe('observeTrace on any trace', () => {
  it('counts what each track holds, in time order, and renders an escaped self-contained page', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const run = observeTrace(events);
        for (const e of run.enclaves) {
          const n = (k: string): number => e.events.filter((x) => x.kind === k).length;
          expect(e.ecalls).toBe(n('ecall'));
          expect(n('eexit')).toBe(e.ecalls);
          expect(e.ocalls).toBe(n('ocall'));
          expect(e.smcs).toBe(n('smc'));
          expect(e.faults).toBe(n('fault'));
          for (let i = 1; i < e.events.length; i++) expect(e.events[i]!.t).toBeGreaterThanOrEqual(e.events[i - 1]!.t);
          // A track with any SMC or TA command is a TA's; an SMC-less one is an enclave's.
          const tz = events.some((x) => x.track === e.track && (x.kind === 'smc' || x.kind === 'ta_invoke'));
          expect(e.world).toBe(tz ? 'tz' : 'sgx');
          expect(describeObservation(e)).toMatch(tz ? /TA commands/ : /ECALLs/);
        }
        // Every TA command, RPC and other SMC is in the sizes table once.
        const counted = run.sizes.filter((s) => /^(TA command|RPC|SMC) /.test(s.call)).reduce((a, s) => a + s.count, 0);
        expect(counted).toBe(events.filter((e) => e.kind === 'smc' || e.kind === 'ta_invoke').length);
        const html = renderRunTimeline('<script>alert(1)</script>', run.enclaves, [sizesTable(run)]);
        expect(html).not.toMatch(/<script|<b>|<link|src=|url\(/i);
        expect(html).not.toMatch(/NaN|Infinity/);
      }),
      { numRuns: 200 },
    );
  });
});
