/**
 * The gate for the EDL's user types (issue 13 points 2-3): structs by pointer and by value, unions, arrays,
 * wstrings, and the deep copy of annotated struct members in both directions, with the same bounds, NULL, cap
 * and overlap checks as parameter buffers; the SDK's standard OCALLs served or refused by name. Random struct
 * shapes round-trip through an ECALL and an OCALL unchanged; random member pointers never get past the checks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EINVAL, EUNSPEC, OK } from '../../runtime/enclave/abi.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import type { EdlStruct } from '../../runtime/enclave/edl/types.js';
import { E_MS, G_FREE, G_SCRATCH, G_SCRATCH_LEN, wire, type EnclaveEnv } from './fake-enclave.js';

const DEEP = `enclave {
  struct blob_t { size_t len; [size=len] uint8_t* data; [count=2] uint16_t* pair; uint32_t crc; };
  trusted {
    public uint32_t ecall_blob([in, out] struct blob_t* b);
    public uint32_t ecall_blob_in([in] struct blob_t* b, [in, out, size=n] uint8_t* other, size_t n);
    public uint32_t ecall_call_back(uint32_t len);
  };
  untrusted { uint32_t ocall_blob([in, out] struct blob_t* b); };
};`;

const iface = parseEdl(DEEP, 'deep.edl');
const blob = iface.types!.find((t) => t.name === 'blob_t') as EdlStruct;
const off = (m: string): number => blob.members.find((x) => x.name === m)!.offset;

describe('EDL struct deep copy through the gate', () => {
  it('lays blob_t out as wasm32 C does', () => {
    expect([blob.size, blob.align, off('len'), off('data'), off('pair'), off('crc')]).toEqual([16, 4, 0, 4, 8, 12]);
  });

  it('[in, out]: the enclave sees copies in its own memory; member buffers come back; the guest keeps its pointers', () => {
    const seen: number[] = [];
    const w = wire(iface, (env: EnclaveEnv) => ({
      ecall_blob(b: number) {
        const dv = env.dv();
        const len = dv.getUint32(b + off('len'), true);
        const data = dv.getUint32(b + off('data'), true);
        const pair = dv.getUint32(b + off('pair'), true);
        seen.push(b, data, pair);
        let sum = 0;
        for (let i = 0; i < len; i++) (sum += env.u8()[data + i]!), (env.u8()[data + i] = env.u8()[data + i]! + 1);
        const p0 = dv.getUint16(pair, true);
        dv.setUint16(pair, dv.getUint16(pair + 2, true), true);
        dv.setUint16(pair + 2, p0, true);
        dv.setUint32(b + off('crc'), sum, true);
        return sum;
      },
      ecall_blob_in: () => 0,
      ecall_call_back: () => 0,
    }));
    const dv = w.gdv();
    const S = G_FREE, D = G_FREE + 64, P = G_FREE + 128;
    dv.setUint32(S + off('len'), 5, true);
    dv.setUint32(S + off('data'), D, true);
    dv.setUint32(S + off('pair'), P, true);
    w.g8().set([1, 2, 3, 4, 5], D);
    dv.setUint16(P, 0x1111, true);
    dv.setUint16(P + 2, 0x2222, true);
    const r = w.ecall('ecall_blob', [S]);
    expect(r.status).toBe(OK);
    expect(Number(r.ret & 0xffffffffn)).toBe(15);
    // Every address the enclave saw lies in its marshalling area, none is the guest's.
    for (const a of seen) expect(a).toBeGreaterThanOrEqual(E_MS);
    expect([...w.g8().subarray(D, D + 5)]).toEqual([2, 3, 4, 5, 6]);
    expect([dv.getUint16(P, true), dv.getUint16(P + 2, true)]).toEqual([0x2222, 0x1111]);
    expect([dv.getUint32(S + off('data'), true), dv.getUint32(S + off('pair'), true), dv.getUint32(S + off('crc'), true)]).toEqual([D, P, 15]);
  });

  it('OCALL: the guest handler gets the struct and its members in its scratch; the enclave keeps its pointers', () => {
    let guestSaw: number[] = [];
    let enclaveAfter: number[] = [];
    const w = wire(
      iface,
      (env) => ({
        ecall_blob: () => 0,
        ecall_blob_in: () => 0,
        ecall_call_back(len: number) {
          const dv = env.dv();
          const B = E_MS + 200_000, D = B + 64, P = B + 128;
          dv.setUint32(B + off('len'), len, true);
          dv.setUint32(B + off('data'), D, true);
          dv.setUint32(B + off('pair'), P, true);
          env.u8().fill(7, D, D + len);
          const rp = B + 256;
          const st = (env.ocall['ocall_blob'] as (rp: number, b: number) => number)(rp, B);
          enclaveAfter = [st, dv.getUint32(rp, true), dv.getUint32(B + off('data'), true), dv.getUint32(B + off('pair'), true), env.u8()[D]!, dv.getUint32(B + off('crc'), true)];
          return st;
        },
      }),
      {
        ocall_blob: (b: number) => {
          const dv = new DataView(w.gmem.buffer);
          const data = dv.getUint32(b + off('data'), true);
          guestSaw = [b, data, dv.getUint32(b + off('pair'), true), dv.getUint32(b + off('len'), true), w.g8()[data]!];
          w.g8()[data] = 0xee;
          dv.setUint32(b + off('crc'), 99, true);
          return 42;
        },
      },
    );
    expect(w.ecall('ecall_call_back', [3]).status).toBe(OK);
    const [b, data, pair, len, first] = guestSaw as [number, number, number, number, number];
    for (const a of [b, data, pair]) expect(a >= G_SCRATCH && a < G_SCRATCH + G_SCRATCH_LEN).toBe(true);
    expect([len, first]).toEqual([3, 7]);
    const B = E_MS + 200_000;
    expect(enclaveAfter).toEqual([OK, 42, B + 64, B + 128, 0xee, 99]);
  });

  it('member buffers get the checks of parameters: bounds, NULL with a length, cap, overlap; nothing moves when refused', () => {
    const w = wire(iface, () => ({ ecall_blob: () => 1, ecall_blob_in: () => 1, ecall_call_back: () => 0 }));
    const dv = w.gdv();
    const S = G_FREE, P = G_FREE + 128;
    const size = w.g8().length;
    const setup = (len: number, data: number, pair: number): void => {
      dv.setUint32(S + off('len'), len, true);
      dv.setUint32(S + off('data'), data, true);
      dv.setUint32(S + off('pair'), pair, true);
    };
    const cases: Array<[number, number, number, string]> = [
      [16, size - 8, P, 'E_GATE_BOUNDS'],
      [4, 0, P, 'E_GATE_NULL'],
      [(1 << 20) + 1, G_FREE + 4096, P, 'E_GATE_CAP'],
      [4, P, P + 2, 'E_GATE_OVERLAP'],
      [4, S, P, 'E_GATE_OVERLAP'],
    ];
    for (const [len, data, pair, code] of cases) {
      setup(len, data, pair);
      const before = Buffer.from(w.e8());
      expect(w.ecall('ecall_blob', [S]).status).toBe(EINVAL);
      expect(w.rejects.at(-1)?.code).toBe(code);
      expect(Buffer.compare(Buffer.from(w.e8()), before)).toBe(0);
    }
    // [in] only: the member may overlap a read-only neighbour, but not a buffer the call writes back.
    setup(4, G_FREE + 256, P);
    expect(w.ecall('ecall_blob_in', [S, G_FREE + 256, 4]).status).toBe(EINVAL);
    expect(w.rejects.at(-1)?.message).toMatch(/b->data\/other overlap|other\/b->data|overlap/);
    expect(w.ecall('ecall_blob_in', [S, G_FREE + 512, 4]).status).toBe(OK);
    // A NULL member with a zero length passes as NULL, like a NULL parameter.
    setup(0, 0, P);
    expect(w.ecall('ecall_blob', [S]).status).toBe(OK);
  });

  it('random member pointers and lengths: accepted exactly when in bounds and under the cap; refused calls change nothing', () => {
    const w = wire(iface, () => ({ ecall_blob: () => 1, ecall_blob_in: () => 1, ecall_call_back: () => 0 }));
    const size = w.g8().length;
    const S = G_FREE, P = G_FREE + 64;
    const ptr = fc.oneof(fc.constant(0), fc.integer({ min: G_FREE + 128, max: G_FREE + 8192 }), fc.integer({ min: size - 4096, max: size + 16 }), fc.integer({ min: 0, max: 0xffffffff }));
    const len = fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 0xffffffff }));
    let ok = 0, refused = 0;
    fc.assert(
      fc.property(ptr, len, (data, n) => {
        const dv = w.gdv();
        dv.setUint32(S + off('len'), n, true);
        dv.setUint32(S + off('data'), data, true);
        dv.setUint32(S + off('pair'), P, true);
        const expectOk = (data === 0 && n === 0) || (data !== 0 && data >= G_FREE + 128 && data + n <= size && n <= 1 << 20) || (data !== 0 && data + n <= S && n <= 1 << 20);
        const before = Buffer.from(w.e8());
        const st = w.ecall('ecall_blob', [S]).status;
        if (expectOk) (expect(st).toBe(OK), ok++);
        else {
          expect(st).toBe(EINVAL);
          expect(Buffer.compare(Buffer.from(w.e8()), before)).toBe(0);
          refused++;
        }
      }),
      { numRuns: 300 },
    );
    expect(ok).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });
});

/** Member types for random shapes (scalars, long double and SDK header types: all copied byte for byte). */
const MEMBER_TYPES = ['uint8_t', 'int16_t', 'uint32_t', 'int64_t', 'float', 'double', 'char', 'uint16_t', 'long double', 'sgx_enclave_id_t', 'sgx_ra_context_t', 'sgx_quote_nonce_t'];

const shape = fc.record({
  members: fc.array(fc.record({ t: fc.constantFrom(...MEMBER_TYPES), dims: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }) }), { minLength: 1, maxLength: 8 }),
  nested: fc.boolean(),
  union: fc.boolean(),
});

function shapeEdl(s: { members: Array<{ t: string; dims: number[] }>; nested: boolean; union: boolean }): string {
  const body = s.members.map((m, i) => `${m.t} m${i}${m.dims.map((d) => `[${d}]`).join('')};`).join(' ');
  const inner = s.union ? `union u_t { uint8_t a; double b; uint16_t c[3]; };` : `struct u_t { uint8_t a; double b; };`;
  const kw = s.union ? 'union' : 'struct';
  return `enclave {
    ${inner}
    struct s_t { ${body} ${s.nested ? `${kw} u_t inner; uint8_t tail;` : ''} };
    trusted { public int ecall_echo([in, out] struct s_t* v, struct s_t byval); };
    untrusted { int ocall_echo([in, out] struct s_t* v, struct s_t byval); };
  };`;
}

describe('random struct shapes', () => {
  it('round-trip through an ECALL and an OCALL unchanged, by pointer and by value; [in, out] changes come back', () => {
    fc.assert(
      fc.property(shape, fc.integer({ min: 0, max: 255 }), (s, seed) => {
        const i = parseEdl(shapeEdl(s), 'shape.edl');
        const st = i.types!.find((t) => t.name === 's_t') as EdlStruct;
        const n = st.size;
        const original = Uint8Array.from({ length: n }, (_, k) => (k * 37 + seed) & 0xff);
        let inEnclave: Uint8Array | null = null;
        let inGuest: Uint8Array[] = [];
        const w = wire(
          i,
          (env) => ({
            ecall_echo(v: number, bv: number) {
              inEnclave = env.u8().slice(v, v + n);
              expect(Buffer.compare(env.u8().slice(bv, bv + n), original)).toBe(0);
              const st2 = (env.ocall['ocall_echo'] as (rp: number, v: number, bv: number) => number)(0, v, bv);
              return st2;
            },
          }),
          {
            ocall_echo: (v: number, bv: number) => {
              const g = new Uint8Array(w.gmem.buffer);
              inGuest = [g.slice(v, v + n), g.slice(bv, bv + n)];
              for (let k = 0; k < n; k++) g[v + k] ^= 0x5a;
              return 0;
            },
          },
        );
        const V = G_FREE, BV = G_FREE + 4096;
        w.g8().set(original, V);
        w.g8().set(original, BV);
        const r = w.ecall('ecall_echo', [V, BV]);
        expect(r.status).toBe(OK);
        expect(Buffer.compare(inEnclave!, original)).toBe(0);
        expect(Buffer.compare(inGuest[0]!, original)).toBe(0);
        expect(Buffer.compare(inGuest[1]!, original)).toBe(0);
        const back = w.g8().slice(V, V + n);
        expect(Buffer.compare(back, original.map((b) => b ^ 0x5a))).toBe(0);
        // By value is [in]: the caller's copy is untouched.
        expect(Buffer.compare(w.g8().slice(BV, BV + n), original)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('random struct shapes with a deep-copied member', () => {
  it('round-trip, member buffer included, through an ECALL and an OCALL; each side sees its own pointer', () => {
    const member = fc.record({ t: fc.constantFrom(...MEMBER_TYPES), dims: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }) });
    const shapes = fc.record({ before: fc.array(member, { maxLength: 4 }), after: fc.array(member, { maxLength: 4 }), len: fc.integer({ min: 0, max: 300 }), seed: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(shapes, ({ before, after, len, seed }) => {
        const decl = (ms: Array<{ t: string; dims: number[] }>, tag: string): string => ms.map((m, k) => `${m.t} ${tag}${k}${m.dims.map((d) => `[${d}]`).join('')};`).join(' ');
        const edl = `enclave {
          struct s_t { ${decl(before, 'b')} uint32_t dn; [size=dn] uint8_t* dd; ${decl(after, 'a')} };
          trusted { public int ecall_echo([in, out] struct s_t* v); };
          untrusted { int ocall_echo([in, out] struct s_t* v); };
        };`;
        const i = parseEdl(edl, 'deepshape.edl');
        const st = i.types!.find((t) => t.name === 's_t') as EdlStruct;
        const n = st.size;
        const dn = st.members.find((m) => m.name === 'dn')!.offset;
        const dd = st.members.find((m) => m.name === 'dd')!.offset;
        // Struct bytes other than the pointer and its size, which each side sees with its own values.
        const plain = (b: Uint8Array): number[] => [...b].filter((_, k) => !(k >= dn && k < dn + 4) && !(k >= dd && k < dd + 4));
        const original = Uint8Array.from({ length: n }, (_, k) => (k * 37 + seed) & 0xff);
        const data = Uint8Array.from({ length: len }, (_, k) => (k * 13 + seed) & 0xff);
        const V = G_FREE, D = G_FREE + 4096;
        let enclaveSaw: { bytes: number[]; ptr: number; data: number[] } | null = null;
        let guestSaw: { bytes: number[]; ptr: number; data: number[] } | null = null;
        const w = wire(
          i,
          (env) => ({
            ecall_echo(v: number) {
              const dv = env.dv();
              const p = dv.getUint32(v + dd, true);
              enclaveSaw = { bytes: plain(env.u8().slice(v, v + n)), ptr: p, data: [...env.u8().slice(p, p + dv.getUint32(v + dn, true))] };
              return (env.ocall['ocall_echo'] as (rp: number, v: number) => number)(0, v);
            },
          }),
          {
            ocall_echo: (v: number) => {
              const g = new Uint8Array(w.gmem.buffer);
              const dv = new DataView(w.gmem.buffer);
              const p = dv.getUint32(v + dd, true);
              const l = dv.getUint32(v + dn, true);
              guestSaw = { bytes: plain(g.slice(v, v + n)), ptr: p, data: [...g.slice(p, p + l)] };
              for (let k = 0; k < n; k++) if (!(k >= dn && k < dn + 4) && !(k >= dd && k < dd + 4)) g[v + k] ^= 0x5a;
              for (let k = 0; k < l; k++) g[p + k] ^= 0x5a;
              return 0;
            },
          },
        );
        const dv = w.gdv();
        w.g8().set(original, V);
        dv.setUint32(V + dn, len, true);
        dv.setUint32(V + dd, D, true);
        w.g8().set(data, D);
        expect(w.ecall('ecall_echo', [V]).status).toBe(OK);
        expect(enclaveSaw!.bytes).toEqual(plain(original));
        expect(enclaveSaw!.data).toEqual([...data]);
        expect(enclaveSaw!.ptr).toBeGreaterThanOrEqual(E_MS);
        expect(guestSaw!.bytes).toEqual(plain(original));
        expect(guestSaw!.data).toEqual([...data]);
        expect(guestSaw!.ptr >= G_SCRATCH && guestSaw!.ptr < G_SCRATCH + G_SCRATCH_LEN).toBe(true);
        // Back in the guest: the changes, its own pointer, the same length.
        expect(plain(w.g8().slice(V, V + n))).toEqual(plain(original).map((b) => b ^ 0x5a));
        expect([dv.getUint32(V + dd, true), dv.getUint32(V + dn, true)]).toEqual([D, len]);
        expect([...w.g8().slice(D, D + len)]).toEqual([...data].map((b) => b ^ 0x5a));
      }),
      { numRuns: 80 },
    );
  });
});

describe('arrays, wstrings and by-value structs', () => {
  const ARR = `enclave {
    struct pt { int32_t x; int32_t y; };
    trusted {
      public int ecall_grid([in, out] int32_t grid[2][3]);
      public int ecall_pt(struct pt p);
      public int ecall_w([in, wstring] const wchar_t* s);
    };
    untrusted { void ocall_cpu([out] int info[4]); };
  };`;
  const i = parseEdl(ARR, 'arr.edl');

  it('copies a fixed 2-D array both ways, a by-value struct in, and a wstring up to its 4-byte NUL', () => {
    let wideLen = -1;
    const w = wire(i, (env) => ({
      ecall_grid(g: number) {
        const dv = env.dv();
        for (let k = 0; k < 6; k++) dv.setInt32(g + 4 * k, dv.getInt32(g + 4 * k, true) * 2, true);
        return 6;
      },
      ecall_pt: (p: number) => env.dv().getInt32(p, true) - env.dv().getInt32(p + 4, true),
      ecall_w(s: number) {
        const dv = env.dv();
        let k = 0;
        while (dv.getUint32(s + 4 * k, true) !== 0) k++;
        wideLen = k;
        return k;
      },
    }));
    const dv = w.gdv();
    for (let k = 0; k < 6; k++) dv.setInt32(G_FREE + 4 * k, k + 1, true);
    dv.setInt32(G_FREE + 24, 1234, true);
    expect(w.ecall('ecall_grid', [G_FREE]).status).toBe(OK);
    expect([0, 1, 2, 3, 4, 5, 6].map((k) => dv.getInt32(G_FREE + 4 * k, true))).toEqual([2, 4, 6, 8, 10, 12, 1234]);
    dv.setInt32(G_FREE + 100, 50, true);
    dv.setInt32(G_FREE + 104, 8, true);
    expect(w.ecall('ecall_pt', [G_FREE + 100])).toEqual({ status: OK, ret: 42n });
    // A by-value struct's address may not be NULL: there is always a value.
    expect(w.ecall('ecall_pt', [0]).status).toBe(EINVAL);
    const S = G_FREE + 200;
    [0x68, 0x1f600, 0x69].forEach((c, k) => dv.setUint32(S + 4 * k, c, true));
    dv.setUint32(S + 12, 0, true);
    expect(w.ecall('ecall_w', [S]).status).toBe(OK);
    expect(wideLen).toBe(3);
    // No 4-byte NUL before the end of memory: refused.
    const end = w.g8().length - 8;
    dv.setUint32(end, 1, true);
    dv.setUint32(end + 4, 1, true);
    expect(w.ecall('ecall_w', [end]).status).toBe(EINVAL);
    expect(w.rejects.at(-1)?.code).toBe('E_GATE_STRING');
  });
});

describe('structs returned by value', () => {
  const RET = `enclave {
    struct pt { int32_t x; int32_t y; double w; };
    trusted {
      public struct pt ecall_mk(int32_t x, [out, size=8] uint8_t* side);
      public struct pt ecall_via_ocall(int32_t x);
    };
    untrusted { struct pt ocall_mk(int32_t x); };
  };`;
  const i = parseEdl(RET, 'ret.edl');

  it('are written through a result slot to the retval address, checked like an [out] buffer, both ways', () => {
    let guestDr = -1;
    let seen: number[] = [];
    const w = wire(
      i,
      (env) => ({
        ecall_mk(dR: number, x: number, side: number) {
          expect(dR).toBeGreaterThanOrEqual(E_MS);
          env.dv().setInt32(dR, x, true);
          env.dv().setInt32(dR + 4, -x, true);
          env.dv().setFloat64(dR + 8, 1.5, true);
          env.u8().fill(9, side, side + 8);
        },
        ecall_via_ocall(dR: number, x: number) {
          const rp = E_MS + 150_000;
          const st = (env.ocall['ocall_mk'] as (rp: number, x: number) => number)(rp, x);
          seen = [st, env.dv().getInt32(rp, true), env.dv().getInt32(rp + 4, true), env.dv().getFloat64(rp + 8, true)];
          env.dv().setInt32(dR, 7, true);
        },
      }),
      {
        ocall_mk: (dR: number, x: number) => {
          guestDr = dR;
          const dv = new DataView(w.gmem.buffer);
          dv.setInt32(dR, x * 2, true);
          dv.setInt32(dR + 4, x * 3, true);
          dv.setFloat64(dR + 8, 0.25, true);
        },
      },
    );
    const dv = w.gdv();
    const R = G_FREE, SIDE = G_FREE + 64;
    // Slot 0 carries the retval address.
    const call = (rv: number, side: number) => {
      dv.setUint32(1024, rv, true);
      const f = i.trusted[0]!;
      dv.setInt32(1024 + 8, 21, true);
      dv.setUint32(1024 + 16, side, true);
      return w.gate.ecalls[f.index]!(1024);
    };
    expect(call(R, SIDE)).toBe(OK);
    expect([dv.getInt32(R, true), dv.getInt32(R + 4, true), dv.getFloat64(R + 8, true)]).toEqual([21, -21, 1.5]);
    // 0 discards the result; out of bounds or overlapping another [out] buffer is refused before anything moves.
    expect(call(0, SIDE)).toBe(OK);
    expect(call(w.g8().length - 8, SIDE)).toBe(EINVAL);
    expect(w.rejects.at(-1)?.code).toBe('E_GATE_BOUNDS');
    expect(call(R, R + 8)).toBe(EINVAL);
    expect(w.rejects.at(-1)?.code).toBe('E_GATE_OVERLAP');
    // OCALL: the guest handler gets a result slot in its scratch; the enclave finds the struct at its retval.
    dv.setUint32(1024, R, true);
    dv.setInt32(1024 + 8, 5, true);
    expect(w.gate.ecalls[1]!(1024)).toBe(OK);
    expect(guestDr >= G_SCRATCH && guestDr < G_SCRATCH + G_SCRATCH_LEN).toBe(true);
    expect(seen).toEqual([OK, 10, 15, 0.25]);
    expect(dv.getInt32(R, true)).toBe(7);
  });
});

describe('the SDK standard OCALLs', () => {
  it('cpuid is refused by name, thread events are served as no-ops returning 0, and a guest handler wins', () => {
    const STD = `enclave {
      untrusted {
        [cdecl] void sgx_oc_cpuidex([out] int cpuinfo[4], int leaf, int subleaf);
        [cdecl] int sgx_thread_set_untrusted_event_ocall([user_check] const void* waiter);
        [cdecl] int pthread_create_ocall(unsigned long long self);
      };
      trusted { public int go(int which); };
    };`;
    const std = parseEdl(STD, 'std.edl');
    const results: number[] = [];
    const w = wire(std, (env) => ({
      go(which: number) {
        const rp = E_MS + 100_000;
        env.dv().setInt32(rp, -1, true);
        if (which === 0) results.push((env.ocall['sgx_oc_cpuidex'] as Function)(E_MS + 1000, 0, 0));
        if (which === 1) results.push((env.ocall['sgx_thread_set_untrusted_event_ocall'] as Function)(rp, 0), env.dv().getInt32(rp, true));
        if (which === 2) results.push((env.ocall['pthread_create_ocall'] as Function)(rp, 0n));
        return 0;
      },
    }));
    w.ecall('go', [0]);
    expect(results).toEqual([EUNSPEC]);
    expect(w.rejects.at(-1)?.code).toBe('E_OCALL_UNAVAILABLE');
    expect(w.rejects.at(-1)?.message).toMatch(/sgx_oc_cpuidex is unavailable: a Wasm enclave has no CPUID/);
    w.ecall('go', [1]);
    expect(results.slice(1)).toEqual([OK, 0]);
    w.ecall('go', [2]);
    expect(results.at(-1)).toBe(EUNSPEC);
    expect(w.rejects.at(-1)?.message).toMatch(/pthread_create_ocall/);
    // The guest may serve one itself.
    const w2 = wire(std, (env) => ({ go: () => (env.ocall['sgx_oc_cpuidex'] as Function)(E_MS + 1000, 7, 0) }), { sgx_oc_cpuidex: () => undefined });
    expect(w2.ecall('go', [0]).ret).toBe(BigInt(OK));
  });
});
