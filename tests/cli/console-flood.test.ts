/**
 * The console of several guests under a hostile guest (issue 10, defect 4), through `emon run`: 40 MB without
 * a newline keeps the monitor's memory flat and arrives whole with its prefix; a guest stopped by --timeout
 * loses none of the partial line it wrote.
 */
import { describe, expect, it } from 'vitest';
import { emonMeasured, hostileGuest } from '../fixtures/hostile.js';
import { guests } from './helpers.js';
import { CONSOLE_WRITE_BYTES } from '../../runtime/monitor/console.js';

/** Line bytes per piece for the prefix 'w| '. */
const PREFIXED_LINE_BYTES = CONSOLE_WRITE_BYTES - 3 - 1;
import path from 'node:path';

const CHUNK = 65536;

/** Writes `chunks` x 64 KiB of 'x' with no newline, then `tail` (a string without newline), then spins or returns. */
const writer = (chunks: number, tail: string, spin: boolean): string => `(module
  (import "solo5" "console_write" (func $write (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const ${CHUNK}) "${tail}")
  (func (export "solo5_app_main") (param i32) (result i32) (local $i i32)
    (memory.fill (i32.const 0) (i32.const 120) (i32.const ${CHUNK}))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const ${chunks})))
      (call $write (i32.const 0) (i32.const ${CHUNK}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $write (i32.const ${CHUNK}) (i32.const ${tail.length}))
    ${spin ? '(loop $forever (br $forever))' : ''}
    (i32.const 0)))`;

const hello = path.join(guests, 'hello.wasm');

describe('console of several guests', () => {
  it('40 MB without a newline: peak RSS close to 2 MB worth, every byte out with the prefix', async () => {
    const small = await hostileGuest('w', writer(32, 'END', false), {});
    const big = await hostileGuest('w', writer(640, 'END', false), {});
    const a = await emonMeasured(['run', '--guest', small, '--guest', hello]);
    const b = await emonMeasured(['run', '--guest', big, '--guest', hello], 120000);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    console.log(`console flood: peak RSS ${a.peakMiB.toFixed(0)} MiB for 2 MiB without a newline, ${b.peakMiB.toFixed(0)} MiB for 40 MiB`);
    // Held whole and decoded per write, 40 MB took 485 MB RSS and 8.3 s (issue 10; 47 s here).
    expect(b.peakMiB - a.peakMiB).toBeLessThan(60);
    const lines = b.stdout.toString('latin1').split('\n').filter((l) => l.startsWith('w| '));
    // Flushed on a size bound, not held until the guest ends: the 40 MiB leave as bounded prefixed pieces, each
    // one atomic write, so hello's lines never land inside them.
    expect(lines.length).toBe(Math.ceil((640 * CHUNK + 3) / PREFIXED_LINE_BYTES));
    expect(Math.max(...lines.map((l) => l.length))).toBe(3 + PREFIXED_LINE_BYTES);
    const body = lines.map((l) => l.slice(3)).join('');
    expect(body.length).toBe(640 * CHUNK + 3);
    expect(body.endsWith('xxxEND')).toBe(true);
    expect(/^x+END$/.test(body)).toBe(true);
  }, 180000);

  it('a guest stopped by --timeout loses none of its partial line', async () => {
    const g = await hostileGuest('spinner', writer(0, 'partial line before the timeout', true), {});
    const r = await emonMeasured(['run', '--timeout=1', '--guest', g, '--guest', hello], 60000);
    expect(r.status).toBe(124);
    expect(r.stdout.toString()).toContain('spinner| partial line before the timeout\n');
    expect(r.stdout.toString()).toMatch(/hello\| /);
  }, 90000);
});
