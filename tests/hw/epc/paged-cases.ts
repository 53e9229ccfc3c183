/**
 * The enclave test suites again, with every SGX enclave they open paged through a small EPC (issue 10, defect 1:
 * "a paging-pressure variant of every gate test"). The suites' own expectations are the resident results, so a
 * case that passes resident and fails here lost or corrupted data under paging. Installed before the suites are
 * imported: enclave images compiled while the EPC is installed are instrumented for it, and it stays installed
 * while their cases run. tests/enclave/edl-structs.test.ts is not among them: its enclave is JavaScript over a
 * plain memory (tests/enclave/fake-enclave.ts), with no pages to evict; the same shapes under real paging are in
 * ./ocall-paged.test.ts.
 */
import { afterAll, expect, it } from 'vitest';
import { Epc } from '../../../runtime/hw/epc/index.js';
import { installSgxEpc } from '../../../runtime/hw/epc/sgx-link.js';
import { markPagedEpc } from '../../enclave/harness.js';

/** Runs the gate, gate-edge, gate-property, edltypes and sealing suites paged through a `pages`-page EPC. */
export async function pagedSuites(pages: number): Promise<void> {
  const epc = new Epc({ pages });
  const uninstall = installSgxEpc(epc);
  afterAll(uninstall);
  markPagedEpc();
  await import('../../enclave/gate.test.js');
  await import('../../enclave/gate-edges.test.js');
  await import('../../enclave/gate-fuzz.test.js');
  await import('../../enclave/edltypes.test.js');
  await import('../../enclave/sealing.test.js');
  it(`the ${pages}-page EPC was under pressure while the suites ran (pages were evicted and faulted back)`, () => {
    expect(epc.stats.evictions).toBeGreaterThan(0);
    expect(epc.stats.faults).toBeGreaterThan(0);
  });
}
