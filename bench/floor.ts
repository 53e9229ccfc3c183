/**
 * The same-run floor (STYLE.md habit 8): the cheapest boundary crossing a Wasm guest can make, a call from Wasm
 * through an import into a JavaScript function that does no work and straight back, looped inside Wasm so the
 * loop itself is not JS. Every hypercall, ECALL or OCALL in emon costs at least this much, so each benchmark is
 * reported as a ratio to it, measured first in the same process, on the same machine, in the same run. The
 * second case (`wasm-loop`) is the loop with a Wasm-internal call instead of the import, to show what part of
 * the floor is the JS boundary itself.
 */
import type { BenchCase } from './suite.js';
import { instantiateWat } from './wat.js';

const FLOOR_WAT = `
(module
  (import "bench" "nop" (func $nop (param i32) (result i32)))
  (func $inner (param $x i32) (result i32) (local.get $x))
  (func (export "crossing") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $nop (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "internal") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $inner (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
`;

export const FLOOR_CASE = 'wasm-js-wasm';

/** Results are folded into this so the engine cannot drop the loop as dead code. */
let sink = 0;

/** Build the floor cases: `wasm-js-wasm` (the floor) and `wasm-loop` (a Wasm-internal call, for reference). */
export async function floorCases(): Promise<BenchCase[]> {
  const exports = await instantiateWat('floor', FLOOR_WAT, { bench: { nop: (x: number): number => x } });
  const crossing = exports.crossing as (n: number) => number;
  const internal = exports.internal as (n: number) => number;
  return [
    {
      name: FLOOR_CASE,
      run(iterations: number): void {
        sink ^= crossing(iterations);
      },
    },
    {
      name: 'wasm-loop',
      run(iterations: number): void {
        sink ^= internal(iterations);
      },
      baselines: [FLOOR_CASE],
    },
  ];
}
