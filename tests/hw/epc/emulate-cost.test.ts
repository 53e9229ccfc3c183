/**
 * `emon run --emulate-cost` with a paged enclave: every EPC fault also spins for the modeled SGX page swap.
 * The spin is replaced by a recorder, so the test checks which events are emulated without timing anything.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OK } from '../../../runtime/enclave/abi.js';
import { attachGuestEpc, platformEpc } from '../../../runtime/hw/epc/sgx-link.js';
import { generateSignerKey } from '../../../runtime/hw/sgx/sigstruct.js';
import { FREE, image, signed, tempPlatform, TestGuest } from '../../enclave/harness.js';

const spins: string[] = [];
vi.mock('../../../runtime/hw/cost/emulate.js', () => ({
  emulateCost: (backend: string, event: string) => {
    spins.push(`${backend}/${event}`);
  },
}));

const key = generateSignerKey().secretKey;
const platform = tempPlatform();
let detach: (() => void) | null = null;
afterEach(() => {
  detach?.();
  detach = null;
  spins.length = 0;
});

function sealSome(emulateCost: boolean): number {
  detach = attachGuestEpc({
    name: 'g',
    manifest: { enclaves: [{ name: 'sealer' }] },
    attachments: new Map([['sealer', 'sealer.wasm']]),
    options: { epc: '76p', emulateCost },
    trace: null,
    log: () => undefined,
  });
  let faults = 0;
  const unsubscribe = platformEpc().subscribe(() => faults++);
  const g = new TestGuest().open(image('sealer', signed('sealer', { heapPages: 16 }, key).bytes), platform);
  const data = new Uint8Array(3000).fill(7);
  g.put(FREE, data);
  for (let i = 0; i < 3; i++) expect(g.call('seal_data', [2, FREE, 0, FREE, data.length, FREE + 8192, 8192]).status).toBe(OK);
  unsubscribe();
  return faults;
}

describe('--emulate-cost on EPC faults', () => {
  it('spins once per fault for the modeled SGX page swap', () => {
    const faults = sealSome(true);
    expect(faults).toBeGreaterThan(0);
    expect(spins.filter((s) => s === 'sgx/epc_fault').length).toBe(faults);
  });

  it('does not spin when off', () => {
    expect(sealSome(false)).toBeGreaterThan(0);
    expect(spins.filter((s) => s.endsWith('epc_fault'))).toEqual([]);
  });
});
