/**
 * Guests sharing a thread share its EPC install (runtime/hw/epc/sgx-link.ts attachSharedGuestEpc): the SGX
 * life-cycle hooks are installed once for all of them, stay while any is attached (a guest that ends first does
 * not take its neighbours' EPC away), and go with the last; a guest with the thread to itself installs its own.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attachGuestEpc, type GuestEpcContext } from '../../../runtime/hw/epc/sgx-link.js';
import { sgxHooks } from '../../../runtime/hw/sgx/enclave.js';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'emon-shared-epc-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const guest = (name: string, sharesThread: boolean): GuestEpcContext => ({
  name,
  manifest: { enclaves: [{ name: 'sealer' }] },
  attachments: new Map([['sealer', 'sealer.wasm']]),
  options: { stateDir },
  trace: null,
  sharesThread,
  log: () => undefined,
});

describe('EPC install shared by the guests of a thread', () => {
  it('is made by the first guest, kept while any guest is attached, and removed with the last', () => {
    const before = { ...sgxHooks };
    const detachA = attachGuestEpc(guest('a', true));
    const installed = sgxHooks.prepareModule;
    expect(installed).not.toBe(before.prepareModule);
    expect(typeof sgxHooks.link).toBe('function');
    const detachB = attachGuestEpc(guest('b', true));
    expect(sgxHooks.prepareModule).toBe(installed);
    detachA();
    // b is still running: its enclaves must still be paged through the EPC.
    expect(sgxHooks.prepareModule).toBe(installed);
    detachA(); // a second detach of the same guest changes nothing
    expect(sgxHooks.prepareModule).toBe(installed);
    detachB();
    expect(sgxHooks.prepareModule).toBe(before.prepareModule);
    expect(sgxHooks.link).toBe(before.link);
  });

  it('a guest with the thread to itself installs its own hooks over whatever is there', () => {
    const before = { ...sgxHooks };
    const detachA = attachGuestEpc(guest('a', false));
    const first = sgxHooks.prepareModule;
    const detachB = attachGuestEpc(guest('b', false));
    expect(sgxHooks.prepareModule).not.toBe(first);
    detachB();
    detachA();
    expect(sgxHooks.prepareModule).toBe(before.prepareModule);
  });
});
