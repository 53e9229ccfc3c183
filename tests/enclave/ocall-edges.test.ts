/**
 * Fixed edge cases for the OCALL side of the gate (issue 10, "tests that let bugs through"), as
 * ./gate-edges.test.ts has them for ECALLs: the enclave's buffers, strings, struct members and retval slots are
 * checked against the end of enclave memory (`p + l > eSize`) and against each other. For each check a call
 * exactly at the edge succeeds, one byte past it is refused with the check's code, runs no guest handler and
 * leaves the enclave's memory as it was; two buffers sharing one byte are refused while adjacent ones pass; a
 * zero length at the very end is allowed. Each case runs with the enclave resident and paged (where eSize is
 * the enclave's virtual size, below the pager's own residency map at the top of the Wasm memory).
 */
import { describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../runtime/enclave/abi.js';
import { MSG_SIZE, ocallRig, PT_SIZE, type OcallRig } from './ocall-rig.js';

/** The last `n` bytes of enclave memory, through the pager when paged. */
const tail = (r: OcallRig, n = 256): Uint8Array => r.read(r.eSize - n, n);

/** Refused with exactly `code`: no handler ran, the top of enclave memory and the retval slot are unchanged. */
function refused(r: OcallRig, name: string, args: (number | bigint)[], code: string): void {
  const before = tail(r);
  const rp = r.read(r.free, 64);
  const seen = r.seen.length;
  r.rejects.length = 0;
  expect(r.ocall(name, ...args), `${name}(${args.join(', ')})`).toBe(EINVAL);
  expect(r.rejects, `${name}(${args.join(', ')})`).toEqual([code]);
  expect(r.seen.length, 'no guest handler ran').toBe(seen);
  expect(Buffer.compare(tail(r), before)).toBe(0);
  expect(Buffer.compare(r.read(r.free, 64), rp)).toBe(0);
}

function accepted(r: OcallRig, name: string, ...args: (number | bigint)[]): void {
  r.rejects.length = 0;
  expect(r.ocall(name, ...args), `${name}(${args.join(', ')})`).toBe(OK);
  expect(r.rejects).toEqual([]);
}

const u32 = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

for (const pages of [null, 76]) {
  const mode = pages === null ? 'resident' : `paged (${pages}p)`;

  describe(`OCALL edges, enclave ${mode}: buffers against the end of enclave memory`, async () => {
    const r = await ocallRig(pages);
    const end = r.eSize;

    it('[in] ending exactly at the end is copied to the guest; one byte further, or starting one byte later, is E_GATE_BOUNDS', () => {
      r.write(end - 100, new Uint8Array(100).fill(3));
      accepted(r, 'o_in', end - 100, 100);
      expect(r.seen.at(-1)).toMatch(/^o_in 100:/);
      refused(r, 'o_in', [end - 100, 101], 'E_GATE_BOUNDS');
      refused(r, 'o_in', [end - 99, 100], 'E_GATE_BOUNDS');
    });

    it('[out] ending exactly at the end is written back; one byte further is refused', () => {
      accepted(r, 'o_out', end - 64, 64);
      expect([...tail(r, 64)]).toEqual([...new Uint8Array(64).map((_, i) => (i * 7 + 3) & 0xff)]);
      refused(r, 'o_out', [end - 63, 64], 'E_GATE_BOUNDS');
    });

    it('[in, out] ending exactly at the end round-trips; one byte further is refused', () => {
      r.write(end - 32, new Uint8Array(32).fill(0x0f));
      accepted(r, 'o_inout', end - 32, 32);
      expect([...tail(r, 32)].every((b) => b === (0x0f ^ 0x5a))).toBe(true);
      refused(r, 'o_inout', [end - 31, 32], 'E_GATE_BOUNDS');
    });

    it('a zero-length buffer at the very end is allowed (nothing is copied); one byte past the end is not', () => {
      accepted(r, 'o_in', end, 0);
      accepted(r, 'o_out', end, 0);
      refused(r, 'o_in', [end + 1, 0], 'E_GATE_BOUNDS');
    });

    it('a length that wraps the address space (p + l past 2^32) is refused, not wrapped', () => {
      refused(r, 'o_in', [end - 16, 0xfffffff0], 'E_GATE_CAP');
      refused(r, 'o_in', [0xfffffff0, 32], 'E_GATE_BOUNDS');
    });
  });

  describe(`OCALL edges, enclave ${mode}: strings against the end of enclave memory`, async () => {
    const r = await ocallRig(pages);
    const end = r.eSize;
    const RP = r.free;

    it('a string whose NUL is the last byte is passed; without it, or starting at the end, E_GATE_STRING', () => {
      const s = new Uint8Array(10).fill(65);
      s[9] = 0;
      r.write(end - 10, s);
      accepted(r, 'o_str', RP, end - 10);
      expect(u32(r.read(RP, 4))).toBe(9);
      r.write(end - 1, new Uint8Array([65]));
      refused(r, 'o_str', [RP, end - 10], 'E_GATE_STRING');
      refused(r, 'o_str', [RP, end], 'E_GATE_STRING');
    });

    it('a wide string whose NUL wchar_t is the last 4 bytes is passed; a NUL cut by the end, E_GATE_STRING', () => {
      r.write(end - 12, new Uint8Array(new Uint32Array([0x263a, 0x1f600, 0]).buffer));
      accepted(r, 'o_wstr', RP, end - 12);
      expect(u32(r.read(RP, 4))).toBe(2);
      // At end - 6: one wchar_t, then two zero bytes; a NUL wchar_t there would end 2 bytes past the end.
      r.write(end - 6, new Uint8Array([0x41, 0, 0, 0, 0, 0]));
      refused(r, 'o_wstr', [RP, end - 6], 'E_GATE_STRING');
      refused(r, 'o_wstr', [RP, end - 2], 'E_GATE_STRING');
    });
  });

  describe(`OCALL edges, enclave ${mode}: retval slots and struct results`, async () => {
    const r = await ocallRig(pages);
    const end = r.eSize;

    it('a 64-bit retval slot ending exactly at the end is written; one byte further is E_GATE_BOUNDS', () => {
      accepted(r, 'o_ret', end - 8, 5n);
      expect(new DataView(tail(r, 8).buffer).getBigUint64(0, true)).toBe(16n);
      refused(r, 'o_ret', [end - 7, 5n], 'E_GATE_BOUNDS');
    });

    it('a struct result ending exactly at the end is written; one byte further is refused', () => {
      accepted(r, 'o_make', end - PT_SIZE, 9);
      expect(u32(tail(r, PT_SIZE))).toBe(9);
      refused(r, 'o_make', [end - PT_SIZE + 1, 9], 'E_GATE_BOUNDS');
    });

    it("a standard OCALL emon serves writes its int result exactly at the end; one byte further is refused", () => {
      r.write(end - 4, new Uint8Array([9, 9, 9, 9]));
      accepted(r, 'sgx_thread_set_untrusted_event_ocall', end - 4, 0);
      expect([...tail(r, 4)]).toEqual([0, 0, 0, 0]);
      refused(r, 'sgx_thread_set_untrusted_event_ocall', [end - 3, 0], 'E_GATE_BOUNDS');
    });

    it('retval 0 discards the result', () => {
      accepted(r, 'o_ret', 0, 1n);
      accepted(r, 'o_make', 0, 1);
    });
  });

  describe(`OCALL edges, enclave ${mode}: deep-copied struct members`, async () => {
    const r = await ocallRig(pages);
    const end = r.eSize;
    const RP = r.free;
    const M = r.free + 1024;
    const msg = (len: number, data: number, tag = 1): Uint8Array => new Uint8Array(new Uint32Array([len, data, tag]).buffer);

    it('the struct ending exactly at the end is copied; one byte further is E_GATE_BOUNDS', () => {
      r.write(end - MSG_SIZE, msg(0, 0, 7));
      accepted(r, 'o_msg', RP, end - MSG_SIZE);
      expect(u32(tail(r, MSG_SIZE), 8)).toBe(21);
      refused(r, 'o_msg', [RP, end - MSG_SIZE + 1], 'E_GATE_BOUNDS');
    });

    it('a member buffer ending exactly at the end round-trips; one byte further is refused', () => {
      r.write(end - 40, new Uint8Array(40).fill(1));
      r.write(M, msg(40, end - 40));
      accepted(r, 'o_msg', RP, M);
      expect([...tail(r, 40)].every((b) => b === 2)).toBe(true);
      expect(u32(r.read(M, MSG_SIZE), 4), 'the struct keeps its own pointer').toBe(end - 40);
      r.write(M, msg(40, end - 39));
      refused(r, 'o_msg', [RP, M], 'E_GATE_BOUNDS');
      r.write(M, msg(41, end - 40));
      refused(r, 'o_msg', [RP, M], 'E_GATE_BOUNDS');
    });

    it('a NULL member with a length is E_GATE_NULL; NULL with length 0 passes', () => {
      r.write(M, msg(8, 0));
      refused(r, 'o_msg', [RP, M], 'E_GATE_NULL');
      r.write(M, msg(0, 0));
      accepted(r, 'o_msg', RP, M);
    });

    it('a member buffer sharing one byte with its own [in, out] struct is E_GATE_OVERLAP; adjacent passes', () => {
      r.write(M, msg(4, M + MSG_SIZE - 1));
      refused(r, 'o_msg', [RP, M], 'E_GATE_OVERLAP');
      r.write(M, msg(4, M + MSG_SIZE));
      accepted(r, 'o_msg', RP, M);
      r.write(M + 100, msg(4, M + 100 - 4));
      accepted(r, 'o_msg', RP, M + 100);
      r.write(M + 100, msg(4, M + 100 - 3));
      refused(r, 'o_msg', [RP, M + 100], 'E_GATE_OVERLAP');
    });
  });

  describe(`OCALL edges, enclave ${mode}: overlap of a written buffer with another`, async () => {
    const r = await ocallRig(pages);
    const A = r.free + 4096;

    it('[in] a and [out] b sharing one byte are E_GATE_OVERLAP, either way round; adjacent ones pass', () => {
      r.write(A, new Uint8Array(64).fill(4));
      refused(r, 'o_two', [A, A + 63, 64, 16], 'E_GATE_OVERLAP');
      refused(r, 'o_two', [A + 16, A + 1, 64, 16], 'E_GATE_OVERLAP');
      accepted(r, 'o_two', A, A + 64, 64, 16);
      expect([...r.read(A + 64, 16)].every((b) => b === 5)).toBe(true);
      accepted(r, 'o_two', A + 16, A, 64, 16);
    });

    it('two zero-length buffers at the same address do not overlap', () => {
      accepted(r, 'o_two', A, A, 0, 0);
    });

    it('[in] and [out] both ending exactly at the end, adjacent, pass; one byte of overlap there is refused', () => {
      const end = r.eSize;
      accepted(r, 'o_two', end - 32, end - 16, 16, 16);
      refused(r, 'o_two', [end - 31, end - 16, 16, 16], 'E_GATE_OVERLAP');
    });
  });
}
