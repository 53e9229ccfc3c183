/**
 * Recursive functions of a guest (runtime/monitor/callgraph.ts), which get a preemption check at their entry:
 * direct and mutual recursion, recursion through a table or a host import, and the functions that are not on a
 * cycle (left without an entry check).
 */
import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { recursiveFunctions } from '../../runtime/monitor/callgraph.js';
import { wat } from './helpers.js';

const B = binaryen;

/** The recursive functions of a module, by their index in the function index space (imports first). */
async function recursive(text: string): Promise<number[]> {
  const m = B.readBinary(await wat(`(module ${text})`));
  try {
    const names = Array.from({ length: m.getNumFunctions() }, (_, i) => B.getFunctionInfo(m.getFunctionByIndex(i)).name);
    const r = recursiveFunctions(m);
    return names.flatMap((n, i) => (r.has(n) ? [i] : []));
  } finally {
    m.dispose();
  }
}

describe('recursive functions', () => {
  it('finds self and mutual recursion, and leaves the functions that are on no cycle', async () => {
    expect(await recursive(`
      (func $leaf (result i32) (i32.const 1))
      (func $self (param i32) (result i32) (if (result i32) (local.get 0) (then (call $self (i32.const 0))) (else (call $leaf))))
      (func $a (call $b)) (func $b (call $c)) (func $c (call $a))
      (func $caller (call $a) (drop (call $self (i32.const 1))))`)).toEqual([1, 2, 3, 4]);
  });

  it('follows call_indirect to every function in a table, and host imports back to the exports', async () => {
    expect(await recursive(`
      (type $t (func))
      (table 1 funcref) (elem (i32.const 0) $viaTable)
      (func $viaTable (call_indirect (type $t) (i32.const 0)))
      (func $other (nop))`)).toEqual([0]);
    // A host function may call an exported function, which calls the host again.
    expect(await recursive(`
      (import "emon" "ecall" (func $host))
      (import "solo5" "console_write" (func $write (param i32 i32)))
      (func (export "ocall") (call $host))
      (func $plain (call $write (i32.const 0) (i32.const 0)))`)).toEqual([2]);
  });

  it('a guest without recursion has none', async () => {
    expect(await recursive(`(func $f (call $g) (call $g)) (func $g (loop $l (br $l)))`)).toEqual([]);
  });
});
