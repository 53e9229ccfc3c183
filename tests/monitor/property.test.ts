/**
 * fast-check: random pointer/length (and handle/offset) arguments thrown at every hypercall. The monitor never
 * throws; the guest sees a Solo5 result code, or is aborted cleanly (never a trap or a monitor crash); and
 * nothing outside guest memory is ever reported as done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_OK } from '../../runtime/monitor/abi.js';
import { bootProbe, type Probe } from './helpers.js';

const MEM_END = 3 * 65536;
let dir: string;
let p: Probe;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'emon-prop-'));
  writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(64 * 512));
  p = await bootProbe(path.join(dir, 'disk.img'));
  // Acquire both devices so I/O calls reach the pointer checks (handles 0 = disk, 1 = nic).
  expect(p.runner.invoke('h_block_acquire', 16, 100, 120).value).toBe(SOLO5_R_OK);
  expect(p.runner.invoke('h_net_acquire', 32, 100, 120).value).toBe(SOLO5_R_OK);
});
afterAll(() => {
  p.close();
  rmSync(dir, { recursive: true, force: true });
});

/** i32 as the guest passes it: anything, biased towards the memory edge. */
const ptr = fc.oneof(
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.integer({ min: MEM_END - 4096, max: MEM_END + 4096 }),
  fc.integer({ min: 0, max: 4096 }),
);
const len = fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: 0, max: 70000 }), fc.constantFrom(0, 512, 1024, 1514, 1515));
const handle = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -2n, max: 66n }));
const offset = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 40000n }).map((n) => n - (n % 512n)));

const inMemory = (pt: number, ln: number) => pt >>> 0 < MEM_END && (pt >>> 0) + (ln >>> 0) <= MEM_END;

function outcome(name: string, ...args: unknown[]): { value?: unknown; ended?: { reason: string } } {
  let r: ReturnType<Probe['runner']['invoke']>;
  expect(() => (r = p.runner.invoke(name, ...args))).not.toThrow();
  if (r!.ended) expect(r!.ended.reason).toBe('abort');
  else if (r!.value !== undefined && typeof r!.value === 'number') expect([SOLO5_R_OK, SOLO5_R_AGAIN, SOLO5_R_EINVAL]).toContain(r!.value);
  return r!;
}

describe('random arguments at every hypercall', () => {
  const runs = { numRuns: 300 };

  it('console_write', () => {
    fc.assert(fc.property(ptr, len.map((l) => l % 2048), (b, s) => {
      const r = outcome('h_console_write', b, s);
      expect(r.ended !== undefined).toBe(!inMemory(b, s));
    }), runs);
  });

  it('yield', () => {
    fc.assert(fc.property(ptr, (b) => {
      const r = outcome('h_yield', 0n, b);
      expect(r.ended !== undefined).toBe(!inMemory(b, 8));
    }), runs);
  });

  it('block_read / block_write', () => {
    fc.assert(fc.property(fc.boolean(), handle, offset, ptr, len, (write, h, o, b, s) => {
      const r = outcome(write ? 'h_block_write' : 'h_block_read', h, o, b, s);
      // The disk is 64 sectors of 512 bytes: a call is served exactly when it moves at least one sector and
      // everything is inside and aligned (runtime/monitor/abi.ts: size > 0).
      const size = s >>> 0;
      const fits = h === 0n && inMemory(b, s) && o >= 0n && o % 512n === 0n && size > 0 && size % 512 === 0 && o + BigInt(size) <= 64n * 512n;
      expect(r.value).toBe(fits ? SOLO5_R_OK : SOLO5_R_EINVAL);
    }), runs);
  });

  it('block_acquire / net_acquire', () => {
    fc.assert(fc.property(fc.boolean(), ptr, ptr, ptr, (net, n, ho, io) => {
      const r = outcome(net ? 'h_net_acquire' : 'h_block_acquire', n, ho, io);
      // Both devices are already acquired, so success is impossible; an undeclared name aborts.
      if (r.ended === undefined) expect(r.value).toBe(SOLO5_R_EINVAL);
    }), runs);
  });

  it('net_write / net_read', () => {
    fc.assert(fc.property(fc.boolean(), handle, ptr, len, ptr, (write, h, b, s, ro) => {
      const r = write ? outcome('h_net_write', h, b, s) : outcome('h_net_read', h, b, s, ro);
      const size = s >>> 0;
      if (!inMemory(b, s) || h !== 1n) expect(r.value).toBe(SOLO5_R_EINVAL);
      // A frame inside memory on the acquired NIC is always taken (or dropped like a NIC when the queue is full).
      else if (write) expect(r.value).toBe(size >= 14 && size <= 1514 ? SOLO5_R_OK : SOLO5_R_EINVAL);
      // Nothing is queued for the probe: a read with good pointers is AGAIN.
      else expect(r.value).toBe(inMemory(ro, 4) ? SOLO5_R_AGAIN : SOLO5_R_EINVAL);
    }), runs);
  });

  it('set_tls_base, clocks', () => {
    fc.assert(fc.property(ptr, (b) => {
      expect(outcome('h_set_tls_base', b).value).toBe(SOLO5_R_OK);
      expect(typeof outcome('h_clock_monotonic').value).toBe('bigint');
      expect(typeof outcome('h_clock_wall').value).toBe('bigint');
    }), { numRuns: 50 });
  });
});
