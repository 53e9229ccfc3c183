/**
 * Runtime integrity monitoring of the guest from the secure world (runtime/hw/tz/integrity.ts and the integrity
 * TA): an adversarial monitor patches guest memory that must not change, or swaps a function-table entry, while
 * the guest runs; the alert fires at the first periodic check after the patch (within one period), under each
 * policy; ordinary guest writes never raise one; the guest can also ask for a check on demand through GP, but
 * cannot reset the reference or close the secure world's session.
 */
import path from 'node:path';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../../runtime/enclave/extension.js';
import { teecExtension } from '../../../runtime/enclave/teec.js';
import { isEmonError } from '../../../runtime/errors.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { INTEGRITY_TA, IntegrityMonitor, type IntegrityAlert } from '../../../runtime/hw/tz/integrity.js';
import { CaptureConsole } from '../../../runtime/monitor/console.js';
import type { GuestHost, MonitorExtension } from '../../../runtime/monitor/extension.js';
import { GuestRunner } from '../../../runtime/monitor/guest.js';
import { buildDir } from '../../../runtime/paths.js';
import { MemoryTraceSink } from '../../../runtime/trace/sink.js';
import { NormalWorld, OP, secureWorld } from './world.js';

const RO = 4096; // the guest's constant table: 256 bytes that must not change
const GUEST_WAT = `(module
  (import "solo5" "yield" (func $yield (param i64 i32)))
  (import "solo5" "clock_monotonic" (func $now (result i64)))
  (import "attack" "tick" (func $tick (param i32)))
  (memory (export "memory") 4)
  (data (i32.const ${RO}) "${'\\2a'.repeat(256)}")
  (table (export "tbl") 2 funcref)
  (elem (i32.const 0) $f $g)
  (type $t (func (result i32)))
  (func $f (result i32) (i32.const 1))
  (func $g (result i32) (i32.const 2))
  (func (export "solo5_app_main") (param i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 400)))
      ;; ordinary writes all over the heap, reads of the constant table, an indirect call
      (i32.store (i32.add (i32.const 65536) (i32.mul (i32.and (local.get $i) (i32.const 4095)) (i32.const 4))) (local.get $i))
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u (i32.add (i32.const ${RO}) (i32.and (local.get $i) (i32.const 255))))))
      (local.set $acc (i32.add (local.get $acc) (call_indirect (type $t) (i32.and (local.get $i) (i32.const 1)))))
      (call $tick (local.get $i))
      (call $yield (i64.add (call $now) (i64.const 200000)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))`;

async function guestModule(): Promise<WebAssembly.Module> {
  const mod = (await wabtInit()).parseWat('integrity.wat', GUEST_WAT);
  try {
    return new WebAssembly.Module(new Uint8Array(mod.toBinary({}).buffer));
  } finally {
    mod.destroy();
  }
}

type Attack = (i: number, memory: WebAssembly.Memory, exports: WebAssembly.Exports, checksSoFar: number) => void;

/** A patch the adversarial monitor makes once the guest is loaded, before its code runs (i = -1), or never. */
async function run(integrity: Record<string, unknown>, attack: Attack | null, backend = 'tz', early: Attack | null = null) {
  const trace = new MemoryTraceSink();
  const log: string[] = [];
  let patchedAfter = -1;
  const checks = () => trace.events.filter((e) => e.name === 'integrity check').length;
  // The adversarial monitor: an extension of the untrusted side that writes into the guest when it likes.
  const adversary: MonitorExtension = {
    importModule: 'attack',
    imports: (host: GuestHost) => ({
      tick: (i: number) => {
        if (attack === null) return;
        const before = checks();
        attack(i, host.memory(), host.exports(), before);
        if (patchedAfter < 0 && i === 150) patchedAfter = before;
      },
    }),
    started: (host: GuestHost) => early?.(-1, host.memory(), host.exports(), checks()),
  };
  const runner = await GuestRunner.create({
    name: 'watched',
    module: await guestModule(),
    manifest: { devices: [], raw: { type: 'solo5.manifest', version: 1, devices: [], integrity } } as never,
    options: { backend, taDir: path.join(buildDir, 'ta') },
    console: new CaptureConsole(),
    extensions: [enclaveExtension, teecExtension, adversary],
    trace,
    log: (l) => log.push(l),
  });
  try {
    const result = runner.boot();
    const alerts = trace.events.filter((e) => e.name === 'integrity alert');
    return { result, log, alerts, checks: checks(), patchedAfter };
  } finally {
    runner.close();
  }
}

const patchByte: Attack = (i, memory) => {
  if (i === 150) new Uint8Array(memory.buffer)[RO + 77] ^= 0x01;
};

describe('runtime integrity monitoring', () => {
  it('ordinary guest writes never raise an alert', async () => {
    const { result, alerts, checks, log } = await run({ ranges: [[RO, 256]], period_ms: 1, policy: 'stop' }, null);
    expect(result.status, log.join('\n')).toBe(0);
    expect(checks).toBeGreaterThan(3);
    expect(alerts).toEqual([]);
  });

  it('a patched read-only byte raises the alert at the first check after the patch (policy log: the guest runs on)', async () => {
    const { result, alerts, log, patchedAfter } = await run({ ranges: [[64, 16], [RO, 256]], period_ms: 1, policy: 'log' }, patchByte);
    expect(result.status).toBe(0);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
    expect(String(alerts[0]!.args?.['detail'])).toBe(`range #1 [${RO}, +256) changed since boot`);
    expect(log.join('\n')).toMatch(/runtime integrity alert \(check \d+\): range #1 \[4096, \+256\) changed since boot/);
  });

  it('a patch made after the guest is loaded and before its first exit raises the alert at the first check', async () => {
    const early: Attack = (_i, memory) => void (new Uint8Array(memory.buffer)[RO + 3] ^= 0x80);
    const { result, alerts, checks } = await run({ ranges: [[RO, 256]], period_ms: 1, policy: 'log' }, null, 'tz', early);
    expect(result.status).toBe(0);
    expect(checks).toBeGreaterThan(1);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]!.args?.['check']).toBe(1);
    expect(String(alerts[0]!.args?.['detail'])).toBe(`range #0 [${RO}, +256) changed since boot`);
  });

  it('policy stop ends the guest (status 255) with the reason', async () => {
    const { result, alerts, patchedAfter } = await run({ ranges: [[RO, 256]], period_ms: 1, policy: 'stop' }, patchByte);
    expect(result.status).toBe(255);
    expect(result.message).toMatch(/runtime integrity: range #0 \[4096, \+256\) changed since boot; the guest is stopped/);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
  });

  it('a swapped function-table entry raises the alert (policy attest keeps it)', async () => {
    const swap: Attack = (i, _m, ex) => {
      if (i === 150) {
        const t = ex['tbl'] as WebAssembly.Table;
        t.set(0, t.get(1));
      }
    };
    const { result, alerts, log } = await run({ ranges: [], tables: true, period_ms: 1, policy: 'attest' }, swap);
    expect(result.status).toBe(0);
    expect(alerts[0]!.args?.['detail']).toBe('function table entry 0 changed since boot');
    expect(log.join('\n')).toContain('(kept for attestation)');
  });

  it('bad integrity settings are refused before the guest starts; it needs --backend=tz', async () => {
    for (const [cfg, re] of [
      [{ ranges: [[1, 0]] }, /range #0 must be/],
      [{ ranges: [[RO, 16]], policy: 'ignore' }, /"policy" must be/],
      [{ ranges: [], tables: false }, /nothing to watch/],
      [{ ranges: [[RO, 16]], period_ms: 0 }, /"period_ms"/],
    ] as const) {
      await run(cfg as Record<string, unknown>, null).then(
        () => expect.unreachable(),
        (e: unknown) => {
          expect(isEmonError(e, 'E_MANIFEST'), String(e)).toBe(true);
          expect((e as Error).message).toMatch(re);
        },
      );
    }
    await run({ ranges: [[RO, 16]] }, null, 'sgx').then(
      () => expect.unreachable(),
      (e: unknown) => expect(isEmonError(e, 'E_BACKEND')).toBe(true),
    );
    // A range outside the guest's memory stops the guest at its first exit, with the reason.
    const far = await run({ ranges: [[0x7fff0000, 16]] }, null);
    expect(far.result.status).toBe(255);
    expect(far.result.message).toMatch(/cannot take its reference/);
  });
});

describe('integrity TA on demand', () => {
  it('a client session shares the instance: it may check and read the report, never reset the reference or close the system session', () => {
    const nw = new NormalWorld();
    const alerts: IntegrityAlert[] = [];
    let mon: IntegrityMonitor | null = null;
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]), onIntegrityAlert: (c, d) => mon!.alert(c, d) });
    new Uint8Array(nw.memory.buffer).fill(7, 8192, 8192 + 100);
    mon = new IntegrityMonitor(w, { ranges: [[8192, 100]], tables: false, periodMs: 1000, policy: 'log' }, () => ({}), (a) => alerts.push(...a), null, 't');
    mon.arm();
    expect(w.openSession(INTEGRITY_TA, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    const client = w.lastSession;
    const check = () => w.invoke(client, 1, nw.u8(), nw.dv(), nw.op(gp.paramTypes(gp.PARAM_VALUE_OUTPUT), [null]));
    expect(check()).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0, OP)[0]).toBe(0);
    nw.u8()[8192 + 50] = 8;
    expect(check()).toBe(gp.TEE_ERROR_SECURITY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(w.invoke(client, 0x80000000, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_ACCESS_DENIED);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    w.closeSession(0x80000001);
    expect(mon.check().map((a) => a.detail)).toEqual(['range #0 [8192, +100) changed since boot']);
    expect(w.invoke(client, 2, nw.u8(), nw.dv(), nw.op(gp.paramTypes(gp.PARAM_VALUE_OUTPUT), [null]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0, OP)).toEqual([2, 3]); // two changed-range alerts over three checks
    expect(alerts.length).toBe(1);
  });
});
