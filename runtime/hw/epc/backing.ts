/**
 * Backing storage for evicted pages: untrusted RAM owned by the monitor (in SGX, the OS gives EWB a regular page
 * to write to and hands it back to ELDU). hw writes sealed pages here and trusts nothing it reads back: anything
 * may have been altered, swapped, moved, replayed or dropped. Tests substitute an adversarial store.
 */
import { SEALED_PAGE_BYTES } from './seal.js';

export interface BackingStore {
  /** Where hw writes the sealed copy of (enclave, page): SEALED_PAGE_BYTES bytes of monitor memory. */
  slot(enclave: number, page: number): Uint8Array;
  /**
   * The sealed copy of (enclave, page) as the monitor hands it back, or undefined if it has none. The copy must
   * be kept after a reload: a page evicted clean is not sealed again, and its next reload reads the same copy.
   */
  fetch(enclave: number, page: number): Uint8Array | undefined;
  /** The enclave is gone: its pages may be freed. */
  release(enclave: number): void;
}

/** The plain store: one buffer per page ever evicted, reused on later evictions of the same page. */
export class UntrustedMemoryStore implements BackingStore {
  protected readonly pages = new Map<number, Map<number, Uint8Array>>();

  slot(enclave: number, page: number): Uint8Array {
    let e = this.pages.get(enclave);
    if (!e) this.pages.set(enclave, (e = new Map()));
    let s = e.get(page);
    if (!s) e.set(page, (s = new Uint8Array(SEALED_PAGE_BYTES)));
    return s;
  }

  fetch(enclave: number, page: number): Uint8Array | undefined {
    return this.pages.get(enclave)?.get(page);
  }

  release(enclave: number): void {
    this.pages.delete(enclave);
  }

  /** Bytes held for all enclaves (for reports). */
  get bytes(): number {
    let n = 0;
    for (const e of this.pages.values()) n += e.size * SEALED_PAGE_BYTES;
    return n;
  }
}
