/**
 * One attack against one victim ECALL, start to score (issue 18): a training run of the attacker's own instance
 * on a known secret builds templates (recover.ts), then the victim runs on a fresh random secret under the
 * adversarial monitor, and the recovered symbols are scored against the real ones and against chance.
 * Secrets are balanced (every symbol equally often, shuffled), so a guess that carries no information scores
 * exactly chance.
 */
import { EmonError } from '../errors.js';
import { SetAssocCache } from '../hw/cache/model.js';
import type { AttackModule } from './module.js';
import { Observation, type ObservedEvent } from './observation.js';
import { recover, symbolSegments, train, type Templates } from './recover.js';
import { MAX_SECRET, VictimEnclave } from './victim.js';

export interface CampaignOptions {
  readonly attack: AttackModule;
  /** The victim module's bytes and a name for it. */
  readonly bytes: Uint8Array;
  readonly victim: string;
  /** The ECALL to attack, and the one the attacker profiles (default the same; a detecting variant is profiled
   *  on its naive twin, whose page pattern it shares, since it would stop the training run). */
  readonly entry: string;
  readonly trainEntry?: string;
  /** Symbols of the alphabet (secret bytes are 0..alphabet-1). */
  readonly alphabet: number;
  /** Length of the secret (rounded down to a multiple of the alphabet). */
  readonly symbols: number;
  readonly seed: number;
}

export interface CampaignResult {
  readonly attack: string;
  readonly victim: string;
  readonly entry: string;
  readonly symbols: number;
  readonly alphabet: number;
  /** Symbols the enclave processed before it returned (less than `symbols` when it stopped). */
  readonly processed: number;
  readonly stopped: boolean;
  readonly correct: number;
  readonly accuracy: number;
  readonly chance: number;
  /** Fraction of the secret the enclave processed under attack (what could leak at most). */
  readonly exposed: number;
  readonly faults: number;
  readonly ocalls: number;
  readonly adSamples: number;
  readonly cacheProbes: number;
  /** Wall time of the attacked ECALL, ms. */
  readonly ms: number;
  readonly secret: number[];
  readonly recovered: number[];
  /** The attacked run's events (for the timeline). */
  readonly events: readonly ObservedEvent[];
  /** `tz` against a victim TA (ta-campaign.ts): `ocalls` then counts SMCs and `ms` the whole run of commands. */
  readonly world?: 'sgx' | 'tz';
}

/** xorshift32 (Marsaglia 2003): reproducible secrets from a seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A secret of `n` symbols (a multiple of `alphabet`), each symbol exactly n/alphabet times, shuffled. */
export function balancedSecret(n: number, alphabet: number, seed: number): Uint8Array {
  const len = Math.floor(n / alphabet) * alphabet;
  const s = new Uint8Array(len);
  for (let i = 0; i < len; i++) s[i] = i % alphabet;
  const r = rng(seed);
  for (let i = len - 1; i > 0; i--) {
    const j = r() % (i + 1);
    const t = s[i]!;
    s[i] = s[j]!;
    s[j] = t;
  }
  return s;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  if (!Number.isInteger(o.alphabet) || o.alphabet < 2 || o.alphabet > 256) {
    throw new EmonError('E_ATTACK_ARG', `alphabet ${o.alphabet} is not an integer from 2 to 256`, { hint: 'give --alphabet N with 2 <= N <= 256' });
  }
  if (!Number.isInteger(o.symbols) || o.symbols < o.alphabet || o.symbols > MAX_SECRET) {
    throw new EmonError('E_ATTACK_ARG', `a secret of ${o.symbols} symbols cannot be used with an alphabet of ${o.alphabet}`, {
      hint: `give --symbols N with ${o.alphabet} <= N <= ${MAX_SECRET}`,
    });
  }
  // Profiling on the attacker's own instance.
  const trainCache = o.attack.usesCache ? new SetAssocCache() : undefined;
  const trainer = await VictimEnclave.load(o.bytes, { name: o.victim, ...(trainCache ? { cache: trainCache } : {}) });
  // Cache templates also learn each window of positions' background lines, so they profile the longest secret.
  const trainSecret = balancedSecret(o.attack.usesCache ? MAX_SECRET : Math.min(MAX_SECRET, Math.max(o.alphabet * 64, 512)), o.alphabet, o.seed ^ 0x5bd1e995);
  const trainEntry = o.trainEntry ?? o.entry;
  // A first run warms the JIT and faults everything in once, so that timing templates are taken warm.
  trainer.run(trainEntry, trainSecret, null, null);
  const tObs = new Observation();
  trainer.run(trainEntry, trainSecret, o.attack.monitor(trainer.view, tObs, trainCache), tObs, o.attack.recordsFaults);
  trainer.destroy();
  const templates = train(o.attack, tObs.segments(), trainSecret, o.alphabet);

  // The attack on the victim's own instance and secret.
  const cache = o.attack.usesCache ? new SetAssocCache() : undefined;
  const victim = await VictimEnclave.load(o.bytes, { name: o.victim, ...(cache ? { cache } : {}) });
  const secret = balancedSecret(o.symbols, o.alphabet, o.seed);
  victim.run(o.entry, balancedSecret(o.alphabet * 4, o.alphabet, o.seed + 1), null, null);
  const obs = new Observation();
  const t0 = performance.now();
  const processed = victim.run(o.entry, secret, o.attack.monitor(victim.view, obs, cache), obs, o.attack.recordsFaults);
  const ms = performance.now() - t0;
  victim.destroy();
  const { score, counts } = scoreRun(o.attack, templates, obs, secret, processed, o.alphabet);
  return {
    attack: o.attack.name,
    victim: o.victim,
    entry: o.entry,
    ...score,
    faults: counts.fault,
    ocalls: counts.ocall,
    adSamples: counts.ad,
    cacheProbes: counts.cache,
    ms,
  };
}

/** The part of a result that scoring one observed run gives: the recovered secret against the real one. */
export type RunScore = Pick<CampaignResult, 'symbols' | 'alphabet' | 'processed' | 'stopped' | 'correct' | 'accuracy' | 'chance' | 'exposed' | 'secret' | 'recovered' | 'events'>;

/** Turns one observed run back into the secret with the trained templates and scores it (SGX and TA campaigns). */
export function scoreRun(attack: AttackModule, templates: Templates, obs: Observation, secret: Uint8Array, processed: number, alphabet: number): { score: RunScore; counts: ReturnType<Observation['counts']> } {
  const segments = obs.segments();
  const guessed = recover(attack, templates, segments);
  const recovered = Array.from(secret, (_, i) => guessed[i] ?? 0);
  let correct = 0;
  for (let i = 0; i < secret.length; i++) if (recovered[i] === secret[i]) correct++;
  return {
    score: {
      symbols: secret.length,
      alphabet,
      processed: Math.min(processed, secret.length),
      stopped: processed < secret.length,
      correct,
      accuracy: correct / secret.length,
      chance: 1 / alphabet,
      exposed: symbolSegments(segments).length / secret.length,
      secret: Array.from(secret),
      recovered,
      events: obs.events,
    },
    counts: obs.counts(),
  };
}
