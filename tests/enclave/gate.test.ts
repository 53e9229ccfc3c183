/**
 * The gate (issue 5 point 2-3) through the gatetest enclave: every EDL attribute kind copies what it should,
 * every bad pointer/length/overlap/cap/string is EINVAL with the enclave's memory unchanged, OCALLs carry
 * buffers both ways, re-entry follows allow(), a trapping enclave is lost, and tracing records transitions.
 */
import { describe, expect, it } from 'vitest';
import { EINVAL, ELOST, ENOTALLOWED, OK } from '../../runtime/enclave/abi.js';
import { MemoryTraceSink } from '../../runtime/trace/sink.js';
import { openEnclave } from '../../runtime/enclave/host.js';
import { FRAME, FREE, image, isPagedEpc, SCRATCH, SCRATCH_LEN, signed, tempPlatform, TestGuest } from './harness.js';
import wabtInit from 'wabt';
import { DEFAULT_CONFIG, signEnclave } from '../../runtime/enclave/signing.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';

const platform = tempPlatform();
const img = image('gatetest', signed('gatetest').bytes);
const A = FREE;
const B = FREE + 65536;

const noOcalls = { ocall_tick: () => 0, ocall_null: () => undefined, ocall_echo: () => undefined };
function guest(handlers: Record<string, Function> = {}): TestGuest {
  return new TestGuest({ ...noOcalls, ...handlers }).open(img, platform);
}
const u32 = (r: { ret: bigint }): number => Number(r.ret & 0xffffffffn);

describe('gate: attributes', () => {
  it('[in] copies the buffer in', () => {
    const g = guest();
    g.put(A, new Uint8Array([1, 2, 3, 250]));
    expect(u32(g.call('sum_in', [A, 4]))).toBe(256);
  });

  it('[out] is zeroed before the enclave runs and copied back', () => {
    const g = guest();
    g.u8().fill(9, A, A + 100);
    const r = g.call('fill_out', [A, 50, 7]);
    expect(r.status).toBe(OK);
    expect([...g.u8().subarray(A, A + 50)].every((b) => b === 7)).toBe(true);
    expect(g.u8()[A + 50]).toBe(9);
  });

  it('[in, out] goes both ways', () => {
    const g = guest();
    g.put(A, new Uint8Array([0, 1, 254]));
    expect(u32(g.call('bump_inout', [A, 3]))).toBe(3);
    expect([...g.u8().subarray(A, A + 3)]).toEqual([1, 2, 255]);
  });

  it('[in, string] copies up to and including the NUL', () => {
    const g = guest();
    g.put(A, new TextEncoder().encode('hello\0world'));
    expect(u32(g.call('str_len', [A]))).toBe(5);
  });

  it('scalars of every width arrive exactly', () => {
    const g = guest();
    const r = g.call('scalars', [-3, 65535, 123456789012n, 2.5, 1.25]);
    expect(r.ret).toBe(-3n * 1000000n + 65535n * 1000n + 123456789012n + 25n + 125n);
  });

  it('count= multiplies by the element size', () => {
    const g = guest();
    const dv = new DataView(g.memory.buffer);
    for (let i = 0; i < 10; i++) dv.setUint32(A + 4 * i, 1000 + i, true);
    expect(u32(g.call('sum_words', [A, 10]))).toBe(10045);
  });

  it('user_check pointers reach the enclave as guest addresses it reads through hw', () => {
    const g = guest();
    g.put(A, new Uint8Array([5, 6, 7]));
    expect(u32(g.call('read_user', [A, 3]))).toBe(18);
    expect(u32(g.call('read_user', [g.memory.buffer.byteLength - 1, 2])) | 0).toBe(-2);
  });

  it('NULL passes as NULL only for an empty buffer', () => {
    const g = guest();
    expect(g.call('sum_in', [0, 0]).status).toBe(OK);
    expect(g.call('sum_in', [0, 16]).status).toBe(EINVAL);
    expect(g.rejects).toEqual(['E_GATE_NULL']);
  });
});

describe('gate: rejections leave the enclave untouched', () => {
  const size = () => new TestGuest().memory.buffer.byteLength;
  const cases: Array<[string, string, Array<number | bigint>, string]> = [
    ['out of bounds', 'sum_in', [size() - 10, 11], 'E_GATE_BOUNDS'],
    ['wrapping length', 'sum_in', [16, 0xffffffff], 'E_GATE_CAP'],
    ['over the per-call cap', 'sum_in', [0x100, (1 << 20) + 1], 'E_GATE_CAP'],
    ['overlapping in/out', 'copy_pair', [A, A + 8, 16], 'E_GATE_OVERLAP'],
    ['overlapping out/in (destination first)', 'copy_pair', [A + 8, A, 16], 'E_GATE_OVERLAP'],
    ['unterminated string', 'str_len', [size() - 4], 'E_GATE_STRING'],
    ['count overflow', 'sum_words', [A, 0x40000001], 'E_GATE_CAP'],
    ['NULL with a length', 'sum_in', [0, 16], 'E_GATE_NULL'],
    ['two buffers that together exceed the marshalling area', 'copy_pair', [A, A + 200000, 200000], 'E_GATE_CAP'],
  ];
  for (const [what, fn, args, code] of cases) {
    it(`${what} (${code})`, () => {
      const g = guest();
      if (code === 'E_GATE_CAP' && fn === 'copy_pair') g.memory.grow(8); // both buffers inside the guest
      g.u8().fill(1, size() - 4, size());
      g.call('secret_sum', []);
      const before = g.enclaveSnapshot();
      expect(g.call(fn, args).status).toBe(EINVAL);
      expect(g.rejects).toEqual([code]);
      expect(g.log[0]).toMatch(new RegExp(`^test/gatetest: ${fn} refused: `));
      expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
    });
  }

  it('a frame outside guest memory', () => {
    const g = guest();
    const before = g.enclaveSnapshot();
    expect(g.enc.ecalls[1]!(g.memory.buffer.byteLength - 8)).toBe(EINVAL);
    expect(g.enc.ecalls[1]!(-8)).toBe(EINVAL);
    expect(g.rejects).toEqual(['E_GATE_FRAME', 'E_GATE_FRAME']);
    expect(Buffer.compare(g.enclaveSnapshot(), before)).toBe(0);
  });

  it('a private ECALL from the root is not allowed', () => {
    expect(guest().call('reentered', [1]).status).toBe(ENOTALLOWED);
  });
});

describe('gate: OCALLs and re-entry', () => {
  it('an OCALL runs the guest handler, which may re-enter only what allow() lists', () => {
    const events: string[] = [];
    const g: TestGuest = guest({
      ocall_tick: (depth: number) => {
        events.push(`tick ${depth}`);
        const r = g.call('reentered', [depth + 20], FRAME + 256);
        events.push(`reentered ${r.status} ${u32(r)}`);
        const p = g.call('ping', [], FRAME + 512);
        events.push(`ping ${p.status}`);
        return u32(r) + 1;
      },
    });
    const r = g.call('call_out', [1]);
    expect(r.status).toBe(OK);
    expect(u32(r)).toBe(43);
    expect(events).toEqual(['tick 1', `reentered ${OK} 42`, `ping ${ENOTALLOWED}`]);
  });

  it('nested OCALL → ECALL → OCALL keeps each level in order', () => {
    const events: string[] = [];
    const g: TestGuest = guest({
      ocall_tick: (depth: number) => {
        events.push(`enter ${depth}`);
        const r = g.call('reentered', [depth], FRAME + 128 * depth);
        events.push(`leave ${depth} ${u32(r)}`);
        return depth;
      },
    });
    // reentered makes no OCALL; drive depth through repeated root calls and one nested call each
    for (let d = 1; d <= 3; d++) expect(u32(g.call('call_out', [d]))).toBe(d);
    expect(events).toEqual(['enter 1', 'leave 1 2', 'enter 2', 'leave 2 4', 'enter 3', 'leave 3 6']);
  });

  it('OCALL buffers cross both ways through the guest scratch', () => {
    const g = guest({
      ocall_echo: (src: number, dst: number, len: number) => {
        g.u8().copyWithin(dst, src, src + len);
      },
    });
    for (const len of [0, 1, 63, 64, 65, 4096, 16384]) expect(u32(g.call('echo_via_guest', [len])) | 0).toBe(len);
  });

  it('a guest that leaves [out] untouched gives the enclave zeros, and many null OCALLs run in order', () => {
    let n = 0;
    const g = guest({ ocall_echo: () => undefined, ocall_null: () => void n++ });
    expect(u32(g.call('echo_via_guest', [8])) | 0).toBe(-2);
    expect(u32(g.call('null_ocalls', [1000]))).toBe(0);
    expect(n).toBe(1000);
  });

  it('a trapping enclave is lost for good; a faulting guest handler propagates', () => {
    const g = guest();
    expect(g.call('crash', []).status).toBe(ELOST);
    expect(g.call('ping', []).status).toBe(ELOST);
    expect(g.log.some((l) => l.startsWith('lost: it trapped in crash'))).toBe(true);
    const h = guest({ ocall_tick: () => { throw new Error('guest fault'); } });
    expect(() => h.call('call_out', [1])).toThrow('guest fault');
    expect(h.call('ping', []).status).toBe(ELOST);
  });

  it('tracing records each ECALL and OCALL with the bytes copied', () => {
    const trace = new MemoryTraceSink();
    const g = new TestGuest(noOcalls).open(img, platform, trace);
    g.put(A, new Uint8Array(100));
    g.call('sum_in', [A, 100]);
    g.call('echo_via_guest', [10]);
    // The gate's own events; on --backend=tz the secure world adds its TA commands and sessions (ta_invoke, smc),
    // which tests/hw/tz/edl-ta.test.ts checks.
    const gateEvents = trace.events.filter((e) => e.kind !== 'ta_invoke' && e.kind !== 'smc');
    expect(gateEvents.map((e) => [e.kind, e.name, e.track, e.bytes])).toEqual([
      ['ecall', 'sum_in', 'test/gatetest', 104],
      ['ocall', 'ocall_echo', 'test/gatetest', 32],
      ['ecall', 'echo_via_guest', 'test/gatetest', 0],
    ]);
  });
});

describe('gate: cost emulation and limits', () => {
  it('spins once per ECALL and once per OCALL when --emulate-cost is on', () => {
    let ecalls = 0;
    let ocalls = 0;
    const g = new TestGuest(noOcalls);
    g.enc = openEnclave(img, {
      guest: 'test', platform, guestMemory: () => g.memory, guestExports: () => g.handlers as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH_LEN }, trace: null, spinEcall: () => void ecalls++, spinOcall: () => void ocalls++, onLost: () => undefined,
    });
    g.call('ping', []);
    g.call('null_ocalls', [5]);
    expect([ecalls, ocalls]).toEqual([2, 5]);
  });

  it('an OCALL whose buffers do not fit the guest scratch fails with EINVAL inside the enclave, guest untouched', () => {
    let called = 0;
    const g = new TestGuest({ ...noOcalls, ocall_echo: () => void called++ });
    g.enc = openEnclave(img, {
      guest: 'test', platform, guestMemory: () => g.memory, guestExports: () => g.handlers as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: 64 }, trace: null, spinEcall: null, spinOcall: null, onLost: () => undefined,
      onReject: (e) => g.rejects.push(e.code),
    });
    const before = g.u8().slice(SCRATCH, SCRATCH + 4096);
    expect(u32(g.call('echo_via_guest', [100])) | 0).toBe(-1000 - EINVAL);
    expect(called).toBe(0);
    expect(g.rejects).toEqual(['E_GATE_CAP']);
    expect(Buffer.compare(g.u8().slice(SCRATCH, SCRATCH + 4096), before)).toBe(0);
    expect(u32(g.call('echo_via_guest', [24])) | 0).toBe(-2); // fits (2 x 24 bytes): the handler ran, copied nothing back
    expect(called).toBe(1);
  });

  it('an enclave whose memory exceeds its signed heap size is lost', () => {
    const bytes = signed('gatetest', { heapPages: 1 }).bytes;
    // Paged, the same heap is refused when the image is compiled: paging needs room within the signed heap.
    if (isPagedEpc()) return void expect(() => image('gatetest', bytes)).toThrow(/a heap of 65536 bytes leaves no room for paging/);
    const g = new TestGuest(noOcalls).open(image('gatetest', bytes), platform);
    expect(g.call('ping', []).status).toBe(ELOST);
  });
});

describe('gate: memory growth', () => {
  it('views follow a guest memory that grew during an OCALL', () => {
    const g = guest({
      ocall_echo: (src: number, dst: number, len: number) => {
        g.memory.grow(2);
        g.u8().copyWithin(dst, src, src + len);
      },
    });
    expect(u32(g.call('echo_via_guest', [100]))).toBe(100);
    g.put(B, new Uint8Array([1, 1]));
    expect(u32(g.call('sum_in', [B, 2]))).toBe(2);
  });
});

describe('gate: an enclave lost in a nested ECALL', () => {
  // outer makes an OCALL whose guest handler re-enters inner, which traps; outer then goes on, makes a second
  // OCALL and writes its [out] buffer. The enclave is lost at the trap, so nothing it does afterwards may reach
  // the guest: no second OCALL, no [out] copy, no OK.
  const EDL = `enclave {
    trusted { public int outer([out, size=4] uint8_t* o); int inner(void); };
    untrusted { int ocall_x(void) allow(inner); };
  };`;
  const WAT = `(module
    (import "emon_ocall" "ocall_x" (func $ox (param i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "__emon_ms") (result i32) (i32.const 4096))
    (func (export "__emon_ms_size") (result i32) (i32.const 4096))
    (func (export "outer") (param i32) (result i32)
      (drop (call $ox (i32.const 0)))
      (drop (call $ox (i32.const 0)))
      (i32.store (local.get 0) (i32.const 0x5ec4e7))
      (i32.const 7))
    (func (export "inner") (result i32) unreachable))`;

  it('the outer ECALL returns ELOST and copies nothing out; its later OCALL never reaches the guest', async () => {
    const wabt = await wabtInit();
    const mod = wabt.parseWat('nested.wat', WAT);
    const wasm = new Uint8Array(mod.toBinary({}).buffer);
    mod.destroy();
    const bytes = signEnclave(wasm, 'nested.wasm', generateSignerKey().secretKey, DEFAULT_CONFIG, EDL).signed;
    const inner: number[] = [];
    const g: TestGuest = new TestGuest({
      ocall_x: () => {
        inner.push(g.call('inner', [], FRAME + 256).status);
        return 0;
      },
    }).open(image('nested', bytes), platform);
    const r = g.call('outer', [A]);
    expect(inner).toEqual([ELOST]);
    expect(r.status).toBe(ELOST);
    expect(new DataView(g.memory.buffer).getUint32(A, true)).toBe(0);
    expect(g.call('outer', [A]).status).toBe(ELOST);
  });
});
