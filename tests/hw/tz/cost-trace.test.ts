/**
 * `--emulate-cost` and `--trace` on the TrustZone backend, under the monitor: each TA command (a GP
 * InvokeCommand, or an ECALL of an EDL guest run as a TA session) spins for the modeled TA invocation and each
 * OCALL/session change for SMC world switches; the trace holds 'ta_invoke' and 'smc' events that the summary
 * costs with the TZ figures. The spin is replaced by a recorder, so nothing is timed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { enclaveExtension } from '../../../runtime/enclave/extension.js';
import { teecExtension } from '../../../runtime/enclave/teec.js';
import { modeledCycles } from '../../../runtime/hw/cost/model.js';
import { CaptureConsole } from '../../../runtime/monitor/console.js';
import { GuestRunner } from '../../../runtime/monitor/guest.js';
import { loadGuest } from '../../../runtime/monitor/loader.js';
import { buildDir } from '../../../runtime/paths.js';
import { MemoryTraceSink } from '../../../runtime/trace/sink.js';
import { summarize } from '../../../runtime/trace/summary.js';

const spins: string[] = [];
vi.mock('../../../runtime/hw/cost/emulate.js', () => ({
  emulateCost: (backend: string, event: string, times = 1) => {
    for (let i = 0; i < times; i++) spins.push(`${backend}/${event}`);
  },
  spinFor: () => undefined,
}));

async function run(guest: string, attachments: Record<string, Record<string, string>>, emulateCost: boolean) {
  spins.length = 0;
  const g = loadGuest(path.join(buildDir, 'guests', `${guest}.wasm`));
  const trace = new MemoryTraceSink();
  const runner = await GuestRunner.create({
    name: g.name,
    module: g.module,
    manifest: g.manifest,
    attachments: new Map(Object.entries(attachments).map(([k, v]) => [k, new Map(Object.entries(v))])),
    options: { backend: 'tz', taDir: path.join(buildDir, 'ta'), stateDir: mkdtempSync(path.join(tmpdir(), 'emon-tzc-')), emulateCost },
    console: new CaptureConsole(),
    extensions: [enclaveExtension, teecExtension],
    trace,
    log: () => undefined,
  });
  try {
    expect(runner.boot().status).toBe(0);
  } finally {
    runner.close();
  }
  return trace.events;
}

describe('TrustZone cost emulation and trace', () => {
  it('a GP client: one ta_invoke spin and event per InvokeCommand, SMC pairs for opening and closing the session', async () => {
    const events = await run('tee-hello', {}, true);
    const invokes = events.filter((e) => e.kind === 'ta_invoke');
    expect(invokes.map((e) => e.name)).toEqual(['cmd 0', 'cmd 2', 'cmd 2']);
    expect(invokes[1]!.args?.['result']).toBe('TEE_ERROR_SHORT_BUFFER');
    expect(events.filter((e) => e.kind === 'smc').map((e) => e.name)).toEqual(['open_session', 'close_session']);
    expect(spins.filter((s) => s === 'tz/ta_invoke').length).toBe(3);
    expect(spins.filter((s) => s === 'tz/smc').length).toBe(2); // one round trip each way
    expect(spins.some((s) => s.startsWith('sgx/'))).toBe(false);
    const stats = summarize(events).functions.find((f) => f.kind === 'ta_invoke' && f.name === 'cmd 2')!;
    expect(stats.calls).toBe(2);
    expect(stats.modeledTzCycles).toBe(2 * modeledCycles('tz', 'ta_invoke')!);
  });

  it('an EDL guest on --backend=tz: its ECALLs are TA commands and its OCALLs SMC round trips, costed as such', async () => {
    const disk = path.join(mkdtempSync(path.join(tmpdir(), 'emon-tzc-')), 'd.img');
    const events = await run('enclave-seal', { block: { storage: `${disk},size=64K` }, enclave: { sealer: path.join(buildDir, 'enclaves', 'sealer.wasm') } }, true);
    const ecalls = events.filter((e) => e.kind === 'ta_invoke');
    const ocalls = events.filter((e) => e.kind === 'smc' && e.name.startsWith('rpc '));
    expect(ecalls.length).toBeGreaterThan(0);
    expect(ecalls.every((e) => typeof e.args?.['ecall'] === 'string')).toBe(true);
    expect(ocalls.map((e) => e.name)).toContain('rpc ocall_log');
    expect(events.some((e) => e.kind === 'ecall' || e.kind === 'ocall')).toBe(false);
    expect(spins.filter((s) => s === 'tz/ta_invoke').length).toBe(ecalls.length);
    expect(spins.filter((s) => s === 'tz/smc').length).toBe(ocalls.length + 2); // + opening and closing the enclave's session
  });

  it('does not spin when off', async () => {
    await run('tee-hello', {}, false);
    expect(spins).toEqual([]);
  });
});
