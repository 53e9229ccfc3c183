/**
 * Version counters for evicted pages, the role of SGX's Version Array (VA) pages (Intel SDM Vol. 3D §34.17 and
 * §36.5.3: EWB writes a fresh version into a VA slot, ELDU checks it, so an old copy of a page cannot be
 * replayed). The version is never stored with the sealed page: hw keeps it and binds it into the AEAD nonce and
 * associated data, so a page the monitor hands back must be the latest one hw sealed.
 *
 * Design: one u32 per 4 KiB page of the enclave's maximum size, in hw memory, charged to the EPC like VA pages
 * and never evicted. That is 4 bytes per 4096 (1/1024 of the enclave's size: a 1 GiB enclave needs 1 MiB of
 * counters, 256 EPC pages; SGX's VA slot is 8 bytes, 1/512), so the counters cannot blow up memory; and being
 * pinned, they need no counters of their own (SGX's VA pages can be evicted only by versioning them in yet more
 * VA pages). The counter of a page only grows. A page whose counter would wrap (2^32 evictions) is refused, so
 * a (key, nonce) pair is never reused.
 */
import { EmonError } from '../../errors.js';
import { PAGE_SIZE } from './size.js';

const SLOT_BYTES = 4;
const MAX_VERSION = 0xffffffff;

/** EPC pages the counters of an enclave of `pages` 4 KiB pages take. */
export function versionArrayPages(pages: number): number {
  return Math.ceil((pages * SLOT_BYTES) / PAGE_SIZE);
}

export class VersionArray {
  private readonly slots: Uint32Array;

  constructor(pages: number) {
    this.slots = new Uint32Array(pages);
  }

  get pages(): number {
    return this.slots.length;
  }

  /** The version the current sealed copy of `page` must carry. */
  current(page: number): number {
    return this.slots[page]!;
  }

  /** Starts a new version of `page` for the eviction about to happen and returns it. */
  next(page: number, enclave: string): number {
    const v = this.slots[page]!;
    if (v === MAX_VERSION) {
      throw new EmonError('E_EPC_VERSION', `enclave ${enclave}: page ${page} was evicted 2^32-1 times; its version counter is exhausted`, {
        hint: 'restart the enclave (a new enclave gets new counters and keys)',
      });
    }
    this.slots[page] = v + 1;
    return v + 1;
  }
}
