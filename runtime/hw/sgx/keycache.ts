/**
 * The CPU's side of fast ENCLU leaves: key derivation with the host's native HKDF-SHA256 (node:crypto's
 * hkdfSync, RFC 5869; the simulated CPU is trusted hardware, so it may use it, unlike enclave code) and a cache
 * of derived keys per platform, as a real CPU re-derives a key in a few hundred cycles from fused secrets rather
 * than running a KDF in software. The cache holds every input of the derivation in its key, so a hit returns
 * exactly what derivation would; it lives in hw, which no monitor code can reach (DESIGN.md §1 rule 3).
 */
import { hkdfSync } from 'node:crypto';
import type { PlatformSecrets } from './platform.js';

const MAX_ENTRIES = 4096;
const caches = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** HKDF-SHA256(ikm = root, salt, info) to `length` bytes, remembered per root. Callers must not alter the result. */
export function deriveKey(root: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  let cache = caches.get(root);
  if (cache === undefined) caches.set(root, (cache = new Map()));
  const id = `${length}:${Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength).toString('latin1')}:${Buffer.from(info.buffer, info.byteOffset, info.byteLength).toString('latin1')}`;
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const key = new Uint8Array(hkdfSync('sha256', root, salt, info, length));
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(id, key);
  return key;
}

/** Forget every cached key of a platform (tests; a platform whose roots are replaced). */
export function forgetKeys(platform: PlatformSecrets): void {
  caches.delete(platform.sealRoot);
  caches.delete(platform.reportRoot);
}
