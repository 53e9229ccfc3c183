/**
 * HMAC-SHA256, RFC 2104 (with FIPS 198-1's key handling: keys longer than the 64-byte block are hashed first,
 * shorter ones are zero-padded). A context is an inner and an outer SHA-256 context, HMAC_SHA256_CTX_SIZE bytes
 * in the caller's memory; a keyed context can be copied to MAC many messages under one key (HKDF does).
 */
import { sha256, sha256_final, sha256_init, sha256_update, SHA256_CTX_SIZE } from './sha256';
import { wipe } from './ct';

export const HMAC_SHA256_CTX_SIZE: usize = 2 * SHA256_CTX_SIZE;
export const HMAC_SHA256_SIZE: usize = 32;

const PADKEY: usize = memory.data(64, 16);
const INNER: usize = memory.data(32, 16);
const ONESHOT: usize = memory.data(<i32>HMAC_SHA256_CTX_SIZE, 16);

/** Keys `ctx` with `keyLen` bytes at `key` (any length). */
export function hmac_sha256_init(ctx: usize, key: usize, keyLen: usize): void {
  memory.fill(PADKEY, 0, 64);
  if (keyLen > 64) sha256(key, keyLen, PADKEY);
  else memory.copy(PADKEY, key, keyLen);
  for (let i: usize = 0; i < 64; i += 4) store<u32>(PADKEY + i, load<u32>(PADKEY + i) ^ 0x36363636);
  sha256_init(ctx);
  sha256_update(ctx, PADKEY, 64);
  for (let i: usize = 0; i < 64; i += 4) store<u32>(PADKEY + i, load<u32>(PADKEY + i) ^ (0x36363636 ^ 0x5c5c5c5c));
  sha256_init(ctx + SHA256_CTX_SIZE);
  sha256_update(ctx + SHA256_CTX_SIZE, PADKEY, 64);
  wipe(PADKEY, 64);
}

/** Absorbs `len` bytes of message. */
export function hmac_sha256_update(ctx: usize, p: usize, len: usize): void {
  sha256_update(ctx, p, len);
}

/** Writes the 32-byte MAC to `out` and wipes `ctx`. */
export function hmac_sha256_final(ctx: usize, out: usize): void {
  sha256_final(ctx, INNER);
  sha256_update(ctx + SHA256_CTX_SIZE, INNER, 32);
  sha256_final(ctx + SHA256_CTX_SIZE, out);
  wipe(INNER, 32);
}

/** One-shot HMAC-SHA256 of `len` bytes at `p` under `key`; 32 bytes to `out`. */
export function hmac_sha256(key: usize, keyLen: usize, p: usize, len: usize, out: usize): void {
  hmac_sha256_init(ONESHOT, key, keyLen);
  hmac_sha256_update(ONESHOT, p, len);
  hmac_sha256_final(ONESHOT, out);
}
