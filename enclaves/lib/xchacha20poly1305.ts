/**
 * XChaCha20-Poly1305 AEAD, draft-irtf-cfrg-xchacha-03 §2.3: HChaCha20(key, nonce[0..16]) gives a subkey, and
 * ChaCha20-Poly1305 (RFC 8439) runs under it with the 12-byte nonce 0^4 || nonce[16..24]. Its 24-byte nonce is
 * long enough to pick at random for every message.
 */
import { hchacha20 } from './chacha20';
import { chacha20poly1305_open, chacha20poly1305_seal } from './chacha20poly1305';
import { wipe } from './ct';

export const XCHACHA20POLY1305_NONCE_SIZE: usize = 24;

const SUBKEY: usize = memory.data(32, 16);
const NONCE12: usize = memory.data(12, 16);

@inline
function derive(key: usize, nonce: usize): void {
  hchacha20(key, nonce, SUBKEY);
  store<u32>(NONCE12, 0);
  store<u64>(NONCE12, load<u64>(nonce, 16), 4);
}

/** As chacha20poly1305_seal, with a 24-byte `nonce`. */
export function xchacha20poly1305_seal(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): void {
  derive(key, nonce);
  chacha20poly1305_seal(SUBKEY, NONCE12, aad, aadLen, src, len, dst, tag);
  wipe(SUBKEY, 32);
}

/** As chacha20poly1305_open, with a 24-byte `nonce`: false (and `dst` untouched) on a bad tag. */
export function xchacha20poly1305_open(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): bool {
  derive(key, nonce);
  const ok = chacha20poly1305_open(SUBKEY, NONCE12, aad, aadLen, src, len, dst, tag);
  wipe(SUBKEY, 32);
  return ok;
}
