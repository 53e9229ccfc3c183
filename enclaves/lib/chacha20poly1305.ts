/**
 * ChaCha20-Poly1305 AEAD, RFC 8439 §2.8: the Poly1305 one-time key is keystream block 0 (§2.6), the data is
 * encrypted from block 1, and the tag covers aad || pad16 || ciphertext || pad16 || le64(aadLen) || le64(len).
 *
 * Open authenticates before it decrypts: on a bad tag nothing is written to `dst`, so a caller cannot mistake
 * stale or partial output for plaintext. Both functions work in place (`src == dst`).
 */
import { chacha20_block, chacha20_xor } from './chacha20';
import { poly1305_blocks, poly1305_final, poly1305_init, POLY1305_CTX_SIZE } from './poly1305';
import { ct_equal, wipe } from './ct';

export const CHACHA20POLY1305_KEY_SIZE: usize = 32;
export const CHACHA20POLY1305_NONCE_SIZE: usize = 12;
export const CHACHA20POLY1305_TAG_SIZE: usize = 16;

const MAC_CTX: usize = memory.data(<i32>POLY1305_CTX_SIZE, 16);
const OTK: usize = memory.data(64, 16);
const PADBLOCK: usize = memory.data(16, 16);
const EXPECTED: usize = memory.data(16, 16);

/**
 * Encrypts `len` bytes from `src` into `dst` under the 32-byte `key` and 12-byte `nonce`, authenticating
 * `aadLen` bytes at `aad` too; writes the 16-byte tag to `tag`.
 */
export function chacha20poly1305_seal(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): void {
  chacha20_xor(key, nonce, 1, src, dst, len);
  compute_tag(key, nonce, aad, aadLen, dst, len, tag);
}

/**
 * Checks the 16-byte `tag` over `aad` and the ciphertext at `src` (`len` bytes) and, only if it matches,
 * decrypts into `dst` and returns true. Returns false and leaves `dst` untouched otherwise.
 */
export function chacha20poly1305_open(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): bool {
  compute_tag(key, nonce, aad, aadLen, src, len, EXPECTED);
  const ok = ct_equal(EXPECTED, tag, 16);
  wipe(EXPECTED, 16);
  if (!ok) return false;
  chacha20_xor(key, nonce, 1, src, dst, len);
  return true;
}

function compute_tag(key: usize, nonce: usize, aad: usize, aadLen: usize, ct: usize, len: usize, out: usize): void {
  chacha20_block(key, nonce, 0, OTK);
  poly1305_init(MAC_CTX, OTK);
  wipe(OTK, 64);
  absorb_padded(aad, aadLen);
  absorb_padded(ct, len);
  store<u64>(PADBLOCK, <u64>aadLen);
  store<u64>(PADBLOCK, <u64>len, 8);
  poly1305_blocks(MAC_CTX, PADBLOCK, 16, 1 << 24);
  poly1305_final(MAC_CTX, out);
}

/** Feeds `len` bytes then zeros up to the next 16-byte boundary, as whole Poly1305 blocks. */
@inline
function absorb_padded(p: usize, len: usize): void {
  const whole = len & ~(<usize>15);
  if (whole > 0) poly1305_blocks(MAC_CTX, p, whole, 1 << 24);
  const rest = len - whole;
  if (rest > 0) {
    memory.fill(PADBLOCK, 0, 16);
    memory.copy(PADBLOCK, p + whole, rest);
    poly1305_blocks(MAC_CTX, PADBLOCK, 16, 1 << 24);
    wipe(PADBLOCK, 16);
  }
}
