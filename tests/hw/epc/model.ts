/**
 * A reference model of the EPC's page replacement, written independently of runtime/hw/epc over plain arrays:
 * frames in ring order with a hand, new frames placed just behind the hand, FIFO taking the oldest unpinned
 * frame, CLOCK clearing referenced bits on the way. Tests drive the real enclave and this model with the same
 * accesses and compare the fault sequences.
 */
export type Access = { page: number; write: boolean };

export class ReplacementModel {
  private ring: number[] = [];
  private ref = new Map<number, boolean>();
  private hand = 0;
  readonly faults: Access[] = [];

  constructor(private readonly frames: number, private readonly policy: 'clock' | 'fifo') {}

  resident(page: number): boolean {
    return this.ring.includes(page);
  }

  private place(page: number, pins: number[]): void {
    if (this.ring.length < this.frames) {
      this.ring.splice(this.hand, 0, page);
      this.hand = (this.hand + 1) % this.ring.length;
    } else {
      for (;;) {
        const p = this.ring[this.hand]!;
        if (!pins.includes(p)) {
          if (this.policy === 'fifo' || !this.ref.get(p)) break;
          this.ref.set(p, false);
        }
        this.hand = (this.hand + 1) % this.ring.length;
      }
      this.ring[this.hand] = page;
      this.hand = (this.hand + 1) % this.ring.length;
    }
    this.ref.set(page, true);
  }

  /** memory.grow of new pages: added resident, no fault reported. */
  add(page: number): void {
    this.place(page, []);
  }

  /** One access to `pages` (one or two pages), with `pins` (default: the same pages) kept resident meanwhile. */
  access(pages: number[], write: boolean, pins: number[] = pages): void {
    for (const p of pages) {
      if (this.resident(p)) this.ref.set(p, true);
      else {
        this.faults.push({ page: p, write });
        this.place(p, pins);
      }
    }
  }
}
