/**
 * What the Solo5 hypercalls cost in emon (issue 3): each case loops inside the guest (Wasm) so only the
 * hypercall is timed, through the same in-thread runner (runtime/monitor/guest.ts) that `emon run` uses in
 * its workers. Cases: clock_monotonic, console_write of 64 B to a null console, block_read of 4 KiB from a
 * warm image (the page cache holds it after the first read), and boot of the hello example from an
 * already-compiled module to the return of solo5_app_main. Targets from the issue: hypercalls without I/O at
 * most 3x the floor, boot at most 1 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchCase, BenchSuite } from '../suite.js';
import { watToWasm } from '../wat.js';
import { buildDir } from '../../runtime/paths.js';
import { nullConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileGuest, loadGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { MANIFEST_SECTION } from '../../runtime/monitor/manifest.js';
import { withCustomSection } from '../../runtime/monitor/wasmbin.js';

const GUEST_WAT = `
(module
  (import "solo5" "clock_monotonic" (func $clock (result i64)))
  (import "solo5" "console_write" (func $write (param i32 i32)))
  (import "solo5" "block_acquire" (func $block_acquire (param i32 i32 i32) (result i32)))
  (import "solo5" "block_read" (func $block_read (param i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $disk (mut i64) (i64.const -1))
  (data (i32.const 16) "disk\\00")
  (data (i32.const 64) "emon hypercall benchmark: sixty-four bytes of console output....\\n")
  (func (export "solo5_app_main") (param i32) (result i32)
    (if (call $block_acquire (i32.const 16) (i32.const 32) (i32.const 40)) (then (return (i32.const 1))))
    (global.set $disk (i64.load (i32.const 32)))
    (i32.const 0))
  (func (export "clocks") (param $n i32) (result i64)
    (local $acc i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i64.add (local.get $acc) (call $clock)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func (export "writes") (param $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (call $write (i32.const 64) (i32.const 64))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  (func (export "reads") (param $n i32) (result i32)
    (local $bad i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $bad (i32.or (local.get $bad)
        (call $block_read (global.get $disk) (i64.const 8192) (i32.const 65536) (i32.const 4096))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad)))
`;

/** The host clock read every clock hypercall must make, through the same Wasm->JS crossing: its cost floor. */
const HOST_CLOCK_WAT = `
(module
  (import "host" "now" (func $now (result f64)))
  (func (export "reads") (param $n i32) (result f64)
    (local $acc f64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (f64.add (local.get $acc) (call $now)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))
`;

let tmp: string | null = null;
const runners: GuestRunner[] = [];
/** Results are folded here so the engine cannot drop the loops. */
let sink = 0n;
let fsink = 0;

export const suite: BenchSuite = {
  name: 'hypercalls',
  description: 'Solo5 hypercalls (clock, console, block) and warm boot of hello, through the in-thread guest runner',

  async setup(): Promise<BenchCase[]> {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-bench-hc-'));
    const image = path.join(tmp, 'disk.img');
    writeFileSync(image, Buffer.alloc(64 * 1024, 0x5a));
    const manifest = { type: 'solo5.manifest', version: 1, devices: [{ name: 'disk', type: 'BLOCK_BASIC' }] };
    const raw = withCustomSection(await watToWasm('hypercalls', GUEST_WAT), MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)), 'bench');
    const prepared = prepareGuestBytes(raw, 'guest bench', 64);
    const runner = await GuestRunner.create({
      name: 'bench',
      module: compileGuest(prepared.bytes, 'guest bench'),
      manifest: prepared.manifest,
      console: nullConsole,
      attachments: new Map([['block', new Map([['disk', image]])]]),
      extensions: [],
    });
    runners.push(runner);
    const booted = runner.boot();
    if (booted.status !== 0) throw new Error(`hypercall bench guest did not boot: ${JSON.stringify(booted)}`);
    const ex = runner.exports();
    const clocks = ex.clocks as (n: number) => bigint;
    const writes = ex.writes as (n: number) => void;
    const reads = ex.reads as (n: number) => number;
    if (reads(1) !== 0) throw new Error('block_read failed in the hypercall bench');

    const hostClock = new WebAssembly.Instance(new WebAssembly.Module(await watToWasm('host-clock', HOST_CLOCK_WAT)), {
      host: { now: () => performance.now() },
    }).exports.reads as (n: number) => number;

    const hello = loadGuest(path.join(buildDir, 'guests', 'hello.wasm'));
    const helloRunner = await GuestRunner.create({ name: 'hello', module: hello.module, manifest: hello.manifest, console: nullConsole, cmdline: 'bench', extensions: [] });
    runners.push(helloRunner);

    return [
      {
        name: 'host-clock/performance.now',
        run(n) {
          fsink += hostClock(n);
        },
      },
      {
        name: 'clock_monotonic',
        run(n) {
          sink ^= clocks(n);
        },
        baselines: ['host-clock/performance.now'],
        target: { against: 'floor', ratio: 3 },
      },
      {
        name: 'console_write/64B-null',
        bytes: 64,
        run(n) {
          writes(n);
        },
        target: { against: 'floor', ratio: 3 },
      },
      {
        name: 'block_read/4KiB-warm',
        bytes: 4096,
        run(n) {
          if (reads(n) !== 0) throw new Error('block_read failed');
        },
      },
      {
        name: 'boot/hello',
        run(n) {
          for (let i = 0; i < n; i++) {
            const r = helloRunner.boot();
            if (r.status !== 0) throw new Error(`hello did not boot: ${JSON.stringify(r)}`);
          }
        },
        params: { target_ms: 1 },
      },
    ];
  },

  async teardown() {
    for (const r of runners.splice(0)) r.close();
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
    tmp = null;
    void sink;
    void fsink;
  },
};
