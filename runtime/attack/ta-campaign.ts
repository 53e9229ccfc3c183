/**
 * One attack against the victim TA, start to score (issue 18, point 6): the TrustZone twin of campaign.ts. The
 * attacker is the normal world (TruSpy, Zhang et al. 2016; ARMageddon, Lipp et al., USENIX Security 2016): it
 * issues every SMC, so it sees each command, its memref sizes and its time, and it shares the core's cache with
 * the TA. A training run of its own TA instance on a known secret builds templates, then the victim's instance
 * runs on a fresh balanced secret, and the recovered symbols are scored against the real ones and against
 * chance, with the same recovery (recover.ts) as against SGX enclaves.
 */
import { EmonError } from '../errors.js';
import { SetAssocCache } from '../hw/cache/model.js';
import { balancedSecret, scoreRun, type CampaignResult } from './campaign.js';
import type { AttackModule } from './module.js';
import { Observation } from './observation.js';
import { train } from './recover.js';
import { noPageView, VictimTa, type TaVariant } from './ta-victim.js';
import { MAX_SECRET } from './victim.js';

/** Symbols of the victim TA's alphabet (a key nibble). */
export const TA_ALPHABET = 16;

/** Attacks that need no page view (the only ones a normal world has against a TA). */
export function worksOnTa(attack: AttackModule): boolean {
  return attack.onTa === true;
}

export async function runTaCampaign(o: { attack: AttackModule; file: string; variant: TaVariant; symbols: number; seed: number }): Promise<CampaignResult> {
  if (!worksOnTa(o.attack)) {
    throw new EmonError('E_ATTACK_ARG', `${o.attack.name} needs the victim's page tables, which the normal world does not have for a TrustZone TA`, {
      hint: 'against the victim TA use cache-prime-probe or ocall-timing',
    });
  }
  if (!Number.isInteger(o.symbols) || o.symbols < TA_ALPHABET || o.symbols > MAX_SECRET) {
    throw new EmonError('E_ATTACK_ARG', `a secret of ${o.symbols} symbols cannot be used with an alphabet of ${TA_ALPHABET}`, { hint: `give --symbols N with ${TA_ALPHABET} <= N <= ${MAX_SECRET}` });
  }
  const entry = `ta_ttable_${o.variant}`;
  const view = noPageView(o.attack.name);
  // Profiling on the attacker's own instance (a session of its own, in a secure world of its own).
  const trainCache = o.attack.usesCache ? new SetAssocCache() : undefined;
  const trainer = new VictimTa(o.file, 'attacker', trainCache);
  const trainSecret = balancedSecret(MAX_SECRET, TA_ALPHABET, o.seed ^ 0x5bd1e995);
  trainer.run(o.variant, trainSecret, null, null);
  const tObs = new Observation();
  trainer.run(o.variant, trainSecret, o.attack.monitor(view, tObs, trainCache), tObs);
  trainer.destroy();
  const templates = train(o.attack, tObs.segments(), trainSecret, TA_ALPHABET);

  const cache = o.attack.usesCache ? new SetAssocCache() : undefined;
  const victim = new VictimTa(o.file, 'victim', cache);
  const secret = balancedSecret(o.symbols, TA_ALPHABET, o.seed);
  victim.run(o.variant, balancedSecret(TA_ALPHABET * 4, TA_ALPHABET, o.seed + 1), null, null);
  const obs = new Observation();
  const t0 = performance.now();
  const processed = victim.run(o.variant, secret, o.attack.monitor(view, obs, cache), obs);
  const ms = performance.now() - t0;
  victim.destroy();
  const { score, counts } = scoreRun(o.attack, templates, obs, secret, processed, TA_ALPHABET);
  return {
    attack: o.attack.name,
    victim: 'ta-ttable',
    entry,
    ...score,
    faults: 0,
    ocalls: counts.smc,
    adSamples: 0,
    cacheProbes: counts.cache,
    ms,
    world: 'tz',
  };
}
