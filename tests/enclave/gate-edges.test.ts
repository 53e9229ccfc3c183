/**
 * Fixed edge cases for every bounds and overlap check of the gate (issue 10, "tests that let bugs through"):
 * for each check, a call exactly at the edge succeeds and copies, one byte past it is refused with the check's
 * code and leaves the enclave untouched, two buffers sharing one byte are refused while adjacent ones pass, and
 * a zero length at the very end is allowed. Each pair differs by one byte, so an off-by-one in any check fails.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALL_CAP, EINVAL, OK, SLOT } from '../../runtime/enclave/abi.js';
import { FRAME, FREE, image, SCRATCH, signed, tempPlatform, TestGuest } from './harness.js';
import { openEnclave } from '../../runtime/enclave/host.js';

const platform = tempPlatform();
const img = image('gatetest', signed('gatetest').bytes);
const A = FREE;
const echo = (g: TestGuest) => (src: number, dst: number, len: number) => void g.u8().copyWithin(dst, src, src + len);
function guest(): TestGuest {
  const g: TestGuest = new TestGuest({ ocall_tick: () => 0, ocall_null: () => undefined, ocall_echo: (s: number, d: number, l: number) => echo(g)(s, d, l) });
  return g.open(img, platform);
}
const u32 = (r: { ret: bigint }): number => Number(r.ret & 0xffffffffn);

/** Refused without touching the enclave, with exactly `code`. */
function refused(g: TestGuest, fn: string, args: (number | bigint)[], code: string): void {
  const before = g.enclaveSnapshot();
  g.rejects.length = 0;
  expect(g.call(fn, args).status, `${fn}(${args.join(', ')})`).toBe(EINVAL);
  expect(g.rejects).toEqual([code]);
  expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
}

describe('gate edges: buffers against the end of guest memory', () => {
  it('[in] ending exactly at the end of memory is copied; one byte further is E_GATE_BOUNDS', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    g.u8().fill(3, end - 100, end);
    expect(u32(g.call('sum_in', [end - 100, 100]))).toBe(300);
    refused(g, 'sum_in', [end - 100, 101], 'E_GATE_BOUNDS');
    refused(g, 'sum_in', [end - 99, 100], 'E_GATE_BOUNDS');
  });

  it('[out] ending exactly at the end of memory is written back; one byte further is refused', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    expect(g.call('fill_out', [end - 64, 64, 9]).status).toBe(OK);
    expect([...g.u8().subarray(end - 64, end)].every((b) => b === 9)).toBe(true);
    refused(g, 'fill_out', [end - 63, 64, 9], 'E_GATE_BOUNDS');
  });

  it('a zero-length buffer at the very end of memory is allowed, one past the end too (nothing is copied)', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    expect(u32(g.call('sum_in', [end, 0]))).toBe(0);
    expect(g.call('fill_out', [end, 0, 1]).status).toBe(OK);
    expect(g.rejects).toEqual([]);
  });

  it('a string whose NUL is the last byte of memory is copied; without it, E_GATE_STRING', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    g.u8().fill(65, end - 10, end - 1);
    g.u8()[end - 1] = 0;
    expect(u32(g.call('str_len', [end - 10]))).toBe(9);
    g.u8()[end - 1] = 65;
    refused(g, 'str_len', [end - 10], 'E_GATE_STRING');
  });

  it('count= at the edge: n words ending at the end of memory pass, n+1 do not', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    new Uint32Array(g.memory.buffer, end - 40, 10).fill(2);
    expect(u32(g.call('sum_words', [end - 40, 10]))).toBe(20);
    refused(g, 'sum_words', [end - 40, 11], 'E_GATE_BOUNDS');
  });

  it('the frame: its last slot ending at the end of memory is read; one byte further is E_GATE_FRAME', () => {
    const g = guest();
    const end = g.memory.buffer.byteLength;
    // sum_in has two parameters: the frame is 3 slots.
    const at = end - 3 * SLOT;
    expect(g.prepare('sum_in', [0, 0], at)().status).toBe(OK);
    const before = g.enclaveSnapshot();
    expect(g.enc.ecalls[1]!(at + 1)).toBe(EINVAL);
    expect(g.rejects).toEqual(['E_GATE_FRAME']);
    expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
  });
});

describe('gate edges: overlap of a written buffer with another', () => {
  it('adjacent [in] and [out] pass; sharing exactly one byte is E_GATE_OVERLAP, in either order', () => {
    const g = guest();
    const src = A;
    const len = 32;
    g.put(src, new Uint8Array(len).map((_, i) => i + 1));
    expect(u32(g.call('copy_pair', [src, src + len, len]))).toBe(len);
    expect([...g.u8().subarray(src + len, src + 2 * len)]).toEqual([...g.u8().subarray(src, src + len)]);
    expect(u32(g.call('copy_pair', [src + len, src, len]))).toBe(len);
    refused(g, 'copy_pair', [src, src + len - 1, len], 'E_GATE_OVERLAP');
    refused(g, 'copy_pair', [src + len - 1, src, len], 'E_GATE_OVERLAP');
    refused(g, 'copy_pair', [src, src, len], 'E_GATE_OVERLAP');
  });

  it('zero-length buffers never overlap, even at the same address', () => {
    const g = guest();
    expect(g.call('copy_pair', [A, A, 0]).status).toBe(OK);
    expect(g.rejects).toEqual([]);
  });
});

describe('gate edges: the per-call cap and the marshalling area', () => {
  it(`a buffer of exactly the cap (${DEFAULT_CALL_CAP} bytes) passes the per-buffer check; one more byte fails it`, () => {
    // Both end as E_GATE_CAP (a cap-sized buffer does not fit gatetest's marshalling area), but at different
    // checks: the message names the buffer for the per-buffer cap and "all buffers" for the area.
    const g = guest();
    g.memory.grow(32);
    g.log.length = 0;
    refused(g, 'sum_in', [A, DEFAULT_CALL_CAP], 'E_GATE_CAP');
    expect(g.log.at(-1)).toMatch(new RegExp(`refused: all buffers: ${DEFAULT_CALL_CAP} bytes`));
    refused(g, 'sum_in', [A, DEFAULT_CALL_CAP + 1], 'E_GATE_CAP');
    expect(g.log.at(-1)).toMatch(new RegExp(`refused: buf: ${DEFAULT_CALL_CAP + 1} bytes`));
  });

  it('buffers filling the marshalling area to its last byte pass; one byte more is E_GATE_CAP', () => {
    const g = guest();
    g.memory.grow(16);
    const ms = Number((g.enc.exports['__emon_ms_size'] as () => number)()) >>> 0;
    // copy_pair places [in] then [out], each rounded up to 8 bytes: two halves of the area fill it exactly.
    const half = ms / 2;
    expect(ms % 16).toBe(0);
    expect(u32(g.call('copy_pair', [A, A + half, half]))).toBe(half);
    refused(g, 'copy_pair', [A, A + half + 8, half + 1], 'E_GATE_CAP');
  });
});

describe('gate edges: OCALL buffers against the guest scratch', () => {
  /** A gatetest instance whose OCALL scratch is `len` bytes. */
  function withScratch(len: number): TestGuest {
    const g = new TestGuest({ ocall_tick: () => 0, ocall_null: () => undefined });
    g.handlers['ocall_echo'] = (s: number, d: number, l: number) => void g.u8().copyWithin(d, s, s + l);
    g.enc = openEnclave(img, {
      guest: 'test', platform, guestMemory: () => g.memory, guestExports: () => g.handlers as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len }, trace: null, spinEcall: null, spinOcall: null, onLost: () => undefined,
      onReject: (e) => g.rejects.push(e.code),
    });
    return g;
  }

  it('an echo whose [in] and [out] fill the scratch exactly works; one byte less scratch is EINVAL to the enclave', () => {
    // echo_via_guest(n) makes one OCALL with n bytes [in] and n bytes [out], each rounded up to 8.
    expect(u32(withScratch(2 * 4096).call('echo_via_guest', [4096])) | 0).toBe(4096);
    const g = withScratch(2 * 4096 - 1);
    expect(u32(g.call('echo_via_guest', [4096])) | 0).toBe(-1000 - EINVAL);
    expect(g.rejects).toEqual(['E_GATE_CAP']);
  });

  it('a zero-length echo needs no scratch at all', () => {
    expect(u32(withScratch(0).call('echo_via_guest', [0])) | 0).toBe(0);
  });
});

void FRAME;
