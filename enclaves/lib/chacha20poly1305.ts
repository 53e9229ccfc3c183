/**
 * ChaCha20-Poly1305 AEAD, RFC 8439 §2.8: the Poly1305 one-time key is keystream block 0 (§2.6), the data is
 * encrypted from block 1, and the tag covers aad || pad16 || ciphertext || pad16 || le64(aadLen) || le64(len).
 *
 * In the SIMD build both directions run the stitched one-pass kernel (./chacha20poly1305_simd.ts), so open
 * decrypts while it authenticates; on a bad tag it then zeroes `dst`. The scalar build authenticates first and
 * zeroes `dst` too, so both builds leave the same thing behind: a false result and `len` zero bytes, never
 * plaintext a caller could mistake for good data. Both functions work in place (`src == dst`).
 */
import { chacha20_block, chacha20_keystream4, chacha20_xor, xor_bytes } from './chacha20';
import { poly1305_blocks, poly1305_final, poly1305_init, POLY1305_CTX_SIZE } from './poly1305';
import { ct_equal, wipe } from './ct';
import { xor4_mac, xor4_state, XOR4_MAC_CHUNK, XOR4_STATE_SIZE } from './chacha20poly1305_simd';

export const CHACHA20POLY1305_KEY_SIZE: usize = 32;
export const CHACHA20POLY1305_NONCE_SIZE: usize = 12;
export const CHACHA20POLY1305_TAG_SIZE: usize = 16;

const MAC_CTX: usize = memory.data(<i32>POLY1305_CTX_SIZE, 16);
const OTK: usize = memory.data(64, 16);
/** Keystream blocks 0..3: the Poly1305 key, then keystream for the first HEAD bytes (SIMD build). */
const KS: usize = memory.data(256, 16);
const HEAD: usize = 192;
const PADBLOCK: usize = memory.data(16, 16);
const EXPECTED: usize = memory.data(16, 16);
/** The stitched kernel's splatted input state (SIMD build); wiped after use. */
const STATE: usize = memory.data(<i32>XOR4_STATE_SIZE, 16);

/**
 * Encrypts `len` bytes from `src` into `dst` under the 32-byte `key` and 12-byte `nonce`, authenticating
 * `aadLen` bytes at `aad` too; writes the 16-byte tag to `tag`.
 */
export function chacha20poly1305_seal(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    // Blocks 0..3 in one 4-way step give the Poly1305 key and the first 192 bytes of keystream. The first
    // 256-byte chunk after them is encrypted alone; from then on, chunk k is encrypted while chunk k-1's
    // ciphertext is absorbed, so every kernel call absorbs a whole chunk.
    chacha20_keystream4(key, nonce, 0, KS);
    start_mac_with(KS, aad, aadLen);
    const head = len < HEAD ? len : HEAD;
    xor_bytes(src, KS + 64, dst, head);
    wipe(KS, 256);
    if (head == len) absorb_padded(dst, len);
    else poly1305_blocks(MAC_CTX, dst, HEAD, 1);
    let off: usize = head, counter: u32 = 4;
    if (len - off >= XOR4_MAC_CHUNK) {
      chacha20_xor(key, nonce, counter, src + off, dst + off, XOR4_MAC_CHUNK);
      off += XOR4_MAC_CHUNK;
      counter += 4;
      if (len - off >= XOR4_MAC_CHUNK) {
        xor4_state(key, nonce, counter, MAC_CTX, STATE);
        while (len - off >= XOR4_MAC_CHUNK) {
          xor4_mac(STATE, src + off, dst + off, MAC_CTX, dst + off - XOR4_MAC_CHUNK);
          off += XOR4_MAC_CHUNK;
          counter += 4;
        }
        wipe(STATE, XOR4_STATE_SIZE);
      }
      poly1305_blocks(MAC_CTX, dst + off - XOR4_MAC_CHUNK, XOR4_MAC_CHUNK, 1);
    }
    chacha20_xor(key, nonce, counter, src + off, dst + off, len - off);
    absorb_padded(dst + off, len - off);
  } else {
    start_mac(key, nonce, aad, aadLen);
    chacha20_xor(key, nonce, 1, src, dst, len);
    absorb_padded(dst, len);
  }
  finish_mac(aadLen, len, tag);
}

/**
 * Checks the 16-byte `tag` over `aad` and the ciphertext at `src` (`len` bytes). If it matches, `dst` holds
 * the plaintext and the result is true; otherwise the result is false and `dst` holds `len` zero bytes.
 */
export function chacha20poly1305_open(
  key: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, dst: usize, tag: usize,
): bool {
  if (ASC_FEATURE_SIMD) {
    chacha20_keystream4(key, nonce, 0, KS);
    start_mac_with(KS, aad, aadLen);
    const head = len < HEAD ? len : HEAD;
    // Absorb before decrypting: src may be dst. Only a short message ends inside the head and needs padding.
    if (head == len) absorb_padded(src, len);
    else poly1305_blocks(MAC_CTX, src, HEAD, 1);
    xor_bytes(src, KS + 64, dst, head);
    wipe(KS, 256);
    let off: usize = head, counter: u32 = 4;
    if (len - off >= XOR4_MAC_CHUNK) {
      xor4_state(key, nonce, counter, MAC_CTX, STATE);
      while (len - off >= XOR4_MAC_CHUNK) {
        xor4_mac(STATE, src + off, dst + off, MAC_CTX, src + off);
        off += XOR4_MAC_CHUNK;
        counter += 4;
      }
      wipe(STATE, XOR4_STATE_SIZE);
    }
    if (off < len) absorb_padded(src + off, len - off);
    finish_mac(aadLen, len, EXPECTED);
    chacha20_xor(key, nonce, counter, src + off, dst + off, len - off);
  } else {
    start_mac(key, nonce, aad, aadLen);
    absorb_padded(src, len);
    finish_mac(aadLen, len, EXPECTED);
  }
  const ok = ct_equal(EXPECTED, tag, 16);
  wipe(EXPECTED, 16);
  if (!ok) {
    wipe(dst, len);
    return false;
  }
  if (!ASC_FEATURE_SIMD) chacha20_xor(key, nonce, 1, src, dst, len);
  return true;
}

/** Poly1305 key from keystream block 0 (§2.6), then the padded AAD. */
@inline
function start_mac(key: usize, nonce: usize, aad: usize, aadLen: usize): void {
  chacha20_block(key, nonce, 0, OTK);
  start_mac_with(OTK, aad, aadLen);
  wipe(OTK, 64);
}

/** As start_mac, with keystream block 0 already at `block0`. */
@inline
function start_mac_with(block0: usize, aad: usize, aadLen: usize): void {
  poly1305_init(MAC_CTX, block0);
  absorb_padded(aad, aadLen);
}

/** The lengths block, then the tag to `out`. */
@inline
function finish_mac(aadLen: usize, len: usize, out: usize): void {
  store<u64>(PADBLOCK, <u64>aadLen);
  store<u64>(PADBLOCK, <u64>len, 8);
  poly1305_blocks(MAC_CTX, PADBLOCK, 16, 1);
  poly1305_final(MAC_CTX, out);
}

/** Feeds `len` bytes then zeros up to the next 16-byte boundary, as whole Poly1305 blocks. */
@inline
function absorb_padded(p: usize, len: usize): void {
  const whole = len & ~(<usize>15);
  if (whole > 0) poly1305_blocks(MAC_CTX, p, whole, 1);
  const rest = len - whole;
  if (rest > 0) {
    memory.fill(PADBLOCK, 0, 16);
    memory.copy(PADBLOCK, p + whole, rest);
    poly1305_blocks(MAC_CTX, PADBLOCK, 16, 1);
    wipe(PADBLOCK, 16);
  }
}
