/**
 * The price of defending and of watching, measured in the run that produced a report (issue 18): per victim,
 * the median time of one unattacked ECALL of the hardened and of the detecting version over the naive one, and
 * of the naive one while the monitor samples and clears every page's A/D bits at every transition over the same
 * ECALL unobserved. Medians of interleaved repetitions; bench/suites/attack.ts measures the same with the
 * benchmark runner's floor and stability rules, for bench/RESULTS.md.
 */
import { balancedSecret } from './campaign.js';
import type { TransitionHooks } from './module.js';
import type { ReportTable } from './timeline.js';
import { VictimEnclave } from './victim.js';

export interface CostRow {
  readonly victim: string;
  /** Median ms per ECALL of the naive version over `symbols` symbols. */
  readonly naiveMs: number;
  readonly hardenedRatio: number;
  readonly detectRatio: number;
  /** Naive ECALL with A/D sampling at every transition, over the naive ECALL unobserved. */
  readonly observeRatio: number;
  readonly symbols: number;
  /** `tz` for a victim TA: one run is `symbols` commands; there is no detecting version (NaN), and observing is
   *  the normal world recording every SMC and probing the cache at each. */
  readonly world?: 'sgx' | 'tz';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export async function measureCost(bytes: Uint8Array, victims: readonly { name: string; alphabet: number }[], rounds = 21, symbols = 256): Promise<CostRow[]> {
  const rows: CostRow[] = [];
  for (const v of victims) {
    const secret = balancedSecret(symbols, v.alphabet, 5);
    const e = await VictimEnclave.load(bytes, { name: `cost/${v.name}` });
    const sampling: TransitionHooks = { enter: () => void e.view.scan(true), ocall: () => void e.view.scan(true), exit: () => void e.view.scan(true) };
    const kinds = [
      { key: 'naive', entry: `${v.name}_naive`, hooks: null },
      { key: 'hardened', entry: `${v.name}_hardened`, hooks: null },
      { key: 'detect', entry: `${v.name}_detect`, hooks: null },
      { key: 'observed', entry: `${v.name}_naive`, hooks: sampling },
    ] as const;
    const times: Record<string, number[]> = { naive: [], hardened: [], detect: [], observed: [] };
    for (const k of kinds) e.run(k.entry, secret, k.hooks, null, false);
    for (let r = 0; r < rounds; r++) {
      for (const k of kinds) {
        const t0 = performance.now();
        e.run(k.entry, secret, k.hooks, null, false);
        times[k.key]!.push(performance.now() - t0);
      }
    }
    e.destroy();
    const naive = Math.max(median(times.naive!), 1e-6);
    rows.push({
      victim: v.name,
      naiveMs: naive,
      hardenedRatio: median(times.hardened!) / naive,
      detectRatio: median(times.detect!) / naive,
      observeRatio: median(times.observed!) / naive,
      symbols,
    });
  }
  return rows;
}

/** The same for the victim TA: a run of `symbols` step commands, naive, hardened, and naive under prime+probe at
 *  every SMC (cache routing on for all three, so the ratio is the attack's own cost). */
export async function measureTaCost(file: string, rounds = 11, symbols = 256): Promise<CostRow> {
  const { VictimTa } = await import('./ta-victim.js');
  const { SetAssocCache } = await import('../hw/cache/model.js');
  const { Observation } = await import('./observation.js');
  const secret = balancedSecret(symbols, 16, 5);
  const cache = new SetAssocCache();
  const ta = new VictimTa(file, 'cost/ta-ttable', cache);
  const probing = (): TransitionHooks => ({ enter: () => cache.prime(), ocall: () => void cache.probe() });
  const kinds = [
    { key: 'naive', variant: 'naive', observe: false },
    { key: 'hardened', variant: 'hardened', observe: false },
    { key: 'observed', variant: 'naive', observe: true },
  ] as const;
  const times: Record<string, number[]> = { naive: [], hardened: [], observed: [] };
  const once = (k: (typeof kinds)[number]): number => {
    const obs = k.observe ? new Observation() : null;
    const t0 = performance.now();
    ta.run(k.variant, secret, k.observe ? probing() : null, obs);
    return performance.now() - t0;
  };
  for (const k of kinds) once(k);
  for (let r = 0; r < rounds; r++) for (const k of kinds) times[k.key]!.push(once(k));
  ta.destroy();
  const naive = Math.max(median(times.naive!), 1e-6);
  return { victim: 'ta-ttable', naiveMs: naive, hardenedRatio: median(times.hardened!) / naive, detectRatio: NaN, observeRatio: median(times.observed!) / naive, symbols, world: 'tz' };
}

export function costTable(rows: readonly CostRow[]): ReportTable {
  const x = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
  return {
    title: `Cost of the mitigations and of observing (median of one unattacked ECALL over ${rows[0]?.symbols ?? 0} symbols, this run)`,
    head: ['victim', 'naive ECALL (TA: naive run)', 'hardened / naive', 'detecting / naive', 'observing on / off (naive: A/D sampling; TA: prime+probe at every SMC)'],
    rows: rows.map((r) => [r.victim, `${(r.naiveMs * 1000).toFixed(1)} µs${r.world === 'tz' ? ` (${r.symbols} commands)` : ''}`, x(r.hardenedRatio), x(r.detectRatio), x(r.observeRatio)]),
  };
}
