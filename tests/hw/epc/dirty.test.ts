/**
 * Clean and dirty pages: a page reloaded and only read since is evicted without sealing again (its sealed copy
 * and version stay current); a store, a bulk operation or a hw-side write makes it dirty, and then it is sealed
 * under a new version on eviction, so every older copy (including the one from its clean period) is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../../runtime/errors.js';
import { Epc } from '../../../runtime/hw/epc/index.js';
import { AdversarialStore, loadInto, PAGE, type Loaded } from './fixtures.js';

const MAX = 2 << 20;

/** 16 pages of distinct data in a 6-page EPC under FIFO; pages 0..10 are evicted (sealed once). */
async function victim(store = new AdversarialStore(), policy: 'fifo' | 'clock' = 'fifo'): Promise<Loaded & { store: AdversarialStore }> {
  const l = await loadInto(new Epc({ pages: 6, policy, backing: store }), { maxBytes: MAX, name: 'guest/dirty' });
  l.w.reserve(16 * PAGE);
  for (let p = 0; p < 16; p++) l.w.write8(p * PAGE + 1, p + 1);
  return { ...l, store };
}

/** Reads one byte of every other page, so that (under FIFO) `page` is evicted again. */
function pushOut(l: Loaded, page: number): void {
  for (let p = 0; p < 16; p++) if (p !== page) l.w.read8(p * PAGE);
  expect(l.space.state[page]).toBe(2);
}

describe('clean and dirty EPC pages', () => {
  it('a page only read since its reload is evicted clean: no new seal, same copy and version, data intact', async () => {
    const l = await victim();
    const copy = l.store.stored(l.space.id, 0)!.slice();
    const version = l.space.versions.current(0);
    expect(l.w.read8(1)).toBe(1);
    const clean0 = l.epc.stats.cleanEvictions;
    pushOut(l, 0);
    expect(l.epc.stats.cleanEvictions).toBeGreaterThan(clean0);
    expect(l.store.stored(l.space.id, 0)).toEqual(copy);
    expect(l.space.versions.current(0)).toBe(version);
    expect(l.w.read8(1)).toBe(1);
  });

  it('a store to a clean page marks it dirty without a fault; it is resealed and its clean-period copy is refused', async () => {
    const l = await victim();
    expect(l.w.read8(1)).toBe(1); // reloaded clean
    pushOut(l, 0); // evicted clean
    const stale = l.store.stored(l.space.id, 0)!.slice();
    const version = l.space.versions.current(0);
    expect(l.w.read8(1)).toBe(1); // reloaded clean again
    const faults = l.epc.stats.faults;
    const marks = l.space.dirtyMarks;
    l.w.write8(2, 0x55);
    expect(l.epc.stats.faults).toBe(faults);
    expect(l.space.dirtyMarks).toBe(marks + 1);
    pushOut(l, 0);
    expect(l.space.versions.current(0)).toBe(version + 1);
    expect(l.store.stored(l.space.id, 0)).not.toEqual(stale);
    l.store.onFetch = (_e, p, stored) => (p === 0 ? stale : stored);
    let thrown: unknown;
    try {
      l.w.read8(2);
    } catch (e) {
      thrown = e;
    }
    expect(isEmonError(thrown, 'E_EPC_INTEGRITY'), String(thrown)).toBe(true);
    expect(l.space.alive).toBe(false);
    expect(new Uint8Array(l.w.memory.buffer).every((b) => b === 0)).toBe(true);
  });

  it('the copy kept for a clean-evicted page is still checked on reload', async () => {
    const l = await victim();
    expect(l.w.read8(1)).toBe(1);
    pushOut(l, 0);
    l.store.stored(l.space.id, 0)![9] ^= 4;
    expect(() => l.w.read8(1)).toThrow(expect.objectContaining({ code: 'E_EPC_INTEGRITY' }));
    expect(l.space.alive).toBe(false);
  });

  it('bulk fill, bulk copy and hw-side writes to clean pages mark them dirty (their data survives eviction)', async () => {
    const l = await victim();
    for (const p of [0, 1, 2]) expect(l.w.read8(p * PAGE + 1)).toBe(p + 1); // all three reloaded clean
    l.w.fill(0 * PAGE + 100, 0xab, 16);
    l.w.copy(1 * PAGE + 200, 0 * PAGE + 100, 8);
    l.space.write(2 * PAGE + 300, new Uint8Array([9, 8, 7]));
    for (const p of [0, 1, 2]) pushOut(l, p);
    expect(l.w.read8(100)).toBe(0xab);
    expect(l.w.read8(PAGE + 207)).toBe(0xab);
    const out = new Uint8Array(3);
    l.space.read(2 * PAGE + 300, out);
    expect([...out]).toEqual([9, 8, 7]);
  });

  it('any mix of reads and writes under either policy returns what a plain memory would (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fifo' as const, 'clock' as const),
        fc.array(fc.record({ page: fc.integer({ min: 0, max: 15 }), at: fc.integer({ min: 0, max: PAGE - 8 }), write: fc.boolean(), v: fc.integer({ min: 0, max: 255 }) }), { maxLength: 120 }),
        async (policy, ops) => {
          const l = await victim(new AdversarialStore(), policy);
          const model = new Uint8Array(16 * PAGE);
          for (let p = 0; p < 16; p++) model[p * PAGE + 1] = p + 1;
          for (const op of ops) {
            const addr = op.page * PAGE + op.at;
            if (op.write) {
              l.w.write8(addr, op.v);
              model[addr] = op.v;
            } else {
              expect(l.w.read8(addr)).toBe(model[addr]);
            }
          }
          for (let p = 0; p < 16; p++) expect(l.w.sum(p * PAGE, PAGE)).toBe(model.subarray(p * PAGE, (p + 1) * PAGE).reduce((a, b) => a + b, 0));
          expect(l.space.alive).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});
