/**
 * fast-check (issue 10): random sequences of ECALLs and OCALLs with buffers of random direction and size, run
 * on the gatetest enclave paged through a random EPC budget (or resident), must give exactly what a reference
 * model of the enclave computes; and random open/close/call sequences through the guest's "emon" imports keep
 * the enclave count, the EPC's pages and the process's memory bounded. Seeded by FC_SEED (tests/setup).
 */
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EINVAL, OK } from '../../../runtime/enclave/abi.js';
import { enclaveExtension, MAX_OPEN } from '../../../runtime/enclave/extension.js';
import { Epc } from '../../../runtime/hw/epc/index.js';
import { installSgxEpc, platformEpc } from '../../../runtime/hw/epc/sgx-link.js';
import { generateSignerKey } from '../../../runtime/hw/sgx/sigstruct.js';
import type { GuestHost } from '../../../runtime/monitor/extension.js';
import { buildDir } from '../../../runtime/paths.js';
import { FREE, image, signed, tempPlatform, TestGuest } from '../../enclave/harness.js';

const key = generateSignerKey().secretKey;
const platform = tempPlatform();
const bytes = signed('gatetest', { heapPages: 16 }, key).bytes;
const A = FREE;
const B = FREE + 32768;
const REFRAME = FREE + 65536;

let uninstall: (() => void) | null = null;
afterEach(() => {
  uninstall?.();
  uninstall = null;
});

type Op =
  | { kind: 'sum_in'; data: Uint8Array }
  | { kind: 'fill_out'; len: number; v: number }
  | { kind: 'bump_inout'; data: Uint8Array }
  | { kind: 'copy_pair'; data: Uint8Array }
  | { kind: 'str_len'; n: number }
  | { kind: 'echo'; len: number }
  | { kind: 'call_out'; depth: number }
  | { kind: 'sum_words'; words: number[] };

const bytesOf = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
const op: fc.Arbitrary<Op> = fc.oneof(
  bytesOf(20000).map((data) => ({ kind: 'sum_in' as const, data })),
  fc.record({ len: fc.integer({ min: 0, max: 20000 }), v: fc.integer({ min: 0, max: 255 }) }).map((r) => ({ kind: 'fill_out' as const, ...r })),
  bytesOf(12000).map((data) => ({ kind: 'bump_inout' as const, data })),
  bytesOf(16000).map((data) => ({ kind: 'copy_pair' as const, data })),
  fc.integer({ min: 0, max: 6000 }).map((n) => ({ kind: 'str_len' as const, n })),
  fc.integer({ min: 0, max: 16384 }).map((len) => ({ kind: 'echo' as const, len })),
  fc.integer({ min: 0, max: 4 }).map((depth) => ({ kind: 'call_out' as const, depth })),
  fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3000 }).map((words) => ({ kind: 'sum_words' as const, words })),
);

/** What the enclave and gate must do, computed without them: [status, i32 result, guest bytes written]. */
function model(o: Op): [number, number, number[] | null] {
  switch (o.kind) {
    case 'sum_in':
      return [OK, o.data.reduce((s, b) => (s + b) >>> 0, 0) | 0, null];
    case 'fill_out':
      return [OK, 0, new Array<number>(o.len).fill(o.v)];
    case 'bump_inout':
      return [OK, o.data.length, [...o.data].map((b) => (b + 1) & 0xff)];
    case 'copy_pair':
      return [OK, o.data.length, [...o.data]];
    case 'str_len':
      return [OK, o.n, null];
    case 'echo':
      return [OK, o.len, null];
    case 'call_out':
      // ocall_tick(depth) re-enters reentered(depth) = 2 * depth when depth > 0, else answers 7.
      return [OK, o.depth > 0 ? 2 * o.depth + 1 : 7, null];
    case 'sum_words':
      return [OK, o.words.reduce((s, w) => (s + w) >>> 0, 0) | 0, null];
  }
}

function run(g: TestGuest, o: Op): [number, number, number[] | null] {
  const i32 = (r: { status: number; ret: bigint }, out: number[] | null): [number, number, number[] | null] => [r.status, Number(BigInt.asIntN(32, r.ret)), out];
  switch (o.kind) {
    case 'sum_in':
      g.put(A, o.data);
      return i32(g.call('sum_in', [A, o.data.length]), null);
    case 'fill_out': {
      g.u8().fill(o.v ^ 0xff, B, B + o.len);
      const r = g.call('fill_out', [B, o.len, o.v]);
      return [r.status, 0, [...g.u8().subarray(B, B + o.len)]];
    }
    case 'bump_inout': {
      g.put(B, o.data);
      const r = g.call('bump_inout', [B, o.data.length]);
      return i32(r, [...g.u8().subarray(B, B + o.data.length)]);
    }
    case 'copy_pair': {
      g.put(A, o.data);
      const r = g.call('copy_pair', [A, B, o.data.length]);
      return i32(r, [...g.u8().subarray(B, B + o.data.length)]);
    }
    case 'str_len':
      g.u8().fill(0x41, A, A + o.n);
      g.u8()[A + o.n] = 0;
      return i32(g.call('str_len', [A]), null);
    case 'echo':
      return i32(g.call('echo_via_guest', [o.len]), null);
    case 'call_out':
      return i32(g.call('call_out', [o.depth]), null);
    case 'sum_words':
      o.words.forEach((w, i) => new DataView(g.memory.buffer).setUint32(A + 4 * i, w, true));
      return i32(g.call('sum_words', [A, o.words.length]), null);
  }
}

describe('random ECALL/OCALL sequences under random EPC budgets', () => {
  it('every result equals the reference model, paged at any budget or resident', () => {
    const budget = fc.oneof(fc.constant(0), fc.integer({ min: 76, max: 400 }));
    fc.assert(
      fc.property(budget, fc.array(op, { minLength: 1, maxLength: 12 }), (pages, ops) => {
        if (pages > 0) uninstall = installSgxEpc(new Epc({ pages }));
        try {
          const g: TestGuest = new TestGuest({
            ocall_tick: (depth: number) => (depth > 0 ? Number(BigInt.asIntN(32, g.call('reentered', [depth], REFRAME).ret)) + 1 : 7),
            ocall_null: () => undefined,
            ocall_echo: (s: number, d: number, l: number) => void g.u8().copyWithin(d, s, s + l),
          }).open(image('gatetest', bytes), platform);
          for (const o of ops) expect(run(g, o), `${o.kind} at ${pages || 'resident'} pages`).toEqual(model(o));
        } finally {
          uninstall?.();
          uninstall = null;
        }
      }),
      { numRuns: 25 },
    );
  }, 240000);
});

describe('random open/close/call sequences through the "emon" imports', () => {
  it('handles follow the model, the EPC holds only open enclaves, and memory stays bounded', async () => {
    const memory = new WebAssembly.Memory({ initial: 4 });
    const host = {
      name: 'g',
      manifest: { enclaves: [{ name: 'gatetest' }] },
      attachments: new Map([['gatetest', path.join(buildDir, 'enclaves', 'gatetest.wasm')]]),
      options: { stateDir: mkdtempSync(path.join(tmpdir(), 'emon-seq-')), epc: '200p' },
      trace: null,
      memory: () => memory,
      exports: () => ({ ocall_tick: (d: number) => d, ocall_null: () => undefined, ocall_echo: () => undefined }) as unknown as WebAssembly.Exports,
      log: () => undefined,
      abort: (m: string) => {
        throw new Error(m);
      },
    } as GuestHost;
    const emon = (await enclaveExtension.imports(host)) as Record<string, (...a: number[]) => number>;
    new Uint8Array(memory.buffer).set(new TextEncoder().encode('gatetest'), 64);
    const epc = platformEpc();
    const step = fc.oneof(
      fc.constant({ kind: 'open' as const }),
      fc.nat(80).map((i) => ({ kind: 'close' as const, i })),
      fc.nat(80).map((i) => ({ kind: 'call' as const, i })),
    );
    const rss0 = process.memoryUsage().rss;
    try {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
          const open = new Set<number>();
          const everOpened: number[] = [];
          for (const s of steps) {
            if (s.kind === 'open') {
              const st = emon['enclave_open']!(64, 8, 8192, 8192, 128);
              if (open.size >= MAX_OPEN) expect(st).toBe(EINVAL);
              else {
                expect(st).toBe(OK);
                const h = new DataView(memory.buffer).getUint32(128, true);
                expect(everOpened).not.toContain(h);
                everOpened.push(h);
                open.add(h);
              }
            } else {
              const h = everOpened.length === 0 ? s.i : everOpened[s.i % everOpened.length]!;
              if (s.kind === 'close') {
                expect(emon['enclave_close']!(h)).toBe(open.has(h) ? OK : EINVAL);
                open.delete(h);
              } else {
                expect(emon['ecall']!(h, 0, 1024)).toBe(open.has(h) ? OK : EINVAL);
              }
            }
            expect(epc.stats.enclaves).toBe(open.size);
          }
          for (const h of open) expect(emon['enclave_close']!(h)).toBe(OK);
          expect(epc.stats.enclaves).toBe(0);
          expect(epc.residentFrames).toBe(0);
        }),
        { numRuns: 40 },
      );
    } finally {
      enclaveExtension.dispose?.(host);
    }
    // Hundreds of instances were opened and closed; what they held is gone (a leak was ~1.5 MiB each).
    expect((process.memoryUsage().rss - rss0) / 2 ** 20).toBeLessThan(400);
  }, 240000);
});
