/**
 * The hypercalls every guest has, whatever its devices (Solo5 tenders/hvt/hvt_core.c and the bindings'
 * clock/yield/exit): console, clocks, yield, exit/abort and the TLS base. Ending the guest unwinds its Wasm
 * stack with a GuestExit thrown from the import; Wasm code cannot catch a JS exception, so the guest never
 * observes it and the runner turns it into the exit status.
 */
import { SOLO5_EXIT_ABORT, SOLO5_R_OK } from './abi.js';
import { clockHypercalls } from './clock.js';
import type { ConsoleSink } from './console.js';
import type { DeviceContext, DeviceInstance, Handler } from './device.js';
import { WAKE_GEN, WAKE_STOP } from './wake.js';

export type ExitReason = 'return' | 'exit' | 'abort' | 'trap' | 'timeout' | 'crash';

/** Thrown through the guest's stack to end it. */
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
        if (Atomics.load(wake, WAKE_STOP) !== 0) throw new GuestExit(SOLO5_EXIT_ABORT, 'timeout', 'stopped while sleeping');
        if (pollReady()) break;
        const left = (until - monotonicNs(state.clockBase)) / 1e6;
        if (left <= 0) break;
        sleep(gen, left);
      }
      mem.dv.setUint32(readyOut, readySet[0]!, true);
      mem.dv.setUint32(readyOut + 4, readySet[1]!, true);
    },

    exit(status: number): never {
      throw new GuestExit(status, 'exit');
    },

    abort(): never {
      throw new GuestExit(SOLO5_EXIT_ABORT, 'abort', 'solo5_abort() called');
    },

    set_tls_base(base: number): number {
      state.tlsBase = base >>> 0;
      return SOLO5_R_OK;
    },
  };
}
