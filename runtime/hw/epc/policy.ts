/**
 * Eviction policies for the EPC. SGX leaves the choice of victim to the untrusted OS driver (the Linux SGX
 * driver approximates LRU with a CLOCK-like scan of accessed bits); emon keeps it in hw but pluggable.
 *
 * Resident pages of one worker are frames on a ring (a doubly linked list in typed arrays, so nothing is
 * allocated per fault). New frames go just behind the hand, so the hand always points at the oldest frame:
 * FIFO takes it; CLOCK (Corbató 1968) gives a referenced frame a second chance by clearing its bit and moving on.
 */

/** Access bits of resident pages, read and cleared by CLOCK (kept in the residency map, see instrument.ts). */
export interface ReferenceBits {
  referenced(key: number): boolean;
  clear(key: number): void;
}

/** The frames of one worker's resident, evictable pages; `key` names (enclave slot, page). */
export class FrameRing {
  private keys: Int32Array;
  private next: Int32Array;
  private prev: Int32Array;
  private free = -1;
  private used = 0;
  /** The oldest frame (-1 when empty). */
  hand = -1;
  size = 0;

  constructor(initial = 64) {
    this.keys = new Int32Array(initial);
    this.next = new Int32Array(initial);
    this.prev = new Int32Array(initial);
  }

  keyOf(frame: number): number {
    return this.keys[frame]!;
  }
  nextOf(frame: number): number {
    return this.next[frame]!;
  }
  setKey(frame: number, key: number): void {
    this.keys[frame] = key;
  }

  /** Adds a frame holding `key` as the newest (just behind the hand). */
  insert(key: number): number {
    let f = this.free;
    if (f >= 0) {
      this.free = this.next[f]!;
    } else {
      if (this.used === this.keys.length) this.grow();
      f = this.used++;
    }
    this.keys[f] = key;
    if (this.hand < 0) {
      this.next[f] = f;
      this.prev[f] = f;
      this.hand = f;
    } else {
      const h = this.hand;
      const p = this.prev[h]!;
      this.next[p] = f;
      this.prev[f] = p;
      this.next[f] = h;
      this.prev[h] = f;
    }
    this.size++;
    return f;
  }

  remove(frame: number): void {
    const n = this.next[frame]!;
    const p = this.prev[frame]!;
    if (n === frame) {
      this.hand = -1;
    } else {
      this.next[p] = n;
      this.prev[n] = p;
      if (this.hand === frame) this.hand = n;
    }
    this.next[frame] = this.free;
    this.free = frame;
    this.size--;
  }

  private grow(): void {
    const n = this.keys.length * 2;
    for (const k of ['keys', 'next', 'prev'] as const) {
      const a = new Int32Array(n);
      a.set(this[k]);
      this[k] = a;
    }
  }
}

export interface EvictionPolicy {
  readonly name: string;
  /**
   * Chooses the frame to evict and moves the hand past it (so a new page placed in that frame is the newest).
   * Never picks a frame holding `pinA` or `pinB`; returns -1 if every frame is pinned.
   */
  victim(ring: FrameRing, bits: ReferenceBits, pinA: number, pinB: number): number;
}

export const fifo: EvictionPolicy = {
  name: 'fifo',
  victim(ring, _bits, pinA, pinB) {
    let f = ring.hand;
    for (let i = 0; i < ring.size; i++) {
      const k = ring.keyOf(f);
      if (k !== pinA && k !== pinB) {
        ring.hand = ring.nextOf(f);
        return f;
      }
      f = ring.nextOf(f);
    }
    return -1;
  },
};

export const clock: EvictionPolicy = {
  name: 'clock',
  victim(ring, bits, pinA, pinB) {
    if (ring.size === 0) return -1;
    let f = ring.hand;
    // Two full turns: the first may only clear bits; the second then finds an unreferenced frame.
    for (let i = 0; i < 2 * ring.size + 1; i++) {
      const k = ring.keyOf(f);
      if (k !== pinA && k !== pinB) {
        if (!bits.referenced(k)) {
          ring.hand = ring.nextOf(f);
          return f;
        }
        bits.clear(k);
      }
      f = ring.nextOf(f);
    }
    return -1;
  },
};

export const policies: Readonly<Record<string, EvictionPolicy>> = { clock, fifo };

export type PolicyName = 'clock' | 'fifo';
