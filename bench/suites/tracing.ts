/**
 * What tracing costs (DESIGN.md §7: "zero cost when tracing is off"). The same guest runs its hypercall loops in
 * the monitor's in-thread runner (runtime/monitor/guest.ts) twice: with no trace sink, where the runner installs
 * the hypercall handlers themselves and no tracing code is on the path at all, and with a sink, where each
 * hypercall is wrapped to time it and record an event. The off/on ratio is the price of `--trace`; the off
 * case's ratio to the floor is what a hypercall costs beyond the bare Wasm→JS→Wasm crossing.
 */
import type { BenchCase, BenchSuite } from '../suite.js';
import { watToWasm } from '../wat.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { EMPTY_MANIFEST } from '../../runtime/monitor/manifest.js';
import { nullConsole } from '../../runtime/monitor/console.js';
import type { TraceEvent, TraceSink } from '../../runtime/trace/sink.js';

const GUEST_WAT = `
(module
  (import "solo5" "clock_monotonic" (func $clock (result i64)))
  (import "solo5" "console_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "tracing bench\\n")
  (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0))
  (func (export "clocks") (param $n i32) (result i64)
    (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (call $clock)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "writes") (param $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $write (i32.const 64) (i32.const 14))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))))
`;

/** Like MemoryTraceSink, but bounded so a long benchmark does not grow the heap without end. */
class BoundedSink implements TraceSink {
  events: TraceEvent[] = [];
  record(event: TraceEvent): void {
    if (this.events.length >= 65_536) this.events = [];
    this.events.push(event);
  }
}

let sink = 0n;
const runners: GuestRunner[] = [];

async function bootLoops(trace: TraceSink | null): Promise<{ clocks: (n: number) => bigint; writes: (n: number) => void }> {
  const module = new WebAssembly.Module(await watToWasm('tracing-guest', GUEST_WAT));
  const runner = await GuestRunner.create({ name: 'bench', module, manifest: EMPTY_MANIFEST, console: nullConsole, trace, extensions: [] });
  runners.push(runner);
  const result = runner.boot();
  if (result.status !== 0) throw new Error(`tracing bench guest ended with status ${result.status}: ${result.message ?? result.reason}`);
  const ex = runner.exports();
  return { clocks: ex.clocks as (n: number) => bigint, writes: ex.writes as (n: number) => void };
}

export const suite: BenchSuite = {
  name: 'tracing',
  description: 'hypercalls through the in-thread monitor with tracing off (no tracing code on the path) and on',
  async setup() {
    const off = await bootLoops(null);
    const on = await bootLoops(new BoundedSink());
    const cases: BenchCase[] = [];
    for (const [mode, loops] of [['off', off], ['on', on]] as const) {
      cases.push({
        name: `clock_monotonic/trace-${mode}`,
        params: { hypercall: 'clock_monotonic', tracing: mode },
        ...(mode === 'on' ? { baselines: ['clock_monotonic/trace-off'] } : {}),
        run(n) {
          sink ^= loops.clocks(n);
        },
      });
      cases.push({
        name: `console_write/trace-${mode}`,
        bytes: 14,
        params: { hypercall: 'console_write', tracing: mode },
        ...(mode === 'on' ? { baselines: ['console_write/trace-off'] } : {}),
        run(n) {
          loops.writes(n);
        },
      });
    }
    return cases;
  },
  async teardown() {
    for (const r of runners.splice(0)) r.close();
  },
};
