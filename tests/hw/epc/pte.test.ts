/**
 * Page-table accessed and dirty bits (pte.ts) and the untrusted OS's view of an enclave's pages: a walk sets A
 * on an access and D on a store; the OS reads and clears them without the enclave taking a fault, and the next
 * access sets them again; the OS evicts pages of its choice, and each access to one faults; an enclave that
 * imports emon_hw.paging_events reads the count of its faults and walks.
 */
import { describe, expect, it } from 'vitest';
import { Epc, pagingCounterImports } from '../../../runtime/hw/epc/index.js';
import { VictimEnclave } from '../../../runtime/attack/victim.js';
import { victimBytes } from '../../attack/fixtures.js';
import { pagedWorkloads, PAGE } from './fixtures.js';

describe('page-table A/D bits', () => {
  it('a load sets A, a store sets A and D; clearing them costs no fault and the next access sets them again', async () => {
    const l = await pagedWorkloads(256);
    const view = l.epc.osView(l.space);
    const base = l.w.reserve(8 * PAGE);
    const p0 = base / PAGE;
    for (let p = 0; p < 8; p++) l.w.write8(base + p * PAGE, p);
    view.scan(true);
    expect(view.scan(false)).toEqual({ accessed: [], dirty: [] });
    const faults = l.epc.stats.faults;
    expect(l.w.read8(base + 2 * PAGE)).toBe(2);
    l.w.write8(base + 5 * PAGE + 9, 1);
    const s = view.scan(true);
    expect(s.accessed).toEqual([p0 + 2, p0 + 5]);
    expect(s.dirty).toEqual([p0 + 5]);
    expect(l.epc.stats.faults).toBe(faults);
    // Cleared: the same accesses set them again (the next access walks), still with no fault.
    l.w.read8(base + 5 * PAGE);
    expect(view.scan(true)).toEqual({ accessed: [p0 + 5], dirty: [] });
    l.w.write8(base + 5 * PAGE, 3);
    expect(view.scan(false)).toEqual({ accessed: [p0 + 5], dirty: [p0 + 5] });
    expect(l.epc.stats.faults).toBe(faults);
    expect(l.w.read8(base + 5 * PAGE)).toBe(3);
  });

  it('the OS evicts a page of its choice; the next access faults, the channel names it, the data is intact', async () => {
    const l = await pagedWorkloads(256);
    const view = l.epc.osView(l.space);
    const base = l.w.reserve(4 * PAGE);
    for (let p = 0; p < 4; p++) l.w.write8(base + p * PAGE + 7, 40 + p);
    const page = base / PAGE + 3;
    expect(view.resident(page)).toBe(true);
    expect(view.evict(page)).toBe(true);
    expect(view.resident(page)).toBe(false);
    expect(view.evict(page)).toBe(false);
    const before = l.faults.length;
    expect(l.w.read8(base + 3 * PAGE + 7)).toBe(43);
    expect(l.faults.slice(before).map((f) => f.page)).toEqual([page]);
    const used = l.epc.budget.used;
    expect(view.evictAll()).toBeGreaterThan(4);
    expect(l.epc.budget.used).toBeLessThan(used);
    const f0 = l.faults.length;
    for (let p = 0; p < 4; p++) expect(l.w.read8(base + p * PAGE + 7)).toBe(40 + p);
    expect(l.faults.slice(f0).map((f) => f.page)).toEqual([0, 1, 2, 3].map((p) => base / PAGE + p));
    expect(view.evict(-1)).toBe(false);
    expect(view.evict(view.maxPages)).toBe(false);
  });

  it('the OS view holds no enclave memory', async () => {
    const l = await pagedWorkloads(64);
    const view = l.epc.osView(l.space) as unknown as Record<string, unknown>;
    for (const v of Object.values(view)) {
      expect(v instanceof Uint8Array || v instanceof WebAssembly.Memory || v instanceof ArrayBuffer).toBe(false);
    }
  });

  it('an enclave that imports emon_hw.paging_events reads its faults and walks; one that does not gets no such import', async () => {
    const epc = new Epc({ pages: 256 });
    const v = await VictimEnclave.load(await victimBytes(), { name: 'counter', epc });
    const secret = new Uint8Array(64).map((_, i) => i % 16);
    expect(v.run('lut_detect', secret, null, null)).toBe(64);
    // Each symbol walks three cleared pages after the OS clears all bits at each OCALL: the victim stops itself.
    expect(v.run('lut_detect', secret, { ocall: () => void v.view.scan(true) }, null)).toBeLessThan(8);
    // Evicting everything at each OCALL: faults, same outcome.
    expect(v.run('lut_detect', secret, { ocall: () => void v.view.evictAll() }, null)).toBeLessThan(8);
    const l = await pagedWorkloads(64);
    expect(pagingCounterImports(l.space, new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])))).toEqual({});
  });
});
