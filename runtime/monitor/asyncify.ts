/**
 * Makes a guest suspendable, so many guests can share one thread: Node 20's engine cannot suspend Wasm (no JSPI),
 * so the guest is rewritten with binaryen's Asyncify pass (Alon Zakai, "Pause and Resume WebAssembly with
 * Binaryen's Asyncify", 2019), which lets an import unwind the guest's stack into its own memory and rewind it
 * later. Two imports may unwind: `solo5.yield` (the guest blocks) and `emon_sched.tick` (its slice is over).
 *
 * Preemption follows wasmtime's fuel / epoch interruption (docs.wasmtime.dev, "Interrupting Wasm execution"): a
 * check on loop headers (where each back-edge lands) and recursive functions' entries decrements the exported global
 * `__emon_fuel` and calls `tick` only once it goes negative; tick reads the clock, refills the fuel and unwinds
 * the guest when its slice has run out. A guest that never yields therefore still gives up its thread.
 */
import binaryen from 'binaryen';
import { EmonError } from '../errors.js';
import { FIELDS, kindById, LISTS, wrapper, type Ref } from '../hw/epc/ir.js';
import { SOLO5_IMPORT_MODULE } from './abi.js';
import { FUEL_GLOBAL, FUEL_QUANTUM, SCHED_IMPORT } from './asyncify-abi.js';
import { recursiveFunctions } from './callgraph.js';
import { countedTrips } from './counted-loop.js';

const B = binaryen;
export {
  SCHED_IMPORT, FUEL_GLOBAL, FUEL_QUANTUM, ASYNCIFY_STACK_BYTES, ASYNCIFY_NORMAL, ASYNCIFY_UNWINDING, ASYNCIFY_REWINDING, type AsyncifyExports,
} from './asyncify-abi.js';

const FEATURES = B.Features.MVP | B.Features.MutableGlobals | B.Features.NontrappingFPToInt | B.Features.SIMD128 |
  B.Features.BulkMemory | B.Features.BulkMemoryOpt | B.Features.SignExt | B.Features.ReferenceTypes | B.Features.Multivalue |
  B.Features.ExtendedConst;

export interface SuspendableOptions {
  /** Insert the preemption checks (default true); without them only yield suspends. */
  readonly preempt?: boolean;
  /**
   * binaryen's optimisation level after the pass. Default 0: on V8 the un-optimised Asyncify output of a
   * compute-bound guest with preemption checks ran in 8.8 us where -O1 and -O3 took 13.7-14.0 us (plain: 5.6 us;
   * the `fleet` bench suite's compute cases), as binaryen's clean-up merges what V8's own optimiser handles better.
   */
  readonly optimizeLevel?: number;
}

/** Rewrites guest bytes (already validated and capped by ./loader.ts); `what` names the guest in errors. */
export function makeSuspendable(bytes: Uint8Array, what: string, options: SuspendableOptions = {}): Uint8Array {
  let m: binaryen.Module;
  try {
    m = B.readBinary(bytes);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `${what} cannot be read by binaryen`, { cause: e, hint: 'run it in its own worker with --sched=worker' });
  }
  try {
    m.setFeatures(FEATURES);
    refuseUnsupported(m, what);
    if (options.preempt !== false) insertChecks(m, what);
    B.setOptimizeLevel(options.optimizeLevel ?? 0);
    B.setShrinkLevel(0);
    B.setPassArgument('asyncify-imports', `${SOLO5_IMPORT_MODULE}.yield,${SCHED_IMPORT}.tick`);
    m.runPasses(['asyncify']);
    if ((options.optimizeLevel ?? 0) > 0) m.optimize();
    B.setPassArgument('asyncify-imports', null as unknown as string);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/**
 * binaryen's validator prints its findings (a dump of each offending expression) on the process's stdout and
 * stderr, which the user would see before emon's message. It runs here with both streams held (binaryen.js
 * writes through console.log/console.error, which call the streams' write at call time); the text is dropped.
 */
function validateQuietly(m: binaryen.Module): { ok: boolean; text: string } {
  let text = '';
  const hold = (s: string | Uint8Array): boolean => ((text += typeof s === 'string' ? s : Buffer.from(s).toString()), true);
  const out = process.stdout.write, err = process.stderr.write;
  process.stdout.write = hold as typeof process.stdout.write;
  process.stderr.write = hold as typeof process.stderr.write;
  try {
    return { ok: m.validate() !== 0, text };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/**
 * A guest using a Wasm feature outside FEATURES cannot be rewritten: Asyncify does not support exception
 * handling (binaryen src/passes/Asyncify.cpp), and binaryen refuses what is not enabled. The features named are
 * those without which the module does not validate even with every other feature on.
 */
function refuseUnsupported(m: binaryen.Module, what: string): void {
  if (validateQuietly(m).ok) return;
  const all = B.Features.All;
  const missing: string[] = [];
  m.setFeatures(all);
  const validWithAll = validateQuietly(m).ok;
  if (validWithAll) {
    for (const [name, bit] of Object.entries(B.Features) as [string, number][]) {
      if (bit === 0 || bit === all || (FEATURES & bit) !== 0) continue;
      m.setFeatures(all & ~bit);
      if (!validateQuietly(m).ok) missing.push(name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
    }
  }
  m.setFeatures(FEATURES);
  const uses = missing.length > 0 ? `uses Wasm ${missing.join(', ')}, which` : validWithAll ? 'uses a Wasm feature that' : 'is a module that';
  throw new EmonError('E_BAD_WASM', `${what} ${uses} guests sharing a worker cannot use (binaryen's Asyncify cannot make such a guest suspendable)`, {
    hint: 'give each guest a worker of its own with --sched=worker (--instances works with it)',
  });
}

/**
 * The preemption checks: on every loop header but those of short counted loops (./counted-loop.ts: one check
 * before the loop, weighted by its trip count), and at the entry of every function on a cycle of calls
 * (./callgraph.ts). Between two checks a guest therefore runs a bounded amount of code, and a function that can
 * reach no check (a leaf helper) is left for Asyncify to skip.
 */
function insertChecks(m: binaryen.Module, what: string, tick: TickSpec = SCHED_TICK): void {
  const { i32, none } = B;
  const recursive = recursiveFunctions(m);
  const fuel = tick.global;
  const fn = `__emon_tick_${tick.module}_${tick.name}`;
  m.addGlobal(fuel, i32, true, m.i32.const(tick.quantum));
  if (!tick.refill) m.addGlobalExport(fuel, fuel);
  m.addFunctionImport(fn, tick.module, tick.name, none, none);
  /** fuel -= weight; tick once it goes negative (refilling the fuel first when the tick does not). */
  const check = (weight: number): Ref =>
    m.block(null, [
      m.global.set(fuel, m.i32.sub(m.global.get(fuel, i32), m.i32.const(weight))),
      m.if(m.i32.lt_s(m.global.get(fuel, i32), m.i32.const(0)),
        tick.refill ? m.block(null, [m.global.set(fuel, m.i32.const(tick.quantum)), m.call(fn, [], none)], none) : m.call(fn, [], none)),
    ], none);
  const loopId = B.LoopId;
  /** Inserts the checks below `e`; returns what replaces `e` in its parent (itself, or a block around it). */
  const walk = (e: Ref): Ref => {
    if (!e) return e;
    const id = B.getExpressionId(e);
    const kind = kindById.get(id);
    if (kind === undefined) return e;
    const w = wrapper(kind);
    for (const f of FIELDS[kind] ?? []) {
      const child = w[`get${f}`]!(e);
      const r = walk(child);
      if (r !== child) w[`set${f}`]!(e, r);
    }
    const list = LISTS[kind];
    if (list) {
      const count = w[list[0]]!(e);
      for (let i = 0; i < count; i++) {
        const child = w[list[1]]!(e, i);
        const r = walk(child);
        if (r !== child) w[list[2]]!(e, i, r);
      }
    }
    if (id !== loopId) return e;
    const trips = countedTrips(e);
    if (trips !== null) {
      // A short counted loop goes unchecked; one check before it pays for all its trips, so the fuel still
      // runs out after about FUEL_QUANTUM iterations' worth of work and the slice ends on time.
      return m.block(null, [check(Math.max(1, trips)), e], B.getExpressionType(e));
    }
    const body = w['getBody']!(e);
    w['setBody']!(e, m.block(null, [check(1), body], B.getExpressionType(body)));
    return e;
  };
  const setBody = (B as unknown as { Function: { setBody(f: number, b: number): void } }).Function.setBody;
  const n = m.getNumFunctions();
  for (let i = 0; i < n; i++) {
    const fi = B.getFunctionInfo(m.getFunctionByIndex(i));
    if (fi.module !== '' || fi.body === 0) continue;
    const fn = m.getFunction(fi.name);
    const body = walk(fi.body);
    setBody(fn, recursive.has(fi.name) ? m.block(null, [check(1), body], B.getExpressionType(body)) : body);
  }
  if (!validateQuietly(m).ok) {
    throw new EmonError('E_BAD_WASM', `${what}: the ${tick.what} produced an invalid module`, { hint: tick.hint });
  }
}

/** Which import a check calls once its fuel runs out, and what the checks are for (in messages). */
interface TickSpec {
  readonly global: string;
  readonly module: string;
  readonly name: string;
  readonly quantum: number;
  /** The check refills the fuel itself before calling (the import need not see the global). */
  readonly refill: boolean;
  readonly what: string;
  readonly hint: string;
}
const SCHED_TICK: TickSpec = {
  global: FUEL_GLOBAL, module: SCHED_IMPORT, name: 'tick', quantum: FUEL_QUANTUM, refill: false,
  what: 'preemption checks', hint: 'run it in its own worker with --sched=worker',
};

/** The import that runtime integrity monitoring's checks call (served by the TrustZone client extension). */
export const INTEGRITY_TICK = { module: 'teec', name: 'integrity_tick' } as const;
/** Fuel between two integrity ticks; a tick reads the clock and checks only when a period has passed. */
export const INTEGRITY_QUANTUM = FUEL_QUANTUM;

/**
 * The same checks as the preemption pass (loop headers, recursive functions' entries, short counted loops
 * weighted by their trips), calling `teec.integrity_tick` every INTEGRITY_QUANTUM units instead of the
 * scheduler: the secure world's periodic check then runs even in a guest that never exits, as a secure timer
 * interrupt would preempt it. Only guests whose manifest asks for integrity monitoring are rewritten.
 */
export function withIntegrityTicks(bytes: Uint8Array, what: string): Uint8Array {
  let m: binaryen.Module;
  try {
    m = B.readBinary(bytes);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `${what} cannot be read by binaryen`, { cause: e, hint: 'remove "integrity" from its manifest' });
  }
  try {
    // The features emon's guests use (as for the fleet's rewrite); binaryen's "all" would also write encodings
    // (e.g. exact function imports) that V8 does not read.
    m.setFeatures(FEATURES);
    insertChecks(m, what, {
      global: '__emon_integrity_fuel', ...INTEGRITY_TICK, quantum: INTEGRITY_QUANTUM, refill: true,
      what: 'integrity checks', hint: 'remove "integrity" from its manifest',
    });
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
