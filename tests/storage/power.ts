/**
 * A power-loss model of a disk, after the crash model of "All File Systems Are Not Created Equal" (Pillai et
 * al., OSDI 2014) and ALICE: writes since the last fdatasync sit in a volatile cache; at a crash any subset of
 * them reaches the platter, each possibly torn at a 512-byte sector boundary; synced writes always survive.
 * `crashAt` makes the N-th write or sync throw `PowerCut` before it happens.
 */
import type { Backing } from '../../runtime/storage/store.js';

export class PowerCut extends Error {}

const SECTOR = 512;

export class PowerLossDisk implements Backing {
  readonly where = 'power-loss disk';
  private durable: Uint8Array = new Uint8Array(0);
  private pending: Array<{ offset: number; data: Uint8Array }> = [];
  private ops = 0;
  crashAt = Infinity;

  constructor(initial?: Uint8Array) {
    if (initial) this.durable = initial.slice();
  }

  private tick(): void {
    if (++this.ops >= this.crashAt) throw new PowerCut(`power cut at operation ${this.ops}`);
  }
  /** What a reader sees now: durable bytes with every pending write applied in order. */
  private view(): Uint8Array {
    if (this.pending.length === 0) return this.durable;
    let end = this.durable.length;
    for (const w of this.pending) end = Math.max(end, w.offset + w.data.length);
    const v = new Uint8Array(end);
    v.set(this.durable);
    for (const w of this.pending) v.set(w.data, w.offset);
    return v;
  }
  size(): number {
    let end = this.durable.length;
    for (const w of this.pending) end = Math.max(end, w.offset + w.data.length);
    return end;
  }
  read(offset: number, out: Uint8Array): number {
    const size = this.size();
    const n = Math.max(0, Math.min(out.length, size - offset));
    out.fill(0, 0, n);
    out.set(this.durable.subarray(offset, Math.min(offset + n, this.durable.length)));
    for (const w of this.pending) {
      const s = Math.max(offset, w.offset);
      const e = Math.min(offset + n, w.offset + w.data.length);
      if (s < e) out.set(w.data.subarray(s - w.offset, e - w.offset), s - offset);
    }
    return n;
  }
  write(offset: number, data: Uint8Array): void {
    this.tick();
    this.pending.push({ offset, data: data.slice() });
  }
  sync(): void {
    this.tick();
    this.durable = this.view();
    this.pending = [];
  }
  grow(bytes: number): void {
    if (this.durable.length < bytes) {
      const g = new Uint8Array(bytes);
      g.set(this.durable);
      this.durable = g;
    }
  }
  close(): void {}

  /** The platter after a power cut: durable bytes plus a random subset of pending writes, some torn. */
  afterCut(random: () => number): Uint8Array {
    let end = this.durable.length;
    for (const w of this.pending) end = Math.max(end, w.offset + w.data.length);
    const img = new Uint8Array(end);
    img.set(this.durable);
    for (const w of this.pending) {
      const r = random();
      if (r < 0.4) continue; // lost
      if (r < 0.7 || w.data.length <= SECTOR) {
        img.set(w.data, w.offset);
        continue;
      }
      const sectors = Math.ceil(w.data.length / SECTOR);
      const keep = Math.floor(random() * sectors); // torn: only the first sectors landed
      img.set(w.data.subarray(0, keep * SECTOR), w.offset);
    }
    return img;
  }
}
