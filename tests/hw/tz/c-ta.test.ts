/**
 * A C trusted application: OP-TEE's hello_world TA source, built by `emon ta build` against GP's Internal Core
 * API headers (enclaves/tasdk/include) into build/ta, runs in the secure world: values in and out, its IMSG
 * lines with printf formats, and the TEE core's crypto from C checked against published vectors (FIPS 180-4
 * SHA-256 "abc", RFC 4231 HMAC-SHA256 test case 2). Skipped, and saying so, when clang was not installed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { NormalWorld, secureWorld, taDir } from './world.js';

const HELLO_C = 'c0ffee00-2450-11e4-abe2-0002a5d5c51b';
const built = existsSync(path.join(taDir, `${HELLO_C}.ta`));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const T = gp.paramTypes;

describe.skipIf(!built)('C TA (OP-TEE hello_world sources; needs clang)', () => {
  it('increments and decrements values and traces them with printf formats', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    expect(w.openSession(HELLO_C, 0, nw.u8(), nw.dv(), 0), w.lastError).toBe(gp.TEE_SUCCESS);
    const s = w.lastSession;
    expect(w.invoke(s, 0, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_VALUE_INOUT), [{ value: [41, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(42);
    expect(w.invoke(s, 1, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_VALUE_INOUT), [{ value: [42, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(41);
    expect(nw.log).toContain('I/TA: Got value: 41 from NW');
    expect(nw.log).toContain('I/TA: Increase value to: 42');
    expect(w.invoke(s, 0, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_VALUE_INPUT), [{ value: [1, 0] }]))).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    w.closeSession(s);
    expect(nw.log.some((l) => l.includes('Goodbye!'))).toBe(true);
  });

  it('SHA-256 and HMAC-SHA256 from C through the TEE core match the published vectors; a short buffer gets the size needed', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    w.openSession(HELLO_C, 0, nw.u8(), nw.dv(), 0);
    const s = w.lastSession;
    nw.u8().set(new TextEncoder().encode('abc'), 4096);
    expect(w.invoke(s, 2, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: 4096, size: 3 }, { buf: 8192, size: 32 }]))).toBe(gp.TEE_SUCCESS);
    expect(hex(nw.u8().slice(8192, 8224))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(w.invoke(s, 2, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: 4096, size: 3 }, { buf: 8192, size: 8 }]))).toBe(gp.TEE_ERROR_SHORT_BUFFER);
    expect(nw.param(1)[1]).toBe(32);
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    nw.u8().set(new TextEncoder().encode('Jefe'), 12288);
    const data = new TextEncoder().encode('what do ya want for nothing?');
    nw.u8().set(data, 16384);
    const op = nw.op(T(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: 12288, size: 4 }, { buf: 16384, size: data.length }, { buf: 20480, size: 32 }]);
    expect(w.invoke(s, 3, nw.u8(), nw.dv(), op)).toBe(gp.TEE_SUCCESS);
    expect(hex(nw.u8().slice(20480, 20512))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

if (!built) console.log(`c-ta.test.ts: skipped: build/ta/${HELLO_C}.ta was not built (clang/wasm-ld missing)`);
