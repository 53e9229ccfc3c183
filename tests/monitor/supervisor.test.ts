/**
 * The worker supervisor behind `emon run` (runs the compiled worker from dist/, so `npm run build` first):
 * one guest's trap, abort or runaway loop never takes down the others or the monitor; attachments are
 * checked before anything starts; --trace records hypercalls.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGuests, type GuestLaunch } from '../../runtime/monitor/supervisor.js';
import { SOLO5_IMPORTS, wat, withManifest } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-sup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function guestFile(name: string, body: string, manifest?: unknown): Promise<string> {
  let bytes = await wat(`(module ${SOLO5_IMPORTS} (memory (export "memory") 1) (data (i32.const 16) "hi\\0a") ${body})`);
  if (manifest) bytes = withManifest(bytes, manifest);
  const file = path.join(tmp, `${name}.wasm`);
  writeFileSync(file, bytes);
  return file;
}
const launch = (file: string, extra: Partial<GuestLaunch> = {}): GuestLaunch => ({ file, memMiB: 16, attachments: new Map(), macs: new Map(), cmdline: '', ...extra });
const quiet = { options: {}, console: 'null' as const, log: () => {} };

const MAIN = (body: string) => `(func (export "solo5_app_main") (param i32) (result i32) ${body})`;

describe('isolation', () => {
  it('a trapping, an aborting and an exiting guest end alone; a good guest still finishes', async () => {
    const trap = await guestFile('trap', MAIN('unreachable'));
    const abort = await guestFile('abort', MAIN('(call $abort) (i32.const 0)'));
    const exit = await guestFile('exit3', MAIN('(call $exit (i32.const 3)) (i32.const 0)'));
    const good = await guestFile('good', MAIN('(call $console_write (i32.const 16) (i32.const 3)) (i32.const 0)'));
    const results = await runGuests([launch(trap), launch(abort), launch(exit), launch(good)], quiet);
    expect(results.map((r) => [r.name, r.reason, r.status])).toEqual([
      ['trap', 'trap', 255],
      ['abort', 'abort', 255],
      ['exit3', 'exit', 3],
      ['good', 'return', 0],
    ]);
    expect(results[0]!.message).toMatch(/guest trap trapped: unreachable/);
  });

  it('--timeout stops a spinning and a sleeping guest; the others are unaffected', async () => {
    const spin = await guestFile('spin', MAIN('(loop $l (br $l)) (i32.const 0)'));
    const sleep = await guestFile('sleep', MAIN('(call $yield (i64.const 0x7fffffffffffffff) (i32.const 64)) (i32.const 0)'));
    const good = await guestFile('good2', MAIN('(i32.const 0)'));
    // The allowance counts from each guest's boot, so slow worker start-up on a loaded machine does not matter.
    const results = await runGuests([launch(spin), launch(sleep), launch(good)], { ...quiet, timeoutS: 1 });
    expect(results.map((r) => [r.name, r.reason, r.status])).toEqual([
      ['spin', 'timeout', 124],
      ['sleep', 'timeout', 124],
      ['good2', 'return', 0],
    ]);
  });

  it('refuses before starting anything when a device is declared but not attached, or attached but not declared', async () => {
    const m = { type: 'solo5.manifest', version: 1, devices: [{ name: 'storage', type: 'BLOCK_BASIC' }] };
    const needsDisk = await guestFile('needs-disk', MAIN('(i32.const 0)'), m);
    await expect(runGuests([launch(needsDisk)], quiet)).rejects.toThrow(/declares BLOCK_BASIC device "storage" but it is not attached/);
    const plain = await guestFile('plain', MAIN('(i32.const 0)'));
    const attached = launch(plain, { attachments: new Map([['block', new Map([['storage', path.join(tmp, 'x.img')]])]]) });
    await expect(runGuests([attached], quiet)).rejects.toThrow(/attaches a device that guest plain does not declare/);
    const wrongKind = launch(needsDisk, { attachments: new Map([['net', new Map([['storage', 'switch:sw0']])]]) });
    await expect(runGuests([wrongKind], quiet)).rejects.toThrow(/attaches BLOCK_BASIC device "storage".*as NET_BASIC/);
    const missingImage = launch(needsDisk, { attachments: new Map([['block', new Map([['storage', path.join(tmp, 'missing.img')]])]]) });
    await expect(runGuests([missingImage], quiet)).rejects.toThrow(/cannot open block image .*missing\.img/);
  });
});

describe('tracing', () => {
  it('records every hypercall with its guest, time and bytes', async () => {
    const g = await guestFile('traced', MAIN('(call $console_write (i32.const 16) (i32.const 3)) (drop (call $clock_monotonic)) (i32.const 0)'));
    const file = path.join(tmp, 'trace.json');
    const results = await runGuests([launch(g)], { ...quiet, traceFile: file });
    expect(results[0]!.status).toBe(0);
    const text = readFileSync(file, 'utf8');
    const json = JSON.parse(text) as { traceEvents: Array<{ name: string; args?: Record<string, unknown> }> };
    const names = json.traceEvents.map((e) => e.name);
    expect(names).toContain('clock_monotonic');
    expect(json.traceEvents.find((e) => e.name === 'console_write')?.args?.bytes).toBe(3);
    expect(names).toContain('traced (return, status 0)');
  });
});
