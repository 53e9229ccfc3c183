/**
 * An EDL enclave on --backend=tz is a real TA of the secure world (runtime/hw/tz/edl-ta.ts): each open is an
 * OpenSession on a fresh instance in the carve-out, each ECALL an InvokeCommand of that session (command id = the
 * ECALL number, recorded as a `ta_invoke` event with its session and GP result), a trap kills the TA (its session
 * ends, its carve-out pages come back, other sessions keep running), closing is CloseSession, and a GP client can
 * reach the same command with TEEC_InvokeCommand and one VALUE_INPUT holding the frame address.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EINVAL, ELOST, ENOTALLOWED, OK } from '../../../runtime/enclave/abi.js';
import { openEnclave } from '../../../runtime/enclave/host.js';
import { tzBackend } from '../../../runtime/hw/tz/backend.js';
import { attachBoard } from '../../../runtime/hw/tz/board.js';
import { BRIDGE_EINVAL, BRIDGE_ELOST, BRIDGE_ENOTALLOWED, BRIDGE_OK, bridgeResult, ecallStatus, edlTaImage } from '../../../runtime/hw/tz/edl-ta.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { hwTrace } from '../../../runtime/enclave/backends.js';
import { MemoryTraceSink } from '../../../runtime/trace/sink.js';
import { isEmonError } from '../../../runtime/errors.js';
import { FRAME, image, SCRATCH, SCRATCH_LEN, signed, tempPlatform, TestGuest } from '../../enclave/harness.js';

// This test's board, with a 4 MiB carve-out (attached before the harness's); attachBoard gives the same
// (per-thread) secure world. The guests' trace is the monitor's: the sink renamed for TZ by hwTrace.
const detach = tzBackend.attachGuest({ name: 'edl', manifest: {}, attachments: new Map(), options: { secureMem: '4M' }, trace: null, log: () => undefined });
const board = attachBoard({ name: 'edl', manifest: {}, attachments: new Map(), options: {}, trace: null, log: () => undefined });
const world = board.world;
afterAll(() => {
  board.release();
  detach();
});
const memory = new MemoryTraceSink();
const trace = hwTrace(tzBackend, memory);
const events = memory.events;

const platform = tempPlatform('tz');
const img = image('gatetest', signed('gatetest', { heapPages: 16 }).bytes, 'tz');
const noOcalls = { ocall_tick: (d: number) => d, ocall_null: () => undefined, ocall_echo: () => undefined };
const guest = (): TestGuest => new TestGuest(noOcalls).open(img, platform, trace);
const ECALL = Object.fromEntries(img.iface.trusted.map((f) => [f.name, f.index]));

describe('an EDL enclave run as a TA', () => {
  it('restates the ECALL statuses of runtime/enclave/abi.ts and maps them to GP results and back', () => {
    expect([BRIDGE_OK, BRIDGE_EINVAL, BRIDGE_ENOTALLOWED, BRIDGE_ELOST]).toEqual([OK, EINVAL, ENOTALLOWED, ELOST]);
    expect([OK, EINVAL, ENOTALLOWED, ELOST].map(bridgeResult)).toEqual([gp.TEE_SUCCESS, gp.TEE_ERROR_BAD_PARAMETERS, gp.TEE_ERROR_ACCESS_DENIED, gp.TEE_ERROR_TARGET_DEAD]);
    expect([OK, EINVAL, ENOTALLOWED, ELOST].map((s) => ecallStatus(bridgeResult(s)))).toEqual([OK, EINVAL, ENOTALLOWED, ELOST]);
    expect(ecallStatus(gp.TEE_ERROR_OUT_OF_MEMORY)).toBe(ELOST);
  });

  it('has TA properties from its signed image: a UUID from MRENCLAVE, a multi-instance TA, TA_DATA_SIZE the signed heap', () => {
    const ta = edlTaImage(img.enclave);
    expect(ta.props.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ta.props.flags & (gp.TA_FLAG_SINGLE_INSTANCE | gp.TA_FLAG_MULTI_SESSION)).toBe(0);
    expect(ta.props.dataSize).toBe(16 * 65536);
    expect(ta.memoryPages).toBe(16);
    expect(edlTaImage(img.enclave)).toBe(ta);
  });

  it('each open is an OpenSession in the carve-out, each ECALL an InvokeCommand of it, close is CloseSession', () => {
    events.length = 0;
    const sessions0 = world.openSessions;
    const used0 = world.o.carveout.usedBytes;
    const a = guest();
    const b = guest();
    expect(world.openSessions).toBe(sessions0 + 2);
    expect(world.o.carveout.usedBytes - used0).toBe(2 * 16 * 65536);
    const opens = events.filter((e) => e.kind === 'smc' && e.name === 'open_session');
    expect(opens.length).toBe(2);
    const [sa, sb] = opens.map((e) => e.args!['session'] as number);
    expect(sa).not.toBe(sb);
    expect(a.call('ping', []).status).toBe(OK);
    a.put(FRAME + 512, new Uint8Array([1, 2, 3]));
    expect(Number(a.call('sum_in', [FRAME + 512, 3]).ret & 0xffffffffn)).toBe(6);
    expect(b.call('ping', []).status).toBe(OK);
    const invokes = events.filter((e) => e.kind === 'ta_invoke');
    // The gate's own ECALL events are folded into the secure world's: one event per command, with the bytes copied.
    expect(events.some((e) => e.kind === 'ecall')).toBe(false);
    expect(invokes[1]!.bytes).toBe(8);
    expect(invokes.map((e) => [e.name, e.args!['session'], e.args!['cmd'], e.args!['result']])).toEqual([
      ['ping', sa, ECALL['ping'], 'TEE_SUCCESS'],
      ['sum_in', sa, ECALL['sum_in'], 'TEE_SUCCESS'],
      ['ping', sb, ECALL['ping'], 'TEE_SUCCESS'],
    ]);
    a.enc.close();
    b.enc.close();
    expect(world.openSessions).toBe(sessions0);
    expect(world.o.carveout.usedBytes).toBe(used0);
    expect(events.filter((e) => e.kind === 'smc' && e.name === 'close_session').length).toBe(2);
  });

  it('a refused ECALL is a TA answer (TEE_ERROR_BAD_PARAMETERS) and the session stays; a trap kills the TA alone', () => {
    events.length = 0;
    const used0 = world.o.carveout.usedBytes;
    const a = guest();
    const b = guest();
    try {
    expect(a.call('sum_in', [0xfffffff0, 64]).status).toBe(EINVAL);
    expect(events.at(-1)!.args!['result']).toBe('TEE_ERROR_BAD_PARAMETERS');
    expect(a.call('ping', []).status).toBe(OK);
    expect(a.call('crash', []).status).toBe(ELOST);
    expect(events.at(-1)!.args!['result']).toBe('TEE_ERROR_TARGET_DEAD');
    expect(world.lastError).toMatch(/died in command \d+ \(crash\)/);
    // Dead: its session is gone and its pages are back, before the host closes it.
    expect(world.o.carveout.usedBytes - used0).toBe(16 * 65536);
    expect(a.call('ping', []).status).toBe(ELOST);
    expect(b.call('ping', []).status).toBe(OK);
    } finally {
      a.enc.close();
      b.enc.close();
    }
    expect(world.o.carveout.usedBytes).toBe(used0);
  });

  it('past the carve-out, enclave_open fails with TEE_ERROR_OUT_OF_MEMORY (E_TZ_OOM) and the open ones keep running', () => {
    const big = image('gatetest', signed('gatetest', { heapPages: 40 }).bytes, 'tz');
    const open = (): TestGuest => new TestGuest(noOcalls).open(big, platform);
    const first = open(); // 40 of the 64 pages of the 4 MiB carve-out
    let err: unknown;
    try {
      open();
    } catch (e) {
      err = e;
    }
    expect(isEmonError(err, 'E_TZ_OOM')).toBe(true);
    expect((err as Error).message).toMatch(/TEE_ERROR_OUT_OF_MEMORY: .* needs 2560 KiB of secure memory/);
    expect(first.call('ping', []).status).toBe(OK);
    first.enc.close();
    open().enc.close();
  });

  it('a GP client reaches the same command with TEEC_InvokeCommand and the frame address as a VALUE_INPUT', () => {
    events.length = 0;
    const a = guest();
    const session = events.find((e) => e.name === 'open_session')!.args!['session'] as number;
    const g = a.u8();
    const dv = new DataView(a.memory.buffer);
    const OP = SCRATCH + SCRATCH_LEN + 4096;
    const FR = OP + 256;
    g.set(new Uint8Array([5, 6, 7]), FR + 512);
    dv.setUint32(FR + 8, FR + 512, true); // sum_in(buf, len)
    dv.setUint32(FR + 16, 3, true);
    g.fill(0, OP, OP + 60);
    dv.setUint32(OP + 4, gp.paramTypes(gp.PARAM_VALUE_INPUT), true);
    dv.setUint32(OP + 8, FR, true);
    expect(world.invoke(session, ECALL['sum_in']!, g, dv, OP)).toBe(gp.TEE_SUCCESS);
    expect(dv.getUint32(FR, true)).toBe(18);
    // Another parameter layout, or an ECALL number the EDL lacks, is the TA's refusal.
    dv.setUint32(OP + 4, gp.paramTypes(gp.PARAM_VALUE_INOUT), true);
    expect(world.invoke(session, ECALL['sum_in']!, g, dv, OP)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(world.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    dv.setUint32(OP + 4, gp.paramTypes(gp.PARAM_VALUE_INPUT), true);
    expect(world.invoke(session, 999, g, dv, OP)).toBe(gp.TEE_ERROR_NOT_SUPPORTED);
    expect(world.invoke(session, ECALL['ping']!, g, dv, 0)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    a.enc.close();
    expect(world.invoke(session, ECALL['ping']!, g, dv, OP)).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(world.lastError).toMatch(/no open session/);
  });

  it('fast-check: any operation a GP client sends an EDL session is a GP answer, never a throw, and the session lives on', () => {
    const a = guest();
    const session = world.lastSession;
    const g = a.u8();
    const dv = new DataView(a.memory.buffer);
    const OP = SCRATCH + SCRATCH_LEN + 4096;
    const answers = new Set([gp.TEE_SUCCESS, gp.TEE_ERROR_BAD_PARAMETERS, gp.TEE_ERROR_NOT_SUPPORTED, gp.TEE_ERROR_ACCESS_DENIED]);
    const word = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.constant(FRAME));
    try {
      fc.assert(
        fc.property(
          fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 0x7fffffff })),
          fc.oneof(fc.constant(gp.paramTypes(gp.PARAM_VALUE_INPUT)), fc.integer({ min: 0, max: 0xffff })),
          fc.oneof(fc.constant(OP), fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
          word,
          word,
          (cmd, types, op, a0, b0) => {
            g.fill(0, OP, OP + 60);
            dv.setUint32(OP + 4, types, true);
            dv.setUint32(OP + 8, a0, true);
            dv.setUint32(OP + 12, b0, true);
            // Every ECALL but `crash` (a trap kills the TA, tested above); the frames' contents are whatever is there.
            const r = world.invoke(session, cmd === ECALL['crash'] ? cmd + 1 : cmd, g, dv, op);
            expect(answers.has(r), `0x${r.toString(16)}: ${world.lastError}`).toBe(true);
          },
        ),
        { numRuns: 300 },
      );
      expect(a.call('ping', []).status).toBe(OK);
    } finally {
      a.enc.close();
    }
  });

  it('an ECALL nested in an OCALL is a nested InvokeCommand of the same session', () => {
    events.length = 0;
    let g!: TestGuest;
    g = new TestGuest({ ...noOcalls, ocall_tick: (d: number) => (d > 0 ? Number(g.call('reentered', [d], FRAME + 256).ret) : 0) });
    g.enc = openEnclave(img, {
      guest: 'test',
      platform,
      guestMemory: () => g.memory,
      guestExports: () => g.handlers as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH_LEN },
      trace,
      spinEcall: null,
      spinOcall: null,
      onLost: () => undefined,
    });
    expect(g.call('call_out', [2]).status).toBe(OK);
    const names = events.filter((e) => e.kind === 'ta_invoke').map((e) => e.name);
    expect(names).toContain('reentered');
    expect(names.at(-1)).toBe('call_out');
    g.enc.close();
  });
});
