/**
 * Property tests of the InvokeCommand boundary (runtime/hw/tz/operation.ts) with fast-check, as the EDL gate is
 * fuzzed: random TEEC_Operations (types, pointers, sizes, overlaps) against the hello-world TA's echo command.
 * The secure world never throws and always answers a GP code; a refused operation changes no guest byte; an
 * accepted one does exactly what a reference model of GP's rules says; and the session keeps working.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { CMD, HELLO, NormalWorld, OP, secureWorld } from './world.js';

const nw = new NormalWorld();
const w = secureWorld(nw);
expect(w.openSession(HELLO, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
const s = w.lastSession;
const size = nw.memory.buffer.byteLength;
const SHM = 16 * 1024;
const KNOWN = new Set([gp.TEE_SUCCESS, gp.TEE_ERROR_BAD_PARAMETERS, gp.TEE_ERROR_NOT_SUPPORTED, gp.TEE_ERROR_OUT_OF_MEMORY, gp.TEE_ERROR_SHORT_BUFFER]);

const ptr = fc.oneof(fc.constant(0), fc.integer({ min: 2048, max: 40000 }), fc.integer({ min: size - 4096, max: size + 16 }), fc.integer({ min: 0, max: 0xffffffff }));
/** Biased toward calls that should be accepted: an input low in memory, an output higher up. */
const lowBuf = fc.integer({ min: 2048, max: 8000 });
const highBuf = fc.integer({ min: 20000, max: 30000 });
const small = fc.integer({ min: 0, max: 2000 });
const len = fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 0, max: 0xffffffff }));

describe('InvokeCommand boundary properties', () => {
  it('echo with random memrefs: accepted exactly per GP rules, refused ones change nothing, the session survives', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(fc.oneof(ptr, lowBuf), fc.oneof(len, small), fc.oneof(ptr, highBuf), fc.oneof(len, small), fc.constantFrom(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INOUT), fc.constantFrom(gp.PARAM_MEMREF_OUTPUT, gp.PARAM_MEMREF_OUTPUT, gp.PARAM_MEMREF_INOUT), (ip, il, op, ol, ti, to) => {
        nw.op(gp.paramTypes(ti, to), [{ buf: ip, size: il }, { buf: op, size: ol }]);
        const before = nw.u8().slice();
        const inB = (p: number, n: number) => p === 0 || p + n <= size;
        const pad = (n: number) => n + ((8 - (n & 7)) & 7);
        const overlap = ip !== 0 && op !== 0 && il !== 0 && ol !== 0 && ip < op + ol && op < ip + il;
        // A written memref must not alias the TEEC_Operation, which is written back too.
        const aliasesOp = (p: number, n: number) => p !== 0 && n !== 0 && p < OP + 60 && OP < p + n;
        const opAlias = aliasesOp(op, ol) || (ti === gp.PARAM_MEMREF_INOUT && aliasesOp(ip, il));
        const nullIn = ip === 0 && il !== 0;
        const nullInout = op === 0 && to === gp.PARAM_MEMREF_INOUT && ol !== 0;
        const total = (ip === 0 ? 0 : pad(il)) + (op === 0 ? 0 : pad(ol));
        const r = w.invoke(s, CMD.ECHO, nw.u8(), nw.dv(), OP);
        expect(KNOWN.has(r), gp.resultName(r)).toBe(true);
        let expected: number;
        if (!inB(ip, il) || !inB(op, ol) || overlap || opAlias || nullIn || nullInout) expected = gp.TEE_ERROR_BAD_PARAMETERS;
        else if (total > SHM) expected = gp.TEE_ERROR_OUT_OF_MEMORY;
        else if (ol < il) expected = gp.TEE_ERROR_SHORT_BUFFER;
        else if (ti !== gp.PARAM_MEMREF_INPUT || to !== gp.PARAM_MEMREF_OUTPUT) expected = gp.TEE_ERROR_BAD_PARAMETERS; // the TA checks its types
        else expected = gp.TEE_SUCCESS;
        // The TA checks types before sizes: an INOUT pair is refused by the TA before the short-buffer rule applies.
        if (expected === gp.TEE_ERROR_SHORT_BUFFER && (ti !== gp.PARAM_MEMREF_INPUT || to !== gp.PARAM_MEMREF_OUTPUT)) expected = gp.TEE_ERROR_BAD_PARAMETERS;
        expect(gp.resultName(r)).toBe(gp.resultName(expected));
        const after = nw.u8();
        if (r === gp.TEE_SUCCESS) {
          if (op !== 0 && il !== 0) expect(Buffer.compare(after.subarray(op, op + il), before.subarray(ip, ip + il))).toBe(0);
          expect(nw.param(1)[1]).toBe(il);
        } else if (r === gp.TEE_ERROR_SHORT_BUFFER) {
          expect(nw.param(1)[1]).toBe(il);
          expect(Buffer.compare(after.subarray(0, OP), before.subarray(0, OP))).toBe(0);
          expect(Buffer.compare(after.subarray(OP + 60), before.subarray(OP + 60))).toBe(0);
        } else {
          // Refused (by the world or the TA): not one guest byte changed, the operation included.
          expect(Buffer.compare(after, before)).toBe(0);
        }
        seen.set(gp.resultName(r), (seen.get(gp.resultName(r)) ?? 0) + 1);
      }),
      { numRuns: 400 },
    );
    for (const name of ['TEE_SUCCESS', 'TEE_ERROR_BAD_PARAMETERS', 'TEE_ERROR_SHORT_BUFFER']) expect(seen.get(name) ?? 0, name).toBeGreaterThan(5);
    nw.op(gp.paramTypes(gp.PARAM_VALUE_INOUT), [{ value: [9, 0] }]);
    expect(w.invoke(s, CMD.INC, nw.u8(), nw.dv(), OP)).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(10);
  });

  // Commands 5 (allocate) and 6 (trap) are left out: they change the TA, not the boundary.
  it('random operation bytes and command numbers: never a throw, always a GP code, nothing outside the operation and its outputs written', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 60 }), fc.constantFrom(0, 1, 2, 3, 4, 7, 8, 9, 10, 99), fc.nat(0xffff), (bytes, cmd, types) => {
        nw.u8().set(bytes, OP);
        nw.dv().setUint32(OP + 4, types, true);
        const before = nw.u8().slice();
        const r = w.invoke(s, cmd, nw.u8(), nw.dv(), OP);
        expect(typeof r).toBe('number');
        expect(r === gp.TEE_SUCCESS || (r >>> 16) === 0xffff).toBe(true);
        // Bytes the call may write: the operation's own params, and output memrefs it declared.
        const writable = new Uint8Array(size);
        writable.fill(1, OP, OP + 60);
        for (let i = 0; i < 4; i++) {
          const t = (types >>> (4 * i)) & 0xf;
          if (t === gp.PARAM_MEMREF_OUTPUT || t === gp.PARAM_MEMREF_INOUT) {
            const p = nw.dv().getUint32(OP + 8 + 12 * i, true);
            const n = before[OP + 8 + 12 * i + 4]! | (before[OP + 8 + 12 * i + 5]! << 8) | (before[OP + 8 + 12 * i + 6]! << 16) | (before[OP + 8 + 12 * i + 7]! << 24);
            if (p !== 0 && p + (n >>> 0) <= size) writable.fill(1, p, p + (n >>> 0));
          }
        }
        const after = nw.u8();
        for (let i = 0; i < size; i++) if (writable[i] === 0 && after[i] !== before[i]) throw new Error(`byte ${i} changed`);
      }),
      { numRuns: 300 },
    );
    expect(w.invoke(s, CMD.NULL, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
  });
});
