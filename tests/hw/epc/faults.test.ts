/**
 * The fault channel is exact: a known sequence of enclave accesses yields exactly the predicted sequence of
 * (enclave, page, read/write) faults, for loads, stores, accesses spanning two pages, v128 loads and bulk
 * memory operations; a property test drives random access sequences against an independent replacement model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Epc, versionArrayPages } from '../../../runtime/hw/epc/index.js';
import { loadInto, pagedWorkloads, plainWorkloads, PAGE } from './fixtures.js';
import { ReplacementModel } from './model.js';

const MAX = 2 << 20; // 512 pages: one version-array page
const pagesOf = (faults: { page: number; access: string }[]): string[] => faults.map((f) => `${f.page}${f.access[0]}`);

describe('EPC fault channel', () => {
  it('reports exactly the faults of a known FIFO access sequence', async () => {
    const { w, faults, space } = await pagedWorkloads(6, { policy: 'fifo', maxBytes: MAX });
    expect(versionArrayPages(space.maxPages)).toBe(1);
    const t0 = performance.now();
    expect(w.reserve(16 * PAGE)).toBe(0); // pages 0..15 added; the 5 frames hold 11..15
    expect(faults).toEqual([]);
    expect(w.read8(0)).toBe(0); // fault 0, evicts 11
    w.write8(PAGE + 5, 0x7e); // fault 1 (write), evicts 12
    expect(w.read8(3)).toBe(0); // resident
    w.read64(3 * PAGE - 4); // spans pages 2 and 3: both fault, 13 and 14 go
    w.read8(15 * PAGE); // resident
    w.read8(11 * PAGE); // fault 11, evicts 15
    expect(pagesOf(faults)).toEqual(['0r', '1w', '2r', '3r', '11r']);
    w.copy(5 * PAGE + 100, PAGE, 10); // source page 1 resident; destination page 5 faults as a write
    expect(pagesOf(faults).slice(5)).toEqual(['5w']);
    expect(w.read8(5 * PAGE + 105)).toBe(0x7e);
    for (const f of faults) {
      expect(f.enclave).toBe(space.id);
      expect(f.name).toBe('test/workloads');
      expect(f.time).toBeGreaterThanOrEqual(t0);
    }
    expect(faults.map((f) => f.time)).toEqual([...faults.map((f) => f.time)].sort((a, b) => a - b));
  });

  it('a v128 load and an 8-byte store spanning a page boundary fault on both pages, in address order', async () => {
    const { w, faults } = await pagedWorkloads(6, { policy: 'fifo', maxBytes: MAX });
    w.reserve(16 * PAGE);
    w.read128lo(7 * PAGE - 8);
    w.write64(9 * PAGE - 3, 0x0102030405060708n);
    expect(pagesOf(faults)).toEqual(['6r', '7r', '8w', '9w']);
    expect(w.read64(9 * PAGE - 3)).toBe(0x0102030405060708n);
  });

  it('memory.fill and a backward overlapping memory.copy larger than the EPC fault page by page and stay correct', async () => {
    const plain = await plainWorkloads();
    const { w, faults } = await pagedWorkloads(6, { policy: 'fifo', maxBytes: MAX });
    for (const x of [w, plain]) {
      x.reserve(32 * PAGE);
      x.fill(100, 0xab, 12 * PAGE); // 13 pages, more than the 5 frames
      for (let i = 0; i < 64; i++) x.write8(i * 997, i);
      x.copy(3 * PAGE + 50, 100, 14 * PAGE); // overlapping, destination above source: copied backwards
    }
    expect(w.sum(0, 32 * PAGE)).toBe(plain.sum(0, 32 * PAGE));
    const fill = faults.slice(0, faults.findIndex((f) => f.access === 'read'));
    expect(fill.every((f) => f.access === 'write')).toBe(true);
  });

  it('memory.grow past the configured size fails like an engine limit, and accesses past the size trap', async () => {
    const { w } = await pagedWorkloads(8, { maxBytes: 4 * 65536 });
    const plain = await plainWorkloads();
    expect(w.grow(4)).toBe(0);
    expect(w.grow(1)).toBe(-1);
    expect(w.size()).toBe(4);
    expect(() => w.read8(4 * 65536)).toThrow(WebAssembly.RuntimeError);
    expect(() => w.read64(4 * 65536 - 4)).toThrow(WebAssembly.RuntimeError);
    // The residency map sits just past the maximum size: the enclave cannot reach it.
    expect(() => w.write8(4 * 65536 + 1, 1)).toThrow(/out of bounds/);
    expect(() => w.copy(0, 4 * 65536 - 10, 11)).toThrow(/out of bounds/);
    expect(() => w.fill(4 * 65536 - 1, 0, 2)).toThrow(/out of bounds/);
    expect(() => plain.read8(1 << 20)).toThrow(WebAssembly.RuntimeError);
  });

  it('hw-side reads and writes of enclave memory (as the ECALL gate would) fault like the enclave would and check bounds', async () => {
    const { w, faults, space } = await pagedWorkloads(6, { policy: 'fifo', maxBytes: MAX });
    w.reserve(16 * PAGE);
    space.write(2 * PAGE - 2, new Uint8Array([1, 2, 3, 4]));
    const out = new Uint8Array(4);
    space.read(2 * PAGE - 2, out);
    expect([...out]).toEqual([1, 2, 3, 4]);
    expect(w.read8(2 * PAGE + 1)).toBe(4);
    expect(pagesOf(faults)).toEqual(['1w', '2w']);
    expect(() => space.write(16 * PAGE - 1, new Uint8Array(2))).toThrow(expect.objectContaining({ code: 'E_GATE_BOUNDS' }));
    expect(() => space.read(-1 >>> 0, out)).toThrow(expect.objectContaining({ code: 'E_GATE_BOUNDS' }));
  });

  for (const policy of ['fifo', 'clock'] as const) {
    it(`random access sequences fault exactly as the reference ${policy} model predicts`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 4, max: 10 }),
          fc.array(
            fc.record({
              op: fc.constantFrom('r8', 'w8', 'r64', 'w64', 'copy'),
              page: fc.integer({ min: 0, max: 15 }),
              off: fc.integer({ min: 0, max: PAGE - 1 }),
              page2: fc.integer({ min: 0, max: 15 }),
              len: fc.integer({ min: 1, max: 300 }),
            }),
            { minLength: 1, maxLength: 60 },
          ),
          async (epcPages, ops) => {
            const { w, faults, epc, space } = await loadInto(new Epc({ pages: epcPages, policy }), { maxBytes: MAX });
            const plain = await plainWorkloads();
            const model = new ReplacementModel(epcPages - 1, policy);
            w.reserve(16 * PAGE);
            plain.reserve(16 * PAGE);
            for (let p = 0; p < 16; p++) model.add(p);
            const size = 16 * PAGE;
            for (const o of ops) {
              const a = Math.min(o.page * PAGE + o.off, size - 8);
              const span = (n: number): number[] => [...new Set([a >>> 12, (a + n - 1) >>> 12])];
              if (o.op === 'r8') {
                expect(w.read8(a)).toBe(plain.read8(a));
                model.access(span(1), false);
              } else if (o.op === 'w8') {
                w.write8(a, o.len & 0xff);
                plain.write8(a, o.len & 0xff);
                model.access(span(1), true);
              } else if (o.op === 'r64') {
                expect(w.read64(a)).toBe(plain.read64(a));
                model.access(span(8), false);
              } else if (o.op === 'w64') {
                w.write64(a, BigInt(o.off) * 0x10001n);
                plain.write64(a, BigInt(o.off) * 0x10001n);
                model.access(span(8), true);
              } else {
                const s = a;
                const d = Math.min(o.page2 * PAGE + (o.off >>> 1), size - o.len);
                const n = Math.min(o.len, size - s);
                w.copy(d, s, n);
                plain.copy(d, s, n);
                // Chunks bounded by both pages; forward when d <= s, else backward; read then write per chunk.
                const chunks: [number, number, number][] = [];
                if (d <= s) for (let i = 0; i < n; ) { const c = Math.min(n - i, PAGE - ((s + i) % PAGE), PAGE - ((d + i) % PAGE)); chunks.push([d + i, s + i, c]); i += c; }
                else for (let i = n; i > 0; ) { const c = Math.min(i, ((s + i - 1) % PAGE) + 1, ((d + i - 1) % PAGE) + 1); chunks.push([d + i - c, s + i - c, c]); i -= c; }
                for (const [cd, cs] of chunks) {
                  const sp = cs >>> 12, dp = cd >>> 12;
                  model.access([sp], false, [sp, dp]);
                  model.access([dp], true, [sp, dp]);
                }
              }
            }
            expect(faults.map((f) => ({ page: f.page, write: f.access === 'write' }))).toEqual(model.faults);
            expect(w.sum(0, size)).toBe(plain.sum(0, size));
            epc.destroy(space);
            expect(epc.budget.used).toBe(0);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
