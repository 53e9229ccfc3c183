/**
 * Detection inside the enclave raises no false alarm: 1,000 runs of each unattacked detecting victim, sharing a
 * small EPC with another tenant whose working set keeps evicting the victim's pages (normal EPC pressure: the
 * victim takes at least one fault per run), never stop early.
 */
import { describe, expect, it } from 'vitest';
import { Epc } from '../../runtime/hw/epc/index.js';
import { balancedSecret } from '../../runtime/attack/campaign.js';
import { builtinVictims } from '../../runtime/attack/victims.js';
import { VictimEnclave } from '../../runtime/attack/victim.js';
import { victimBytes } from './fixtures.js';

const RUNS = 1000;

describe('detection under normal EPC pressure', () => {
  for (const v of builtinVictims) {
    it(`${v.name}_detect: no false alarm in ${RUNS} unattacked runs while another enclave competes for the EPC`, async () => {
      const bytes = await victimBytes();
      // 48 pages: the victim's tables and buffers (up to 30 pages) and the tenant's 64 pages, 40 of them touched
      // between two victim runs, do not fit: every run of the victim faults some of its pages back in.
      const epc = new Epc({ pages: 48 });
      const victim = await VictimEnclave.load(bytes, { name: `pressure/${v.name}`, epc });
      const tenant = await VictimEnclave.load(bytes, { name: 'pressure/tenant', epc, maxBytes: 2 << 20 });
      const secret = balancedSecret(v.alphabet * 4, v.alphabet, 11);
      const entry = `${v.name}_detect`;
      const faults0 = victim.faults;
      let stopped = 0;
      for (let run = 0; run < RUNS; run++) {
        tenant.churn(64, run * 40, 40);
        if (victim.run(entry, secret, null, null) !== secret.length) stopped++;
      }
      const faults = victim.faults - faults0;
      // The pressure is real: the victim's pages were evicted and faulted back in during its runs.
      expect(faults, 'victim faults under pressure').toBeGreaterThanOrEqual(RUNS);
      expect(stopped).toBe(0);
      victim.destroy();
      tenant.destroy();
    });
  }
});
