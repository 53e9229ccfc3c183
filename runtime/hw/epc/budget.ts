/**
 * The platform's EPC budget: one count of 4 KiB pages in use against the EPC size, shared by every enclave of
 * every guest of the process (SGX has one EPC per package, shared by all enclaves; Intel SDM Vol. 3D §34.1).
 *
 * Guests run in worker threads and their enclaves live in those workers, so the count lives in a
 * SharedArrayBuffer that the main thread creates (`EpcBudget.create`) and hands to each worker
 * (`EpcBudget.attach(buffer)`); every change is one Atomics operation, so no lock is held across a page's
 * crypto. A worker only evicts its own enclaves' pages (it cannot reach another worker's memory): when it needs
 * a page and the count is at the limit, it evicts one of its own. If it has none to give (all pinned), it takes
 * the page anyway and records the overdraft; every worker first pays back any overdraft at its next fault, so
 * the count returns to the limit as soon as anyone pages. The 128-bit platform id binds sealed pages to this
 * simulated platform.
 */
import { EmonError } from '../../errors.js';

const CAPACITY = 0;
const USED = 1;
const PEAK_OVER = 2;
const ID = 4;
const WORDS = 8;

export class EpcBudget {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
  }

  /** A new platform EPC of `pages` 4 KiB pages with a fresh random platform id. */
  static create(pages: number): EpcBudget {
    const b = new EpcBudget(new SharedArrayBuffer(WORDS * 4));
    b.words[CAPACITY] = pages;
    b.words.set(crypto.getRandomValues(new Int32Array(4)), ID);
    return b;
  }

  /** The same platform EPC, seen from another worker. */
  static attach(buffer: SharedArrayBuffer): EpcBudget {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== WORDS * 4) {
      throw new EmonError('E_EPC_BUDGET', 'the EPC budget handed to this worker is not an EPC budget buffer', {
        hint: 'pass EpcBudget.buffer from the main thread unchanged',
      });
    }
    const b = new EpcBudget(buffer);
    if (b.capacity < 1) throw new EmonError('E_EPC_BUDGET', 'the EPC budget handed to this worker has no capacity');
    return b;
  }

  get capacity(): number {
    return Atomics.load(this.words, CAPACITY);
  }
  get used(): number {
    return Atomics.load(this.words, USED);
  }
  /** Pages over the limit right now (0 when within budget). */
  get over(): number {
    return Math.max(0, Atomics.load(this.words, USED) - Atomics.load(this.words, CAPACITY));
  }
  /** The largest overdraft seen so far. */
  get peakOver(): number {
    return Atomics.load(this.words, PEAK_OVER);
  }

  /** The platform id (16 bytes), bound into every sealed page. */
  platformId(): Uint8Array {
    return new Uint8Array(this.words.buffer, ID * 4, 16).slice();
  }

  /** Takes `n` pages if they fit under the limit. */
  tryTake(n: number): boolean {
    const cap = Atomics.load(this.words, CAPACITY);
    let cur = Atomics.load(this.words, USED);
    while (cur + n <= cap) {
      const seen = Atomics.compareExchange(this.words, USED, cur, cur + n);
      if (seen === cur) return true;
      cur = seen;
    }
    return false;
  }

  /** Takes `n` pages even past the limit (the overdraft is paid back at the next faults). */
  forceTake(n: number): void {
    const now = Atomics.add(this.words, USED, n) + n;
    const over = now - Atomics.load(this.words, CAPACITY);
    let peak = Atomics.load(this.words, PEAK_OVER);
    while (over > peak) {
      const seen = Atomics.compareExchange(this.words, PEAK_OVER, peak, over);
      if (seen === peak) break;
      peak = seen;
    }
  }

  give(n: number): void {
    Atomics.sub(this.words, USED, n);
  }
}
