/**
 * The residency instrumentation pass on hostile or unusual modules: malformed bytes, atomics, a start function,
 * an imported memory, passive segments (memory.init), resident mode; and a property test that a guarded load
 * or store at any address behaves exactly as in the unmodified module (same value, or the same trap).
 */
import binaryen from 'binaryen';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../../runtime/errors.js';
import { Epc, instrumentEnclave } from '../../../runtime/hw/epc/index.js';
import { pagedWorkloads, plainWorkloads, workloadBytes } from './fixtures.js';

function wat(text: string): Uint8Array {
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.Atomics | binaryen.Features.SignExt);
  const b = m.emitBinary();
  m.dispose();
  return b;
}

const errorCode = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isEmonError(e) ? e.code : `not an EmonError: ${String(e)}`;
  }
  return undefined;
};

describe('EPC instrumentation pass', () => {
  it('rejects malformed and truncated modules with E_BAD_WASM', async () => {
    const bytes = await workloadBytes();
    expect(errorCode(() => instrumentEnclave(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 99]), { mode: 'paged', maxBytes: 1 << 20, name: 'x' }))).toBe('E_BAD_WASM');
    expect(errorCode(() => instrumentEnclave(bytes.subarray(0, bytes.length >> 1), { mode: 'paged', maxBytes: 1 << 20, name: 'x' }))).toBe('E_BAD_WASM');
    expect(errorCode(() => instrumentEnclave(new TextEncoder().encode('not wasm'), { mode: 'paged', maxBytes: 1 << 20, name: 'x' }))).toBe('E_BAD_WASM');
  });

  it('refuses what it cannot guard exactly: atomic read-modify-write, no memory, a size beyond 4 GiB', () => {
    const atomics = wat('(module (memory 1 1) (func (export "f") (result i32) (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))');
    expect(errorCode(() => instrumentEnclave(atomics, { mode: 'paged', maxBytes: 1 << 20, name: 'x' }))).toBe('E_EPC_INSTRUMENT');
    const nomem = wat('(module (func (export "f")))');
    expect(errorCode(() => instrumentEnclave(nomem, { mode: 'paged', maxBytes: 1 << 20, name: 'x' }))).toBe('E_EPC_INSTRUMENT');
    const small = wat('(module (memory 1) (func (export "f")))');
    expect(errorCode(() => instrumentEnclave(small, { mode: 'paged', maxBytes: 2 ** 32, name: 'x' }))).toBe('E_EPC_INSTRUMENT');
    expect(errorCode(() => instrumentEnclave(wat('(module (memory 8))'), { mode: 'paged', maxBytes: 65536, name: 'x' }))).toBe('E_EPC_INSTRUMENT');
    // A declared maximum must leave room for the residency map above the configured size.
    const capped = wat('(module (memory 1 16))');
    expect(errorCode(() => instrumentEnclave(capped, { mode: 'paged', maxBytes: 16 * 65536, name: 'x' }))).toBe('E_EPC_INSTRUMENT');
    expect(instrumentEnclave(capped, { mode: 'paged', maxBytes: 8 * 65536, name: 'x' }).layout.physicalWasmPages).toBe(9);
  });

  it('defers the start function until the pages exist, and works with an imported memory', async () => {
    const bytes = wat(`(module (import "env" "mem" (memory 1)) (global $g (mut i32) (i32.const 0))
      (func $init (i32.store (i32.const 4096) (i32.const 0x1234)) (global.set $g (i32.load (i32.const 4096))))
      (start $init)
      (func (export "g") (result i32) (global.get $g))
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))`);
    const epc = new Epc({ pages: 8 });
    const mem = new WebAssembly.Memory({ initial: 1 });
    const { instance, space } = await epc.load(bytes, { env: { mem } }, { name: 't/start', maxBytes: 1 << 20 });
    const e = instance.exports as { g(): number; peek(a: number): number };
    expect(e.g()).toBe(0x1234);
    expect(e.peek(4096)).toBe(0x1234);
    expect(space.memory).toBe(mem);
    expect(() => e.peek(65536)).toThrow(WebAssembly.RuntimeError);
  });

  it('memory.init of a passive segment pages its destination in first', async () => {
    const bytes = wat(`(module (memory (export "memory") 4) (data $d "hello, epc")
      (func (export "init") (param i32) (memory.init $d (local.get 0) (i32.const 0) (i32.const 10)))
      (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0))))`);
    const { instance, space } = await new Epc({ pages: 6 }).load(bytes, {}, { name: 't/init', maxBytes: 4 * 65536 });
    const e = instance.exports as { init(a: number): void; peek(a: number): number };
    e.init(4096 - 3); // spans pages 0 and 1, which are long evicted (64 pages, 5 frames)
    expect([...Array(10).keys()].map((i) => String.fromCharCode(e.peek(4093 + i))).join('')).toBe('hello, epc');
    expect(space.faults).toBeGreaterThanOrEqual(2);
    expect(() => e.init(4 * 65536 - 5)).toThrow(/out of bounds/);
  });

  it('resident mode adds no guards, pins the whole enclave, and refuses an enclave that cannot fit', async () => {
    const r = instrumentEnclave(await workloadBytes(), { mode: 'resident', maxBytes: 1 << 20, name: 'x' });
    const p = instrumentEnclave(await workloadBytes(), { mode: 'paged', maxBytes: 1 << 20, name: 'x' });
    expect(r.guardedAccesses).toBe(0);
    expect(p.guardedAccesses).toBeGreaterThan(10);
    const { w, epc, space } = await pagedWorkloads(300, { mode: 'resident', maxBytes: 1 << 20 });
    expect(space.pinned).toBe(256);
    expect(epc.budget.used).toBe(256);
    expect(w.grow(15)).toBe(0);
    expect(w.grow(2)).toBe(-1);
    const plain = await plainWorkloads();
    expect(w.sortKernel(1000, 3)).toBe((plain.grow(15), plain.sortKernel(1000, 3)));
    expect(w.grow(1)).toBe(-1);
    expect(epc.budget.used).toBe(256);
    await expect(pagedWorkloads(100, { mode: 'resident', maxBytes: 1 << 20 })).rejects.toMatchObject({ code: 'E_EPC_FULL' });
  });

  it('a guarded load or store anywhere behaves as in the unmodified module (property)', async () => {
    const plain = await plainWorkloads();
    const { w } = await pagedWorkloads(6, { maxBytes: 4 * 65536 });
    plain.grow(4);
    w.grow(4);
    const outcome = (f: () => unknown): string => {
      try {
        return `ok ${String(f())}`;
      } catch (e) {
        return e instanceof WebAssembly.RuntimeError ? 'trap' : `other ${String(e)}`;
      }
    };
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 5 * 65536 }), fc.integer({ min: -8, max: 2 ** 31 - 1 }), fc.constantFrom(4 * 65536 - 8, 4 * 65536 - 7, 4 * 65536 - 1, 4096 - 4, -1)), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (addr, v) => {
        expect(outcome(() => w.write64(addr, v))).toBe(outcome(() => plain.write64(addr, v)));
        expect(outcome(() => w.read64(addr))).toBe(outcome(() => plain.read64(addr)));
        expect(outcome(() => w.read8(addr))).toBe(outcome(() => plain.read8(addr)));
      }),
      { numRuns: 300 },
    );
  });

  it('instrumented modules are deterministic (same input, same bytes)', async () => {
    const a = instrumentEnclave(await workloadBytes(), { mode: 'paged', maxBytes: 1 << 20, name: 'x' });
    const b = instrumentEnclave(await workloadBytes(), { mode: 'paged', maxBytes: 1 << 20, name: 'x' });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.layout.mapBase).toBe(1 << 20);
    expect(a.layout.physicalWasmPages).toBe(17);
  });
});
