/**
 * SGX enclaves in the EPC: the sealer enclave (EGETKEY, Wasm AEAD, the gate's marshalling area) runs paged
 * through an EPC much smaller than itself with the same results as unpaged, and resident with no checks; every
 * fault is reported. Uses the enclave test harness (real gate, real life cycle).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ELOST, OK } from '../../../runtime/enclave/abi.js';
import { Epc, type EpcFault } from '../../../runtime/hw/epc/index.js';
import { attachGuestEpc, faultTraceEvent, installSgxEpc, platformEpc } from '../../../runtime/hw/epc/sgx-link.js';
import { AdversarialStore } from './fixtures.js';
import { generateSignerKey } from '../../../runtime/hw/sgx/sigstruct.js';
import { FREE, image, signed, tempPlatform, TestGuest } from '../../enclave/harness.js';

const DATA = FREE;
const BLOB = FREE + 8192;
const OUT = FREE + 16384;
const key = generateSignerKey().secretKey;
const platform = tempPlatform();

let uninstall: (() => void) | null = null;
afterEach(() => {
  uninstall?.();
  uninstall = null;
});

function roundTrip(g: TestGuest, data: Uint8Array): { blob: Uint8Array; back: Uint8Array } {
  g.put(DATA, data);
  const s = g.call('seal_data', [2, DATA, 0, DATA, data.length, BLOB, 8192]);
  expect(s.status, g.log.join("; ")).toBe(OK);
  const len = Number(s.ret & 0xffffffffn) | 0;
  expect(len).toBe(64 + data.length + 16);
  const blob = g.u8().slice(BLOB, BLOB + len);
  const u = g.call('unseal_data', [BLOB, len, OUT, 8192]);
  expect(u.status).toBe(OK);
  return { blob, back: g.u8().slice(OUT, OUT + (Number(u.ret & 0xffffffffn) | 0)) };
}

describe('SGX enclaves in the EPC', () => {
  const data = new Uint8Array(3000).map((_, i) => (i * 31) & 0xff);

  it('the sealer enclave runs paged through a 76-page EPC (its 64-page marshalling area held) and its blobs open unpaged (and the other way)', () => {
    const plainImage = image('sealer', signed('sealer', { heapPages: 16 }, key).bytes);
    const plain = new TestGuest().open(plainImage, platform);
    const expected = roundTrip(plain, data);
    expect(expected.back).toEqual(data);

    const epc = new Epc({ pages: 76 });
    const faults: EpcFault[] = [];
    epc.subscribe((f) => faults.push(f));
    const lines: string[] = [];
    uninstall = installSgxEpc(epc, { log: (l) => lines.push(l) });
    const pagedImage = image('sealer', signed('sealer', { heapPages: 16 }, key).bytes);
    const g = new TestGuest().open(pagedImage, platform);
    expect(lines.join('\n')).toMatch(/sealer\.wasm: EPC paged mode/);
    for (let i = 0; i < 3; i++) {
      const { blob, back } = roundTrip(g, data);
      expect(back).toEqual(data);
      expect(blob.length).toBe(expected.blob.length);
      // A blob sealed paged opens in the unpaged enclave (same MRSIGNER key, same platform).
      plain.put(BLOB, blob);
      const u = plain.call('unseal_data', [BLOB, blob.length, OUT, 8192]);
      expect(Number(u.ret & 0xffffffffn) | 0).toBe(data.length);
    }
    expect(faults.length, `faults; ${epc.stats.evictions} evictions, ${epc.residentFrames} frames`).toBeGreaterThan(0);
    expect(faults.every((f) => f.name === 'sealer.wasm')).toBe(true);
    expect(epc.budget.used).toBeLessThanOrEqual(76);
    const ev = faultTraceEvent(faults[0]!, 'guest1');
    expect(ev).toMatchObject({ kind: 'epc_fault', track: 'guest1/sealer.wasm', dur: 0, args: { page: faults[0]!.page } });
  });

  it('a tampered evicted page loses the enclave mid-ECALL: the guest gets ELOST and nothing back', () => {
    const store = new AdversarialStore();
    const epc = new Epc({ pages: 136, backing: store });
    uninstall = installSgxEpc(epc);
    const img = image('gatetest', signed('gatetest', { heapPages: 16 }, key).bytes);
    const echo = (g: () => TestGuest) => ({ ocall_tick: () => 0, ocall_null: () => undefined, ocall_echo: (s: number, d: number, l: number) => void g().u8().copyWithin(d, s, s + l) });
    const g: TestGuest = new TestGuest(echo(() => g)).open(img, platform);
    // echo_via_guest fills the enclave's 64 KiB static buffer, outside its held marshalling area.
    expect(Number(g.call('echo_via_guest', [16384]).ret & 0xffffffffn)).toBe(16384);
    // A second instance's EADDs and work push the first one's pages (all but its held marshalling area) out:
    // 2 x 64 held + 2 version-array pages leave 6 frames for both.
    const g2: TestGuest = new TestGuest(echo(() => g2)).open(img, platform);
    expect(Number(g2.call('echo_via_guest', [16384]).ret & 0xffffffffn)).toBe(16384);
    const stored = (store as unknown as { pages: Map<number, Map<number, Uint8Array>> }).pages;
    let flipped = 0;
    for (const pages of stored.values()) for (const blob of pages.values()) (blob[5]! ^= 1), flipped++;
    expect(flipped).toBeGreaterThan(0);
    const seen: EpcFault[] = [];
    epc.subscribe((f) => seen.push(f));
    const r = g.call('echo_via_guest', [16384]);
    expect(r.status, `${flipped} flipped; faults ${JSON.stringify(seen)}; used ${epc.budget.used}; frames ${epc.residentFrames}; ev ${epc.stats.evictions}`).toBe(ELOST);
    expect(g.log.join('\n')).toMatch(/E_EPC_INTEGRITY|integrity check/);
    expect(r.ret).toBe(BigInt.asIntN(64, 0xdeadbeefdeadbeefn)); // the return slot was never written
    expect(g.call('ping', []).status).toBe(ELOST);
  });

  it('a resident enclave takes no faults and pins its whole heap', () => {
    const epc = new Epc({ pages: 512 });
    const faults: EpcFault[] = [];
    epc.subscribe((f) => faults.push(f));
    const lines: string[] = [];
    uninstall = installSgxEpc(epc, { resident: () => true, log: (l) => lines.push(l) });
    const g = new TestGuest().open(image('sealer', signed('sealer', { heapPages: 16 }, key).bytes), platform);
    expect(roundTrip(g, data).back).toEqual(data);
    expect(lines.join('\n')).toMatch(/EPC resident mode/);
    expect(faults).toHaveLength(0);
    expect(epc.budget.used).toBe(256);
  });

  it('a guest marks an enclave resident in its manifest; -v names the mode; the end of the guest releases its pages', () => {
    const lines: string[] = [];
    uninstall = attachGuestEpc({
      name: 'g',
      manifest: { enclaves: [{ name: 'sealer', epc: 'resident' }] },
      attachments: new Map([['sealer', 'sealer.wasm']]),
      options: { epc: '400p', verbose: true },
      trace: null,
      log: (m) => lines.push(m),
    });
    const epc = platformEpc();
    expect(epc.budget.capacity).toBe(400);
    const g = new TestGuest().open(image('sealer', signed('sealer', { heapPages: 16 }, key).bytes), platform);
    expect(roundTrip(g, data).back).toEqual(data);
    expect(lines).toEqual(['enclave sealer.wasm: EPC resident mode (1024 KiB pinned, no residency checks)']);
    expect(epc.budget.used).toBe(256);
    uninstall();
    uninstall = null;
    expect(epc.budget.used).toBe(0);
  });

  it('a resident enclave that does not fit is refused with a clear error', () => {
    uninstall = installSgxEpc(new Epc({ pages: 100 }), { resident: () => true });
    expect(() => new TestGuest().open(image('sealer', signed('sealer', { heapPages: 16 }, key).bytes), platform)).toThrow(/256 pinned EPC pages/);
  });
});
