/**
 * Many guests on one thread (runtime/monitor/scheduler.ts, asyncify.ts): sleeping guests give up the thread, a
 * guest that never yields is preempted, and a trap, abort or timeout ends that guest only.
 */
import { describe, expect, it } from 'vitest';
import { makeSuspendable } from '../../runtime/monitor/asyncify.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extensions } from '../../runtime/monitor/extensions.js';
import { MANIFEST_SECTION } from '../../runtime/monitor/manifest.js';
import { Scheduler, type ScheduledGuest } from '../../runtime/monitor/scheduler.js';
import { withCustomSection } from '../../runtime/monitor/wasmbin.js';
import { buildDir } from '../../runtime/paths.js';
import { SOLO5_IMPORTS, wat } from './helpers.js';

const MAIN = (body: string) => `(func (export "solo5_app_main") (param i32) (result i32) ${body})`;

async function compiled(name: string, body: string): Promise<{ module: WebAssembly.Module; manifest: ScheduledGuest['manifest'] }> {
  const bytes = await wat(`(module ${SOLO5_IMPORTS} (memory (export "memory") 1) (data (i32.const 16) "hi\\0a") (global $n (mut i32) (i32.const 0)) ${body})`);
  const what = `guest ${name}`;
  const prepared = prepareGuestBytes(bytes, what, 4);
  return { module: compileGuest(makeSuspendable(prepared.bytes, what), what), manifest: prepared.manifest };
}

/** Sleeps `n` times for `ms` each (deadline = now + ms), printing "hi" after each wake-up. */
const SLEEPER = (n: number, ms: number) => MAIN(`
  (local $i i32)
  (loop $l
    (call $yield (i64.add (call $clock_monotonic) (i64.const ${ms * 1_000_000})) (i32.const 64))
    (call $console_write (i32.const 16) (i32.const 3))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))
  (i32.const 0)`);
/** Counts in a global forever (a compute-bound guest that never yields). */
const SPINNER = MAIN(`(loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)) (i32.const 0)`);

function guest(name: string, c: Awaited<ReturnType<typeof compiled>>, extra: Partial<ScheduledGuest> = {}): ScheduledGuest {
  return { name, module: c.module, manifest: c.manifest, cmdline: '', console: new CaptureConsole(), ...extra };
}

describe('scheduler', () => {
  it('runs many sleeping guests made from one shared module on one thread, each to its end', async () => {
    const c = await compiled('sleeper', SLEEPER(3, 5));
    const guests = Array.from({ length: 200 }, (_, i) => guest(`s${i}`, c));
    const results = new Scheduler(guests).run();
    expect(results.every((r) => r.reason === 'return' && r.status === 0)).toBe(true);
    for (const g of guests) expect((g.console as CaptureConsole).text()).toBe('hi\nhi\nhi\n');
  });

  it('preempts a guest that never yields: a sleeping neighbour keeps waking up, and --timeout ends the spinner alone', async () => {
    const spin = await compiled('spin', SPINNER);
    const sleep = await compiled('sleep', SLEEPER(20, 2));
    const sched = new Scheduler([guest('spin', spin, { timeoutS: 0.5 }), guest('sleep', sleep)]);
    const results = sched.run();
    expect(results.map((r) => [r.name, r.reason, r.status])).toEqual([
      ['spin', 'timeout', 124],
      ['sleep', 'return', 0],
    ]);
    // The spinner was unwound many times (once per slice while the sleeper was due), not run to its timeout in one go.
    expect(sched.stats(0).slices).toBeGreaterThan(10);
  });

  it('preempts loop-free recursion and a guest whose hot loop is a short counted one (left without a check)', async () => {
    // 2^40 calls without a loop: only the check at the recursive function's entry can stop it.
    const recurse = await compiled('recurse', `(func $r (param $d i32) (if (local.get $d) (then (call $r (i32.sub (local.get $d) (i32.const 1))) (call $r (i32.sub (local.get $d) (i32.const 1))))))
      ${MAIN('(call $r (i32.const 40)) (i32.const 0)')}`);
    // A counted inner loop of 65,536 trips (no check of its own: one check before it, weighted by its trips)
    // inside an endless outer loop. Unweighted, the fuel would last 20,000 x 65,536 iterations between two looks
    // at the clock, far past the end of the slice.
    const counted = await compiled('counted', MAIN(`(local $i i32) (loop $o (local.set $i (i32.const 0))
      (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 65536))))
      (br $o)) (i32.const 0)`));
    const sleep = await compiled('sleep', SLEEPER(20, 2));
    const sched = new Scheduler([guest('recurse', recurse, { timeoutS: 0.5 }), guest('counted', counted, { timeoutS: 0.5 }), guest('sleep', sleep)]);
    expect(sched.run().map((r) => [r.name, r.reason, r.status])).toEqual([
      ['recurse', 'timeout', 124],
      ['counted', 'timeout', 124],
      ['sleep', 'return', 0],
    ]);
    expect(sched.stats(0).slices).toBeGreaterThan(20);
    expect(sched.stats(1).slices).toBeGreaterThan(20);
  });

  it('two spinners share the thread fairly: they alternate slice by slice until their timeouts', async () => {
    const spin = await compiled('spin', SPINNER);
    const sched = new Scheduler([guest('a', spin, { timeoutS: 0.3 }), guest('b', spin, { timeoutS: 0.3 })], { sliceMs: 2 });
    const results = sched.run();
    expect(results.map((r) => r.reason)).toEqual(['timeout', 'timeout']);
    const a = sched.stats(0).slices;
    const b = sched.stats(1).slices;
    // Round robin: the two alternate, so neither is ahead by more than the slice it is in.
    expect(Math.min(a, b)).toBeGreaterThan(2);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
  });

  it('a trap, an abort, an exit and a memory-cap hit end that guest only; the neighbours finish', async () => {
    const trap = await compiled('trap', MAIN('(call $yield (i64.const 0) (i32.const 64)) unreachable'));
    const abort = await compiled('abort', MAIN('(call $abort) (i32.const 0)'));
    const exit = await compiled('exit', MAIN('(call $exit (i32.const 3)) (i32.const 0)'));
    // Grows until the 4 MiB cap refuses (memory.grow returns -1), then returns how many pages it got.
    const grow = await compiled('grow', MAIN('(local $n i32) (block $b (loop $l (br_if $b (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l))) (local.get $n)'));
    const sleep = await compiled('sleep', SLEEPER(5, 2));
    const results = new Scheduler([guest('trap', trap), guest('sleep1', sleep), guest('abort', abort), guest('exit', exit), guest('grow', grow), guest('sleep2', sleep)]).run();
    expect(results.map((r) => [r.name, r.reason, r.status])).toEqual([
      ['trap', 'trap', 255],
      ['sleep1', 'return', 0],
      ['abort', 'abort', 255],
      ['exit', 'exit', 3],
      // 4 MiB = 64 pages, minus the initial page and the two the scheduler adds (start info, Asyncify stack).
      ['grow', 'return', 61],
      ['sleep2', 'return', 0],
    ]);
    expect(results[0]!.message).toMatch(/guest trap trapped: unreachable/);
  });

  it('a guest flooding the console is preempted like a spinner: its sleeping neighbour still finishes', async () => {
    const flood = await compiled('flood', MAIN('(loop $l (call $console_write (i32.const 16) (i32.const 3)) (br $l)) (i32.const 0)'));
    const sleep = await compiled('sleep', SLEEPER(10, 2));
    const flooder = guest('flood', flood, { timeoutS: 0.5 });
    const sleeper = guest('sleep', sleep);
    const results = new Scheduler([flooder, sleeper]).run();
    expect(results.map((r) => [r.name, r.reason])).toEqual([['flood', 'timeout'], ['sleep', 'return']]);
    expect((sleeper.console as CaptureConsole).text()).toBe('hi\n'.repeat(10));
    expect((flooder.console as CaptureConsole).text().length).toBeGreaterThan(3);
  });

  it('records wake-up lateness and the thread\'s own sleeps only when asked', async () => {
    const c = await compiled('sleeper', SLEEPER(3, 2));
    const quiet = new Scheduler([guest('a', c)]);
    quiet.run();
    expect(quiet.stats(0).lateness).toEqual([]);
    expect(quiet.oversleep).toEqual([]);
    const recorded = new Scheduler([guest('a', c), guest('b', c)]);
    recorded.recordLateness = true;
    recorded.run();
    expect(recorded.stats(0).lateness).toHaveLength(3);
    expect(recorded.oversleep.length).toBeGreaterThan(0);
    // A sleep ends at (the engine rounds its timeout to microseconds) or after the deadline it waited for.
    expect(Math.min(...recorded.oversleep)).toBeGreaterThan(-0.1);
  });

  it('never unwinds a guest under an ECALL: its OCALL handlers spin past their slices and sleep, and the ECALL returns', async () => {
    // gatetest's null_ocalls (ECALL 11) calls the guest's ocall_null n times; each call here spins 200,000 rounds
    // of a loop with a preemption check, then sleeps 0.2 ms, while a neighbour is due every millisecond. The
    // "emon" functions are not wrapped (the extension says when it is busy), so this is what keeps the stack
    // under the ECALL from being unwound through the gate's JavaScript.
    const manifest = { type: 'solo5.manifest', version: 1, devices: [], enclaves: [{ name: 'gatetest', epc: 'resident' }] };
    const text = `(module ${SOLO5_IMPORTS}
      (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
      (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
      (memory (export "memory") 4)
      (data (i32.const 0) "gatetest")
      (global $spun (mut i32) (i32.const 0))
      (global $calls (mut i32) (i32.const 0))
      (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
      (func (export "ocall_echo") (param i32 i32 i32))
      (func (export "ocall_null") (local $i i32)
        (loop $l (global.set $spun (i32.add (global.get $spun) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 200000))))
        (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
        (call $yield (i64.add (call $clock_monotonic) (i64.const 200000)) (i32.const 64)))
      ${MAIN(`(local $st i32)
        (if (call $open (i32.const 0) (i32.const 8) (i32.const 65536) (i32.const 65536) (i32.const 16)) (then (return (i32.const 100))))
        (i32.store (i32.const 1032) (i32.const 40))
        (local.set $st (call $ecall (i32.load (i32.const 16)) (i32.const 11) (i32.const 1024)))
        (if (local.get $st) (then (return (i32.add (i32.const 110) (local.get $st)))))
        (if (i32.load (i32.const 1024)) (then (return (i32.const 120))))
        (if (i32.ne (global.get $calls) (i32.const 40)) (then (return (i32.const 130))))
        (if (i32.ne (global.get $spun) (i32.const 8000000)) (then (return (i32.const 140))))
        (i32.const 0)`)})`;
    const bytes = withCustomSection(await wat(text), MANIFEST_SECTION, new TextEncoder().encode(JSON.stringify(manifest)), 'test guest');
    const prepared = prepareGuestBytes(bytes, 'guest ecall', 16);
    const module = compileGuest(makeSuspendable(prepared.bytes, 'guest ecall'), 'guest ecall');
    const sleep = await compiled('sleep', SLEEPER(30, 1));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'emon-sched-'));
    const attachments = new Map([['enclave', new Map([['gatetest', path.join(buildDir, 'enclaves', 'gatetest.wasm')]])]]);
    const sched = new Scheduler([
      { name: 'ecall', module, manifest: prepared.manifest, cmdline: '', console: new CaptureConsole(), attachments, extensions, options: { stateDir }, log: () => undefined },
      guest('sleep', sleep),
    ]);
    await sched.prepare();
    const results = sched.run();
    expect(results.map((r) => [r.name, r.reason, r.status, r.message])).toEqual([
      ['ecall', 'return', 0, undefined],
      ['sleep', 'return', 0, undefined],
    ]);
  });

  it('a guest whose timer is due runs before the guests still to boot, not after all of them', async () => {
    // The sleeper boots first and sleeps 2 ms; 600 guests behind it each print "hi" when they boot and end (about
    // 0.1-0.2 ms each). Before, the due sleeper queued behind every guest still to boot (as late as the whole boot).
    const sleeper = await compiled('sleeper', `(data (i32.const 32) "s\\0a") ${MAIN(`
      (call $yield (i64.add (call $clock_monotonic) (i64.const 2000000)) (i32.const 64))
      (call $console_write (i32.const 32) (i32.const 2)) (i32.const 0)`)}`);
    const hello = await compiled('hello', MAIN('(call $console_write (i32.const 16) (i32.const 3)) (i32.const 0)'));
    const out = new CaptureConsole();
    const results = new Scheduler([guest('s', sleeper, { console: out }), ...Array.from({ length: 600 }, (_, i) => guest(`h${i}`, hello, { console: out }))]).run();
    expect(results.every((r) => r.reason === 'return' && r.status === 0)).toBe(true);
    const text = out.text();
    expect(text.length).toBe(2 + 600 * 3);
    const bootsBefore = text.slice(0, text.indexOf('s\n')).length / 3;
    expect(bootsBefore).toBeGreaterThan(0);
    expect(bootsBefore).toBeLessThan(300);
  });

  it('a preempted guest waits for the guests still to boot: a spinner booted first gets no slice between their boots', async () => {
    const spin = await compiled('spin', SPINNER);
    const hello = await compiled('hello', MAIN('(call $console_write (i32.const 16) (i32.const 3)) (i32.const 0)'));
    const sched = new Scheduler([guest('spin', spin, { timeoutS: 0.3 }), ...Array.from({ length: 200 }, (_, i) => guest(`h${i}`, hello))]);
    const results = sched.run();
    expect(results[0]!.reason).toBe('timeout');
    expect(results.slice(1).every((r) => r.reason === 'return')).toBe(true);
    // Its first slice ends when the next boot is due; then the 200 boot, and it runs alone until its timeout.
    expect(sched.stats(0).slices).toBeLessThanOrEqual(3);
  });

  it('passes each guest its own command line', async () => {
    // Writes its command line (start_info.cmdline, 2 bytes) to the console.
    const echo = await compiled('echo', MAIN('(call $console_write (i32.load (local.get 0)) (i32.const 2)) (i32.const 0)'));
    const guests = ['g0', 'g1', 'g2'].map((n) => guest(n, echo, { cmdline: n }));
    new Scheduler(guests).run();
    expect(guests.map((g) => (g.console as CaptureConsole).text())).toEqual(['g0', 'g1', 'g2']);
  });
});
