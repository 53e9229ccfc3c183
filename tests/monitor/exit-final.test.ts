/**
 * `exit` and `abort` end the guest for good (issue 10, defect 8): a guest built with Wasm exception handling
 * that wraps them (or a monitor-side abort) in `try ... catch_all` cannot catch the end and carry on. The
 * monitor ends the guest with a trap, which Wasm exception handling never catches, so no code of the guest runs
 * after the call and its status is the one it exited with.
 */
import { describe, expect, it } from 'vitest';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { watBytes } from '../fixtures/hostile.js';
import { SOLO5_IMPORTS, withManifest } from './helpers.js';

async function runEh(body: string): Promise<{ status: number; reason: string; out: string; message?: string }> {
  const text = `(module ${SOLO5_IMPORTS}
    (memory (export "memory") 2)
    (data (i32.const 16) "caught\\n")
    (data (i32.const 32) "ghost\\00")
    (tag $t (param i32))
    (func (export "solo5_app_main") (param i32) (result i32) ${body}))`;
  const bytes = withManifest(await watBytes(text, { exceptions: true }), { type: 'solo5.manifest', version: 1, devices: [] });
  const prepared = prepareGuestBytes(bytes, 'eh guest', 64);
  const console = new CaptureConsole();
  const runner = await GuestRunner.create({ name: 'eh', module: compileGuest(prepared.bytes, 'eh guest'), manifest: prepared.manifest, console, extensions: [] });
  try {
    const r = runner.boot();
    return { status: r.status, reason: r.reason, out: console.text(), ...(r.message ? { message: r.message } : {}) };
  } finally {
    runner.close();
  }
}

const CAUGHT = `(call $console_write (i32.const 16) (i32.const 7))`;

describe('exit cannot be caught by Wasm exception handling', () => {
  it('try/catch_all around exit(7): the guest ends with 7 and the handler never runs', async () => {
    const r = await runEh(`(try (do (call $exit (i32.const 7))) (catch_all ${CAUGHT})) (i32.const 42)`);
    expect(r.out).toBe('');
    expect(r).toMatchObject({ status: 7, reason: 'exit' });
  });

  it('a catch_all that loops back into exit, and a second exit, keep the first status', async () => {
    const r = await runEh(`(try (do (call $exit (i32.const 3))) (catch_all (call $exit (i32.const 9)))) (i32.const 42)`);
    expect(r).toMatchObject({ status: 3, reason: 'exit' });
  });

  it('try/catch_all around abort(): status 255, reason abort', async () => {
    const r = await runEh(`(try (do (call $abort)) (catch_all ${CAUGHT})) (i32.const 42)`);
    expect(r.out).toBe('');
    expect(r).toMatchObject({ status: 255, reason: 'abort' });
  });

  it('a monitor-side abort (console_write outside memory) is not caught either', async () => {
    const r = await runEh(`(try (do (call $console_write (i32.const 0x7ffffff0) (i32.const 64))) (catch_all ${CAUGHT})) (i32.const 42)`);
    expect(r.out).toBe('');
    expect(r).toMatchObject({ status: 255, reason: 'abort' });
    expect(r.message).toMatch(/console_write/);
  });

  it("the guest's own exceptions still work (throw/catch of its own tag)", async () => {
    const r = await runEh(`(try (do (throw $t (i32.const 5))) (catch $t (return))) (i32.const 42)`);
    expect(r).toMatchObject({ status: 5, reason: 'return' });
  });
});
