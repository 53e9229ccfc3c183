/**
 * `emon attack` end to end (the compiled CLI): --list and --help, an attack with its score in the JSON (an
 * enclave and the TrustZone victim TA), the observation of a real `emon run --trace` (SGX and TrustZone), and bad input (unknown names, bad numbers, a device, a file that is
 * not Wasm, a module that is not a victim, a bad trace) refused with `emon: ...` and a hint, never a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emon, guests, root } from '../cli/helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-attack-cli-'));

function refused(args: string[], pattern: RegExp): void {
  const r = emon(args, { timeoutMs: 60_000 });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^emon: /);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('emon attack', () => {
  it('--list shows the attacks and the victims; --help shows the options and examples', () => {
    const l = emon(['attack', '--list']);
    expect(l.status).toBe(0);
    for (const a of ['observe', 'controlled-channel', 'accessed-bits', 'ocall-timing', 'cache-prime-probe', 'lut', 'spell', 'sqmul', 'ttable', 'branch', 'ta-ttable']) expect(l.stdout).toContain(a);
    expect(l.stdout).toMatch(/victim TAs \(TrustZone, each naive, hardened; attacks: ocall-timing, cache-prime-probe\)/);
    const h = emon(['attack', '--help']);
    expect(h.status).toBe(0);
    for (const o of ['--victim', '--variant', '--module', '--entry', '--alphabet', '--symbols', '--json', '--html', '--trace', '--run', '--screenshot', 'Examples:']) expect(h.stdout).toContain(o);
  });

  it('runs an attack, prints the score against chance and writes it as JSON with the cost table', () => {
    const json = path.join(tmp, 'cc.json');
    const html = path.join(tmp, 'cc.html');
    const r = emon(['attack', 'controlled-channel', '--victim', 'lut', '--symbols', '512', '--json', json, '--html', html], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/controlled-channel\s+lut_naive\s+recovered 100\.0% of 512 \(chance 6\.3%\)/);
    expect(r.stdout).toMatch(/lut_detect .*stopped itself after \d+ symbols/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { results: { entry: string; accuracy: number; chance: number; exposed: number }[]; cost: { victim: string; hardenedRatio: number }[] };
    const by = new Map(out.results.map((x) => [x.entry, x]));
    expect(by.get('lut_naive')!.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(by.get('lut_hardened')!.accuracy - by.get('lut_hardened')!.chance)).toBeLessThanOrEqual(0.02);
    expect(by.get('lut_detect')!.exposed).toBeLessThan(0.05);
    expect(out.cost.map((c) => c.victim)).toEqual(['lut']);
    expect(out.cost[0]!.hardenedRatio).toBeGreaterThan(0);
    expect(readFileSync(html, 'utf8')).toContain('<svg class="plot timeline"');
  });

  it('attacks the victim TA on TrustZone through the shared cache, scores it and costs it', () => {
    const json = path.join(tmp, 'ta.json');
    const html = path.join(tmp, 'ta.html');
    const r = emon(['attack', 'all', '--victim', 'ta-ttable', '--symbols', '512', '--json', json, '--html', html], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cache-prime-probe\s+ta_ttable_naive\s+recovered 100\.0% of 512 \(chance 6\.3%\)/);
    // Only the attacks a normal world has against a TA ran.
    expect(r.stdout).not.toMatch(/controlled-channel|accessed-bits/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { results: { attack: string; entry: string; accuracy: number; chance: number }[]; cost: { victim: string; world?: string; hardenedRatio: number }[] };
    const hardened = out.results.find((x) => x.attack === 'cache-prime-probe' && x.entry === 'ta_ttable_hardened')!;
    expect(Math.abs(hardened.accuracy - hardened.chance)).toBeLessThanOrEqual(0.02);
    expect(out.cost).toEqual([expect.objectContaining({ victim: 'ta-ttable', world: 'tz' })]);
    expect(out.cost[0]!.hardenedRatio).toBeGreaterThan(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/line class="tr smc"/);
    expect(page).toMatch(/rect class="pt cache"/);
  });

  it("attacks the user's own module given with --module/--entry/--alphabet", () => {
    const r = emon(['attack', 'accessed-bits', '--module', path.join(root, 'build', 'attack', 'victims.wasm'), '--entry', 'spell_naive,spell_hardened', '--alphabet', '26', '--symbols', '520'], { timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/spell_naive\s+recovered 100\.0% of 520/);
    expect(r.stdout).toMatch(/spell_hardened\s+recovered\s+3\.8% of 520/);
  });

  it('observe --trace: what the host saw in a real run with an enclave, sizes included', () => {
    const trace = path.join(tmp, 't.json');
    const run = emon(['run', '--epc=76p', `--trace=${trace}`, `--state-dir=${path.join(tmp, 'st')}`, `--block:storage=${path.join(tmp, 's.img')},size=64K`, `--enclave:sealer=${path.join(root, 'build', 'enclaves', 'sealer.wasm')}`, path.join(guests, 'enclave-seal.wasm')], { timeoutMs: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const html = path.join(tmp, 'run.html');
    const r = emon(['attack', 'observe', '--trace', trace, '--html', html]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/enclave-seal\/sealer: 1 ECALLs, 1 OCALLs, \d+ faults on \d+ distinct pages/);
    expect(r.stdout).toMatch(/ECALL seal_data: 1 x, bytes \d+/);
    expect(r.stdout).toMatch(/block_write: 1 x, bytes 4096/);
    expect(readFileSync(html, 'utf8')).toMatch(/circle class="pt fault"/);
  });

  it('observe --trace and --run on TrustZone: TA commands with their memref sizes, and the SMCs around them', () => {
    const trace = path.join(tmp, 'tz.json');
    const run = emon(['run', '--backend=tz', `--ta-dir=${path.join(root, 'build', 'ta')}`, `--trace=${trace}`, path.join(guests, 'tee-hello.wasm')], { timeoutMs: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const html = path.join(tmp, 'tz.html');
    const uuid = '8aaaf200-2450-11e4-abe2-0002a5d5c51b';
    const line = new RegExp(`tee-hello/ta:${uuid}: 3 TA commands, 0 RPCs, 2 other SMCs`);
    const r = emon(['attack', 'observe', '--trace', trace, '--html', html]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/no enclave/);
    expect(r.stdout).toMatch(line);
    expect(r.stdout).toMatch(/TA command cmd 2: 2 x, bytes \d+, \d+/);
    expect(r.stdout).toMatch(/SMC open_session: 1 x, bytes -/);
    expect(readFileSync(html, 'utf8')).toMatch(/line class="tr smc"/);
    const live = emon(['attack', 'observe', '--run', `--backend=tz --ta-dir=${path.join(root, 'build', 'ta')} ${path.join(guests, 'tee-hello.wasm')}`], { timeoutMs: 60_000 });
    expect(live.status, live.stderr).toBe(0);
    expect(live.stdout).toMatch(/guest tee-hello ended \(return, status 0\)/);
    expect(live.stdout).toMatch(line);
  });

  it('observe --run: the guest runs as under emon run while the monitor samples A/D bits at every transition', () => {
    const json = path.join(tmp, 'run.json');
    const args = `--epc=76p --state-dir=${path.join(tmp, 'st2')} --block:storage=${path.join(tmp, 's2.img')},size=64K --enclave:sealer=${path.join(root, 'build', 'enclaves', 'sealer.wasm')} ${path.join(guests, 'enclave-seal.wasm')}`;
    for (const expected of [/sealed a new secret/, /unsealed: the treasure/]) {
      const r = emon(['attack', 'observe', '--json', json, '--run', args], { timeoutMs: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      // The guest computed what it computes under emon run: the second run unseals what the first sealed.
      expect(r.stdout).toMatch(expected);
      expect(r.stdout).toMatch(/guest enclave-seal ended \(return, status 0\)/);
    }
    const out = JSON.parse(readFileSync(json, 'utf8')) as { enclaves: { track: string; ecalls: number; adSamples: number; events: { kind: string; accessed?: number[] }[] }[] };
    const e = out.enclaves.find((x) => x.track === 'enclave-seal/sealer')!;
    expect(e.ecalls).toBe(2);
    expect(e.adSamples).toBeGreaterThanOrEqual(3);
    // The first sample names every page EADDed or used since the enclave was created; later ones only the pages
    // used since the sample before (the OCALL's: a few pages; the gate's held marshalling area is not walked).
    const ad = e.events.filter((x) => x.kind === 'ad');
    expect(ad[0]!.accessed!.length).toBeGreaterThan(16);
    expect(ad.slice(1).some((x) => x.accessed!.length > 0 && x.accessed!.length < ad[0]!.accessed!.length)).toBe(true);
  });

  it("plugs in the user's own adversarial monitor module", () => {
    const file = path.join(tmp, 'evict-on-exit.mjs');
    writeFileSync(file, `export const attack = {
      name: 'evict-on-ocall',
      monitor(view) { return { enter: () => view.evictAll(), ocall: () => view.evictAll() }; },
      feature: (s) => ({ kind: 'pages', pages: [...new Set(s.faults)].sort((a, b) => a - b) }),
    };\n`);
    const r = emon(['attack', file, '--victim', 'spell', '--variant', 'naive', '--symbols', '260']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/evict-on-ocall\s+spell_naive\s+recovered 100\.0% of 260/);
    const bad = path.join(tmp, 'bad.mjs');
    writeFileSync(bad, 'export const nothing = 1;\n');
    refused(['attack', bad], /does not export `attack`/);
    refused(['attack', path.join(tmp, 'missing.mjs')], /cannot load attack module/);
  });

  it('refuses bad input with a typed error and a hint', () => {
    const junk = path.join(tmp, 'junk.wasm');
    writeFileSync(junk, 'not wasm');
    const badTrace = path.join(tmp, 'bad.json');
    writeFileSync(badTrace, '{"traceEvents": [1');
    refused(['attack', 'nosuch'], /unknown attack "nosuch"/);
    refused(['attack'], /no attack named/);
    refused(['attack', 'observe', '--symbols', '0'], /--symbols "0"/);
    refused(['attack', 'observe', '--symbols', '1e3'], /--symbols "1e3"/);
    refused(['attack', 'observe', '--victim', 'nope'], /unknown victim "nope"/);
    refused(['attack', 'controlled-channel', '--victim', 'ta-ttable'], /needs the victim's page tables, which the normal world does not have for a TrustZone TA/);
    refused(['attack', 'cache-prime-probe', '--victim', 'ta-ttable', '--variant', 'detect'], /ta-ttable has no detect version/);
    refused(['attack', 'observe', '--variant', 'nope'], /unknown variant "nope"/);
    refused(['attack', 'observe', '--module', junk], /--module needs --entry and --alphabet/);
    refused(['attack', 'observe', '--module', '/dev/zero', '--entry', 'f', '--alphabet', '4'], /not a regular file/);
    refused(['attack', 'observe', '--module', junk, '--entry', 'f', '--alphabet', '4'], /not a valid WebAssembly module/);
    refused(['attack', 'observe', '--module', path.join(guests, 'hello.wasm'), '--entry', 'f', '--alphabet', '4'], /does not export secret_buf|imports solo5\./);
    refused(['attack', 'observe', '--module', path.join(root, 'build', 'attack', 'victims.wasm'), '--entry', 'nope', '--alphabet', '4'], /no ECALL "nope"/);
    refused(['attack', 'observe', '--module', path.join(root, 'build', 'attack', 'victims.wasm'), '--entry', 'lut_naive', '--alphabet', '300'], /--alphabet "300"/);
    refused(['attack', 'controlled-channel', '--trace', badTrace], /--trace and --run go with the observe module/);
    refused(['attack', 'observe', '--trace', badTrace, '--run', 'x.wasm'], /give one/);
    refused(['attack', 'observe', '--run', ''], /no guest file given|exactly one guest/);
    refused(['attack', 'observe', '--run', '--bogus x.wasm'], /bogus/);
    refused(['attack', 'observe', '--trace', badTrace], /not valid JSON/);
    refused(['attack', 'observe', '--trace', path.join(tmp, 'missing.json')], /cannot read trace/);
  }, 120_000);
});
