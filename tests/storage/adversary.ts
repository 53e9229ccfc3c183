/**
 * An adversarial monitor for secure stores (a test fixture, never a production code path): it owns the image
 * file and, between or during runs, flips bits, swaps, moves and rolls back blocks, restores older images,
 * truncates, drops writes and replays superblocks. Offsets come from the public layout, as a real attacker
 * would learn them from the format.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { blockOffset, geometry, pageOffset, superOffset, SUPER_SLOT_BYTES, type Geometry } from '../../runtime/storage/layout.js';
import type { Backing } from '../../runtime/storage/store.js';

export class ImageAdversary {
  readonly geo: Geometry;
  constructor(readonly image: string, blockSize: number, blocks: number) {
    this.geo = geometry(blockSize, blocks);
  }
  snapshot(): Buffer {
    return readFileSync(this.image);
  }
  restore(copy: Buffer): void {
    writeFileSync(this.image, copy);
  }
  private edit(f: (b: Buffer) => void): void {
    const b = readFileSync(this.image);
    f(b);
    writeFileSync(this.image, b);
  }
  /** Flips one bit in both slots of a data block (whichever is current). */
  flipBlock(block: number, byte = 17): void {
    this.edit((b) => {
      for (const s of [0, 1]) b[blockOffset(this.geo, block, s) + byte]! ^= 0x04;
    });
  }
  private region(block: number): [number, number] {
    const start = blockOffset(this.geo, block, 0);
    return [start, start + 2 * this.geo.blockSize];
  }
  swapBlocks(a: number, c: number): void {
    this.edit((b) => {
      const [a0, a1] = this.region(a);
      const [c0, c1] = this.region(c);
      const ta = Buffer.from(b.subarray(a0, a1));
      b.copy(b, a0, c0, c1);
      ta.copy(b, c0);
    });
  }
  /** Copies block `from` (both slots) over block `to`. */
  moveBlock(from: number, to: number): void {
    this.edit((b) => {
      const [f0, f1] = this.region(from);
      b.copy(b, this.region(to)[0], f0, f1);
    });
  }
  /** Puts back block `block` (both slots) as it was in an older snapshot. */
  rollbackBlock(block: number, old: Buffer): void {
    this.edit((b) => {
      const [s, e] = this.region(block);
      old.copy(b, s, s, e);
    });
  }
  flipLeafPage(page: number): void {
    this.edit((b) => {
      for (const s of [0, 1]) b[pageOffset(page, s) + 40]! ^= 0x01;
    });
  }
  /** Replaces superblock slot `slot` with the bytes of `fromSlot` in `source` (an older snapshot or the image). */
  replaySuperblock(slot: number, source: Buffer, fromSlot = slot): void {
    this.edit((b) => source.copy(b, superOffset(slot), superOffset(fromSlot), superOffset(fromSlot) + SUPER_SLOT_BYTES));
  }
  flipSuperblocks(): void {
    this.edit((b) => {
      for (const s of [0, 1]) b[superOffset(s) + 100]! ^= 0x80;
    });
  }
  truncate(bytes: number): void {
    truncateSync(this.image, bytes);
  }
}

/** A backing that silently drops the writes its predicate selects (the monitor lying about a write). */
export function droppingBacking(inner: Backing, drop: (offset: number, length: number) => boolean): Backing {
  return {
    where: inner.where,
    size: () => inner.size(),
    read: (o, out) => inner.read(o, out),
    write: (o, d) => {
      if (!drop(o, d.length)) inner.write(o, d);
    },
    sync: () => inner.sync(),
    grow: (n) => inner.grow(n),
    close: () => inner.close(),
  };
}
