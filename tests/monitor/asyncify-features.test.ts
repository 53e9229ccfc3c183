/**
 * Guests sharing a worker (`--sched=shared`, `--instances`) are rewritten by binaryen's Asyncify
 * (runtime/monitor/asyncify.ts), which cannot take Wasm exception handling. Such a guest is refused with emon's
 * message alone, naming the feature: binaryen's validator dump (each offending expression printed in full) no
 * longer reaches the user's terminal first (checked on the CLI's real streams: under vitest binaryen's console
 * is vitest's).
 */
import { describe, expect, it } from 'vitest';
import { makeSuspendable } from '../../runtime/monitor/asyncify.js';
import { emon } from '../cli/helpers.js';
import { hostileGuest, watBytes } from '../fixtures/hostile.js';
import { SOLO5_IMPORTS } from './helpers.js';

const EH = `(module ${SOLO5_IMPORTS}
  (memory (export "memory") 2)
  (tag $t (param i32))
  (func (export "solo5_app_main") (param i32) (result i32)
    (try (do (call $exit (i32.const 3))) (catch_all))
    (i32.const 42)))`;

const MESSAGE = "uses Wasm exception handling, which guests sharing a worker cannot use (binaryen's Asyncify cannot make such a guest suspendable)";

describe('a guest with exception handling, asked to share a worker', () => {
  it('makeSuspendable throws E_BAD_WASM naming the feature, with or without preemption checks', async () => {
    const bytes = await watBytes(EH, { exceptions: true });
    for (const preempt of [true, false]) {
      expect(() => makeSuspendable(bytes, 'guest eh', { preempt })).toThrow(expect.objectContaining({ code: 'E_BAD_WASM', message: `guest eh ${MESSAGE}` }));
    }
  });

  it('a guest without exception handling is still rewritten', async () => {
    const bytes = await watBytes(`(module ${SOLO5_IMPORTS} (memory (export "memory") 2)
      (func (export "solo5_app_main") (param i32) (result i32) (loop $l (br_if $l (i32.const 0))) (i32.const 0)))`);
    expect(WebAssembly.validate(makeSuspendable(bytes, 'guest plain') as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it('emon run --sched=shared and --instances print only emon\'s message and hint', async () => {
    const file = await hostileGuest('eh', EH, {}, { exceptions: true });
    for (const opt of ['--sched=shared', '--instances=2']) {
      const r = emon(['run', opt, file]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout, opt).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, opt).toEqual([
        `emon: guest eh (${file}) ${MESSAGE}`,
        '  hint: give each guest a worker of its own with --sched=worker (--instances works with it)',
      ]);
    }
    // In a worker of its own, the guest runs (and its exit is not caught).
    expect(emon(['run', '--instances=2', '--sched=worker', file]).status).toBe(3);
  });
});
