/**
 * Page-table accessed and dirty bits of one enclave, and the untrusted OS's view of its pages (Intel SDM Vol. 3A
 * §4.8 "Accessed and Dirty Flags"; Van Bulck et al., "Telling Your Secrets without Page Faults", USENIX Security
 * 2017). In SGX the enclave's pages are mapped by page tables the OS owns: the CPU's page walk sets a page's
 * accessed bit (A) on its first access and its dirty bit (D) on its first store, and the OS may read and clear
 * both at any time; after clearing, the next access walks again (once the OS has flushed the TLB, which every
 * enclave exit does) and sets them again. No fault is taken, so the enclave cannot see it happen.
 *
 * Model: the residency map byte of a page is its TLB entry. The walk is the slow path of the residency check
 * (space.ts `touch`, epc.ts `place`), which sets A, and D on a store. `OsPageView.scan(clear)` reads the bits
 * and, when clearing, also clears the map byte (the TLB flush), so the next access takes the slow path and sets
 * the bits again. These bits are separate from the EPC's own dirty flag (which decides whether an eviction must
 * seal the page) and from CLOCK's reference bits, which the map bytes also are: the OS clearing them only costs
 * the enclave a walk, never a fault or a wrong eviction decision.
 */
export class PageTableBits {
  /** 1 when the page was accessed since the OS last cleared its bit. */
  readonly accessed: Uint8Array;
  /** 1 when the page was written since the OS last cleared its bit (a page with D set has A set). */
  readonly dirty: Uint8Array;
  /** The pages with A set, in the order their bits were set (`count` of them): a scan costs what it finds. */
  readonly set: Int32Array;
  count = 0;
  /** Walks that found A clear (first access after a clear or a reload); a trusted count hw may expose. */
  walks = 0;

  constructor(pages: number) {
    this.accessed = new Uint8Array(pages);
    this.dirty = new Uint8Array(pages);
    this.set = new Int32Array(pages);
  }

  /** The page walk of one access. */
  walk(page: number, write: boolean): void {
    if (this.accessed[page] === 0) {
      this.accessed[page] = 1;
      this.set[this.count++] = page;
      this.walks++;
    }
    if (write) this.dirty[page] = 1;
  }

  /** The pages with A set and those with D set, ascending; `clear` clears both bits of every page. */
  read(clear: boolean): AdSample {
    const accessed = Array.from(this.set.subarray(0, this.count)).sort((a, b) => a - b);
    const dirty = accessed.filter((p) => this.dirty[p] !== 0);
    if (clear) {
      for (const p of accessed) {
        this.accessed[p] = 0;
        this.dirty[p] = 0;
      }
      this.count = 0;
    }
    return { accessed, dirty };
  }
}

/** One sample of an enclave's A/D bits: the page numbers whose bit was set. */
export interface AdSample {
  readonly accessed: number[];
  readonly dirty: number[];
}

/**
 * What an untrusted OS can do to the pages of one enclave and nothing more: see which pages are resident,
 * evict a page of its choice (EWB, the controlled channel's lever), read and clear the A/D bits. It never gives
 * access to the enclave's memory. Made by `Epc.osView`.
 */
export interface OsPageView {
  readonly enclave: number;
  readonly name: string;
  /** 4 KiB pages the enclave may grow to. */
  readonly maxPages: number;
  /** True while the page is in the EPC. */
  resident(page: number): boolean;
  /** EWB of a resident page of the OS's choice; false when it is not resident or hw holds it for an access. */
  evict(page: number): boolean;
  /** Evicts every page of the enclave hw does not hold; returns how many went. */
  evictAll(): number;
  /** Reads the A/D bits of every page; `clear` also clears them (and flushes the TLB: map bytes to 0). */
  scan(clear: boolean): AdSample;
}
