/**
 * The OCALL gate under paging (issue 10, defect 1), for the kinds of OCALL argument no built enclave exercises
 * paged: [in, string] and [in, wstring] arguments, [in], [out] and [in, out] buffers across page boundaries, two
 * buffers in one call, a struct whose member buffer is deep-copied both ways, a struct returned by value and a
 * 64-bit return value. The enclave (tests/enclave/ocall-rig.ts) is paged through small EPCs, and the OS evicts
 * every one of its pages before each OCALL, while the guest's handler runs, and before the enclave reads its
 * results: whatever the gate read or wrote in enclave memory without the pager would come out as zeros. Every
 * outcome (status, return value, bytes the guest saw, bytes the enclave got back) must equal the resident run's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OK } from '../../../runtime/enclave/abi.js';
import { GateContext } from '../../../runtime/enclave/gate-context.js';
import { Gate } from '../../../runtime/enclave/gate.js';
import { digest, MSG_SIZE, ocallRig, PT_SIZE, type OcallRig } from '../../enclave/ocall-rig.js';

const pattern = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * seed + (i >>> 8) + 1) & 0xff || 1);
const u32le = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

/** One script of OCALLs; every outcome is recorded as a line. */
function script(r: OcallRig): string[] {
  const out: string[] = [];
  const rec = (what: string, status: number, more = ''): void => void out.push(`${what}: ${status}${more ? ` ${more}` : ''}`);
  const RP = r.free; // the retval slot
  // Addresses that straddle 4 KiB pages, at odd offsets.
  const A = r.free + 4096 + 4093;
  const B = A + 40000 + 7;
  for (const n of [1, 4095, 4096, 4097, 12000]) {
    r.write(A, pattern(n, 3));
    r.evictAll();
    rec(`o_in(${n})`, r.ocall('o_in', A, n));
    r.write(B, new Uint8Array(n).fill(0xee));
    r.evictAll();
    const s = r.ocall('o_out', B, n);
    r.evictAll();
    rec(`o_out(${n})`, s, digest(r.read(B, n)));
    r.write(B, pattern(n, 5));
    r.evictAll();
    const t = r.ocall('o_inout', B, n);
    r.evictAll();
    rec(`o_inout(${n})`, t, digest(r.read(B, n)));
    r.write(A, pattern(n, 11));
    r.evictAll();
    const u = r.ocall('o_two', A, B, n, n + 3);
    r.evictAll();
    rec(`o_two(${n})`, u, `${digest(r.read(A, n))} ${digest(r.read(B, n + 3))}`);
  }
  for (const n of [1, 100, 4095, 9000]) {
    const text = new Uint8Array(n + 1).map((_, i) => (i === n ? 0 : 97 + (i % 26)));
    r.write(A, text);
    r.evictAll();
    const s = r.ocall('o_str', RP, A);
    r.evictAll();
    rec(`o_str(${n})`, s, String(u32le(r.read(RP, 4))));
    const wide = new Uint32Array(n + 1).map((_, i) => (i === n ? 0 : 0x1f600 + (i % 40)));
    r.write(A + 1, new Uint8Array(wide.buffer));
    r.evictAll();
    const w = r.ocall('o_wstr', RP, A + 1);
    r.evictAll();
    rec(`o_wstr(${n})`, w, String(u32le(r.read(RP, 4))));
  }
  for (const len of [0, 16, 4096, 10000]) {
    // A struct on one page, its member buffer far away on others.
    const M = A + 30001;
    const msg = new DataView(new ArrayBuffer(MSG_SIZE));
    msg.setUint32(0, len, true);
    msg.setUint32(4, len === 0 ? 0 : B, true);
    msg.setUint32(8, 1000 + len, true);
    r.write(M, new Uint8Array(msg.buffer));
    if (len > 0) r.write(B, pattern(len, 13));
    r.evictAll();
    const s = r.ocall('o_msg', RP, M);
    r.evictAll();
    const back = r.read(M, MSG_SIZE);
    const ptr = u32le(back, 4);
    const own = ptr === (len === 0 ? 0 : B) ? 'its own' : `moved to ${ptr}`;
    rec(`o_msg(${len})`, s, `ret ${u32le(r.read(RP, 4))} struct len ${u32le(back)} data pointer ${own} tag ${u32le(back, 8)} data ${len === 0 ? '-' : digest(r.read(B, len))}`);
  }
  for (const x of [0, 7, 0xfffffff]) {
    const at = A + 4090; // the 16-byte result straddles a page
    r.write(at, new Uint8Array(PT_SIZE).fill(0xcc));
    r.evictAll();
    const s = r.ocall('o_make', at, x);
    r.evictAll();
    rec(`o_make(${x})`, s, [...r.read(at, PT_SIZE)].join(','));
    r.evictAll();
    const t = r.ocall('o_ret', A + 4093, BigInt(x) << 20n);
    r.evictAll();
    rec(`o_ret(${x})`, t, String(new DataView(r.read(A + 4093, 8).buffer).getBigUint64(0, true)));
  }
  for (let k = 0; k < 3; k++) {
    // A standard OCALL emon answers itself: its result lands in the enclave's (evicted) page.
    const at = A + 4094 + k * 5000;
    r.write(at, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    r.evictAll();
    const s = r.ocall('sgx_thread_set_untrusted_event_ocall', at, 0);
    r.evictAll();
    rec(`sgx_thread_set_untrusted_event_ocall(${k})`, s, String(new DataView(r.read(at, 4).buffer).getInt32(0, true)));
  }
  out.push(...r.seen);
  out.push(`rejects: ${r.rejects.join(',')}`);
  return out;
}

describe('OCALL arguments of every kind, paged with every page evicted around each OCALL = resident', async () => {
  const resident = script(await ocallRig(null));

  it('the resident run succeeds on every call with what the handlers computed', () => {
    for (const line of resident.filter((l) => /^o_\w+\(\d+\): /.test(l))) expect(line).toMatch(/: 0( |$)/);
    expect(resident).toContain('o_str(9000): 0 9000');
    expect(resident).toContain('sgx_thread_set_untrusted_event_ocall(2): 0 0');
    expect(resident).toContain('o_wstr(100): 0 100');
    expect(resident).toContain(`o_ret(7): 0 ${(7n << 20n) * 3n + 1n}`);
    expect(resident.find((l) => l.startsWith('o_make(7)'))).toBe(`o_make(7): ${OK} 7,0,0,0,8,0,0,0,${[...new Uint8Array(new BigUint64Array([7n * 1000000007n]).buffer)].join(',')}`);
    // The enclave's struct keeps its own data pointer; the tag and the member bytes come back from the guest.
    expect(resident.find((l) => l.startsWith('o_msg(16)'))).toMatch(/^o_msg\(16\): 0 ret 16 struct len 16 data pointer its own tag 3048 data 16:/);
    expect(resident).toContain('o_msg len 16 tag 1016 data ' + digest(pattern(16, 13)));
    expect(resident.at(-1)).toBe('rejects: ');
  });

  for (const pages of [40, 76]) {
    for (const evictInHandlers of [false, true]) {
      it(`--epc=${pages}p${evictInHandlers ? ', evicting while the guest handler runs too' : ''}: every outcome equals resident mode`, async () => {
        const r = await ocallRig(pages, { evictInHandlers });
        const before = r.stats();
        expect(script(r)).toEqual(resident);
        const after = r.stats();
        expect(after.evictions - before.evictions, 'pages were evicted around the OCALLs').toBeGreaterThan(200);
        expect(after.faults - before.faults, 'and faulted back in by the gate').toBeGreaterThan(200);
      });
    }
  }
});

describe('the script catches a gate that bypasses the pager', async () => {
  const resident = script(await ocallRig(null));
  type Proto = Record<string, Function>;
  const direct: Record<string, (this: GateContext, ...a: number[]) => unknown> = {
    readE(e, g, n) {
      this.g8.set(this.e8.subarray(e!, e! + n!), g);
    },
    writeE(g, e, n) {
      this.e8.set(this.g8.subarray(g!, g! + n!), e);
    },
    strlenE(p, limit) {
      return this.strlen(this.e8, p!, limit!);
    },
    wstrlenE(p, limit) {
      return this.wstrlen(this.e8, p!, limit!);
    },
  };
  for (const [name, fn] of Object.entries(direct)) {
    it(`GateContext.${name} reading enclave memory directly makes the paged run differ`, async () => {
      const proto = GateContext.prototype as unknown as Proto;
      const saved = proto[name]!;
      proto[name] = fn;
      try {
        const r = await ocallRig(76);
        let paged: string[] | string;
        try {
          paged = script(r);
        } catch (e) {
          paged = `threw: ${(e as Error).message}`;
        }
        expect(paged).not.toEqual(resident);
      } finally {
        proto[name] = saved;
      }
    });
  }

  it("struct members read and written directly (not through GateContext.edvP) make the paged run differ", async () => {
    const attach = Gate.prototype.attach;
    Gate.prototype.attach = function (this: Gate, ...a: Parameters<Gate['attach']>) {
      attach.apply(this, a);
      const c = this.ctx;
      Object.defineProperty(c, 'edvP', { value: new Proxy({}, { get: (_t, k: string) => (...x: unknown[]) => (c.edv as unknown as Record<string, Function>)[k]!.apply(c.edv, x) }) });
    };
    try {
      expect(script(await ocallRig(76))).not.toEqual(resident);
    } finally {
      Gate.prototype.attach = attach;
    }
  });
});

describe('random deep-copied structs and buffers, paged and evicted = resident (fast-check, FC_SEED)', async () => {
  const resident = await ocallRig(null);
  const paged = await ocallRig(40, { evictInHandlers: true });
  /** One OCALL of a random kind on both rigs at the same offsets from `free`; the outcomes must be equal. */
  const call = (r: OcallRig, op: { kind: number; len: number; at: number; gap: number; seed: number }): string => {
    const A = r.free + 256 + op.at;
    const B = A + op.len + 12 + op.gap;
    const data = pattern(op.len, op.seed);
    r.write(A, new Uint8Array(op.len + 12 + op.gap + op.len + 16).fill(0xab));
    if (op.kind === 0) {
      // o_msg: a struct at B, its member buffer at A.
      r.write(A, data);
      r.write(B, new Uint8Array(new Uint32Array([op.len, op.len === 0 ? 0 : A, op.seed]).buffer));
      r.evictAll();
      const s = r.ocall('o_msg', r.free, B);
      r.evictAll();
      const back = r.read(B, MSG_SIZE);
      return `${s} ${u32le(r.read(r.free, 4))} ${u32le(back)} ${u32le(back, 4) - (op.len === 0 ? 0 : A)} ${u32le(back, 8)} ${digest(r.read(A, op.len))}`;
    }
    if (op.kind === 1) {
      r.write(A, data);
      r.evictAll();
      const s = r.ocall('o_two', A, B, op.len, op.len + (op.seed & 7));
      r.evictAll();
      return `${s} ${digest(r.read(B, op.len + (op.seed & 7)))}`;
    }
    r.write(A, new Uint8Array(new Uint32Array([...data].map((b) => b + 1).concat([0])).buffer));
    r.evictAll();
    const s = r.ocall('o_wstr', r.free, A);
    r.evictAll();
    return `${s} ${u32le(r.read(r.free, 4))}`;
  };

  it('every call gives the same status, result and bytes in both modes', () => {
    const op = fc.record({
      kind: fc.integer({ min: 0, max: 2 }),
      len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 4090, max: 4100 }), fc.integer({ min: 0, max: 9000 })),
      at: fc.integer({ min: 0, max: 8191 }),
      gap: fc.integer({ min: 0, max: 5000 }),
      seed: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
      for (const o of ops) expect(call(paged, o), JSON.stringify(o)).toBe(call(resident, o));
    }), { numRuns: 60 });
    expect(paged.stats().faults).toBeGreaterThan(100);
    expect(resident.rejects).toEqual(paged.rejects);
  });
});
