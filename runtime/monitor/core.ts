/**
 * The hypercalls every guest has, whatever its devices (Solo5 tenders/hvt/hvt_core.c and the bindings'
 * clock/yield/exit): console, clocks, yield, exit/abort and the TLS base.
 *
 * Ending the guest must be final, as a Solo5 exit is (the tender stops the vCPU). A JS exception thrown from an
 * import is not: a guest built with Wasm exception handling catches it with `catch_all` and runs on. A Wasm
 * trap is never caught by Wasm code (WebAssembly exception-handling proposal: traps are not exceptions), so
 * `endGuest` records why the guest ends in its CoreState and then traps, by calling a one-instruction
 * `unreachable` function; the runner reads the recorded end instead of the trap.
 */
import { SOLO5_EXIT_ABORT, SOLO5_R_OK } from './abi.js';
import { clockHypercalls } from './clock.js';
import type { ConsoleSink } from './console.js';
import type { DeviceContext, DeviceInstance, Handler } from './device.js';
import { WAKE_GEN, WAKE_STOP } from './wake.js';

export type ExitReason = 'return' | 'exit' | 'abort' | 'trap' | 'timeout' | 'crash';

/** Why a guest ended: recorded by `endGuest`, read by the runner. */
export class GuestExit {
  constructor(
    readonly status: number,
    readonly reason: ExitReason,
    readonly message?: string,
  ) {}
}

/** Monotonic nanoseconds since the guest's clock base, as a double (exact to well below a microsecond). */
export function monotonicNs(base: number): number {
  return (performance.now() - base) * 1e6;
}

export interface CoreState {
  /** performance.now() at which clock_monotonic reads 0. */
  clockBase: number;
  /** Last TLS base the guest set (Wasm has no thread pointer; kept for inspection). */
  tlsBase: number;
  /** Set when the guest was ended (exit, abort, a monitor-side abort, a stop); the first end wins. */
  ended: GuestExit | null;
  /** 'start' while the module is instantiated (its Wasm start function runs), 'main' once solo5_app_main is called. */
  phase: 'idle' | 'start' | 'main';
}

/** Exit status of a guest stopped by --timeout (as timeout(1) reports it), whichever side notices first. */
export const TIMEOUT_STATUS = 124;

/** Why a hypercall made by a module's start function fails: the guest's memory is not the monitor's yet. */
export const BEFORE_MAIN = 'hypercalls are not available before solo5_app_main (this one came from the module\'s start function); move the work into solo5_app_main';

/** (module (func (export "t") unreachable)) */
const TRAP_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05,
  0x01, 0x01, 0x74, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
]);
let trapFn: (() => void) | null = null;

/** Ends the guest for good: records `exit` (unless it already ended) and unwinds its stack with a Wasm trap. */
export function endGuest(state: CoreState, exit: GuestExit): never {
  state.ended ??= exit;
  trapFn ??= new WebAssembly.Instance(new WebAssembly.Module(TRAP_MODULE)).exports['t'] as () => void;
  trapFn();
  throw exit; // not reached: the call above always traps
}

export function coreHypercalls(
  ctx: DeviceContext,
  console: ConsoleSink,
  devices: readonly DeviceInstance[],
  state: CoreState,
): Record<string, Handler> {
  const mem = ctx.mem;
  const wake = ctx.wake;
  const pollers = devices.filter((d) => d.ready !== undefined);
  const readySet = new Uint32Array(2);
  const waiter = devices.find((d) => d.wait !== undefined);
  const sleep = waiter !== undefined ? waiter.wait!.bind(waiter) : (gen: number, ms: number) => void Atomics.wait(wake, WAKE_GEN, gen, ms);

  function pollReady(): boolean {
    readySet[0] = 0;
    readySet[1] = 0;
    for (let i = 0; i < pollers.length; i++) pollers[i]!.ready!(readySet);
    return (readySet[0]! | readySet[1]!) !== 0;
  }

  return {
    console_write(buf: number, size: number): void {
      buf >>>= 0;
      size >>>= 0;
      if (!mem.inBounds(buf, size)) ctx.abort(`console_write(${buf}, ${size}): buffer outside guest memory`);
      console.write(mem.u8, buf, size);
      ctx.io.bytes = size;
    },

    ...clockHypercalls(state),

    yield(deadline: bigint, readyOut: number): void {
      readyOut >>>= 0;
      if (!mem.inBounds(readyOut, 8)) ctx.abort(`yield(): ready set pointer ${readyOut} outside guest memory`);
      const until = Number(BigInt.asUintN(64, deadline));
      for (;;) {
        const gen = Atomics.load(wake, WAKE_GEN);
        if (Atomics.load(wake, WAKE_STOP) !== 0) endGuest(state, new GuestExit(TIMEOUT_STATUS, 'timeout', 'stopped while sleeping (--timeout)'));
        if (pollReady()) break;
        const left = (until - monotonicNs(state.clockBase)) / 1e6;
        if (left <= 0) break;
        sleep(gen, left);
      }
      mem.dv.setUint32(readyOut, readySet[0]!, true);
      mem.dv.setUint32(readyOut + 4, readySet[1]!, true);
    },

    exit(status: number): never {
      return endGuest(state, new GuestExit(status, 'exit'));
    },

    abort(): never {
      return endGuest(state, new GuestExit(SOLO5_EXIT_ABORT, 'abort', 'solo5_abort() called'));
    },

    set_tls_base(base: number): number {
      state.tlsBase = base >>> 0;
      return SOLO5_R_OK;
    },
  };
}
