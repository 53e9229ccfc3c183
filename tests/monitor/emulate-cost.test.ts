/**
 * `emon run --emulate-cost`: each hypercall also spins for the modeled cost of a guest exit on the chosen
 * backend (runtime/hw/cost). The spin itself is tested with the cost model (tests/bench); here the spin is
 * replaced by a recorder, so the test checks exactly which events are emulated, without timing anything.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootProbe, type Probe } from './helpers.js';

const spins: Array<[string, string]> = [];
vi.mock('../../runtime/hw/cost/emulate.js', () => ({
  emulateCost: (backend: string, event: string) => {
    spins.push([backend, event]);
  },
}));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-cost-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let probe: Probe | null = null;
afterEach(() => {
  probe?.close();
  probe = null;
  spins.length = 0;
});

function disk(name: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, new Uint8Array(4096));
  return file;
}

describe('--emulate-cost on hypercalls', () => {
  for (const backend of ['sgx', 'tz'] as const) {
    it(`spins once per hypercall for the modeled ${backend} guest exit, and the call still works`, async () => {
      probe = await bootProbe(disk(`${backend}.img`), { options: { emulateCost: true, backend } });
      spins.length = 0;
      for (let i = 0; i < 5; i++) expect(typeof probe.runner.invoke('h_clock_monotonic').value).toBe('bigint');
      expect(probe.runner.invoke('h_console_write', 0, 0).value).toBeUndefined();
      expect(spins).toEqual(Array.from({ length: 6 }, () => [backend, 'hypercall']));
    });
  }

  it('is off by default', async () => {
    probe = await bootProbe(disk('off.img'));
    for (let i = 0; i < 5; i++) probe.runner.invoke('h_clock_monotonic');
    expect(spins).toEqual([]);
  });
});
