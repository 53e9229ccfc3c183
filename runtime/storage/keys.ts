/**
 * Keys of a secure store, derived inside the trusted domain from the platform's seal root the way EGETKEY
 * derives an enclave's seal key (Intel SDM Vol. 3D §40; HKDF-SHA256, RFC 5869, in place of AES-CMAC): one key
 * per purpose and per store, salted with the store's random id, so no two stores and no two purposes share a
 * key. The store's hardware monotonic counter is named by a MAC of the id, so the monitor cannot point a store
 * at another store's counter.
 */
// node:crypto rather than @noble: `emon run` loads this with every block device, and @noble's import would cost
// every run its start-up time (tests/cli/startup.test.ts); the algorithms and outputs are the same.
import { createHmac, hkdfSync } from 'node:crypto';
import type { PlatformSecrets } from '../hw/sgx/platform.js';

export interface StoreKeys {
  /** Seals data blocks. */
  readonly data: Uint8Array;
  /** Seals the superblock. */
  readonly super: Uint8Array;
  /** Names the store's monotonic counter (hex). */
  readonly counterId: string;
}

const enc = new TextEncoder();

export function storeKeys(platform: PlatformSecrets, storeId: Uint8Array): StoreKeys {
  const derive = (purpose: string) => new Uint8Array(hkdfSync('sha256', platform.sealRoot, storeId, enc.encode(`emon/storage/v1/${purpose}`), 32));
  const tag = new Uint8Array(createHmac('sha256', platform.sealRoot).update(new Uint8Array([...enc.encode('emon/storage/v1/counter'), ...storeId])).digest());
  return { data: derive('data'), super: derive('superblock'), counterId: Buffer.from(tag.subarray(0, 16)).toString('hex') };
}
