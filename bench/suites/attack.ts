/**
 * The side-channel observatory (issue 18) in one run: (a) the cost of each mitigation, as the time of one ECALL
 * of the hardened (page-uniform, branch-free) and the detecting (naive plus the paging-event check) version of
 * each victim against its naive version, unattacked; (b) the cost of observing: the naive ECALL while the
 * monitor samples and clears the A/D bits of every page at every transition (accessed-bits / observe), and
 * while it evicts every page at every transition (controlled channel), against the same ECALL unobserved.
 * One op is one ECALL over a 256-symbol secret (256 OCALLs). The victim TA (TrustZone, enclaves/ta-victim) has
 * its own cases: one op is one run of 256 step commands (256 SMC round trips), hardened over naive, and naive
 * while the normal world primes and probes the cache model at every SMC over naive unobserved (loads and stores
 * routed through the cache model in all three, so the ratio is the attack's own cost).
 */
import { readFileSync } from 'node:fs';
import type { BenchCase, BenchSuite } from '../suite.js';
import { buildVictims } from '../../runtime/build/steps/45-victims.js';
import { balancedSecret } from '../../runtime/attack/campaign.js';
import type { TransitionHooks } from '../../runtime/attack/module.js';
import { VictimEnclave } from '../../runtime/attack/victim.js';
import { builtinVictims, variants } from '../../runtime/attack/victims.js';
import { VictimTa, victimTaFile } from '../../runtime/attack/ta-victim.js';
import { Observation } from '../../runtime/attack/observation.js';
import { SetAssocCache } from '../../runtime/hw/cache/model.js';

const SYMBOLS = 256;
let loaded: VictimEnclave[] = [];
let tas: VictimTa[] = [];
let sink = 0;

export const suite: BenchSuite = {
  name: 'attack',
  description: 'side channels: mitigation cost (hardened and detecting victims vs naive, and the victim TA) and observation cost (A/D sampling, eviction at every transition, prime+probe at every SMC vs none)',
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
    const taFile = await victimTaFile();
    const secret = balancedSecret(SYMBOLS, 16, 5);
    const taCase = (name: string, variant: 'naive' | 'hardened', observe: boolean, params: Record<string, string>): BenchCase => {
      const cache = new SetAssocCache();
      const ta = new VictimTa(taFile, `bench/${name}`, cache);
      tas.push(ta);
      const hooks: TransitionHooks | null = observe ? { enter: () => cache.prime(), ocall: () => void cache.probe() } : null;
      return {
        name,
        bytes: secret.length,
        params: { victim: 'ta-ttable', ...params },
        ...(name === 'mitigation/ta-ttable/naive' ? {} : { baselines: ['mitigation/ta-ttable/naive'] }),
        run(n) {
          for (let i = 0; i < n; i++) sink ^= ta.run(variant, secret, hooks, observe ? new Observation() : null);
        },
      };
    };
    cases.push(
      taCase('mitigation/ta-ttable/naive', 'naive', false, { part: 'mitigation', variant: 'naive' }),
      taCase('mitigation/ta-ttable/hardened', 'hardened', false, { part: 'mitigation', variant: 'hardened' }),
      taCase('observe/ta-ttable/prime-probe', 'naive', true, { part: 'observe', observer: 'prime-probe' }),
    );
    return cases;
  },
  async teardown() {
    for (const e of loaded) e.destroy();
    loaded = [];
    for (const t of tas) t.destroy();
    tas = [];
    if (sink === 0.5) console.log(sink);
  },
};
