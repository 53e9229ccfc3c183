/**
 * The secure world (runtime/hw/tz/secure-world.ts) with the example TAs: GP sessions and commands with value and
 * memref parameters, short-buffer semantics, the TA flags' instance rules, TA memory limits and the carve-out,
 * and the bad-input cases with their GP codes and origins, after each of which the world keeps serving.
 */
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { Carveout } from '../../../runtime/hw/tz/carveout.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { CMD, HELLO, NormalWorld, SINGLE, secureWorld, taDir, tempDir } from './world.js';
import { MAX_SESSIONS } from '../../../runtime/hw/tz/secure-world.js';

const PIN = '6b5e3a10-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

const { paramTypes: T, PARAM_VALUE_INOUT: VIO, PARAM_VALUE_INPUT: VI, PARAM_VALUE_OUTPUT: VO, PARAM_MEMREF_INPUT: MI, PARAM_MEMREF_OUTPUT: MO, PARAM_MEMREF_INOUT: MIO } = gp;

function open(w: ReturnType<typeof secureWorld>, nw: NormalWorld, uuid = HELLO): number {
  expect(gp.resultName(w.openSession(uuid, gp.LOGIN_PUBLIC, nw.u8(), nw.dv(), 0)), w.lastError).toBe('TEE_SUCCESS');
  return w.lastSession;
}

describe('secure world: sessions and commands', () => {
  it('runs OP-TEE hello_world: a value in/out incremented and decremented by the TA', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [42, 7] }]))).toBe(gp.TEE_SUCCESS);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(nw.param(0)[0]).toBe(43);
    expect(w.invoke(s, CMD.DEC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [43, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(42);
    expect(nw.log.some((l) => l.includes('Hello World!'))).toBe(true);
    w.closeSession(s);
    expect(nw.log.some((l) => l.includes('Goodbye!'))).toBe(true);
    expect(w.openSessions).toBe(0);
  });

  it('memrefs: input copied in, output copied back with its size; the TA computes SHA-256 in the secure world', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    const msg = new TextEncoder().encode('abc'.repeat(100));
    nw.u8().set(msg, 4096);
    nw.u8().fill(0xee, 8192, 8192 + 64);
    expect(w.invoke(s, CMD.SHA256, nw.u8(), nw.dv(), nw.op(T(MI, MO), [{ buf: 4096, size: msg.length }, { buf: 8192, size: 64 }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(1)[1]).toBe(32);
    expect(nw.u8().slice(8192, 8224)).toEqual(sha256(msg));
    expect(nw.u8()[8224]).toBe(0xee); // nothing past the size the TA reported
    // echo of 4 KiB, in and out
    const data = new Uint8Array(4096).map((_, i) => i * 7);
    nw.u8().set(data, 16384);
    expect(w.invoke(s, CMD.ECHO, nw.u8(), nw.dv(), nw.op(T(MI, MO), [{ buf: 16384, size: 4096 }, { buf: 32768, size: 4096 }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.u8().slice(32768, 32768 + 4096)).toEqual(data);
  });

  it('a short output memref reports the size it needed with TEE_ERROR_SHORT_BUFFER and copies nothing; NULL asks for the size', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    nw.u8().fill(0xaa, 8192, 8192 + 16);
    expect(w.invoke(s, CMD.SHA256, nw.u8(), nw.dv(), nw.op(T(MI, MO), [{ buf: 4096, size: 3 }, { buf: 8192, size: 16 }]))).toBe(gp.TEE_ERROR_SHORT_BUFFER);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(nw.param(1)[1]).toBe(32);
    expect(nw.u8().slice(8192, 8192 + 16).every((b) => b === 0xaa)).toBe(true);
    expect(w.invoke(s, CMD.ECHO, nw.u8(), nw.dv(), nw.op(T(MI, MO), [{ buf: 4096, size: 100 }, { buf: 0, size: 0 }]))).toBe(gp.TEE_ERROR_SHORT_BUFFER);
    expect(nw.param(1)[1]).toBe(100);
  });

  it('wrong parameter types are the TA\'s TEE_ERROR_BAD_PARAMETERS; unknown commands TEE_ERROR_NOT_SUPPORTED', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VI), [{ value: [1, 0] }]))).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(w.invoke(s, 999, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_NOT_SUPPORTED);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [1, 0] }]))).toBe(gp.TEE_SUCCESS);
  });

  it('refuses bad operations before the TA runs, with origin API or COMMS, and the session keeps working', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    const end = nw.memory.buffer.byteLength;
    const cases: Array<[string, () => number, number]> = [
      ['operation past the end', () => nw.op(0, [], end - 8), gp.TEE_ERROR_BAD_PARAMETERS],
      ['memref past the end', () => nw.op(T(MI, MO), [{ buf: end - 10, size: 20 }, { buf: 8192, size: 32 }]), gp.TEE_ERROR_BAD_PARAMETERS],
      ['wrapping memref', () => nw.op(T(MI, MO), [{ buf: 64, size: 0xfffffff0 }, { buf: 8192, size: 32 }]), gp.TEE_ERROR_BAD_PARAMETERS],
      ['overlapping in/out', () => nw.op(T(MI, MO), [{ buf: 4096, size: 64 }, { buf: 4100, size: 32 }]), gp.TEE_ERROR_BAD_PARAMETERS],
      ['overlapping inout/in', () => nw.op(T(MIO, MI), [{ buf: 4096, size: 64 }, { buf: 4096, size: 64 }]), gp.TEE_ERROR_BAD_PARAMETERS],
      ['not a parameter type', () => nw.op(0x4, [{ value: [0, 0] }]), gp.TEE_ERROR_BAD_PARAMETERS],
      ['bits above four parameters', () => nw.op(0x10000, []), gp.TEE_ERROR_BAD_PARAMETERS],
      ['registered shared memory', () => nw.op(0xc, [{ buf: 4096, size: 8 }]), gp.TEE_ERROR_NOT_SUPPORTED],
      ['NULL input memref with a size', () => nw.op(T(MI, MO), [{ buf: 0, size: 8 }, { buf: 8192, size: 32 }]), gp.TEE_ERROR_BAD_PARAMETERS],
    ];
    for (const [what, op, code] of cases) {
      expect(gp.resultName(w.invoke(s, CMD.SHA256, nw.u8(), nw.dv(), op())), what).toBe(gp.resultName(code));
      expect(w.origin, what).toBe(gp.TEE_ORIGIN_API);
    }
    expect(w.invoke(s, CMD.ECHO, nw.u8(), nw.dv(), nw.op(T(MI, MO), [{ buf: 4096, size: 40000 }, { buf: 50000, size: 40000 }]))).toBe(gp.TEE_ERROR_OUT_OF_MEMORY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_COMMS);
    expect(w.invoke(s + 100, CMD.NULL, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [5, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(6);
  });

  it('an unknown UUID is TEE_ERROR_ITEM_NOT_FOUND; a bad UUID or login method is refused with origin API', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    expect(w.openSession('00000000-0000-0000-0000-000000000000', 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_ITEM_NOT_FOUND);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    expect(w.openSession('not-a-uuid', 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.origin).toBe(gp.TEE_ORIGIN_API);
    expect(w.openSession(HELLO, 3, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.openSession(HELLO, 0, nw.u8(), nw.dv(), nw.op(T(VI), [{ value: [1, 1] }]))).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
  });

  it('a TA whose signature or measurement fails is TEE_ERROR_SECURITY; a file under the wrong UUID too', () => {
    const dir = tempDir();
    const good = readFileSync(path.join(taDir, `${HELLO}.ta`));
    const bad = Buffer.from(good);
    bad[300]! ^= 1;
    writeFileSync(path.join(dir, `${HELLO}.ta`), bad);
    copyFileSync(path.join(taDir, `${HELLO}.ta`), path.join(dir, '11111111-2222-3333-4444-555555555555.ta'));
    writeFileSync(path.join(dir, '22222222-2222-3333-4444-555555555555.ta'), 'not wasm');
    const nw = new NormalWorld();
    const w = secureWorld(nw, { taDir: dir });
    expect(gp.resultName(w.openSession(HELLO, 0, nw.u8(), nw.dv(), 0))).toBe('TEE_ERROR_SECURITY');
    expect(w.lastError).toMatch(/measurement mismatch|signature/);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    expect(gp.resultName(w.openSession('11111111-2222-3333-4444-555555555555', 0, nw.u8(), nw.dv(), 0))).toBe('TEE_ERROR_SECURITY');
    expect(w.lastError).toMatch(/declares UUID 8aaaf200/);
    expect(['TEE_ERROR_SECURITY', 'TEE_ERROR_BAD_FORMAT']).toContain(gp.resultName(w.openSession('22222222-2222-3333-4444-555555555555', 0, nw.u8(), nw.dv(), 0)));
  });

  it('sessions of a multi-instance TA are separate instances; a single-instance TA without multi-session is TEE_ERROR_BUSY on a second session', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const a = open(w, nw);
    const b = open(w, nw);
    for (let i = 0; i < 3; i++) w.invoke(a, CMD.NULL, nw.u8(), nw.dv(), 0);
    w.invoke(a, CMD.COUNT, nw.u8(), nw.dv(), nw.op(T(VO), [null]));
    expect(nw.param(0)[0]).toBe(4);
    w.invoke(b, CMD.COUNT, nw.u8(), nw.dv(), nw.op(T(VO), [null]));
    expect(nw.param(0)[0]).toBe(1);
    const s1 = open(w, nw, SINGLE);
    expect(w.openSession(SINGLE, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_BUSY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    w.closeSession(s1);
    open(w, nw, SINGLE);
  });

  it('a TA that traps is TEE_ERROR_TARGET_DEAD; its sessions end, the other TAs and a new session work', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const a = open(w, nw);
    const other = open(w, nw, SINGLE);
    expect(w.invoke(a, CMD.TRAP, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_TARGET_DEAD);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    expect(w.invoke(a, CMD.NULL, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(w.invoke(other, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [1, 0] }]))).toBe(gp.TEE_SUCCESS);
    const again = open(w, nw);
    expect(w.invoke(again, CMD.NULL, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
  });

  it('TEE_Malloc past TA_DATA_SIZE returns NULL and the TA answers TEE_ERROR_OUT_OF_MEMORY; the instance lives on', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    const s = open(w, nw);
    expect(w.invoke(s, CMD.ALLOC, nw.u8(), nw.dv(), nw.op(T(VI), [{ value: [4 * 1024 * 1024, 0] }]))).toBe(gp.TEE_ERROR_OUT_OF_MEMORY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(w.invoke(s, CMD.ALLOC, nw.u8(), nw.dv(), nw.op(T(VI), [{ value: [1024, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), nw.op(T(VIO), [{ value: [1, 0] }]))).toBe(gp.TEE_SUCCESS);
  });

  it('TAs past the carve-out get TEE_ERROR_OUT_OF_MEMORY; closing a session gives its memory back', () => {
    const nw = new NormalWorld();
    // hello: 16 KiB stack + 256 KiB data = 5 pages; a 768 KiB carve-out holds two instances.
    const carveout = Carveout.create(768 * 1024);
    const w = secureWorld(nw, { carveout });
    const a = open(w, nw);
    open(w, nw);
    expect(carveout.usedBytes).toBe(10 * 65536);
    expect(w.openSession(HELLO, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_OUT_OF_MEMORY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    expect(w.lastError).toMatch(/carve-out/);
    w.closeSession(a);
    expect(carveout.usedBytes).toBe(5 * 65536);
    open(w, nw);
    w.shutdown();
    expect(carveout.usedBytes).toBe(0);
  });

  it('a guest that opens sessions without closing them runs out at MAX_SESSIONS with TEE_ERROR_OUT_OF_MEMORY, not the monitor\'s memory', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    let r = 0;
    let opened = 0;
    // The PIN TA is single-instance and multi-session: sessions cost no carve-out, only the world's bookkeeping.
    for (let i = 0; i < MAX_SESSIONS + 5 && r === 0; i++) {
      r = w.openSession(PIN, 0, nw.u8(), nw.dv(), 0);
      if (r === 0) opened++;
    }
    expect(opened).toBe(MAX_SESSIONS);
    expect(r).toBe(gp.TEE_ERROR_OUT_OF_MEMORY);
    expect(w.lastError).toMatch(/1024 sessions are open/);
    w.closeSession(1);
    expect(w.openSession(PIN, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
  });
});
