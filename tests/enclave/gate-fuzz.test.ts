/**
 * Property tests of the gate (issue 5 point 8, issue 13) with fast-check: random frames, pointers, lengths and
 * overlaps against the gatetest enclave, random frames over random guest memory against the edltypes enclave
 * (structs by pointer and by value, struct arrays, a 2-D array, a deep-copied member, a struct result), and
 * random placements of a struct, its deep-copied member and a second buffer. The gate never throws; a rejected
 * call (EINVAL) leaves the enclave's memory byte-for-byte unchanged; an accepted call computes exactly what a
 * reference model says.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../runtime/enclave/abi.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { wasmTypeOf } from '../../runtime/enclave/edl/types.js';
import { buildDir } from '../../runtime/paths.js';
import { G_FREE, wire } from './fake-enclave.js';
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

describe('gate properties over EDL user types', () => {
  const eimg = image('edltypes', new Uint8Array(readFileSync(path.join(buildDir, 'enclaves', 'edltypes.wasm'))));
  const eg = new TestGuest({ ocall_rec: () => undefined, ocall_make: () => undefined }).open(eimg, platform);
  const esize = eg.memory.buffer.byteLength;
  const eptr = fc.oneof(fc.constant(0), fc.integer({ min: FREE, max: FREE + 4096 }), fc.integer({ min: esize - 256, max: esize + 16 }), fc.integer({ min: 0, max: 0xffffffff }));
  /** A word of random guest memory: small lengths, addresses inside the test area, or anything. */
  const word = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: FREE, max: FREE + 4096 }), fc.integer({ min: 0, max: 0xffffffff }));

  it('random frames over random struct contents (member pointers and sizes included) never make the gate throw or lose the enclave', () => {
    const n = eimg.iface.trusted.length;
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: n - 1 }), fc.array(eptr, { minLength: 3, maxLength: 3 }), fc.array(word, { minLength: 64, maxLength: 64 }), (fn, ptrs, mem) => {
        const f = eimg.iface.trusted[fn]!;
        // The structs the pointers may land on hold random lengths and member pointers (deep copy reads them).
        const dv = new DataView(eg.memory.buffer);
        mem.forEach((w, k) => dv.setUint32(FREE + 4 * k, w >>> 0, true));
        const args = f.params.map((p, i) => (wasmTypeOf(p.type) === 'i64' ? BigInt(ptrs[i] ?? 0) : ptrs[i] ?? 0));
        const before = eg.enclaveSnapshot();
        const r = eg.call(f.name, args);
        expect([OK, EINVAL], `${f.name}(${args.join(', ')})`).toContain(r.status);
        if (r.status === EINVAL) {
          expect(Buffer.compare(eg.enclaveSnapshot(), before)).toBe(0);
          seen.add(`${f.name}:refused`);
        } else seen.add(`${f.name}:ok`);
      }),
      { numRuns: 400 },
    );
    expect(eg.log.filter((l) => l.startsWith('lost'))).toEqual([]);
    // Both outcomes were reached for the struct-taking ECALLs.
    for (const name of ['take_rec', 'take_recs', 'take_msg', 'bump_rec', 'make_rec']) {
      expect(seen.has(`${name}:ok`) || seen.has(`${name}:refused`), name).toBe(true);
    }
    expect([...seen].filter((x) => x.endsWith(':refused')).length).toBeGreaterThan(3);
  });

  it('a struct, its deep-copied member and another [in, out] buffer: any overlap is refused untouched, else each copies back', () => {
    const iface = parseEdl(
      'enclave { struct blob_t { size_t len; [size=len] uint8_t* data; uint32_t crc; }; trusted { public uint32_t ecall_blob([in, out] struct blob_t* b, [in, out, size=n] uint8_t* other, size_t n); }; };',
      'overlap.edl',
    );
    const w = wire(iface, (env) => ({
      ecall_blob(b: number, other: number, n: number) {
        const dv = env.dv();
        const u8 = env.u8();
        const len = dv.getUint32(b, true);
        const data = dv.getUint32(b + 4, true);
        let sum = 0;
        for (let k = 0; k < len; k++) (sum += u8[data + k]!), (u8[data + k] = (u8[data + k]! + 1) & 0xff);
        for (let k = 0; k < n; k++) u8[other + k] = (u8[other + k]! + 2) & 0xff;
        dv.setUint32(b + 8, sum, true);
        return sum;
      },
    }));
    const A = G_FREE;
    const at = fc.integer({ min: 0, max: 600 });
    const size = fc.integer({ min: 0, max: 200 });
    let overlaps = 0;
    let copies = 0;
    fc.assert(
      fc.property(at, at, size, at, size, fc.integer({ min: 0, max: 255 }), (s, d, len, o, n, seed) => {
        const g8 = w.g8();
        g8.fill(0, A, A + 1024);
        for (let k = 0; k < 1024; k++) g8[A + k] = (k * 7 + seed) & 0xff;
        const dv = w.gdv();
        dv.setUint32(A + s, len, true);
        dv.setUint32(A + s + 4, A + d, true);
        // What the gate will read: the struct's own bytes win where buffers overlap it.
        const L = dv.getUint32(A + s, true);
        const D = dv.getUint32(A + s + 4, true);
        const S = A + s, O = A + o;
        const bufs: Array<[number, number]> = [[S, 12], [D, L], [O, n]];
        const overlap = bufs.some(([p, l], x) => bufs.some(([q, m], y) => x < y && l > 0 && m > 0 && p < q + m && q < p + l));
        const guestBefore = g8.slice(A, A + 1024);
        const encBefore = Buffer.from(w.e8());
        if (D + L > g8.length) return;
        const r = w.ecall('ecall_blob', [S, O, n]);
        if (overlap) {
          overlaps++;
          expect(r.status).toBe(EINVAL);
          expect(w.rejects.at(-1)!.code).toBe('E_GATE_OVERLAP');
          expect(Buffer.compare(w.g8().slice(A, A + 1024), guestBefore)).toBe(0);
          expect(Buffer.compare(Buffer.from(w.e8()), encBefore)).toBe(0);
          return;
        }
        copies++;
        expect(r.status).toBe(OK);
        let sum = 0;
        for (let k = 0; k < L; k++) sum += guestBefore[D - A + k]!;
        expect(Number(r.ret & 0xffffffffn)).toBe(sum);
        const after = w.g8();
        for (let k = 0; k < L; k++) expect(after[D + k]).toBe((guestBefore[D - A + k]! + 1) & 0xff);
        for (let k = 0; k < n; k++) expect(after[O + k]).toBe((guestBefore[O - A + k]! + 2) & 0xff);
        // The guest's struct keeps its own member pointer and length, and gets the crc.
        expect([w.gdv().getUint32(S, true), w.gdv().getUint32(S + 4, true), w.gdv().getUint32(S + 8, true)]).toEqual([L, D, sum]);
      }),
      { numRuns: 300 },
    );
    expect(overlaps).toBeGreaterThan(20);
    expect(copies).toBeGreaterThan(20);
  });
});
