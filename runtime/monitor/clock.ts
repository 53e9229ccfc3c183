/**
 * clock_monotonic and clock_wall (Solo5 solo5.h: ns since boot / since the epoch, as u64). Returning an i64
 * from a JS import makes V8 allocate a BigInt on every call, which costs as much as reading the host clock;
 * so the two hypercalls are served by a 113-byte Wasm adapter that calls a JS function returning the time as
 * an f64 of nanoseconds and converts it with i64.trunc_sat_f64_u. A Wasm-exported function given as an import
 * is called Wasm-to-Wasm, so the guest pays one JS crossing and no allocation. Doubles hold whole nanoseconds
 * exactly for 104 days of monotonic time; wall time is kept to 256 ns.
 */

/**
 * The adapter, assembled from (WebAssembly text, checked against this encoding by tests/monitor/clock.test.ts):
 *   (module
 *     (import "host" "monotonic_ns" (func $mono (result f64)))
 *     (import "host" "wall_ns" (func $wall (result f64)))
 *     (func (export "clock_monotonic") (result i64) (i64.trunc_sat_f64_u (call $mono)))
 *     (func (export "clock_wall") (result i64) (i64.trunc_sat_f64_u (call $wall))))
 */
export const CLOCK_ADAPTER_WAT = `(module
  (import "host" "monotonic_ns" (func $mono (result f64)))
  (import "host" "wall_ns" (func $wall (result f64)))
  (func (export "clock_monotonic") (result i64) (i64.trunc_sat_f64_u (call $mono)))
  (func (export "clock_wall") (result i64) (i64.trunc_sat_f64_u (call $wall))))`;

export const CLOCK_ADAPTER = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 9, 2, 96, 0, 1, 124, 96, 0, 1, 126, 2, 36, 2, 4, 104, 111, 115, 116, 12, 109, 111,
  110, 111, 116, 111, 110, 105, 99, 95, 110, 115, 0, 0, 4, 104, 111, 115, 116, 7, 119, 97, 108, 108, 95, 110, 115,
  0, 0, 3, 3, 2, 1, 1, 7, 32, 2, 15, 99, 108, 111, 99, 107, 95, 109, 111, 110, 111, 116, 111, 110, 105, 99, 0, 2, 10,
  99, 108, 111, 99, 107, 95, 119, 97, 108, 108, 0, 3, 10, 15, 2, 6, 0, 16, 0, 252, 7, 11, 6, 0, 16, 1, 252, 7, 11,
]);

let adapter: WebAssembly.Module | null = null;

export interface ClockBase {
  /** performance.now() at which clock_monotonic reads 0. */
  clockBase: number;
}

/** The two clock hypercalls for one guest, reading `state.clockBase` at each call (boot resets it). */
export function clockHypercalls(state: ClockBase): { clock_monotonic: () => bigint; clock_wall: () => bigint } {
  adapter ??= new WebAssembly.Module(CLOCK_ADAPTER);
  const origin = performance.timeOrigin;
  const instance = new WebAssembly.Instance(adapter, {
    host: {
      monotonic_ns: () => (performance.now() - state.clockBase) * 1e6,
      wall_ns: () => (origin + performance.now()) * 1e6,
    },
  });
  return instance.exports as unknown as { clock_monotonic: () => bigint; clock_wall: () => bigint };
}
