/**
 * Hypercalls from a module's Wasm start function (issue 10, defect 7): the start function runs while the module
 * is instantiated, before the monitor has the guest's memory, so every hypercall that takes a pointer, and the
 * "emon" enclave calls, end the guest saying that hypercalls are not available before solo5_app_main — not
 * "buffer outside guest memory" or "not instantiated", and never against the memory of an earlier boot.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { enclaveFile, watBytes } from '../fixtures/hostile.js';
import { SOLO5_IMPORTS, withManifest } from './helpers.js';

const MANIFEST = { type: 'solo5.manifest', version: 1, devices: [] as unknown[] };

async function boot(startBody: string, opts: { enclaves?: boolean; twice?: boolean } = {}) {
  const text = `(module ${SOLO5_IMPORTS}
    (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 2)
    (data (i32.const 16) "hello\\n")
    (data (i32.const 64) "gatetest")
    (global $booted (mut i32) (i32.const 0))
    (func $start ${startBody})
    (start $start)
    (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0)))`;
  const manifest = opts.enclaves === false ? MANIFEST : { ...MANIFEST, enclaves: [{ name: 'gatetest' }] };
  const prepared = prepareGuestBytes(withManifest(await watBytes(text), manifest), 'guest start', 64);
  const console = new CaptureConsole();
  const runner = await GuestRunner.create({
    name: 'start',
    module: compileGuest(prepared.bytes, 'guest start'),
    manifest: prepared.manifest,
    attachments: new Map([['enclave', new Map([['gatetest', enclaveFile('gatetest')]])]]),
    options: { stateDir: mkdtempSync(path.join(tmpdir(), 'emon-start-')) },
    console,
    extensions: [enclaveExtension],
    log: () => undefined,
  });
  try {
    const r = runner.boot();
    return { ...r, out: console.text() };
  } finally {
    runner.close();
  }
}

const BEFORE = /hypercalls are not available before solo5_app_main/;

describe('hypercalls from a Wasm start function', () => {
  for (const [what, body] of [
    ['console_write', '(call $console_write (i32.const 16) (i32.const 6))'],
    ['yield', '(call $yield (i64.const 0) (i32.const 128))'],
    ['block_acquire', '(drop (call $block_acquire (i32.const 64) (i32.const 128) (i32.const 256)))'],
    ['net_acquire', '(drop (call $net_acquire (i32.const 64) (i32.const 128) (i32.const 256)))'],
    ['enclave_open', '(drop (call $open (i32.const 64) (i32.const 8) (i32.const 8192) (i32.const 8192) (i32.const 128)))'],
  ] as const) {
    it(`${what} ends the guest saying hypercalls are not available before solo5_app_main`, async () => {
      const r = await boot(body);
      expect(r.status).toBe(255);
      expect(r.reason).toBe('abort');
      expect(r.message).toMatch(BEFORE);
      expect(r.message).not.toMatch(/outside guest memory|not instantiated/);
      expect(r.out).toBe('');
    });
  }

  it('a start function that makes no hypercall is fine', async () => {
    const r = await boot('(global.set $booted (i32.const 1))');
    expect(r).toMatchObject({ status: 0, reason: 'return' });
  });
});
