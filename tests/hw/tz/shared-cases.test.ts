/**
 * The shared enclave cases on --backend=tz (issue 14: "the test suite runs its shared enclave cases on both
 * backends"): the gate (attributes, refusals, OCALLs, re-entry, lost enclaves, tracing), its edges and its
 * property tests, enclave_open's edges and the edltypes enclave, run again with TrustZone as the harness's
 * backend. On TZ every open is an OpenSession of the enclave run as a TA and every ECALL an InvokeCommand of that
 * session, so these cases test that path with the same expectations as on SGX. Sealing, local attestation and
 * the extension cases are parametrized in their own files.
 */
import { afterAll, expect, it } from 'vitest';
import { attachBoard } from '../../../runtime/hw/tz/board.js';
import { currentBackend, useBackend } from '../../enclave/harness.js';

useBackend('tz');
const board = attachBoard({ name: 'shared-cases', manifest: {}, attachments: new Map(), options: { secureMem: '256M' }, trace: null, log: () => undefined });
afterAll(() => board.release());
let opened = 0;
const open = board.world.openEdlSession.bind(board.world);
board.world.openEdlSession = (...args) => {
  opened++;
  return open(...args);
};
await import('../../enclave/gate.test.js');
await import('../../enclave/gate-edges.test.js');
await import('../../enclave/gate-fuzz.test.js');
await import('../../enclave/open-edges.test.js');
await import('../../enclave/edltypes.test.js');

it('the cases ran on TrustZone: their enclaves were opened as TA sessions of the secure world', () => {
  expect(currentBackend()).toBe('tz');
  expect(opened).toBeGreaterThan(20);
});
