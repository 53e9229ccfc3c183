/**
 * Sealed eviction against an adversarial monitor: every evicted page the monitor alters, swaps, moves to another
 * enclave, replays from an older version, drops or truncates is caught on reload; the enclave is torn down with
 * E_EPC_INTEGRITY, its memory is wiped, and the call in progress returns nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../../runtime/errors.js';
import { Epc, SEALED_PAGE_BYTES } from '../../../runtime/hw/epc/index.js';
import { AdversarialStore, loadInto, PAGE, type Loaded } from './fixtures.js';

const MAX = 2 << 20;

/** An enclave with 16 pages of distinct data, of which only the last 5 are resident. */
async function victim(store: AdversarialStore, epc = new Epc({ pages: 6, policy: 'fifo', backing: store }), name = 'guest/victim'): Promise<Loaded> {
  const l = await loadInto(epc, { maxBytes: MAX, name });
  l.w.reserve(16 * PAGE);
  for (let p = 0; p < 16; p++) l.w.write8(p * PAGE + 1, p + 1);
  return l;
}

function expectTornDown(l: Loaded, call: () => unknown): void {
  let thrown: unknown;
  try {
    const result = call();
    throw new Error(`the call returned ${String(result)} instead of failing`);
  } catch (e) {
    thrown = e;
  }
  expect(isEmonError(thrown, 'E_EPC_INTEGRITY'), String(thrown)).toBe(true);
  expect((thrown as Error).message).toMatch(/guest\/victim.*torn down/);
  expect(l.space.alive).toBe(false);
  // Wiped: no byte of the enclave's memory (or its residency map) survives.
  expect(new Uint8Array(l.w.memory.buffer).every((b) => b === 0)).toBe(true);
  // Any later call fails the same way, before running any enclave code that touches memory.
  expect(() => l.w.read8(15 * PAGE)).toThrow(/torn down/);
  expect(() => l.w.sum(0, 10)).toThrow(/torn down/);
}

describe('sealed eviction against an adversarial monitor', () => {
  it('untampered pages come back intact', async () => {
    const l = await victim(new AdversarialStore());
    for (let p = 0; p < 16; p++) expect(l.w.read8(p * PAGE + 1)).toBe(p + 1);
    expect(l.epc.stats.evictions).toBeGreaterThan(16);
  });

  it('detects an altered ciphertext byte', async () => {
    const store = new AdversarialStore();
    const l = await victim(store);
    store.stored(l.space.id, 0)![100] ^= 1;
    expectTornDown(l, () => l.w.read8(1));
  });

  it('detects an altered tag', async () => {
    const store = new AdversarialStore();
    const l = await victim(store);
    store.stored(l.space.id, 2)![SEALED_PAGE_BYTES - 1] ^= 0x80;
    expectTornDown(l, () => l.w.sum(2 * PAGE, 8));
  });

  it('detects two pages swapped', async () => {
    const store = new AdversarialStore();
    const l = await victim(store);
    store.onFetch = (e, p, stored) => (p === 0 ? store.stored(e, 1) : p === 1 ? store.stored(e, 0) : stored);
    expectTornDown(l, () => l.w.read8(1));
  });

  it('detects a page moved from another enclave, which keeps running', async () => {
    const store = new AdversarialStore();
    const epc = new Epc({ pages: 12, policy: 'fifo', backing: store });
    const other = await victim(store, epc, 'guest/other');
    const l = await victim(store, epc);
    // Same page number, same version history: only the enclave binding differs.
    store.onFetch = (e, p, stored) => (e === l.space.id && p === 0 ? store.stored(other.space.id, 0) : stored);
    expectTornDown(l, () => l.w.read8(1));
    for (let p = 0; p < 16; p++) expect(other.w.read8(p * PAGE + 1)).toBe(p + 1);
    expect(other.space.alive).toBe(true);
  });

  it('detects a replayed older version of a page', async () => {
    const store = new AdversarialStore();
    const l = await victim(store);
    const old = store.stored(l.space.id, 0)!.slice(); // page 0 holding 1
    l.w.write8(1, 0x55); // reload page 0, change it
    for (let p = 1; p < 16; p++) l.w.read8(p * PAGE); // push it out again: a newer sealed version
    expect(store.stored(l.space.id, 0)).not.toEqual(old);
    store.onFetch = (e, p, stored) => (p === 0 ? old : stored);
    expectTornDown(l, () => l.w.read8(1));
  });

  it('detects a dropped page and a truncated one', async () => {
    for (const bad of [() => undefined, (s: Uint8Array | undefined) => s!.subarray(0, 100)]) {
      const store = new AdversarialStore();
      const l = await victim(store);
      store.onFetch = (_e, p, stored) => (p === 3 ? bad(stored) : stored);
      expectTornDown(l, () => l.w.read64(3 * PAGE));
    }
  });

  it('a fault in the middle of a bulk copy stops it: the copy returns nothing and leaves nothing behind', async () => {
    const store = new AdversarialStore();
    const l = await victim(store);
    store.stored(l.space.id, 4)![7] ^= 0xff;
    expectTornDown(l, () => l.w.copy(14 * PAGE, 3 * PAGE, 2 * PAGE));
    expect(l.epc.budget.used).toBe(0);
  });

  it('any single flipped bit anywhere in a sealed page is caught (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: SEALED_PAGE_BYTES - 1 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 10 }), async (at, bit, page) => {
        const store = new AdversarialStore();
        const l = await victim(store);
        store.stored(l.space.id, page)![at] ^= 1 << bit;
        expectTornDown(l, () => l.w.read8(page * PAGE + 1));
      }),
      { numRuns: 25 },
    );
  });

  it('whatever bytes the monitor returns instead of a sealed page are refused, never a crash (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: SEALED_PAGE_BYTES + 64 }), fc.integer({ min: 0, max: 10 }), async (junk, page) => {
        const store = new AdversarialStore();
        const l = await victim(store);
        store.onFetch = (_e, p, stored) => (p === page ? junk : stored);
        expectTornDown(l, () => l.w.read8(page * PAGE + 1));
      }),
      { numRuns: 20 },
    );
  });

  it('a backing store that gives no usable memory is a typed error, not a crash', async () => {
    const store = new AdversarialStore();
    store.slot = () => new Uint8Array(10);
    const epc = new Epc({ pages: 6, backing: store });
    const l = await loadInto(epc, { maxBytes: MAX });
    expect(() => l.w.reserve(16 * PAGE)).toThrow(expect.objectContaining({ code: 'E_EPC_BACKING' }));
  });

  it('a throwing fault listener cannot disturb the enclave', async () => {
    const l = await victim(new AdversarialStore());
    l.epc.subscribe(() => {
      throw new Error('monitor bug');
    });
    for (let p = 0; p < 16; p++) expect(l.w.read8(p * PAGE + 1)).toBe(p + 1);
  });
});
