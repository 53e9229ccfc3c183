/**
 * The TEE Internal Core API services a TA calls, from AssemblyScript (enclaves/ta-hello, the TA SDK) and from C
 * (enclaves/ta-hello-c, GP's headers): TEE_GenerateRandom, TEE_GetSystemTime and TEE_GetREETime, ChaCha20-Poly1305
 * (emon's extension: TEE_AEEncrypt/DecryptChaCha20Poly1305 in AssemblyScript, TEE_AEChaCha20Poly1305 in C; the
 * secure world's cryp_aead syscall for C) against every 96-bit-nonce Wycheproof vector that fits the TA's shared
 * area (its first is RFC 8439 §2.8.2), TEE_MACCompareFinal against RFC 4231, and the DMSG/EMSG trace levels.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { hex, toHex, wycheproof } from '../../crypto/helpers.js';
import { CMD, HELLO, NormalWorld, secureWorld, taDir } from './world.js';

const T = gp.paramTypes;
const HELLO_C = 'c0ffee00-2450-11e4-abe2-0002a5d5c51b';
const cBuilt = existsSync(path.join(taDir, `${HELLO_C}.ta`));
const TEE_ERROR_MAC_INVALID = 0xffff3071;

/** Command numbers of the two hello TAs for the same service. */
interface Ta {
  readonly lang: string;
  readonly uuid: string;
  readonly random: number;
  readonly systemTime: number;
  readonly reeTime: number;
  readonly aead: number;
  readonly hmacCompare: number;
}
const TAS: Ta[] = [
  { lang: 'AssemblyScript', uuid: HELLO, random: CMD.RANDOM, systemTime: CMD.TIME, reeTime: 14, aead: 15, hmacCompare: 16 },
  ...(cBuilt ? [{ lang: 'C', uuid: HELLO_C, random: 6, systemTime: 7, reeTime: 8, aead: 4, hmacCompare: 5 }] : []),
];

function session(uuid: string, verbose = false) {
  const nw = new NormalWorld();
  const w = secureWorld(nw, { verbose });
  expect(w.openSession(uuid, 0, nw.u8(), nw.dv(), 0), w.lastError).toBe(gp.TEE_SUCCESS);
  const s = w.lastSession;
  return { nw, w, invoke: (cmd: number, op: number) => w.invoke(s, cmd, nw.u8(), nw.dv(), op) };
}

interface AeadVector {
  tcId: number;
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid';
}

describe.each(TAS)('TA services from $lang', (ta) => {
  it('TEE_GenerateRandom fills the output memref with fresh bytes', () => {
    const { nw, invoke } = session(ta.uuid);
    const draw = (at: number): string => {
      expect(invoke(ta.random, nw.op(T(gp.PARAM_MEMREF_OUTPUT), [{ buf: at, size: 64 }]))).toBe(gp.TEE_SUCCESS);
      return toHex(nw.u8().slice(at, at + 64));
    };
    const a = draw(4096);
    const b = draw(8192);
    expect(a).not.toBe(b);
    expect(a).not.toBe('00'.repeat(64));
  });

  it('TEE_GetSystemTime counts from the secure world boot and never goes back; TEE_GetREETime is the wall clock', () => {
    const { nw, invoke } = session(ta.uuid);
    const time = (cmd: number): number => {
      expect(invoke(cmd, nw.op(T(gp.PARAM_VALUE_OUTPUT), [{ value: [0, 0] }]))).toBe(gp.TEE_SUCCESS);
      const [s, ms] = nw.param(0);
      expect(ms).toBeLessThan(1000);
      return s * 1000 + ms;
    };
    const t1 = time(ta.systemTime);
    const t2 = time(ta.systemTime);
    expect(t2).toBeGreaterThanOrEqual(t1);
    expect(t1).toBeLessThan(Date.now() - 86_400_000); // since boot, not since the epoch
    const before = Math.floor(Date.now() / 1000) * 1000;
    const ree = time(ta.reeTime);
    expect(ree).toBeGreaterThanOrEqual(before);
    expect(ree).toBeLessThanOrEqual(Date.now());
    expect(invoke(ta.reeTime, nw.op(T(gp.PARAM_VALUE_INPUT), [{ value: [0, 0] }]))).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
  });

  it('ChaCha20-Poly1305 seals and opens the Wycheproof vectors (RFC 8439 §2.8.2 first) and refuses forged ones', () => {
    const { nw, invoke } = session(ta.uuid);
    const KNA = 4096, SRC = 6144, DST = 10240;
    const run = (encrypt: boolean, v: AeadVector, input: Uint8Array, room: number): { r: number; out: Uint8Array } => {
      const key = hex(v.key), iv = hex(v.iv), aad = hex(v.aad);
      nw.u8().set(key, KNA);
      nw.u8().set(iv, KNA + 32);
      nw.u8().set(aad, KNA + 44);
      nw.u8().set(input, SRC);
      const op = nw.op(T(gp.PARAM_VALUE_INPUT, gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [
        { value: [encrypt ? 1 : 0, aad.length] },
        { buf: KNA, size: 44 + aad.length },
        { buf: SRC, size: input.length },
        { buf: DST, size: room },
      ]);
      const r = invoke(ta.aead, op);
      return { r, out: nw.u8().slice(DST, DST + nw.param(3)[1]) };
    };
    const groups = wycheproof<{ ivSize: number; tests: AeadVector[] }>('chacha20_poly1305').testGroups;
    const vectors = groups.filter((g) => g.ivSize === 96).flatMap((g) => g.tests).filter((v) => v.msg.length / 2 + v.aad.length / 2 <= 2000);
    expect(vectors[0]!.tcId).toBe(1); // RFC 7539/8439 §2.8.2: "Ladies and Gentlemen of the class of '99..."
    let sealed = 0, opened = 0, refused = 0;
    for (const v of vectors) {
      const msg = hex(v.msg);
      const sealedBytes = hex(v.ct + v.tag);
      if (v.result === 'valid') {
        const e = run(true, v, msg, msg.length + 16);
        expect(e.r, `tcId ${v.tcId}`).toBe(gp.TEE_SUCCESS);
        expect(toHex(e.out), `tcId ${v.tcId}`).toBe(v.ct + v.tag);
        sealed++;
        const d = run(false, v, sealedBytes, msg.length);
        expect(d.r, `tcId ${v.tcId}`).toBe(gp.TEE_SUCCESS);
        expect(toHex(d.out), `tcId ${v.tcId}`).toBe(v.msg);
        opened++;
      } else {
        expect(run(false, v, sealedBytes, Math.max(0, sealedBytes.length - 16)).r, `tcId ${v.tcId}`).toBe(TEE_ERROR_MAC_INVALID);
        refused++;
      }
    }
    expect(sealed).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(20);
    expect(opened).toBe(sealed);
    // GP short buffer: the size needed comes back, nothing is written.
    const first = vectors[0]!;
    const short = run(true, first, hex(first.msg), 10);
    expect(short.r).toBe(gp.TEE_ERROR_SHORT_BUFFER);
    expect(nw.param(3)[1]).toBe(hex(first.msg).length + 16);
  });

  it('TEE_MACCompareFinal accepts the RFC 4231 HMAC-SHA256 and refuses a changed or truncated one', () => {
    const { nw, invoke } = session(ta.uuid);
    // RFC 4231 test case 2.
    nw.u8().set(new TextEncoder().encode('Jefe'), 4096);
    const data = new TextEncoder().encode('what do ya want for nothing?');
    nw.u8().set(data, 8192);
    const mac = hex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const check = (m: Uint8Array): number => {
      nw.u8().set(m, 12288);
      return invoke(ta.hmacCompare, nw.op(T(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_INPUT), [{ buf: 4096, size: 4 }, { buf: 8192, size: data.length }, { buf: 12288, size: m.length }]));
    };
    expect(check(mac)).toBe(gp.TEE_SUCCESS);
    const bad = mac.slice();
    bad[31]! ^= 1;
    expect(check(bad)).toBe(TEE_ERROR_MAC_INVALID);
    expect(check(mac.slice(0, 16))).toBe(TEE_ERROR_MAC_INVALID);
  });
});

describe('TA trace levels', () => {
  it('EMSG is always shown; DMSG only at the debug level (emon run -v)', () => {
    for (const verbose of [false, true]) {
      const { nw, invoke } = session(HELLO, verbose);
      expect(invoke(17, 0)).toBe(gp.TEE_SUCCESS);
      expect(nw.log).toContain('E/TA: an error line');
      expect(nw.log.includes('D/TA: a debug line')).toBe(verbose);
    }
  });

  it.skipIf(!cBuilt)('from C, DMSG in the entry points shows at the debug level with its printf formatting', () => {
    const quiet = session(HELLO_C, false);
    expect(quiet.nw.log.some((l) => l.startsWith('D/TA:'))).toBe(false);
    const loud = session(HELLO_C, true);
    expect(loud.nw.log).toContain('D/TA: has been called');
  });
});

describe('TA stack limits', () => {
  it.skipIf(!cBuilt)('a C TA gets TA_STACK_SIZE (2 KiB here) below its data: a deeper recursion traps and kills that instance, never its data', () => {
    const { nw, w, invoke } = session(HELLO_C);
    const deep = (n: number): number => invoke(9, nw.op(T(gp.PARAM_VALUE_INOUT), [{ value: [n, 0] }]));
    expect(deep(3)).toBe(gp.TEE_SUCCESS);
    // This TA's whole memory (one page) is its limit from the start, so its trap reports TEE_ERROR_OUT_OF_MEMORY,
    // as any TA that traps at its limit does (docs/trustzone.md).
    expect(deep(20)).toBe(gp.TEE_ERROR_OUT_OF_MEMORY); // about 5 KiB: past the stack, well inside the data
    expect(w.lastError).toMatch(/died in command 9: it trapped: memory access out of bounds/);
    // A new session loads a new instance; the secure world goes on.
    expect(w.openSession(HELLO_C, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    expect(w.invoke(w.lastSession, 0, nw.u8(), nw.dv(), nw.op(T(gp.PARAM_VALUE_INOUT), [{ value: [1, 0] }]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[0]).toBe(2);
  });

  it('an AssemblyScript TA recurses on Wasm`s own stack: past the engine`s limit the instance dies with TEE_ERROR_TARGET_DEAD', () => {
    const { nw, w, invoke } = session(HELLO);
    const deep = (n: number): number => invoke(18, nw.op(T(gp.PARAM_VALUE_INOUT), [{ value: [n, 0] }]));
    expect(deep(1000)).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0)[1]).toBe(500);
    expect(deep(50_000_000)).toBe(gp.TEE_ERROR_TARGET_DEAD);
    expect(w.lastError).toMatch(/died in command 18: it trapped/);
    expect(w.openSession(HELLO, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
  });
});
