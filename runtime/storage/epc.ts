/**
 * Design 2: blocks kept inside the enclave. The blocks live in trusted memory (the enclave's heap, which the
 * EPC budget bounds: beyond `residentBlocks` the least recently used block is sealed out, as the EPC pager
 * evicts a page with EWB, Intel SDM Vol. 3D §36.5) and are sealed to the backing only on flush and at exit,
 * through design 3's store (./sealed.ts), whose versions, hash tree and counter make the flushed image
 * authentic and fresh. Reads and writes of resident blocks cost a copy; only flush pays for crypto and I/O,
 * and a crash loses what was written since the last flush (never more).
 */
import { SealedStore, type SealedOptions } from './sealed.js';
import type { Backing, BlockStore } from './store.js';

export interface EpcOptions extends SealedOptions {
  /** Blocks kept in trusted memory before the least recently used is sealed out (default: 16 MiB worth). */
  readonly residentBlocks?: number;
}

export class EpcStore implements BlockStore {
  readonly design = 'epc' as const;
  readonly blockSize: number;
  readonly blocks: number;
  /** Resident blocks in least-recently-used order (a Map iterates in insertion order). */
  private readonly resident = new Map<number, { data: Uint8Array; dirty: boolean }>();
  private readonly limit: number;
  /** Pages sealed out to the backing since the last flush (they still need a commit). */
  private sealedOut = false;

  private constructor(private readonly inner: SealedStore, limit: number) {
    this.blockSize = inner.blockSize;
    this.blocks = inner.blocks;
    this.limit = Math.max(1, limit);
  }

  static open(backing: Backing, options: EpcOptions): EpcStore {
    const inner = SealedStore.open(backing, { ...options, commitEachWrite: false });
    return new EpcStore(inner, options.residentBlocks ?? Math.ceil((16 << 20) / inner.blockSize));
  }

  private touch(block: number): { data: Uint8Array; dirty: boolean } {
    let e = this.resident.get(block);
    if (e !== undefined) {
      this.resident.delete(block);
      this.resident.set(block, e);
      return e;
    }
    if (this.resident.size >= this.limit) this.evict();
    e = { data: new Uint8Array(this.blockSize), dirty: false };
    this.inner.read(block, e.data);
    this.resident.set(block, e);
    return e;
  }

  private evict(): void {
    const [victim, e] = this.resident.entries().next().value!;
    if (e.dirty) {
      this.inner.write(victim, e.data);
      this.sealedOut = true;
    }
    this.resident.delete(victim);
  }

  read(block: number, out: Uint8Array): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.blocks || out.length !== this.blockSize) throw new RangeError(`block ${block} outside the store`);
    out.set(this.touch(block).data);
  }

  write(block: number, data: Uint8Array): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.blocks || data.length !== this.blockSize) throw new RangeError(`block ${block} outside the store`);
    const e = this.touch(block);
    e.data.set(data);
    e.dirty = true;
  }

  writeRun(first: number, data: Uint8Array): void {
    for (let o = 0; o < data.length; o += this.blockSize) this.write(first + o / this.blockSize, data.subarray(o, o + this.blockSize));
  }

  flush(): void {
    let any = this.sealedOut;
    for (const [block, e] of this.resident) {
      if (!e.dirty) continue;
      this.inner.write(block, e.data);
      e.dirty = false;
      any = true;
    }
    if (any) this.inner.flush();
    this.sealedOut = false;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.inner.close();
    }
  }
}
