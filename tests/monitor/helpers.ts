/**
 * Test guests built from WAT text in the test itself (no committed binaries): a probe guest that imports
 * every Solo5 hypercall and exports one wrapper per call, so tests drive the ABI one call at a time.
 */
import wabtInit from 'wabt';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner, type GuestConfig } from '../../runtime/monitor/guest.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { MANIFEST_SECTION } from '../../runtime/monitor/manifest.js';
import { withCustomSection } from '../../runtime/monitor/wasmbin.js';

let wabt: Awaited<ReturnType<typeof wabtInit>> | null = null;

export async function wat(text: string): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const mod = wabt.parseWat('test.wat', text, { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

export function withManifest(bytes: Uint8Array, manifest: unknown): Uint8Array {
  return withCustomSection(bytes, MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)), 'test guest');
}

export const SOLO5_IMPORTS = `
  (import "solo5" "console_write" (func $console_write (param i32 i32)))
  (import "solo5" "clock_monotonic" (func $clock_monotonic (result i64)))
  (import "solo5" "clock_wall" (func $clock_wall (result i64)))
  (import "solo5" "yield" (func $yield (param i64 i32)))
  (import "solo5" "exit" (func $exit (param i32)))
  (import "solo5" "abort" (func $abort))
  (import "solo5" "set_tls_base" (func $set_tls_base (param i32) (result i32)))
  (import "solo5" "block_acquire" (func $block_acquire (param i32 i32 i32) (result i32)))
  (import "solo5" "block_write" (func $block_write (param i64 i64 i32 i32) (result i32)))
  (import "solo5" "block_read" (func $block_read (param i64 i64 i32 i32) (result i32)))
  (import "solo5" "net_acquire" (func $net_acquire (param i32 i32 i32) (result i32)))
  (import "solo5" "net_write" (func $net_write (param i64 i32 i32) (result i32)))
  (import "solo5" "net_read" (func $net_read (param i64 i32 i32 i32) (result i32)))
`;

/** Every hypercall re-exported as h_NAME, plus device names at fixed addresses: "disk"@16, "nic"@32, "ghost"@48. */
export const PROBE_WAT = `(module
  ${SOLO5_IMPORTS}
  (memory (export "memory") 2)
  (data (i32.const 16) "disk\\00")
  (data (i32.const 32) "nic\\00")
  (data (i32.const 48) "ghost\\00")
  (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0))
  (func (export "h_console_write") (param i32 i32) (call $console_write (local.get 0) (local.get 1)))
  (func (export "h_clock_monotonic") (result i64) (call $clock_monotonic))
  (func (export "h_clock_wall") (result i64) (call $clock_wall))
  (func (export "h_yield") (param i64 i32) (call $yield (local.get 0) (local.get 1)))
  (func (export "h_exit") (param i32) (call $exit (local.get 0)))
  (func (export "h_abort") (call $abort))
  (func (export "h_set_tls_base") (param i32) (result i32) (call $set_tls_base (local.get 0)))
  (func (export "h_block_acquire") (param i32 i32 i32) (result i32) (call $block_acquire (local.get 0) (local.get 1) (local.get 2)))
  (func (export "h_block_write") (param i64 i64 i32 i32) (result i32) (call $block_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "h_block_read") (param i64 i64 i32 i32) (result i32) (call $block_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "h_net_acquire") (param i32 i32 i32) (result i32) (call $net_acquire (local.get 0) (local.get 1) (local.get 2)))
  (func (export "h_net_write") (param i64 i32 i32) (result i32) (call $net_write (local.get 0) (local.get 1) (local.get 2)))
  (func (export "h_net_read") (param i64 i32 i32 i32) (result i32) (call $net_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "trap") unreachable)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func $deep (export "recurse") (param i32) (result i32) (i32.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
)`;

export const PROBE_MANIFEST = {
  type: 'solo5.manifest',
  version: 1,
  devices: [
    { name: 'disk', type: 'BLOCK_BASIC' },
    { name: 'nic', type: 'NET_BASIC' },
  ],
};

export interface Probe {
  runner: GuestRunner;
  console: CaptureConsole;
  /** The test's end of the NIC. */
  peer: MessagePort;
  wake: Int32Array;
  close(): void;
}

/** Compiles WAT (with a manifest) under a memory cap, as the loader does for files. */
export async function compileWat(text: string, manifest: unknown | null, memMiB = 64) {
  let bytes = await wat(text);
  if (manifest !== null) bytes = withManifest(bytes, manifest);
  const prepared = prepareGuestBytes(bytes, 'guest test', memMiB);
  return { module: compileGuest(prepared.bytes, 'guest test'), manifest: prepared.manifest };
}

/** The probe guest, booted, with `disk` attached to `diskPath` and `nic` linked to a MessageChannel. */
export async function bootProbe(diskPath: string, extra: Partial<GuestConfig> = {}): Promise<Probe> {
  const { module, manifest } = await compileWat(PROBE_WAT, PROBE_MANIFEST);
  const console = new CaptureConsole();
  const { port1, port2 } = new MessageChannel();
  const { createWake } = await import('../../runtime/monitor/wake.js');
  const wake = createWake();
  const runner = await GuestRunner.create({
    name: 'probe',
    module,
    manifest,
    console,
    wake,
    attachments: new Map([
      ['block', new Map([['disk', diskPath]])],
      ['net', new Map([['nic', 'switch:sw0']])],
    ]),
    netLinks: new Map([['nic', { port: port2, mac: new Uint8Array([2, 0, 0, 0, 0, 1]) }]]),
    extensions: [],
    ...extra,
  });
  const booted = runner.boot();
  if (booted.status !== 0) throw new Error(`probe did not boot: ${JSON.stringify(booted)}`);
  return {
    runner,
    console,
    peer: port1,
    wake,
    close() {
      runner.close();
      port1.close();
    },
  };
}
