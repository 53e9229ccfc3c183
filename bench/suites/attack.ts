/**
 * The side-channel observatory (issue 18) in one run: (a) the cost of each mitigation, as the time of one ECALL
 * of the hardened (page-uniform, branch-free) and the detecting (naive plus the paging-event check) version of
 * each victim against its naive version, unattacked; (b) the cost of observing: the naive ECALL while the
 * monitor samples and clears the A/D bits of every page at every transition (accessed-bits / observe), and
 * while it evicts every page at every transition (controlled channel), against the same ECALL unobserved.
 * One op is one ECALL over a 256-symbol secret (256 OCALLs).
 */
import { readFileSync } from 'node:fs';
import type { BenchCase, BenchSuite } from '../suite.js';
import { buildVictims } from '../../runtime/build/steps/45-victims.js';
import { balancedSecret } from '../../runtime/attack/campaign.js';
import type { TransitionHooks } from '../../runtime/attack/module.js';
import { VictimEnclave } from '../../runtime/attack/victim.js';
import { builtinVictims, variants } from '../../runtime/attack/victims.js';

const SYMBOLS = 256;
let loaded: VictimEnclave[] = [];
let sink = 0;

export const suite: BenchSuite = {
  name: 'attack',
  description: 'side channels: mitigation cost (hardened and detecting victims vs naive) and observation cost (A/D sampling, eviction at every transition vs none)',
  async setup() {
    const bytes = new Uint8Array(readFileSync(await buildVictims()));
    const cases: BenchCase[] = [];
    for (const v of builtinVictims) {
      const secret = balancedSecret(SYMBOLS, v.alphabet, 5);
      const naive = `mitigation/${v.name}/naive`;
      for (const variant of variants) {
        const enclave = await VictimEnclave.load(bytes, { name: `bench/${v.name}/${variant}` });
        loaded.push(enclave);
        const entry = `${v.name}_${variant}`;
        cases.push({
          name: `mitigation/${v.name}/${variant}`,
          bytes: secret.length,
          params: { part: 'mitigation', victim: v.name, variant },
          ...(variant === 'naive' ? {} : { baselines: [naive] }),
          run(n) {
            for (let i = 0; i < n; i++) sink ^= enclave.run(entry, secret, null, null);
          },
        });
      }
      const observers: Record<string, (e: VictimEnclave) => TransitionHooks> = {
        'ad-sampling': (e) => ({ enter: () => void e.view.scan(true), ocall: () => void e.view.scan(true), exit: () => void e.view.scan(true) }),
        'evict-all': (e) => ({ enter: () => void e.view.evictAll(), ocall: () => void e.view.evictAll() }),
      };
      for (const [what, make] of Object.entries(observers)) {
        const enclave = await VictimEnclave.load(bytes, { name: `bench/${v.name}/${what}` });
        loaded.push(enclave);
        const hooks = make(enclave);
        const entry = `${v.name}_naive`;
        cases.push({
          name: `observe/${v.name}/${what}`,
          bytes: secret.length,
          params: { part: 'observe', victim: v.name, observer: what },
          baselines: [naive],
          run(n) {
            for (let i = 0; i < n; i++) sink ^= enclave.run(entry, secret, hooks, null, false);
          },
        });
      }
    }
    return cases;
  },
  async teardown() {
    for (const e of loaded) e.destroy();
    loaded = [];
    if (sink === 0.5) console.log(sink);
  },
};
