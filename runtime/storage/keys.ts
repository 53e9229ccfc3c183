/**
 * Keys of a secure store, derived inside the trusted domain from the platform's seal root the way EGETKEY
 * derives an enclave's seal key (Intel SDM Vol. 3D §40; HKDF-SHA256, RFC 5869, in place of AES-CMAC): one key
 * per purpose and per store, salted with the store's random id, so no two stores and no two purposes share a
 * key. The store's hardware monotonic counter is named by a MAC of the id, so the monitor cannot point a store
 * at another store's counter.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
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
  const derive = (purpose: string) => hkdf(sha256, platform.sealRoot, storeId, enc.encode(`emon/storage/v1/${purpose}`), 32);
  const tag = hmac(sha256, platform.sealRoot, new Uint8Array([...enc.encode('emon/storage/v1/counter'), ...storeId]));
  return { data: derive('data'), super: derive('superblock'), counterId: Buffer.from(tag.subarray(0, 16)).toString('hex') };
}
