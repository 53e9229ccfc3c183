/**
 * One EPC per platform: the page budget is shared by every enclave of every worker (SharedArrayBuffer), each
 * worker evicting its own pages to stay within it (a worker with nothing to evict overdraws by at most the two
 * pages of one access, paid back at the next fault of any worker); and the `--epc=SIZE` parser.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../../runtime/errors.js';
import { distModule } from '../../../runtime/paths.js';
import { Epc, EpcBudget, parseEpcSize } from '../../../runtime/hw/epc/index.js';
import { loadInto, PAGE, plainWorkloads, workloadBytes } from './fixtures.js';

describe('EPC budget', () => {
  it('parses --epc sizes in bytes or pages and rejects nonsense', () => {
    expect(parseEpcSize('93.5M')).toBe(23936);
    expect(parseEpcSize('93.5MiB')).toBe(23936);
    expect(parseEpcSize('512K')).toBe(128);
    expect(parseEpcSize('256p')).toBe(256);
    expect(parseEpcSize('1g')).toBe(262144);
    expect(parseEpcSize('65536')).toBe(16);
    for (const bad of ['', 'lots', '12X', '-5M', '8K', '1e3M']) {
      let err: unknown;
      try {
        parseEpcSize(bad);
      } catch (e) {
        err = e;
      }
      expect(isEmonError(err, 'E_EPC_SIZE'), bad).toBe(true);
    }
  });

  it('two pagers on one platform budget never hold more pages than the EPC between them', async () => {
    const budget = EpcBudget.create(24);
    const a = await loadInto(new Epc({ budget }), { name: 'g1/a' });
    const b = await loadInto(new Epc({ budget, policy: 'fifo' }), { name: 'g2/b' });
    const plain = await plainWorkloads();
    const expected = plain.hashKernel(40 * PAGE, 2, 9);
    for (let round = 0; round < 3; round++) {
      // A pager with no page of its own to give overdraws by at most the two pages of one access; the
      // other pays the overdraft back at its next fault.
      expect(a.w.hashKernel(40 * PAGE, 2, 9)).toBe(plain.hashKernel(40 * PAGE, 2, 9));
      expect(budget.used).toBeLessThanOrEqual(24);
      expect(b.w.hashKernel(40 * PAGE, 2, 9)).toBe(expected);
      expect(budget.used).toBeLessThanOrEqual(24 + 2);
      expect(a.epc.residentFrames + a.space.pinned + b.epc.residentFrames + b.space.pinned).toBe(budget.used);
    }
    expect(budget.peakOver).toBeLessThanOrEqual(2);
    a.epc.destroy(a.space);
    b.epc.destroy(b.space);
    expect(budget.used).toBe(0);
  });

  it('a second pager can open a paged enclave while the first holds the whole EPC (bounded overdraft)', async () => {
    const budget = EpcBudget.create(24);
    const a = await loadInto(new Epc({ budget }), { name: 'g1/a' });
    a.w.hashKernel(40 * PAGE, 2, 9);
    expect(budget.used).toBe(24);
    // g2 has no page of its own to evict: its version-array page overdraws the budget instead of failing.
    const b = await loadInto(new Epc({ budget }), { name: 'g2/b' });
    const expected = (await plainWorkloads()).hashKernel(40 * PAGE, 2, 9);
    expect(b.w.hashKernel(40 * PAGE, 2, 9)).toBe(expected);
    // The first pager pays the overdraft back at its next faults.
    expect(a.w.hashKernel(40 * PAGE, 2, 9)).toBe(expected);
    expect(budget.used).toBeLessThanOrEqual(24);
    expect(budget.peakOver).toBeLessThanOrEqual(3);
    a.epc.destroy(a.space);
    b.epc.destroy(b.space);
    expect(budget.used).toBe(0);
  });

  it('rejects a buffer that is not an EPC budget', () => {
    expect(() => EpcBudget.attach(new SharedArrayBuffer(8))).toThrow(expect.objectContaining({ code: 'E_EPC_BUDGET' }));
  });

  it.runIf(existsSync(distModule('hw/epc/index.js')))('guests in worker threads share one EPC through the SharedArrayBuffer', async () => {
    const budget = EpcBudget.create(40);
    const bytes = await workloadBytes();
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.epc).then(async ({ Epc, EpcBudget }) => {
        const budget = EpcBudget.attach(workerData.budget);
        const epc = new Epc({ budget });
        const { instance, space } = await epc.load(workerData.bytes, {}, { name: 'w/' + workerData.n, maxBytes: 2 << 20 });
        let peak = 0;
        const r = [];
        for (let i = 0; i < 4; i++) { r.push(String(instance.exports.hashKernel(64 * 4096, 1, 5))); peak = Math.max(peak, budget.used); }
        const faults = space.faults;
        epc.destroy(space);
        parentPort.postMessage({ r, peak, faults });
      });`;
    const run = (n: number): Promise<{ r: string[]; peak: number; faults: number }> =>
      new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { n, budget: budget.buffer, bytes, epc: `file://${distModule('hw/epc/index.js')}` } });
        w.once('message', (m) => {
          void w.terminate();
          resolve(m as { r: string[]; peak: number; faults: number });
        });
        w.once('error', reject);
      });
    const [x, y] = await Promise.all([run(1), run(2)]);
    const plain = await plainWorkloads();
    const want = String(plain.hashKernel(64 * 4096, 1, 5));
    expect(x.r[0]).toBe(want);
    expect(y.r[0]).toBe(want);
    expect(x.faults + y.faults).toBeGreaterThan(0);
    expect(Math.max(x.peak, y.peak)).toBeLessThanOrEqual(40 + 4);
    expect(budget.peakOver).toBeLessThanOrEqual(4);
    expect(budget.used).toBe(0);
  });
});
