/**
 * The extension hook (runtime/monitor/extension.ts) with a test extension serving the "emon" import module:
 * attachments of its kind and run options reach it, its imports are served, it sees the guest's memory and
 * exports only after instantiation, its abort ends the guest cleanly, and dispose runs at the end.
 */
import { describe, expect, it } from 'vitest';
import { checkAttachments } from '../../runtime/monitor/attach.js';
import { deviceModules } from '../../runtime/monitor/devices/index.js';
import type { GuestHost, MonitorExtension } from '../../runtime/monitor/extension.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { compileWat } from './helpers.js';

const GUEST = `(module
  (import "emon" "peek" (func $peek (param i32) (result i32)))
  (import "emon" "fail" (func $fail))
  (memory (export "memory") 1)
  (data (i32.const 100) "\\2a")
  (func (export "solo5_app_main") (param i32) (result i32) (call $peek (i32.const 100)))
  (func (export "fail") (call $fail)))`;

function fixture() {
  const seen: { host?: GuestHost; disposed: number } = { disposed: 0 };
  const ext: MonitorExtension = {
    importModule: 'emon',
    attachmentKind: 'enclave',
    imports(host) {
      seen.host = host;
      if (![...host.attachments.keys()].every((k) => k === 'kv')) throw new Error('unexpected attachment');
      return {
        peek: (ptr: number) => new Uint8Array(host.memory().buffer)[ptr]!,
        fail: () => host.abort('enclave refused the call'),
      };
    },
    dispose() {
      seen.disposed++;
    },
  };
  return { ext, seen };
}

describe('monitor extensions', () => {
  it('routes attachments and options, serves the import module, and disposes', async () => {
    const { ext, seen } = fixture();
    const { module, manifest } = await compileWat(GUEST, { type: 'solo5.manifest', version: 1, devices: [], enclaves: [{ name: 'kv' }] });
    const runner = await GuestRunner.create({
      name: 'ext',
      module,
      manifest,
      extensions: [ext],
      attachments: new Map([['enclave', new Map([['kv', 'kv.wasm']])]]),
      options: { backend: 'tz', verbose: true },
    });
    expect(seen.host!.attachments.get('kv')).toBe('kv.wasm');
    expect(seen.host!.options.backend).toBe('tz');
    expect(seen.host!.manifest.enclaves).toEqual([{ name: 'kv' }]);
    expect(() => seen.host!.memory()).toThrow(/not instantiated/);
    expect(runner.boot()).toMatchObject({ status: 42, reason: 'return' });
    expect(typeof seen.host!.exports().fail).toBe('function');
    expect(runner.invoke('fail').ended).toMatchObject({ status: 255, reason: 'abort', message: 'guest ext aborted: enclave refused the call' });
    runner.close();
    expect(seen.disposed).toBe(1);
  });

  it('an attachment kind no device or extension takes is refused', async () => {
    const { module, manifest } = await compileWat(GUEST, null);
    await expect(GuestRunner.create({ name: 'x', module, manifest, extensions: [], attachments: new Map([['enclave', new Map([['kv', 'a']])]]) })).rejects.toThrow(
      /unknown attachment kind --enclave:/,
    );
    const { ext } = fixture();
    expect(() => checkAttachments('x', manifest, new Map([['enclave', new Map([['kv', 'a']])]]), deviceModules, [ext])).not.toThrow();
  });
});
