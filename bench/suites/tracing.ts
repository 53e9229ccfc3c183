/**
 * What tracing costs (DESIGN.md §7: "zero cost when tracing is off"). The same guest runs its hypercall loops in
 * the monitor's in-thread runner (runtime/monitor/guest.ts) twice: with no trace sink, where the runner installs
 * the hypercall handlers themselves and no tracing code is on the path at all, and with a sink, where each
 * hypercall is wrapped to time it and record an event. The off/on ratio is the price of `--trace`; the off
 * case's ratio to the floor is what a hypercall costs beyond the bare Wasm→JS→Wasm crossing. The same is done
 * for an ECALL and an OCALL through the enclave gate (the sealer enclave, when built), whose generated code
 * tests `trace === null` once per call when tracing is off.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchSuite, SuiteContext } from '../suite.js';
import { edlSuite } from '../edl/suite.js';
import { projectRoot } from '../../runtime/paths.js';
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

const SEALER_EDL = path.join(projectRoot, 'enclaves', 'sealer', 'sealer.edl');
const SEALER = path.join(projectRoot, 'build', 'enclaves', 'sealer.wasm');
/** A cheap ECALL (unseal of a 64-byte non-blob: checks, fails, logs through one OCALL) and that OCALL's gate. */
const GATE_CASES = ['unseal_data/64', 'ocall:ocall_log/64'];

async function gateCases(ctx: SuiteContext): Promise<BenchCase[]> {
  if (!existsSync(SEALER)) return [];
  const out: BenchCase[] = [];
  for (const [mode, trace] of [['off', null], ['on', new BoundedSink()]] as const) {
    const cases = await (await edlSuite(SEALER_EDL, SEALER, { measureTrace: trace })).setup(ctx);
    for (const c of cases.filter((x) => GATE_CASES.includes(x.name))) {
      const base = c.name.startsWith('ocall:') ? 'ocall_log' : 'ecall unseal_data';
      const { params: _p, ...rest } = c;
      out.push({
        ...rest,
        name: `${base}/trace-${mode}`,
        params: { transition: base, tracing: mode },
        ...(mode === 'on' ? { baselines: [`${base}/trace-off`] } : {}),
      });
    }
  }
  return out;
}

export const suite: BenchSuite = {
  name: 'tracing',
  description: 'hypercalls (in-thread monitor) and an ECALL/OCALL (enclave gate) with tracing off and on',
  async setup(ctx: SuiteContext) {
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
    cases.push(...(await gateCases(ctx)));
    return cases;
  },
  async teardown() {
    for (const r of runners.splice(0)) r.close();
  },
};
