/**
 * The gate under EPC paging pressure (issue 10, defect 1): every gate direction of the gatetest enclave — ECALL
 * [in], [out], [in, out], strings, counts, scalars and return values, OCALL [in] and [out] buffers and return
 * values, re-entry, user_check reads — run paged through EPCs of several small sizes, and each result (status,
 * return slot, guest bytes written) must equal the resident run's. The OCALL gate reads and writes enclave
 * memory outside the marshalling area, so pages it touches may be evicted: it must go through the pager. The
 * built enclaves' own OCALL strings and structs (the sealer's [in, string] ocall_log, edltypes' [in] struct
 * ocall_rec and struct-returning ocall_make) run paged too, with the OS evicting every page it can while each
 * guest handler runs. Their bridges keep many OCALL buffers in the held marshalling area, so those cases check
 * the built enclaves end to end; that the gate reaches every other enclave byte through the pager is pinned
 * down by ./ocall-paged.test.ts, which fails for a gate that reads or writes any of them directly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDir } from '../../../runtime/paths.js';
import { OK } from '../../../runtime/enclave/abi.js';
import { Epc } from '../../../runtime/hw/epc/index.js';
import { installSgxEpc } from '../../../runtime/hw/epc/sgx-link.js';
import { generateSignerKey } from '../../../runtime/hw/sgx/sigstruct.js';
import { FRAME, FREE, image, signed, tempPlatform, TestGuest } from '../../enclave/harness.js';

const key = generateSignerKey().secretKey;
const platform = tempPlatform();
const A = FREE;
const B = FREE + 32768;
const C = FREE + 65536;
/** Frame of the ECALL a guest OCALL handler makes (re-entry). */
const REFRAME = FREE + 160000;

let uninstall: (() => void) | null = null;
afterEach(() => {
  uninstall?.();
  uninstall = null;
});

interface Outcome {
  readonly what: string;
  readonly status: number;
  readonly ret: string;
  readonly bytes: string;
}

/** A digest of guest bytes [at, at+n), short enough for a readable diff. */
function digest(g: TestGuest, at: number, n: number): string {
  let h = 0x811c9dc5;
  const u8 = g.u8();
  for (let i = at; i < at + n; i++) h = Math.imul(h ^ u8[i]!, 0x01000193) >>> 0;
  return `${n}:${h.toString(16)}`;
}

function pattern(n: number, seed: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * seed + (i >>> 8)) & 0xff);
}

/** Runs the same script of calls in one fresh instance; every call's result is recorded. */
function script(): Outcome[] {
  const g = new TestGuest({
    ocall_tick: (depth: number) => (depth > 0 ? Number(g.call('reentered', [depth], REFRAME).ret & 0xffffffffn) + 1 : 7),
    ocall_null: () => undefined,
    ocall_echo: (src: number, dst: number, len: number) => {
      g.u8().copyWithin(dst, src, src + len);
    },
  }).open(img(), platform);
  const out: Outcome[] = [];
  const rec = (what: string, r: { status: number; ret: bigint }, at = 0, n = 0): void => {
    // Slot 0 holds the return value at its own width; i32 returns leave the upper half as the frame had it.
    const ret = what === 'scalars' ? r.ret : BigInt.asIntN(32, r.ret);
    out.push({ what, status: r.status, ret: ret.toString(), bytes: n > 0 ? digest(g, at, n) : '' });
  };
  for (let round = 0; round < 3; round++) {
    rec('ping', g.call('ping', []));
    for (const len of [1, 4095, 4096, 4097, 16384]) {
      rec(`echo_via_guest(${len})`, g.call('echo_via_guest', [len]));
    }
    g.put(A, pattern(20000, 3 + round));
    rec('sum_in', g.call('sum_in', [A, 20000]));
    rec('fill_out', g.call('fill_out', [B, 12000, 0x5a + round]), B, 12000);
    g.put(B, pattern(9000, 11));
    rec('bump_inout', g.call('bump_inout', [B, 9000]), B, 9000);
    g.put(C, pattern(5000, 5).map((b) => b | 1));
    g.u8()[C + 4999] = 0;
    rec('str_len', g.call('str_len', [C]));
    rec('scalars', g.call('scalars', [-7, 4242, 99999999999n, 3.5, 0.75]));
    rec('sum_words', g.call('sum_words', [A, 3000]));
    rec('copy_pair', g.call('copy_pair', [A, C, 10000]), C, 10000);
    rec('read_user', g.call('read_user', [A, 20000]));
    rec('call_out(0)', g.call('call_out', [0]));
    rec('call_out(5)', g.call('call_out', [5]));
    rec('null_ocalls', g.call('null_ocalls', [3]));
    rec('secret_sum', g.call('secret_sum', []));
    g.put(A, pattern(32, 9));
    g.put(A + 32, pattern(32, 13));
    rec('x25519', g.call('x25519', [A, A + 32, C]), C, 32);
  }
  return out;
}

let bytes: Uint8Array | null = null;
/** A fresh image each time (EPC hooks apply at compile time), from one signed module. */
function img(): ReturnType<typeof image> {
  bytes ??= signed('gatetest', { heapPages: 16 }, key).bytes;
  return image('gatetest', bytes);
}

describe('gate under EPC pressure (paged results equal resident results)', () => {
  const resident = script();

  it('the resident run itself succeeds on every call', () => {
    for (const o of resident) expect(o.status, o.what).toBe(OK);
    expect(resident.find((o) => o.what === 'echo_via_guest(16384)')!.ret).toBe('16384');
  });

  for (const pages of [76, 80, 90, 100, 200]) {
    it(`--epc=${pages}p: every call's status, return value and bytes equal resident mode`, () => {
      const epc = new Epc({ pages });
      uninstall = installSgxEpc(epc);
      const paged = script();
      expect(paged).toEqual(resident);
      if (pages <= 90) expect(epc.stats.evictions, 'the EPC was under pressure').toBeGreaterThan(0);
      expect(epc.budget.used).toBeLessThanOrEqual(pages);
    });
  }
});

describe('ENCLU leaves with buffers inside the held marshalling area, under EPC pressure', () => {
  /** Local attestation between two enclaves: EREPORT's TARGETINFO and output lie in the marshalling area. */
  function handshake(): string[] {
    const file = (n: string) => path.join(buildDir, 'enclaves', `${n}.wasm`);
    const a = new TestGuest().open(image('alice', new Uint8Array(readFileSync(file('attest-a')))), platform);
    const b = new TestGuest().open(image('bob', new Uint8Array(readFileSync(file('attest-b')))), platform);
    const M1 = FREE;
    const M2 = FREE + 1024;
    const M3 = FREE + 2048;
    const out: string[] = [];
    const call = (g: TestGuest, fn: string, args: number[]): void => {
      const r = g.call(fn, args);
      out.push(`${fn} ${r.status} ${Number(BigInt.asIntN(32, r.ret))}`);
    };
    const carry = (from: TestGuest, to: TestGuest, at: number, n: number): void => void to.put(at, from.u8().slice(at, at + n));
    for (let round = 0; round < 3; round++) {
      call(a, 'la_start', [M1]);
      carry(a, b, M1, 96);
      call(b, 'la_respond', [M1, M2]);
      carry(b, a, M2, 304);
      call(a, 'la_finish', [M2, M3]);
      carry(a, b, M3, 208);
      call(b, 'la_confirm', [M3]);
    }
    return out;
  }

  it('the attestation handshake succeeds paged at 76, 100 and 150 pages exactly as resident', () => {
    const resident = handshake();
    expect(resident.every((l) => l.endsWith(' 0 0')), resident.join('\n')).toBe(true);
    for (const pages of [76, 100, 150]) {
      const epc = new Epc({ pages });
      uninstall = installSgxEpc(epc);
      expect(handshake(), `${pages} pages`).toEqual(resident);
      expect(epc.stats.evictions).toBeGreaterThan(0);
      uninstall();
      uninstall = null;
    }
  });
});

describe('OCALL strings and structs of the built enclaves under EPC pressure', () => {
  const file = (n: string): string => path.join(buildDir, 'enclaves', `${n}.wasm`);
  /** Evicts every page the OS can of every live enclave (the guest handler runs outside the enclave). */
  let epcNow: Epc | null = null;
  const evictAll = (): number => (epcNow === null ? 0 : epcNow.osViews().reduce((n, v) => n + v.evictAll(), 0));

  /** edltypes: an [in] struct to ocall_rec, a struct returned by ocall_make, and the ECALLs around them. */
  function edltypes(): string[] {
    const out: string[] = [];
    const g: TestGuest = new TestGuest({
      ocall_rec: (r: number) => {
        evictAll();
        out.push(`ocall_rec ${[...g.u8().subarray(r, r + 64)].join(',')}`);
      },
      ocall_make: (dR: number, id: bigint) => {
        evictAll();
        out.push(`ocall_make ${id}`);
        const dv = new DataView(g.memory.buffer);
        dv.setBigUint64(dR, id * 2n, true);
        for (let k = 16; k < 64; k++) g.u8()[dR + k] = k;
      },
    }).open(image('edltypes', new Uint8Array(readFileSync(file('edltypes')))), platform);
    const dv = (): DataView => new DataView(g.memory.buffer);
    const R = FREE + 4093;
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 64; k++) g.u8()[R + k] = (k * 5 + round) & 0xff;
      dv().setBigUint64(R, BigInt(41 + round), true);
      evictAll();
      const r = g.call('bump_rec', [R, round & 1]);
      out.push(`bump_rec ${r.status} ${r.ret} ${[...g.u8().subarray(R, R + 64)].join(',')}`);
      const OUT = FREE + 8190;
      g.u8().fill(0xff, OUT, OUT + 64);
      const make = g.prepare('make_rec', [BigInt(21 + round)]);
      dv().setUint32(FRAME, OUT, true);
      evictAll();
      out.push(`make_rec ${make().status} ${[...g.u8().subarray(OUT, OUT + 64)].join(',')}`);
    }
    out.push(`rejects ${g.rejects.join(',')}`);
    return out;
  }

  /** The sealer: its [in, string] ocall_log says "sealed" or "unseal refused" from a string in its data. */
  function sealer(): string[] {
    const g = new TestGuest({
      ocall_log: (p: number) => {
        evictAll();
        const u8 = g.u8();
        let e = p;
        while (u8[e] !== 0) e++;
        g.log.push(Buffer.from(u8.subarray(p, e)).toString());
      },
    }).open(image('sealer', signed('sealer', { heapPages: 16 }, key).bytes), platform);
    const out: string[] = [];
    const DATA = FREE, BLOB = FREE + 8192, OUT = FREE + 20000;
    for (const n of [1, 100, 5000]) {
      g.put(DATA, pattern(n, 7));
      evictAll();
      const s = g.call('seal_data', [1, 0, 0, DATA, n, BLOB, 8192]);
      const len = Number(BigInt.asIntN(32, s.ret));
      evictAll();
      const u = g.call('unseal_data', [BLOB, len, OUT, 8192]);
      out.push(`seal ${s.status} ${len} unseal ${u.status} ${Number(BigInt.asIntN(32, u.ret))} ${Buffer.compare(g.u8().slice(OUT, OUT + n), pattern(n, 7))}`);
      g.u8()[BLOB + len - 1]! ^= 1;
      evictAll();
      const bad = g.call('unseal_data', [BLOB, len, OUT, 8192]);
      out.push(`tampered ${bad.status} ${Number(BigInt.asIntN(32, bad.ret))}`);
    }
    out.push(`log ${g.log.join(' | ')}`);
    return out;
  }

  const resident = { edltypes: edltypes(), sealer: sealer() };

  it('resident: the OCALLs carry the struct, the result and the strings', () => {
    expect(resident.edltypes.filter((l) => l.startsWith('ocall_rec'))).toHaveLength(3);
    expect(resident.edltypes.find((l) => l.startsWith('make_rec'))).toMatch(/^make_rec 0 42,0,0,0,0,0,0,0,/);
    expect(resident.edltypes.at(-1)).toBe('rejects ');
    expect(resident.sealer.at(-1)).toBe('log sealed | unseal refused | sealed | unseal refused | sealed | unseal refused');
    expect(resident.sealer.slice(0, 2)).toEqual(['seal 0 81 unseal 0 1 0', 'tampered 0 -5']);
  });

  for (const pages of [76, 100]) {
    it(`--epc=${pages}p, every page evicted while each guest handler runs: the same outcomes`, () => {
      const epc = new Epc({ pages });
      uninstall = installSgxEpc(epc);
      epcNow = epc;
      try {
        expect(edltypes()).toEqual(resident.edltypes);
        expect(sealer()).toEqual(resident.sealer);
        expect(epc.stats.evictions).toBeGreaterThan(50);
      } finally {
        epcNow = null;
      }
    });
  }
});
