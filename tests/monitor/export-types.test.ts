/**
 * The exports the monitor calls are checked against their types before anything runs (issue 10, defect 6):
 * `solo5_app_main` at load, and every OCALL handler a guest exports at `enclave_open`. A wrong type is refused
 * with a message naming the export and the types, never converted, crashed on or silently accepted.
 */
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { isEmonError } from '../../runtime/errors.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { enclaveFile, watBytes } from '../fixtures/hostile.js';
import { withManifest } from './helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const MANIFEST = { type: 'solo5.manifest', version: 1, devices: [] };

async function prepare(main: string): Promise<unknown> {
  const bytes = withManifest(await watBytes(`(module (memory (export "memory") 1) ${main})`, { multi_value: true, reference_types: true }), MANIFEST);
  try {
    prepareGuestBytes(bytes, 'guest typed', 64);
    return null;
  } catch (e) {
    return e;
  }
}

describe('solo5_app_main must be (i32) -> i32', () => {
  const wrong: [string, string, string][] = [
    ['(func (export "solo5_app_main") (param i64) (result i64) (i64.const 0))', 'i64 -> i64', 'the i64 that crashed the handler'],
    ['(func (export "solo5_app_main") (param i32) (result f64) (f64.const 3.5))', 'i32 -> f64', 'an f64 that became a status'],
    ['(func (export "solo5_app_main") (param i32) (result i32 i32) (i32.const 1) (i32.const 2))', 'i32 -> i32 i32', 'multi-value'],
    ['(func (export "solo5_app_main") (param i32) (result externref) (ref.null extern))', 'i32 -> externref', 'externref'],
    ['(func (export "solo5_app_main") (result i32) (i32.const 0))', '-> i32', 'no start_info parameter'],
    ['(func (export "solo5_app_main") (param i32))', 'i32 ->', 'no result'],
  ];
  for (const [main, sig, what] of wrong) {
    it(`refuses ${what} at load, naming both types`, async () => {
      const e = await prepare(main);
      expect(isEmonError(e, 'E_BAD_WASM'), String(e)).toBe(true);
      expect((e as Error).message).toContain(`solo5_app_main as (${sig})`);
      expect((e as Error).message).toContain('(i32 -> i32)');
    });
  }

  it('accepts (i32) -> i32, also when other functions are imported first', async () => {
    expect(await prepare('(func (export "solo5_app_main") (param i32) (result i32) (i32.const 0))')).toBeNull();
    const bytes = withManifest(
      await watBytes(`(module (import "solo5" "exit" (func (param i32))) (import "solo5" "abort" (func))
        (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0)))`),
      MANIFEST,
    );
    expect(() => prepareGuestBytes(bytes, 'guest typed', 64)).not.toThrow();
  });
});

/** A gatetest guest whose ocall_echo handler has `echoType`; it opens the enclave and returns the status. */
async function ocallGuest(echoType: string): Promise<{ status: number; log: string[] }> {
  const text = `(module
    (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
    (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
    (memory (export "memory") 2)
    (data (i32.const 64) "gatetest")
    (func (export "solo5_app_main") (param i32) (result i32)
      (local $st i32)
      (local.set $st (call $open (i32.const 64) (i32.const 8) (i32.const 8192) (i32.const 16384) (i32.const 128)))
      (if (local.get $st) (then (return (i32.add (i32.const 100) (local.get $st)))))
      ;; echo_via_guest(64): ECALL 12, frame at 1024 (return slot, then len)
      (i32.store (i32.const 1032) (i32.const 64))
      (drop (call $ecall (i32.load (i32.const 128)) (i32.const 12) (i32.const 1024)))
      (i32.load (i32.const 1024)))
    (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
    (func (export "ocall_null"))
    (func (export "ocall_echo") ${echoType}))`;
  const bytes = withManifest(await watBytes(text), { ...MANIFEST, enclaves: [{ name: 'gatetest' }] });
  const prepared = prepareGuestBytes(bytes, 'guest ocall', 64);
  const log: string[] = [];
  const runner = await GuestRunner.create({
    name: 'ocall',
    module: compileGuest(prepared.bytes, 'guest ocall'),
    manifest: prepared.manifest,
    attachments: new Map([['enclave', new Map([['gatetest', enclaveFile('gatetest')]])]]),
    options: { stateDir: mkdtempSync(path.join(tmpdir(), 'emon-types-')) },
    console: new CaptureConsole(),
    extensions: [enclaveExtension],
    log: (l) => log.push(l),
  });
  try {
    return { status: runner.boot().status, log };
  } finally {
    runner.close();
  }
}

describe('OCALL handlers must have the type their EDL declares', () => {
  it('the right type (i32 i32 i32) -> () works end to end', async () => {
    const r = await ocallGuest('(param i32 i32 i32) (memory.copy (local.get 1) (local.get 0) (local.get 2))');
    expect(r.status, r.log.join('\n')).toBe(64);
  });

  for (const [type, got, what] of [
    ['(param i32 i32)', 'i32 i32 ->', 'a parameter missing'],
    ['(param i32 i32 i64)', 'i32 i32 i64 ->', 'an i64 length'],
    ['(param i32 i32 i32) (result i32) (i32.const 0)', 'i32 i32 i32 -> i32', 'a result the EDL does not declare'],
    ['(param f64 i32 i32 i32 i32)', 'another type with 5 parameters', 'five parameters'],
  ] as const) {
    it(`${what}: enclave_open refuses it (EINVAL), naming the export and both types`, async () => {
      const r = await ocallGuest(type);
      expect(r.status).toBe(100 + 2);
      expect(r.log.join('\n')).toContain(`OCALL ocall_echo as (i32 i32 i32 ->), but the guest's export ocall_echo is (${got})`);
    });
  }
});
