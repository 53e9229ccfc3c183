/**
 * Scores, not impressions (issue 18, point 5): every attack against every built-in victim and variant, from
 * the attacker's profiling run to the recovered secret. Naive victims: at least 95% of the symbols recovered by
 * the controlled channel and 90% by the accessed-bit channel; hardened victims: within 2 percentage points of
 * chance; detecting victims: they stop themselves before 5% of the secret is processed under a paging attack.
 * The cache attack reads a victim whose secret only picks a cache line within one page.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign, type CampaignResult } from '../../runtime/attack/campaign.js';
import { findAttack } from '../../runtime/attack/registry.js';
import { builtinVictims, victimEntry, type Variant } from '../../runtime/attack/victims.js';
import { victimBytes } from './fixtures.js';

const SYMBOLS = 2048;

async function score(attack: string, victim: string, variant: Variant, seed = 3): Promise<CampaignResult> {
  const v = builtinVictims.find((x) => x.name === victim)!;
  return runCampaign({ attack: findAttack(attack)!, bytes: await victimBytes(), victim, alphabet: v.alphabet, symbols: SYMBOLS, seed, ...victimEntry(victim, variant) });
}

function check(r: CampaignResult): void {
  // The result is about the secret it was given: recovered symbols line up with it one to one.
  expect(r.secret).toHaveLength(r.symbols);
  expect(r.recovered).toHaveLength(r.symbols);
  let correct = 0;
  for (let i = 0; i < r.symbols; i++) if (r.secret[i] === r.recovered[i]) correct++;
  expect(correct).toBe(r.correct);
}

const pageVictims = builtinVictims.filter((v) => v.leaks === 'page');

describe.each(['controlled-channel', 'accessed-bits', 'observe'] as const)('%s', (attack) => {
  const floor = attack === 'controlled-channel' ? 0.95 : 0.9;
  it('learns nothing from ttable, whose secret picks a cache line inside one page', async () => {
    for (const variant of ['naive', 'hardened'] as const) {
      const r = await score(attack, 'ttable', variant);
      check(r);
      expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
    }
  });
  for (const v of pageVictims) {
    it(`recovers at least ${floor * 100}% of ${v.name}_naive's secret`, async () => {
      const r = await score(attack, v.name, 'naive');
      check(r);
      expect(r.accuracy).toBeGreaterThanOrEqual(floor);
      expect(r.processed).toBe(r.symbols);
      if (attack === 'controlled-channel') expect(r.faults).toBeGreaterThanOrEqual(r.symbols);
      // The accessed-bit channel evicts nothing: the enclave takes no fault at all.
      else expect(r.faults).toBe(0);
    });
    it(`recovers ${v.name}_hardened's secret no better than chance (within 2 points)`, async () => {
      const r = await score(attack, v.name, 'hardened');
      check(r);
      expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
      expect(r.processed).toBe(r.symbols);
    });
    it(`${v.name}_detect stops itself before 5% of its secret is exposed`, async () => {
      const r = await score(attack, v.name, 'detect');
      check(r);
      expect(r.stopped).toBe(true);
      expect(r.exposed).toBeLessThan(0.05);
      expect(r.accuracy - r.chance).toBeLessThan(0.05);
    });
  }
});

describe('cache-prime-probe (cache model, hw/cache)', () => {
  it('recovers at least 95% of ttable_naive\'s secret, which no page-level channel sees', async () => {
    const r = await score('cache-prime-probe', 'ttable', 'naive');
    check(r);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.faults).toBe(0);
    expect(r.cacheProbes).toBe(r.symbols + 1);
  });
  it('recovers ttable_hardened\'s secret (all 16 lines read) no better than chance (within 2 points)', async () => {
    const r = await score('cache-prime-probe', 'ttable', 'hardened');
    check(r);
    expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
  });
  it('is not seen by the paging-event check: ttable_detect runs to the end (the fix is the hardened version)', async () => {
    const r = await score('cache-prime-probe', 'ttable', 'detect');
    expect(r.stopped).toBe(false);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
  });
  it('cannot tell page-aligned tables apart: lut_naive\'s nibbles pick pages whose lines share sets', async () => {
    const r = await score('cache-prime-probe', 'lut', 'naive');
    expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
  });
});

describe('ocall-timing', () => {
  // The only test here whose outcome depends on real time: the naive square-and-multiply spends twice as long
  // between OCALLs on a 1 bit. The bound is far below what an idle machine gives (over 99%), so a loaded
  // machine does not fail it; the hardened version must be at chance however the machine behaves.
  it('recovers most of sqmul_naive\'s exponent bits from the time between OCALLs', async () => {
    const r = await score('ocall-timing', 'sqmul', 'naive');
    check(r);
    expect(r.faults).toBe(0);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.75);
  });
  for (const v of builtinVictims) {
    it(`recovers ${v.name}_hardened's secret no better than chance (within 2 points)`, async () => {
      const r = await score('ocall-timing', v.name, 'hardened');
      check(r);
      expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
    });
  }
  it('learns nothing from the lookup victims, whose work per symbol takes the same time', async () => {
    for (const v of ['lut', 'spell']) {
      const r = await score('ocall-timing', v, 'naive');
      expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
    }
  });
});
