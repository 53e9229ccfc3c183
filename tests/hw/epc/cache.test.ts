/**
 * The guards' per-function page cache and read-modify-write guard, and the content-addressed cache of
 * instrumented modules. A call (direct, indirect, or a bulk operation) between two accesses to one page may
 * evict it: the second access must fault again, never reach the wiped frame. A read-modify-write of one
 * address makes its page dirty through its load's guard, so the write survives eviction.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { clearInstrumentCache, Epc, instrumentCacheStats, instrumentCached } from '../../../runtime/hw/epc/index.js';
import { workloadBytes } from './fixtures.js';

const PAGE = 4096;

function wat(text: string): Uint8Array {
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt | binaryen.Features.ReferenceTypes);
  const b = m.emitBinary();
  m.dispose();
  return b;
}

/** $sweep reads one byte of each of 16 pages from 64 KiB: with 6 frames, everything else is evicted. */
const MODULE = `(module (memory (export "memory") 4)
  (table 1 funcref) (elem (i32.const 0) $sweep) (type $t (func))
  (func $sweep (local $i i32)
    (loop $l (drop (i32.load8_u offset=65536 (i32.shl (local.get $i) (i32.const 12))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 16)))))
  (func (export "readAroundCall") (param $a i32) (result i32) (local $x i32)
    (local.set $x (i32.load (local.get $a)))
    (call $sweep)
    (i32.add (local.get $x) (i32.load offset=4 (local.get $a))))
  (func (export "writeAroundIndirect") (param $a i32)
    (i32.store (local.get $a) (i32.const 5))
    (call_indirect (type $t) (i32.const 0))
    (i32.store offset=4 (local.get $a) (i32.const 7)))
  (func (export "writeAroundCopy") (param $a i32)
    (i32.store (local.get $a) (i32.const 9))
    (memory.copy (i32.const 131072) (i32.const 65536) (i32.const 65536))
    (i32.store offset=8 (local.get $a) (i32.const 11)))
  (func (export "bump") (param $a i32)
    (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1))))
  (func (export "peek") (param $a i32) (result i32) (i32.load (local.get $a))))`;

interface Probe {
  readAroundCall(a: number): number;
  writeAroundIndirect(a: number): void;
  writeAroundCopy(a: number): void;
  bump(a: number): void;
  peek(a: number): number;
}

async function probe(): Promise<{ e: Probe; epc: Epc }> {
  const epc = new Epc({ pages: 6, policy: 'fifo' });
  const { instance } = await epc.load(wat(MODULE), {}, { name: 't/cache', maxBytes: 4 * 65536 });
  return { e: instance.exports as unknown as Probe, epc };
}

describe('page cache of the residency guards', () => {
  it('a page evicted by a direct call between two loads of it faults again (the cache is forgotten)', async () => {
    const { e, epc } = await probe();
    const a = 3 * PAGE + 16;
    // Fill through the other exports, then read across the evicting call.
    e.writeAroundIndirect(a);
    const f0 = epc.stats.faults;
    expect(e.readAroundCall(a)).toBe(5 + 7);
    expect(epc.stats.faults - f0).toBe(16 + 1); // the sweep, then page a again (resident before the call)
  });

  it('stores around an indirect call and around a bulk copy both land (their page faults in again)', async () => {
    const { e } = await probe();
    const a = 2 * PAGE + 32;
    e.writeAroundIndirect(a);
    e.writeAroundCopy(a + 64);
    expect(e.readAroundCall(a)).toBe(12);
    expect(e.peek(a + 64)).toBe(9);
    expect(e.peek(a + 72)).toBe(11);
  });

  it('a read-modify-write of a clean page makes it dirty: the update survives eviction', async () => {
    const { e, epc } = await probe();
    const a = PAGE + 8;
    e.bump(a);
    e.readAroundCall(0); // evicts page 1 (dirty: sealed)
    expect(e.peek(a)).toBe(1); // reloaded clean
    e.bump(a); // guarded as a store by its load: marked dirty
    e.readAroundCall(0);
    expect(epc.stats.cleanEvictions).toBeGreaterThan(0);
    expect(e.peek(a)).toBe(2);
  });
});

describe('calls of every shape forget the page cache', () => {
  it('a tail call, a call with a diverging operand and a call with a result behave as unpaged', async () => {
    const text = `(module (memory (export "memory") 4)
      (func $sweep (result i32) (local $i i32) (local $s i32)
        (loop $l (local.set $s (i32.add (local.get $s) (i32.load8_u offset=65536 (i32.shl (local.get $i) (i32.const 12)))))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 16))))
        (local.get $s))
      (func $get (param $a i32) (param $b i32) (result i32) (i32.load (local.get $a)))
      (func (export "set") (param $a i32) (param $v i32) (i32.store (local.get $a) (local.get $v)))
      (func (export "tail") (param $a i32) (result i32)
        (drop (i32.load (local.get $a)))
        (drop (call $sweep))
        (if (i32.eqz (local.get $a)) (then (drop (call $get (local.get $a) (unreachable)))))
        (return_call $get (local.get $a) (call $sweep))))`;
    const m = binaryen.parseText(text);
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.TailCall);
    const bytes = m.emitBinary();
    m.dispose();
    const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as { set(a: number, v: number): void; tail(a: number): number };
    const epc = new Epc({ pages: 6, policy: 'fifo' });
    const { instance } = await epc.load(bytes, {}, { name: 't/calls', maxBytes: 4 * 65536 });
    const e = instance.exports as unknown as typeof plain;
    for (const x of [plain, e]) x.set(5 * PAGE, 77);
    expect(e.tail(5 * PAGE)).toBe(plain.tail(5 * PAGE));
    expect(e.tail(5 * PAGE)).toBe(77);
  });
});

describe('content-addressed cache of instrumented modules', () => {
  it('returns the same output for the same bytes and options, and a different one when either changes', async () => {
    clearInstrumentCache();
    const bytes = await workloadBytes();
    const a = instrumentCached(bytes, { mode: 'paged', maxBytes: 1 << 20, name: 'x' });
    const b = instrumentCached(new Uint8Array(bytes), { mode: 'paged', maxBytes: 1 << 20, name: 'y' });
    expect(b).toBe(a);
    expect(instrumentCacheStats()).toMatchObject({ hits: expect.any(Number), entries: 1 });
    const c = instrumentCached(bytes, { mode: 'paged', maxBytes: 2 << 20, name: 'x' });
    expect(c).not.toBe(a);
    expect(c.layout.maxWasmPages).toBe(32);
    const changed = new Uint8Array(bytes);
    changed[changed.length - 1] ^= 1; // inside the last section: a different image (or an invalid one)
    let other: unknown;
    try {
      other = instrumentCached(changed, { mode: 'paged', maxBytes: 1 << 20, name: 'x' });
    } catch (err) {
      other = err;
    }
    expect(other).not.toBe(a);
    expect(instrumentCacheStats().entries).toBeGreaterThanOrEqual(2);
  });

  it('persists across processes on disk, authenticated: an altered file or another key is ignored and rewritten', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emon-epc-cache-'));
    try {
      const bytes = await workloadBytes();
      const disk = { dir, key: new Uint8Array(32).fill(7) };
      const opts = { mode: 'paged' as const, maxBytes: 3 << 20, name: 'x' };
      clearInstrumentCache();
      const fresh = instrumentCached(bytes, opts, disk);
      const [file] = readdirSync(dir);
      expect(file).toMatch(/\.epcm$/);
      clearInstrumentCache();
      const d0 = instrumentCacheStats();
      const loaded = instrumentCached(bytes, opts, disk);
      expect(instrumentCacheStats().diskHits).toBe(d0.diskHits + 1);
      expect(loaded.bytes).toEqual(fresh.bytes);
      expect(loaded.layout).toEqual(fresh.layout);
      // An altered module byte: refused, recomputed, and the file rewritten.
      const raw = readFileSync(path.join(dir, file!));
      raw[raw.length - 10] ^= 1;
      writeFileSync(path.join(dir, file!), raw);
      clearInstrumentCache();
      const again = instrumentCached(bytes, opts, disk);
      expect(instrumentCacheStats().diskRejects).toBe(d0.diskRejects + 1);
      expect(again.bytes).toEqual(fresh.bytes);
      expect(readFileSync(path.join(dir, file!))).not.toEqual(raw);
      // Another platform's key, and a truncated file: refused too.
      clearInstrumentCache();
      instrumentCached(bytes, opts, { dir, key: new Uint8Array(32).fill(8) });
      writeFileSync(path.join(dir, file!), raw.subarray(0, 20));
      clearInstrumentCache();
      expect(instrumentCached(bytes, opts, disk).bytes).toEqual(fresh.bytes);
      expect(instrumentCacheStats().diskRejects).toBe(d0.diskRejects + 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
