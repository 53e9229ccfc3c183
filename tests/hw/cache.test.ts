/**
 * The cache model (runtime/hw/cache): set-associative with LRU, prime+probe finds exactly the sets a victim used,
 * and the pass that routes an enclave's loads and stores through it keeps the module's results.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENCLAVE, SetAssocCache } from '../../runtime/hw/cache/model.js';
import { CACHE_IMPORT, instrumentCacheAccesses } from '../../runtime/hw/cache/instrument.js';
import { isEmonError } from '../../runtime/errors.js';
import { victimBytes } from '../attack/fixtures.js';

describe('set-associative cache model', () => {
  it('LRU within a set: the ways+1-th line evicts the least recently used one', () => {
    const c = new SetAssocCache({ sets: 4, ways: 2, lineBytes: 64 });
    const line = (set: number, k: number): number => (k * 4 + set) * 64;
    expect(c.access(ENCLAVE, line(1, 0))).toBe(false);
    expect(c.access(ENCLAVE, line(1, 0) + 63)).toBe(true);
    c.access(ENCLAVE, line(1, 1));
    c.access(ENCLAVE, line(1, 0)); // 0 most recent, 1 least
    c.access(ENCLAVE, line(1, 2)); // evicts 1
    expect(c.access(ENCLAVE, line(1, 0))).toBe(true);
    expect(c.access(ENCLAVE, line(1, 1))).toBe(false);
  });

  it('prime+probe reports exactly the sets the victim touched in between', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1 << 20), { maxLength: 40 }), (addrs) => {
        const c = new SetAssocCache();
        c.prime();
        for (const a of addrs) c.access(ENCLAVE, a);
        expect(c.probe()).toEqual([...new Set(addrs.map((a) => c.setOf(a)))].sort((x, y) => x - y));
        // Probing primes again: nothing used since.
        expect(c.probe()).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('routing loads and stores through the model keeps results and records every access', async () => {
    const bytes = await victimBytes();
    const routed = instrumentCacheAccesses(bytes, 'victims');
    expect(WebAssembly.Module.imports(new WebAssembly.Module(routed as Uint8Array<ArrayBuffer>)).some((i) => i.module === CACHE_IMPORT)).toBe(true);
    const run = (b: Uint8Array, at: (a: number, o: number) => number): number[] => {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(b as Uint8Array<ArrayBuffer>), {
        emon_victim: { ocall: () => undefined },
        emon_hw: { paging_events: () => 0 },
        [CACHE_IMPORT]: { at },
      });
      const e = inst.exports as Record<string, (n: number) => number> & { memory: WebAssembly.Memory };
      const base = e.secret_buf!(0);
      new Uint8Array(e.memory.buffer).set(Uint8Array.from({ length: 64 }, (_, i) => (i * 5) % 16), base);
      e.ttable_naive!(64);
      return Array.from(new Uint8Array(e.memory.buffer, base + 4096, 64));
    };
    let accesses = 0;
    const plain = run(bytes, (a) => a);
    const viaCache = run(routed, (a) => (accesses++, a));
    expect(viaCache).toEqual(plain);
    expect(accesses).toBeGreaterThan(64 * 3);
  });

  it('a module that is not Wasm is refused with a typed error', () => {
    try {
      instrumentCacheAccesses(new Uint8Array([0, 1, 2]), 'junk');
      expect.unreachable();
    } catch (e) {
      expect(isEmonError(e, 'E_BAD_WASM')).toBe(true);
    }
  });
});
