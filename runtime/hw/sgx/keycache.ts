/**
 * The CPU's side of fast ENCLU leaves: key derivation with HKDF-SHA256 (RFC 5869) on the host's native HMAC
 * (node:crypto; the simulated CPU is trusted hardware, so it may use it, unlike enclave code) and a cache
 * of derived keys per platform, as a real CPU re-derives a key in a few hundred cycles from fused secrets rather
 * than running a KDF in software. The cache holds every input of the derivation in its key, so a hit returns
 * exactly what derivation would; it lives in hw, which no monitor code can reach (DESIGN.md §1 rule 3).
 */
import { createHmac } from 'node:crypto';
import type { PlatformSecrets } from './platform.js';

const MAX_ENTRIES = 4096;
const caches = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

/** Bytes as a string key (one char per byte): exact, and cheap for the few dozen bytes of a key request. */
export function keyPart(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * HKDF-SHA256(ikm = root, salt, info) to `length` bytes (RFC 5869 §2.2-2.3), on native HMAC-SHA256: two HMACs for
 * a 32-byte key, which measured faster here than node:crypto's hkdfSync (a KDF context set up per call).
 */
export function hkdfSha256(root: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac('sha256', salt.length === 0 ? new Uint8Array(32) : salt).update(root).digest();
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++) {
    t = createHmac('sha256', prk).update(t).update(info).update(new Uint8Array([i])).digest();
    out.set(t.subarray(0, Math.min(32, length - at)), at);
    at += 32;
  }
  return out;
}

/**
 * The key derived from `root` for the request `id` (a string holding every input of the derivation besides the
 * root), calling `derive` only the first time. Callers must not alter the result.
 */
export function cachedKey(root: Uint8Array, id: string, derive: () => Uint8Array): Uint8Array {
  let cache = caches.get(root);
  if (cache === undefined) caches.set(root, (cache = new Map()));
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const key = derive();
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(id, key);
  return key;
}

/** HKDF-SHA256 remembered per (root, salt, info): cachedKey keyed on the derivation's own inputs. */
export function deriveKey(root: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return cachedKey(root, `${length}:${keyPart(salt)}:${keyPart(info)}`, () => hkdfSha256(root, salt, info, length));
}

/** Forget every cached key of a platform (tests; a platform whose roots are replaced). */
export function forgetKeys(platform: PlatformSecrets): void {
  caches.delete(platform.sealRoot);
  caches.delete(platform.reportRoot);
}
