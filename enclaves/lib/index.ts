/**
 * emon's trusted crypto core, linked into enclave modules and instantiated on its own by the simulated hardware's
 * EPC pager: ChaCha20-Poly1305 and XChaCha20-Poly1305 (RFC 8439, draft-irtf-cfrg-xchacha-03), SHA-256
 * (FIPS 180-4), HMAC-SHA256 (RFC 2104), HKDF-SHA256 (RFC 5869). Every function works on raw pointers and lengths
 * in the caller's linear memory and never allocates; contexts are caller-provided blocks of *_CTX_SIZE bytes.
 * Scratch space is static data, so the core is not reentrant (Wasm instances are single-threaded).
 * AEAD open checks the tag in constant time and, on a mismatch, returns false with `len` zero bytes in `dst`.
 * Compiled with `--enable simd` the same sources take their v128 paths (ASC_FEATURE_SIMD); results are identical.
 */
export { chacha20_xor, chacha20_block, hchacha20 } from './chacha20';
export { poly1305_init, poly1305_update, poly1305_final, poly1305_mac, POLY1305_CTX_SIZE } from './poly1305';
export {
  chacha20poly1305_seal, chacha20poly1305_open,
  CHACHA20POLY1305_KEY_SIZE, CHACHA20POLY1305_NONCE_SIZE, CHACHA20POLY1305_TAG_SIZE,
} from './chacha20poly1305';
export { xchacha20poly1305_seal, xchacha20poly1305_open, XCHACHA20POLY1305_NONCE_SIZE } from './xchacha20poly1305';
export {
  sha256_init, sha256_update, sha256_final, sha256, SHA256_CTX_SIZE, SHA256_DIGEST_SIZE, SHA256_BLOCK_SIZE,
} from './sha256';
export {
  hmac_sha256_init, hmac_sha256_update, hmac_sha256_final, hmac_sha256, HMAC_SHA256_CTX_SIZE, HMAC_SHA256_SIZE,
} from './hmac';
export { hkdf_sha256_extract, hkdf_sha256_expand, hkdf_sha256, HKDF_SHA256_MAX_OUTPUT } from './hkdf';
export { ct_equal, wipe } from './ct';
