/**
 * The guest's "teec" driver (runtime/enclave/teec.ts) with the per-session specialised null InvokeCommand
 * (SecureWorld#fastSession): the fast path must keep every rule of the general one. A closed session, a TA
 * that died in a fast call, a secure-world command, another session, and tracing each behave as GP says.
 */
import { describe, expect, it } from 'vitest';
import { teecExtension } from '../../../runtime/enclave/teec.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { uuidToStruct } from '../../../runtime/hw/tz/uuid.js';
import type { GuestHost } from '../../../runtime/monitor/extension.js';
import type { TraceEvent } from '../../../runtime/trace/sink.js';
import { CMD, HELLO, NormalWorld, taDir, tempDir } from './world.js';

const UUID_AT = 64, SESSION = 100, ORIGIN = 104;
type Fn = (...a: number[]) => number;

/** Runs `body` against a fresh guest's "teec" imports; the board is released even when an assertion fails. */
async function withDriver(trace: TraceEvent[] | null, body: (nw: NormalWorld, t: Record<string, Fn>) => void): Promise<void> {
  const { nw, t, host } = await driver(trace);
  try {
    body(nw, t);
  } finally {
    teecExtension.dispose?.(host);
  }
}

async function driver(trace: TraceEvent[] | null): Promise<{ nw: NormalWorld; t: Record<string, Fn>; host: GuestHost }> {
  const nw = new NormalWorld();
  const host: GuestHost = {
    name: 'fast-invoke',
    manifest: {},
    attachments: new Map(),
    options: { backend: 'tz', taDir, stateDir: tempDir() },
    trace: trace === null ? null : { record: (e) => void trace.push(e) },
    memory: () => nw.memory,
    exports: () => ({}),
    log: (m) => void nw.log.push(m),
    abort: (m) => {
      throw new Error(m);
    },
  };
  const t = (await teecExtension.imports(host)) as unknown as Record<string, Fn>;
  nw.u8().set(uuidToStruct(HELLO), UUID_AT);
  expect(t.initialize_context!(0, 0)).toBe(gp.TEE_SUCCESS);
  return { nw, t, host };
}

function open(nw: NormalWorld, t: Record<string, Fn>): number {
  expect(gp.resultName(t.open_session!(UUID_AT, gp.LOGIN_PUBLIC, 0, SESSION, ORIGIN) >>> 0)).toBe('TEE_SUCCESS');
  return nw.dv().getUint32(SESSION, true);
}

/** TEEC_InvokeCommand(session, COUNT) with one value output: how many commands the TA's session has seen. */
function count(nw: NormalWorld, t: Record<string, Fn>, s: number): number {
  expect(t.invoke_command!(s, CMD.COUNT, nw.op(gp.paramTypes(gp.PARAM_VALUE_OUTPUT), [null]), 0) >>> 0).toBe(gp.TEE_SUCCESS);
  return nw.param(0)[0];
}

describe('teec: the specialised null InvokeCommand', () => {
  it('reaches the TA on every call, writes origin TRUSTED_APP, and keeps two sessions apart', async () => {
    await withDriver(null, (nw, t) => {
    const a = open(nw, t);
    const b = open(nw, t);
    for (let i = 0; i < 5; i++) expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    nw.dv().setUint32(ORIGIN, 0, true);
    expect(t.invoke_command!(a, CMD.NULL, 0, ORIGIN)).toBe(gp.TEE_SUCCESS);
    expect(nw.dv().getUint32(ORIGIN, true)).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(t.invoke_command!(b, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    for (let i = 0; i < 3; i++) expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    expect(count(nw, t, a)).toBe(10);
    expect(count(nw, t, b)).toBe(2);
    });
  });

  it('a closed session is TEE_ERROR_BAD_PARAMETERS with origin API, even right after fast calls', async () => {
    await withDriver(null, (nw, t) => {
    const a = open(nw, t);
    for (let i = 0; i < 3; i++) expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    t.close_session!(a);
    expect(t.invoke_command!(a, CMD.NULL, 0, ORIGIN) >>> 0).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    expect(nw.dv().getUint32(ORIGIN, true)).toBe(gp.TEE_ORIGIN_API);
    });
  });

  it('a TA that traps in a fast call is TEE_ERROR_TARGET_DEAD (origin TEE); its session is gone and a new one works', async () => {
    await withDriver(null, (nw, t) => {
    const a = open(nw, t);
    expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    expect(t.invoke_command!(a, CMD.TRAP, 0, ORIGIN) >>> 0).toBe(gp.TEE_ERROR_TARGET_DEAD);
    expect(nw.dv().getUint32(ORIGIN, true)).toBe(gp.TEE_ORIGIN_TEE);
    expect(t.invoke_command!(a, CMD.NULL, 0, 0) >>> 0).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    const b = open(nw, t);
    expect(t.invoke_command!(b, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    expect(count(nw, t, b)).toBe(2);
    });
  });

  it('a secure-world command number stays refused on a hot session (TEE_ERROR_ACCESS_DENIED)', async () => {
    await withDriver(null, (nw, t) => {
    const a = open(nw, t);
    expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    expect(t.invoke_command!(a, 0x80000001 | 0, 0, ORIGIN) >>> 0).toBe(gp.TEE_ERROR_ACCESS_DENIED);
    expect(nw.dv().getUint32(ORIGIN, true)).toBe(gp.TEE_ORIGIN_TEE);
    });
  });

  it('with tracing on, every null call still records its ta_invoke event', async () => {
    const events: TraceEvent[] = [];
    await withDriver(events, (nw, t) => {
    const a = open(nw, t);
    for (let i = 0; i < 4; i++) expect(t.invoke_command!(a, CMD.NULL, 0, 0)).toBe(gp.TEE_SUCCESS);
    expect(events.filter((e) => e.kind === 'ta_invoke' && e.name === `cmd ${CMD.NULL}`)).toHaveLength(4);
    });
  });
});
