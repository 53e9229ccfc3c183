/**
 * Demand paging is invisible to enclave code: every workload gives the same result with and without the EPC,
 * with working sets of 0.5x, 2x and 4x the EPC, under each eviction policy; and pages really move (faults and
 * evictions happen exactly when the working set exceeds the EPC).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { pagedWorkloads, plainWorkloads, type Workloads } from './fixtures.js';

// 20 pages: a 0.5x working set still fits after its 64 KiB memory.grow (16 pages) and the version-array page.
const EPC_PAGES = 20;
const EPC_BYTES = EPC_PAGES * 4096;

const kernels: Record<string, (w: Workloads, bytes: number) => number | bigint> = {
  sort: (w, b) => w.sortKernel(b / 4, 0x5eed),
  hash: (w, b) => w.hashKernel(b, 2, 0xabc),
  table: (w, b) => w.tableKernel(b / 4, 12_000, 0x77),
  bulk: (w, b) => w.bulkKernel(b, 48, 0x1234),
  skewed: (w, b) => w.skewedAt(w.reserve(b), b / 4, 4000, 0x99),
};

describe('EPC demand paging keeps enclave results identical', () => {
  let reference: Record<string, Record<number, number | bigint>>;

  beforeAll(async () => {
    reference = {};
    for (const [k, run] of Object.entries(kernels)) {
      reference[k] = {};
      for (const ws of [0.5, 2, 4]) reference[k]![ws] = run(await plainWorkloads(), ws * EPC_BYTES);
    }
  });

  for (const policy of ['clock', 'fifo'] as const) {
    for (const ws of [0.5, 2, 4]) {
      it(`${policy}, working set ${ws}x EPC: sort, hash, table and bulk match the unpaged run`, async () => {
        for (const [k, run] of Object.entries(kernels)) {
          const { w, epc, space, faults } = await pagedWorkloads(EPC_PAGES, { policy });
          const got = run(w, ws * EPC_BYTES);
          expect(got, `${k} at ${ws}x`).toEqual(reference[k]![ws]);
          // The budget holds: frames of this enclave plus its pinned version array never exceed the EPC.
          expect(epc.residentFrames + space.pinned).toBeLessThanOrEqual(EPC_PAGES);
          expect(epc.budget.peakOver).toBe(0);
          if (ws < 1) expect(faults, `${k} at ${ws}x should fit`).toHaveLength(0);
          else expect(faults.length, `${k} at ${ws}x should fault`).toBeGreaterThan(0);
          expect(faults.length).toBe(space.faults);
          epc.destroy(space);
          expect(epc.budget.used).toBe(0);
        }
      });
    }
  }

  it('CLOCK keeps a hot set resident: fewer faults than FIFO on skewed updates (same results)', async () => {
    const counts: Record<string, number> = {};
    const results = new Set<number>();
    for (const policy of ['clock', 'fifo'] as const) {
      const { w, faults } = await pagedWorkloads(64, { policy });
      const ws = 128 * 4096;
      const base = w.reserve(ws);
      w.skewedAt(base, ws / 4, 2048, 1);
      const before = faults.length;
      for (let i = 0; i < 10; i++) results.add(w.skewedAt(base, ws / 4, 2048, i + 3));
      counts[policy] = faults.length - before;
    }
    expect(results.size).toBe(10);
    expect(counts['clock']!).toBeLessThan(counts['fifo']! * 0.9);
  });

  it('an enclave larger than the EPC keeps all its data across repeated passes (hash of a buffer 8x the EPC)', async () => {
    const plain = await plainWorkloads();
    const { w, faults } = await pagedWorkloads(EPC_PAGES, { policy: 'clock' });
    const bytes = 8 * EPC_BYTES;
    const base = w.reserve(bytes);
    expect(base).toBe(plain.reserve(bytes));
    w.hashFill(base, bytes, 99);
    plain.hashFill(base, bytes, 99);
    expect(w.hashAt(base, bytes, 3)).toBe(plain.hashAt(base, bytes, 3));
    // Sequential passes over 8x the EPC fault on every page of every pass after the fill.
    expect(faults.length).toBeGreaterThanOrEqual(3 * (bytes / 4096) - EPC_PAGES);
  });
});
