/**
 * Loading guests: bad files give typed errors naming the file, the manifest is validated, imports emon does
 * not serve are refused by name, and the memory cap holds inside the guest (memory.grow returns -1).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isEmonError } from '../../runtime/errors.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { loadGuest, prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { parseManifest, readManifest } from '../../runtime/monitor/manifest.js';
import { memoryDecl } from '../../runtime/monitor/wasmbin.js';
import { compileWat, PROBE_MANIFEST, PROBE_WAT, wat, withManifest } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-load-'));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isEmonError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('guest files', () => {
  it('a missing file is E_NO_FILE naming it', () => {
    expect(() => loadGuest(path.join(tmp, 'nope.wasm'))).toThrow(/nope\.wasm: no such file/);
  });
  it('a non-Wasm file is E_BAD_WASM', () => {
    const f = path.join(tmp, 'text.wasm');
    writeFileSync(f, 'hello, not wasm');
    expect(codeOf(() => loadGuest(f))).toBe('E_BAD_WASM');
  });
  it('every truncation of a valid guest gives a typed error, never a crash', async () => {
    const good = withManifest(await wat(PROBE_WAT), PROBE_MANIFEST);
    for (let n = 0; n < good.length; n += 7) {
      const f = path.join(tmp, 'cut.wasm');
      writeFileSync(f, good.subarray(0, n));
      expect(codeOf(() => loadGuest(f))).toMatch(/^E_(BAD_WASM|MANIFEST)$/);
    }
  });
  it('random byte flips give a typed error or a loadable guest', async () => {
    const good = withManifest(await wat(PROBE_WAT), PROBE_MANIFEST);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const bad = new Uint8Array(good);
        for (const [at, v] of flips) bad[at] = v;
        try {
          prepareGuestBytes(bad, 'guest fuzz', 64);
        } catch (e) {
          expect(isEmonError(e)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
  it('guests without solo5_app_main or without an exported memory are refused', async () => {
    await expect(compileWat('(module (memory (export "memory") 1))', null)).rejects.toThrow(/solo5_app_main/);
    await expect(compileWat('(module (memory 1) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))', null)).rejects.toThrow(/export its memory/);
    await expect(compileWat('(module (import "env" "m" (memory 1)) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))', null)).rejects.toThrow(/imports its memory/);
  });
});

describe('imports', () => {
  it('an import emon does not provide is refused at load, by name', async () => {
    const guest = (mod: string, name: string) =>
      `(module (import "${mod}" "${name}" (func)) (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))`;
    await expect(compileWat(guest('solo5', 'net_teleport'), null)).rejects.toThrow(/"solo5"\."net_teleport", which emon does not provide/);
    // WASI is refused while loading, with what to do: emon cc serves it inside the guest, files do not exist.
    await expect(compileWat(guest('wasi_snapshot_preview1', 'fd_write'), null)).rejects.toThrow(/"wasi_snapshot_preview1"\."fd_write", which emon does not provide/);
    await expect(compileWat(guest('wasi_snapshot_preview1', 'fd_write'), null)).rejects.toMatchObject({ code: 'E_IMPORT', hint: expect.stringMatching(/emon cc/) });
    await expect(compileWat(guest('wasi_snapshot_preview1', 'path_open'), null)).rejects.toMatchObject({ hint: expect.stringMatching(/no file system \(use a block device\)/) });
    const { module, manifest } = await compileWat(guest('env', 'fd_write'), null);
    await expect(GuestRunner.create({ name: 'g', module, manifest, extensions: [] })).rejects.toThrow(/"env"\."fd_write", which emon does not provide/);
  });
  it('a hypercall imported with the wrong signature is refused at load, naming both signatures', async () => {
    await expect(
      compileWat(`(module (import "solo5" "clock_wall" (func (param i32))) (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))`, null),
    ).rejects.toThrow(/"solo5"\."clock_wall" as \(i32 ->\), but the hypercall is \(-> i64\)/);
  });
});

describe('manifest', () => {
  const dev = (name: string, type = 'BLOCK_BASIC') => ({ name, type });
  it('keeps extra top-level keys such as enclaves', () => {
    const m = parseManifest(JSON.stringify({ type: 'solo5.manifest', version: 1, devices: [dev('a')], enclaves: [{ name: 'kv' }] }), 'x');
    expect(m.devices).toEqual([dev('a')]);
    expect(m.raw.enclaves).toEqual([{ name: 'kv' }]);
  });
  it('refuses unknown types, duplicates, long names, too many devices, non-JSON', () => {
    const bad = (devices: unknown) => codeOf(() => parseManifest(JSON.stringify({ type: 'solo5.manifest', version: 1, devices }), 'x'));
    expect(bad([dev('a', 'GPU_BASIC')])).toBe('E_MANIFEST');
    expect(bad([dev('a'), dev('a', 'NET_BASIC')])).toBe('E_MANIFEST');
    expect(bad([dev('x'.repeat(67))])).toBe('no error');
    expect(bad([dev('x'.repeat(68))])).toBe('E_MANIFEST');
    expect(bad([dev('é'.repeat(34))])).toBe('E_MANIFEST'); // 68 bytes of UTF-8
    expect(bad(Array.from({ length: 63 }, (_, i) => dev(`d${i}`)))).toBe('no error');
    expect(bad(Array.from({ length: 64 }, (_, i) => dev(`d${i}`)))).toBe('E_MANIFEST');
    expect(bad([{ type: 'BLOCK_BASIC' }])).toBe('E_MANIFEST');
    expect(codeOf(() => parseManifest('{"devices": [', 'x'))).toBe('E_MANIFEST');
    expect(codeOf(() => parseManifest('[]', 'x'))).toBe('E_MANIFEST');
  });
  it('is read back from the custom section; a module without one declares no devices', async () => {
    const bytes = await wat(PROBE_WAT);
    expect(readManifest(bytes, 'x').devices).toEqual([]);
    expect(readManifest(withManifest(bytes, PROBE_MANIFEST), 'x').devices.map((d) => d.name)).toEqual(['disk', 'nic']);
  });
  it('parsing random JSON-ish text only ever fails with E_MANIFEST', () => {
    fc.assert(fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
      const c = codeOf(() => parseManifest(text, 'fuzz'));
      expect(['no error', 'E_MANIFEST']).toContain(c);
    }), { numRuns: 300 });
  });
});

describe('memory cap', () => {
  const GROW = `(module
    (import "solo5" "exit" (func $exit (param i32)))
    (memory (export "memory") 1 @MAX@)
    (func (export "solo5_app_main") (param i32) (result i32)
      (memory.grow (i32.const @GROW@))))`;
  const grow = (max: string, pages: number) => GROW.replace('@MAX@', max).replace('@GROW@', String(pages));

  it('growth past --mem fails inside the guest (memory.grow = -1), not in the monitor', async () => {
    const { module, manifest } = await compileWat(grow('', 64), null, 2);
    const r = await GuestRunner.create({ name: 'grow', module, manifest, extensions: [], console: new CaptureConsole() });
    // 1 page declared + 1 boot page; 64 more would pass the 2 MiB (32-page) cap.
    expect(r.boot()).toMatchObject({ status: -1, reason: 'return' });
  });
  it('growth within the cap succeeds', async () => {
    const { module, manifest } = await compileWat(grow('', 16), null, 2);
    const r = await GuestRunner.create({ name: 'grow', module, manifest, extensions: [] });
    expect(r.boot()).toMatchObject({ status: 2, reason: 'return' });
  });
  it('a declared maximum above the cap is lowered to it; one below is kept', async () => {
    const above = prepareGuestBytes(await wat(grow('65536', 1)), 'g', 4);
    expect(memoryDecl(above.bytes, 'g').defined[0]).toMatchObject({ min: 1, max: 64 });
    const below = prepareGuestBytes(await wat(grow('10', 1)), 'g', 4);
    expect(memoryDecl(below.bytes, 'g').defined[0]).toMatchObject({ min: 1, max: 10 });
  });
  it('a guest needing more than --mem at start is refused', async () => {
    await expect(compileWat('(module (memory (export "memory") 100) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))', null, 2)).rejects.toThrow(/needs 6\.25 MiB.*--mem is 2 MiB/);
  });
});
