/**
 * enclave_close releases what enclave_open took (issue 10, defect 2): a hostile guest that opens the gatetest
 * enclave, makes one ECALL and closes it, thousands of times, keeps a bounded footprint (peak RSS of a long loop
 * close to a short one's), never runs out of EPC slots, and always gets its ECALL through. An enclave cannot be
 * closed from inside one of its own OCALLs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { MANIFEST_SECTION } from '../../runtime/monitor/manifest.js';
import { withCustomSection } from '../../runtime/monitor/wasmbin.js';
import { emonMeasured, enclaveFile, hostileGuest, watBytes } from '../fixtures/hostile.js';

/** Opens, pings (ECALL 0) and closes the enclave `rounds` times; the exit status names the first failure. */
const loopGuest = (rounds: number): string => `(module
  (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "emon" "enclave_close" (func $close (param i32) (result i32)))
  (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "gatetest")
  (func (export "solo5_app_main") (param i32) (result i32) (local $i i32) (local $h i32)
    (loop $next
      (if (call $open (i32.const 64) (i32.const 8) (i32.const 8192) (i32.const 8192) (i32.const 128)) (then (return (i32.const 10))))
      (local.set $h (i32.load (i32.const 128)))
      (if (call $ecall (local.get $h) (i32.const 0) (i32.const 1024)) (then (return (i32.const 11))))
      (if (call $close (local.get $h)) (then (return (i32.const 12))))
      ;; a closed handle is refused
      (if (i32.ne (call $ecall (local.get $h) (i32.const 0) (i32.const 1024)) (i32.const 2)) (then (return (i32.const 13))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const ${rounds}))))
    (i32.const 0))
  (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
  (func (export "ocall_null"))
  (func (export "ocall_echo") (param i32 i32 i32)))`;


describe('enclave_close in a hostile loop', () => {
  it('2,500 open/ECALL/close rounds (more than the EPC has slots) stay within a bounded RSS, paged and resident', async () => {
    for (const mode of ['paged', 'resident']) {
      const manifest = { enclaves: [{ name: 'gatetest', ...(mode === 'resident' ? { epc: 'resident' } : {}) }] };
      const short = await hostileGuest('close-short', loopGuest(50), manifest);
      const long = await hostileGuest('close-long', loopGuest(2500), manifest);
      const epc = mode === 'paged' ? '--epc=200p' : '--epc=8M';
      const args = (g: string) => ['run', epc, `--enclave:gatetest=${enclaveFile('gatetest')}`, g];
      const a = await emonMeasured(args(short));
      const b = await emonMeasured(args(long), 120000);
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      expect(b.stderr).not.toMatch(/already has|cannot create enclave/);
      // Unreleased instances cost about 1.5 MiB each (issue 10: 0.8 GB after 500 rounds, 3.6 GiB for these 2,450
      // more). Released ones leave only the collector's slack: measured +30 to +150 MiB, growing far slower
      // than the rounds (50: 261, 1,000: 292, 2,500: 322, 6,000: 362 MiB), but up to +204 MiB on a clean CI
      // machine. 400 MiB still catches a leak of a ninth of the old one.
      console.log(`close loop ${mode}: peak RSS ${a.peakMiB.toFixed(0)} MiB after 50 rounds, ${b.peakMiB.toFixed(0)} MiB after 2,500`);
      expect(b.peakMiB - a.peakMiB, `peak RSS: ${a.peakMiB.toFixed(0)} MiB after 50 rounds, ${b.peakMiB.toFixed(0)} MiB after 2,500 (${epc})`).toBeLessThan(400);
    }
  }, 240000);
});

describe('enclave_close from inside the enclave', () => {
  it("is refused (EINVAL) while the enclave runs one of its ECALLs; after the ECALL returns, close works", async () => {
    // The guest's ocall_tick handler tries to close the enclave that called it and returns close's status;
    // call_out (ECALL 9, frame: return slot, depth) hands that back.
    const text = `(module
      (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
      (import "emon" "enclave_close" (func $close (param i32) (result i32)))
      (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 64) "gatetest")
      (func (export "solo5_app_main") (param i32) (result i32)
        (if (call $open (i32.const 64) (i32.const 8) (i32.const 8192) (i32.const 8192) (i32.const 128)) (then (return (i32.const 10))))
        (i32.store (i32.const 1032) (i32.const 1))
        (if (call $ecall (i32.load (i32.const 128)) (i32.const 9) (i32.const 1024)) (then (return (i32.const 11))))
        ;; close inside the OCALL said EINVAL (2)
        (if (i32.ne (i32.load (i32.const 1024)) (i32.const 2)) (then (return (i32.add (i32.const 20) (i32.load (i32.const 1024))))))
        (if (call $close (i32.load (i32.const 128))) (then (return (i32.const 12))))
        (if (i32.ne (call $ecall (i32.load (i32.const 128)) (i32.const 0) (i32.const 1024)) (i32.const 2)) (then (return (i32.const 13))))
        (i32.const 0))
      (func (export "ocall_tick") (param i32) (result i32) (call $close (i32.load (i32.const 128))))
      (func (export "ocall_null"))
      (func (export "ocall_echo") (param i32 i32 i32)))`;
    const bytes = withCustomSection(await watBytes(text), MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify({ type: 'solo5.manifest', version: 1, devices: [], enclaves: [{ name: 'gatetest' }] })), 'guest');
    const prepared = prepareGuestBytes(bytes, 'guest closer', 64);
    const log: string[] = [];
    const runner = await GuestRunner.create({
      name: 'closer',
      module: compileGuest(prepared.bytes, 'guest closer'),
      manifest: prepared.manifest,
      attachments: new Map([['enclave', new Map([['gatetest', enclaveFile('gatetest')]])]]),
      options: { stateDir: mkdtempSync(path.join(tmpdir(), 'emon-close-')) },
      console: new CaptureConsole(),
      extensions: [enclaveExtension],
      log: (l) => log.push(l),
    });
    try {
      expect(runner.boot().status, log.join('\n')).toBe(0);
      expect(log.join('\n')).toMatch(/enclave_close\(0\): enclave gatetest is running an ECALL/);
    } finally {
      runner.close();
    }
  });
});
