/**
 * Property tests of the gate (issue 5 point 8) with fast-check: random frames, pointers, lengths and overlaps
 * against the gatetest enclave. The gate never throws; a rejected call (EINVAL) leaves the enclave's memory
 * byte-for-byte unchanged; an accepted call computes exactly what a reference model says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../runtime/enclave/abi.js';
import { FREE, image, signed, tempPlatform, TestGuest } from './harness.js';

const platform = tempPlatform();
const img = image('gatetest', signed('gatetest').bytes);
const g = new TestGuest({ ocall_tick: () => 0, ocall_null: () => undefined, ocall_echo: () => undefined }).open(img, platform);
const size = g.memory.buffer.byteLength;

/** Pointers biased to the interesting places: NULL, near the ends, inside the test area, anywhere in u32. */
const ptr = fc.oneof(
  fc.constant(0),
  fc.integer({ min: FREE, max: FREE + 4096 }),
  fc.integer({ min: size - 4096, max: size + 16 }),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const len = fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x40000000, 0x80000000, 0xfffffff8));

describe('gate properties', () => {
  it('[in] sum: accepted exactly when in bounds and under the cap; rejected calls change nothing', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(ptr, len, fc.uint8Array({ maxLength: 64 }), (p, n, fill) => {
        if (p !== 0 && p + fill.length <= size) g.u8().set(fill, p);
        const before = g.enclaveSnapshot();
        const expectOk = (p === 0 && n === 0) || (p !== 0 && p + n <= size && n <= 1 << 20);
        // The frame may lie inside the buffer, so the model reads memory as the gate will see it.
        const ecall = g.prepare('sum_in', [p, n]);
        let s = 0;
        if (expectOk) for (let i = 0; i < (p === 0 ? 0 : n); i++) s = (s + g.u8()[p + i]!) >>> 0;
        const r = ecall();
        if (expectOk) {
          expect(r.status).toBe(OK);
          expect(Number(r.ret & 0xffffffffn)).toBe(s);
          accepted++;
        } else {
          expect(r.status).toBe(EINVAL);
          expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
          rejected++;
        }
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });

  it('[in] src / [out] dst pairs: overlapping or out-of-bounds pairs are rejected untouched, others copy', () => {
    let overlaps = 0;
    fc.assert(
      fc.property(fc.integer({ min: FREE, max: FREE + 2048 }), fc.integer({ min: -300, max: 300 }), fc.integer({ min: 0, max: 1024 }), (src, delta, n) => {
        const dst = src + delta;
        for (let i = 0; i < n; i++) g.u8()[src + i] = (i * 13 + 1) & 0xff;
        const expected = g.u8().slice(src, src + n);
        const before = g.enclaveSnapshot();
        const guestBefore = g.u8().slice(FREE, FREE + 4096);
        const overlap = n > 0 && src < dst + n && dst < src + n;
        const r = g.call('copy_pair', [src, dst, n]);
        if (overlap) {
          overlaps++;
          expect(r.status).toBe(EINVAL);
          expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
          expect(Buffer.compare(g.u8().slice(FREE, FREE + 4096), guestBefore)).toBe(0);
        } else {
          expect(r.status).toBe(OK);
          expect(Buffer.compare(g.u8().slice(dst, dst + n), expected)).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
    expect(overlaps).toBeGreaterThan(10);
  });

  it('[in, string]: random bytes anywhere either yield the C string length or EINVAL, never a throw', () => {
    fc.assert(
      fc.property(ptr, fc.uint8Array({ minLength: 1, maxLength: 200 }), (p, bytes) => {
        const at = p !== 0 && p + bytes.length <= size ? p : FREE;
        g.u8().set(bytes, at);
        const before = g.enclaveSnapshot();
        const r = g.call('str_len', [p]);
        if (p === 0) return;
        const z = g.u8().indexOf(0, p);
        if (p >= size || z < 0) {
          expect(r.status).toBe(EINVAL);
          expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
        } else {
          expect(r.status).toBe(OK);
          expect(Number(r.ret & 0xffffffffn)).toBe(z - p);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random frames for every ECALL never make the gate throw', () => {
    const n = img.iface.trusted.length;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: n - 1 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 6, maxLength: 6 }), (fn, words) => {
        const name = img.iface.trusted[fn]!.name;
        if (name === 'crash' || name === 'null_ocalls') return;
        const r = g.call(name, words.slice(0, img.iface.trusted[fn]!.params.length));
        expect([OK, EINVAL, 4]).toContain(r.status);
      }),
      { numRuns: 300 },
    );
  });
});
