/**
 * TrustZone in the observatory (issue 18, point 6): the victim TA (enclaves/ta-victim) runs in a real secure
 * world with its loads and stores routed through the cache model; the normal world's prime+probe at every SMC
 * recovers the naive version's secret nibbles and nothing of the hardened version's; the attacks that need page
 * tables are refused against a TA; and a trace of TA commands, RPCs and SMCs becomes the host's observation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { observeTrace } from '../../runtime/attack/from-trace.js';
import { findAttack } from '../../runtime/attack/registry.js';
import { runTaCampaign } from '../../runtime/attack/ta-campaign.js';
import { VictimTa, victimTaFile } from '../../runtime/attack/ta-victim.js';
import { SetAssocCache } from '../../runtime/hw/cache/model.js';
import type { TraceEvent } from '../../runtime/trace/sink.js';
import { Observation } from '../../runtime/attack/observation.js';
import { renderTimeline } from '../../runtime/attack/timeline.js';
import { loadTaImage } from '../../runtime/hw/tz/ta-image.js';
import { cacheRouting } from '../../runtime/hw/cache/instrument.js';
import { readFileSync } from 'node:fs';

const SYMBOLS = 2048;
let file = '';
beforeAll(async () => {
  file = await victimTaFile();
}, 120_000);

describe('cache prime+probe against a TrustZone TA', () => {
  it('recovers at least 95% of ta_ttable_naive\'s secret from the cache sets used between two SMCs', async () => {
    const r = await runTaCampaign({ attack: findAttack('cache-prime-probe')!, file, variant: 'naive', symbols: SYMBOLS, seed: 3 });
    expect(r.symbols).toBe(SYMBOLS);
    expect(r.processed).toBe(SYMBOLS);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(r.faults).toBe(0);
    expect(r.adSamples).toBe(0);
    // One probe per step command; the provisioning command's return starts the record.
    expect(r.cacheProbes).toBe(SYMBOLS);
    expect(r.ocalls).toBe(SYMBOLS + 1);
    expect(r.world).toBe('tz');
    // The report says what the normal world saw: SMCs, cache sets, one column from one SMC to the next.
    const html = renderTimeline([r]);
    expect(html).toContain(`${SYMBOLS + 1} SMCs, ${SYMBOLS} TA commands in`);
    expect(html).toContain('cache-prime-probe on ta_ttable_naive: cache set against time');
    expect(html).toContain('from one SMC to the next');
    expect(html.match(/line class="tr smc"/g)!.length).toBeGreaterThan(90);
    let correct = 0;
    for (let i = 0; i < r.symbols; i++) if (r.secret[i] === r.recovered[i]) correct++;
    expect(correct).toBe(r.correct);
  });

  it('recovers ta_ttable_hardened\'s secret (all 16 lines read) no better than chance (within 2 points)', async () => {
    const r = await runTaCampaign({ attack: findAttack('cache-prime-probe')!, file, variant: 'hardened', symbols: SYMBOLS, seed: 3 });
    expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
  });

  it('learns nothing from SMC timing of either version (each step does the same work whatever the nibble)', async () => {
    for (const variant of ['naive', 'hardened'] as const) {
      const r = await runTaCampaign({ attack: findAttack('ocall-timing')!, file, variant, symbols: 512, seed: 4 });
      expect(Math.abs(r.accuracy - r.chance)).toBeLessThanOrEqual(0.02);
    }
  });

  it('the instrumented TA computes what the plain one computes (the routing changes no result)', () => {
    const secret = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 15);
    const out: number[][] = [];
    for (const cache of [undefined, new SetAssocCache()]) {
      for (const variant of ['naive', 'hardened'] as const) {
        const ta = new VictimTa(file, 'check', cache);
        expect(ta.run(variant, secret, null, null)).toBe(secret.length);
        out.push(ta.lastValue);
        ta.destroy();
      }
    }
    // naive == hardened (same function), and routed == plain.
    expect(new Set(out.map((v) => v.join(','))).size).toBe(1);
  });

  it('the cache sees only the routed TA: without routing, a probe finds no set used', () => {
    const cache = new SetAssocCache();
    const ta = new VictimTa(file, 'plain');
    const obs = new Observation();
    ta.run('naive', Uint8Array.of(1, 2, 3), { enter: () => cache.prime(), ocall: () => obs.push({ t: 0, kind: 'cache', sets: cache.probe() }) }, obs);
    ta.destroy();
    const probes = obs.events.filter((e) => e.kind === 'cache');
    expect(probes).toHaveLength(3);
    for (const p of probes) expect(p.kind === 'cache' && p.sets).toEqual([]);
  });

  it('refuses attacks that need page tables, and bad secret lengths, with a typed error', async () => {
    for (const name of ['controlled-channel', 'accessed-bits', 'observe']) {
      await expect(runTaCampaign({ attack: findAttack(name)!, file, variant: 'naive', symbols: 64, seed: 1 })).rejects.toMatchObject({ code: 'E_ATTACK_ARG', message: expect.stringMatching(/page tables/) });
    }
    for (const symbols of [0, 15, 4097, 1.5]) {
      await expect(runTaCampaign({ attack: findAttack('cache-prime-probe')!, file, variant: 'naive', symbols, seed: 1 })).rejects.toMatchObject({ code: 'E_ATTACK_ARG' });
    }
    const ta = new VictimTa(file, 'long');
    expect(() => ta.run('naive', new Uint8Array(4097), null, null)).toThrow(/longer than the 4096/);
    ta.destroy();
  });
});

describe("hw/tz's opt-in TA instrumentation", () => {
  it('checks the TA as signed, then runs the rewrite with the imports it brings; a rewrite that breaks the module is E_TA_FORMAT', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const plain = loadTaImage(bytes, file);
    expect(plain.extraImports).toBeUndefined();
    expect(WebAssembly.Module.imports(plain.module).some((i) => i.module === 'emon_cache')).toBe(false);
    const routed = loadTaImage(bytes, file, cacheRouting(new SetAssocCache()));
    expect(WebAssembly.Module.imports(routed.module).some((i) => i.module === 'emon_cache' && i.name === 'at')).toBe(true);
    expect(routed.extraImports).toHaveProperty('emon_cache');
    expect(routed.props.uuid).toBe(plain.props.uuid);
    expect(() => loadTaImage(bytes, file, { rewrite: () => new Uint8Array([0, 97, 115, 109, 9]), imports: {} })).toThrow(expect.objectContaining({ code: 'E_TA_FORMAT', message: expect.stringMatching(/instrumented module does not compile/) }));
    // The signature is checked before any rewrite: a tampered image never reaches it.
    const tampered = bytes.slice();
    tampered[tampered.length - 40]! ^= 1;
    let rewritten = false;
    expect(() => loadTaImage(tampered, file, { rewrite: (w) => ((rewritten = true), w), imports: {} })).toThrow();
    expect(rewritten).toBe(false);
  });
});

describe('what the normal world sees of TAs in a trace', () => {
  const track = 'g/ta:7a1c7ab1-e5e0-4c5a-9e18-5ec12e7c0de5';
  const events: TraceEvent[] = [
    { kind: 'smc', name: 'open_session', track, start: 10, dur: 1, args: { session: 1 } },
    { kind: 'ta_invoke', name: 'cmd 0', track, start: 12, dur: 2, bytes: 48 },
    { kind: 'ta_invoke', name: 'seal_data', track: 'g/sealer', start: 15, dur: 3, bytes: 4176, args: { ecall: 'seal_data' } },
    { kind: 'smc', name: 'rpc ocall_log', track: 'g/sealer', start: 16, dur: 0.5, bytes: 8, args: { ocall: 'ocall_log' } },
    { kind: 'hypercall', name: 'block_write', track: 'g', start: 19, dur: 1, bytes: 4096 },
    { kind: 'smc', name: 'close_session', track, start: 30, dur: 0, args: { session: 1 } },
  ];
  it('TA commands are world switches in and out, RPCs are OCALLs, other SMCs are marked, each with its size', () => {
    const run = observeTrace(events);
    const ta = run.enclaves.find((e) => e.track === track)!;
    expect(ta).toMatchObject({ world: 'tz', ecalls: 1, ocalls: 0, smcs: 2, faults: 0 });
    expect(ta.events.map((e) => e.kind)).toEqual(['smc', 'ecall', 'eexit', 'smc']);
    expect(ta.events[1]).toMatchObject({ t: 2, name: 'cmd 0', size: 48 });
    const edl = run.enclaves.find((e) => e.track === 'g/sealer')!;
    expect(edl).toMatchObject({ world: 'tz', ecalls: 1, ocalls: 1, smcs: 0 });
    const sizes = new Map(run.sizes.map((s) => [`${s.track} ${s.call}`, s.bytes]));
    expect(sizes.get(`${track} TA command cmd 0`)).toEqual([48]);
    expect(sizes.get('g/sealer TA command seal_data')).toEqual([4176]);
    expect(sizes.get('g/sealer RPC ocall_log')).toEqual([8]);
    expect(sizes.get('g block_write')).toEqual([4096]);
    expect(sizes.get(`${track} SMC open_session`)).toEqual([]);
  });
});
