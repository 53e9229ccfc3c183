/**
 * `emon trace summary`: per-function counts, times, bytes and modeled cycles, and the hint rules, on the
 * deliberately chatty example — through the Chrome trace JSON round trip that `emon run --trace` writes, and
 * through the CLI. Malformed trace files give typed errors (property-tested).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chattyTrace, CHATTY } from './fixtures/chatty.js';
import { toChromeTrace } from '../../runtime/trace/chrome.js';
import { parseTrace } from '../../runtime/trace/read.js';
import { formatSummary, summarize, RULES } from '../../runtime/trace/summary.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { isEmonError } from '../../runtime/errors.js';
import type { TraceEvent } from '../../runtime/trace/sink.js';

const root = path.resolve(__dirname, '..', '..');

describe('trace summary', () => {
  const events = parseTrace(JSON.parse(JSON.stringify(toChromeTrace(chattyTrace()))), 'chatty.json');
  const s = summarize(events);
  const fn = (name: string) => s.functions.find((f) => f.name === name)!;

  it('survives the Chrome trace round trip with tracks intact', () => {
    expect(events.length).toBe(chattyTrace().length);
    expect(new Set(events.map((e) => e.track))).toEqual(new Set(['chatty', 'chatty/worker']));
  });

  it('counts calls, time, bytes and modeled cycles per interface function', () => {
    const print = fn('print');
    expect(print.calls).toBe(CHATTY.prints);
    expect(print.meanNs).toBeCloseTo(CHATTY.printBodyNs, 0);
    expect(print.totalNs).toBeCloseTo(CHATTY.prints * CHATTY.printBodyNs, -2);
    expect(print.meanBytes).toBe(24);
    expect(print.modeledSgxCycles).toBe(CHATTY.prints * modeledCycles('sgx', 'ocall')!);
    expect(print.modeledTzCycles).toBe(CHATTY.prints * modeledCycles('tz', 'ocall')!);
    const proc = fn('process');
    expect(proc.calls).toBe(CHATTY.ecalls);
    expect(proc.meanBytes).toBe(CHATTY.ecallBytes * 2);
    expect(proc.modeledTzCycles).toBe(CHATTY.ecalls * modeledCycles('tz', 'ta_invoke')!);
    expect(fn('fault').calls).toBe(CHATTY.faults);
  });

  it('reconstructs which ECALL each OCALL and fault happened inside, from time nesting on the track', () => {
    expect(fn('print').calledFrom).toEqual({ process: CHATTY.prints });
    expect(fn('fault').calledFrom).toEqual({ process: CHATTY.faults });
    expect(fn('process').calledFrom).toBeUndefined();
    expect(fn('console_write').calledFrom).toBeUndefined();
  });

  it('fires each rule on the chatty example, naming the function', () => {
    const rules = s.hints.map((h) => `${h.rule}:${h.name}`).sort();
    expect(rules).toEqual(['chatty-call:console_write', 'chatty-call:print', 'epc-faults:fault', 'large-copy:process']);
    const text = formatSummary(s);
    expect(text).toMatch(/\[chatty-call\] OCALL print: 10,000 calls \(10,000 calls from inside process\) averaging 300 ns body.*batch it or make it switchless/);
    expect(text).toMatch(/\[large-copy\] ECALL process copies 128 KiB \[in,out\] per call.*user_check/);
    expect(text).toMatch(/\[epc-faults\] 600 EPC faults in chatty\/worker/);
  });

  it('stays quiet on a well-behaved trace', () => {
    const calm = summarize([
      { kind: 'ecall', name: 'seal', track: 'g/e', start: 0, dur: 0.05, bytes: 4096 },
      ...Array.from({ length: 10 }, (_, i) => ({ kind: 'ocall' as const, name: 'log', track: 'g/e', start: i, dur: 0.0002 })),
      ...Array.from({ length: RULES.chattyMinCalls }, (_, i) => ({ kind: 'ocall' as const, name: 'fetch', track: 'g/e', start: i, dur: 0.05 })),
    ]);
    expect(calm.hints).toEqual([]);
  });
});

describe('trace files', () => {
  it('round-trips any events through the Chrome trace format (kind, name, track, bytes, args; time to the ns)', () => {
    const ev = fc.record({
      kind: fc.constantFrom('hypercall', 'ecall', 'ocall', 'smc', 'ta_invoke', 'epc_fault') as fc.Arbitrary<TraceEvent['kind']>,
      name: fc.string({ maxLength: 8 }),
      track: fc.oneof(fc.string({ maxLength: 6 }), fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([g, e]) => `${g}/${e}`)),
      start: fc.double({ min: 0, max: 1e6, noNaN: true }),
      dur: fc.double({ min: 0, max: 1e3, noNaN: true }),
      bytes: fc.option(fc.nat(1 << 20), { nil: undefined }),
      args: fc.option(fc.dictionary(fc.constantFrom('page', 'fn', 'dir'), fc.oneof(fc.nat(), fc.string({ maxLength: 4 }), fc.boolean())), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(ev, { minLength: 1, maxLength: 30 }), (raw) => {
        const list: TraceEvent[] = raw.map((e) => ({
          ...e,
          ...(e.kind === 'epc_fault' ? { dur: 0 } : {}),
          ...(e.bytes === undefined ? { bytes: undefined } : {}),
        }));
        for (const e of list) {
          if (e.bytes === undefined) delete e.bytes;
          if (e.args === undefined || Object.keys(e.args).length === 0) delete e.args;
        }
        const back = parseTrace(JSON.parse(JSON.stringify(toChromeTrace(list))), 'rt.json');
        const t0 = Math.min(...list.map((e) => e.start));
        const key = (e: TraceEvent) => `${e.kind}|${e.name}|${e.track}|${e.bytes ?? ''}|${JSON.stringify(Object.entries(e.args ?? {}).sort())}`;
        expect(back.map(key).sort()).toEqual(list.map(key).sort());
        const starts = (l: TraceEvent[], base: number) => l.map((e) => e.start - base).sort((a, b) => a - b);
        starts(back, 0).forEach((s, i) => expect(Math.abs(s - starts(list, t0)[i]!)).toBeLessThan(1e-6));
      }),
      { numRuns: 150 },
    );
  });

  it('reads a bare array of emon events too', () => {
    expect(parseTrace(chattyTrace().slice(0, 3), 'x.json').length).toBe(3);
  });

  it('rejects malformed traces with a typed error naming the file', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          const ev = parseTrace(v, 'bad.json');
          summarize(ev);
        } catch (e) {
          expect(isEmonError(e, 'E_TRACE')).toBe(true);
          expect((e as Error).message).toContain('bad.json');
        }
      }),
      { numRuns: 300 },
    );
    for (const bad of [42, 'x', { traceEvents: 3 }, [{ kind: 'ecall' }], [{ ph: 'X', cat: 'ecall', name: 'f' }]]) {
      expect(() => parseTrace(bad, 'bad.json')).toThrow(/bad\.json/);
    }
  });
});

describe.skipIf(!existsSync(path.join(root, 'dist/runtime/cli/main.js')))('emon trace summary (CLI)', () => {
  it('prints the table and hints, and fails cleanly on a missing file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-trace-'));
    const file = path.join(dir, 'chatty.json');
    await writeFile(file, JSON.stringify(toChromeTrace(chattyTrace())));
    const out = execFileSync(process.execPath, [path.join(root, 'dist/runtime/cli/main.js'), 'trace', 'summary', file]).toString();
    expect(out).toContain('[chatty-call] OCALL print');
    expect(out).toMatch(/ocall\s+print\s+10,000/);
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [path.join(root, 'dist/runtime/cli/main.js'), 'trace', 'summary', path.join(dir, 'nope.json')], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/^emon: cannot read trace .*nope\.json: ENOENT/);
  });
});
