/**
 * ChaCha20 stream cipher, RFC 8439 §2.1–§2.4 (IETF variant: 256-bit key, 32-bit block counter, 96-bit nonce),
 * and HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2), which derives XChaCha20's subkey.
 *
 * When compiled with `--enable simd` (ASC_FEATURE_SIMD) four consecutive blocks are computed at once, one block
 * per v128 lane, and transposed back to byte order before the XOR; a tail of at most one block and the scalar
 * build use the one-block path. Both paths produce the same keystream; tests/crypto checks it.
 */

// "expand 32-byte k" as four little-endian words.
export const C0: u32 = 0x61707865;
export const C1: u32 = 0x3320646e;
export const C2: u32 = 0x79622d32;
export const C3: u32 = 0x6b206574;

/** One keystream block for the partial tail; wiped after use. */
const TAIL: usize = memory.data(64, 16);
/** Four keystream blocks for tails of more than one block in the SIMD build; wiped after use. */
const TAIL4: usize = memory.data(256, 16);
/** Never written: XORing it gives the bare keystream. */
const ZERO4: usize = memory.data(256, 16);

/**
 * XORs `len` bytes from `src` with the ChaCha20 keystream for (`key`, `nonce`) starting at block `counter`, into
 * `dst`. `src == dst` (in place) is allowed; other overlaps are not. The caller keeps `len` within the 2^32-block
 * counter space (RFC 8439 §2.4: 256 GiB per nonce).
 */
export function chacha20_xor(key: usize, nonce: usize, counter: u32, src: usize, dst: usize, len: usize): void {
  let off: usize = 0;
  if (ASC_FEATURE_SIMD) {
    while (len - off >= 256) {
      xor4(key, nonce, counter, src + off, dst + off);
      counter += 4;
      off += 256;
    }
    // A tail of two to four blocks costs one 4-way step instead of up to four scalar blocks.
    if (len - off > 64) {
      xor4(key, nonce, counter, ZERO4, TAIL4);
      xor_bytes(src + off, TAIL4, dst + off, len - off);
      memory.fill(TAIL4, 0, 256);
      return;
    }
  }
  while (len - off >= 64) {
    block(key, nonce, counter, src + off, dst + off, true);
    counter++;
    off += 64;
  }
  if (off < len) {
    memory.fill(TAIL, 0, 64);
    block(key, nonce, counter, TAIL, TAIL, true);
    for (let i: usize = 0; off + i < len; i++) {
      store<u8>(dst + off + i, load<u8>(src + off + i) ^ load<u8>(TAIL + i));
    }
    memory.fill(TAIL, 0, 64);
  }
}

/**
 * Writes keystream blocks counter..counter+3 (256 bytes) to `out`: one 4-way step in the SIMD build. The AEAD
 * takes its Poly1305 key and the first 192 bytes of keystream from one such call.
 */
export function chacha20_keystream4(key: usize, nonce: usize, counter: u32, out: usize): void {
  if (ASC_FEATURE_SIMD) {
    xor4(key, nonce, counter, ZERO4, out);
  } else {
    for (let i: u32 = 0; i < 4; i++) block(key, nonce, counter + i, 0, out + (<usize>i << 6), false);
  }
}

/** dst[i] = a[i] ^ b[i] for `len` bytes, eight at a time. */
export function xor_bytes(a: usize, b: usize, dst: usize, len: usize): void {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) store<u64>(dst + i, load<u64>(a + i) ^ load<u64>(b + i));
  for (; i < len; i++) store<u8>(dst + i, load<u8>(a + i) ^ load<u8>(b + i));
}

/** Writes the 64-byte keystream block number `counter` to `out` (RFC 8439 §2.3). */
export function chacha20_block(key: usize, nonce: usize, counter: u32, out: usize): void {
  block(key, nonce, counter, 0, out, false);
}

/**
 * HChaCha20: the 20 rounds over (constants, key, 16-byte `nonce`) without the final addition, keeping words
 * 0..3 and 12..15 as the 32-byte subkey written to `out`.
 */
export function hchacha20(key: usize, nonce: usize, out: usize): void {
  let x0 = C0, x1 = C1, x2 = C2, x3 = C3;
  let x4 = load<u32>(key), x5 = load<u32>(key, 4), x6 = load<u32>(key, 8), x7 = load<u32>(key, 12);
  let x8 = load<u32>(key, 16), x9 = load<u32>(key, 20), x10 = load<u32>(key, 24), x11 = load<u32>(key, 28);
  let x12 = load<u32>(nonce), x13 = load<u32>(nonce, 4), x14 = load<u32>(nonce, 8), x15 = load<u32>(nonce, 12);
  for (let i = 0; i < 10; i++) {
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  store<u32>(out, x0); store<u32>(out, x1, 4); store<u32>(out, x2, 8); store<u32>(out, x3, 12);
  store<u32>(out, x12, 16); store<u32>(out, x13, 20); store<u32>(out, x14, 24); store<u32>(out, x15, 28);
}

/**
 * One block (RFC 8439 §2.3): 20 rounds, add the input state, then either XOR 64 bytes of `src` into `dst`
 * (`xor`) or store the keystream to `dst`.
 */
@inline
function block(key: usize, nonce: usize, counter: u32, src: usize, dst: usize, xor: bool): void {
  const k0 = load<u32>(key), k1 = load<u32>(key, 4), k2 = load<u32>(key, 8), k3 = load<u32>(key, 12);
  const k4 = load<u32>(key, 16), k5 = load<u32>(key, 20), k6 = load<u32>(key, 24), k7 = load<u32>(key, 28);
  const n0 = load<u32>(nonce), n1 = load<u32>(nonce, 4), n2 = load<u32>(nonce, 8);
  let x0 = C0, x1 = C1, x2 = C2, x3 = C3;
  let x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
  let x12 = counter, x13 = n0, x14 = n1, x15 = n2;
  for (let i = 0; i < 10; i++) {
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  x0 += C0; x1 += C1; x2 += C2; x3 += C3;
  x4 += k0; x5 += k1; x6 += k2; x7 += k3; x8 += k4; x9 += k5; x10 += k6; x11 += k7;
  x12 += counter; x13 += n0; x14 += n1; x15 += n2;
  if (xor) {
    x0 ^= load<u32>(src); x1 ^= load<u32>(src, 4); x2 ^= load<u32>(src, 8); x3 ^= load<u32>(src, 12);
    x4 ^= load<u32>(src, 16); x5 ^= load<u32>(src, 20); x6 ^= load<u32>(src, 24); x7 ^= load<u32>(src, 28);
    x8 ^= load<u32>(src, 32); x9 ^= load<u32>(src, 36); x10 ^= load<u32>(src, 40); x11 ^= load<u32>(src, 44);
    x12 ^= load<u32>(src, 48); x13 ^= load<u32>(src, 52); x14 ^= load<u32>(src, 56); x15 ^= load<u32>(src, 60);
  }
  store<u32>(dst, x0); store<u32>(dst, x1, 4); store<u32>(dst, x2, 8); store<u32>(dst, x3, 12);
  store<u32>(dst, x4, 16); store<u32>(dst, x5, 20); store<u32>(dst, x6, 24); store<u32>(dst, x7, 28);
  store<u32>(dst, x8, 32); store<u32>(dst, x9, 36); store<u32>(dst, x10, 40); store<u32>(dst, x11, 44);
  store<u32>(dst, x12, 48); store<u32>(dst, x13, 52); store<u32>(dst, x14, 56); store<u32>(dst, x15, 60);
}

// Byte permutations rotating every 32-bit lane left by 16 and by 8. A swizzle with constant in-range indices
// becomes one pshufb on x64 engines; the equivalent i8x16.shuffle made V8 build the mask each time (measured
// about 15% slower for ChaCha20), and shift+shift+or is three instructions.
@inline export function rot16(x: v128): v128 {
  return i8x16.swizzle(x, i8x16(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
@inline export function rot8(x: v128): v128 {
  return i8x16.swizzle(x, i8x16(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14));
}
@inline export function rot12(x: v128): v128 {
  return v128.or(i32x4.shl(x, 12), i32x4.shr_u(x, 20));
}
@inline export function rot7(x: v128): v128 {
  return v128.or(i32x4.shl(x, 7), i32x4.shr_u(x, 25));
}

/**
 * Four blocks (counter .. counter+3) at once: lane j of word vector xi holds word i of block j. After the rounds,
 * each group of four word vectors is transposed so that a vector holds 16 contiguous bytes of one block.
 */
@inline
function xor4(key: usize, nonce: usize, counter: u32, src: usize, dst: usize): void {
  // Key, nonce and counter are splatted again for the final addition rather than kept in locals, so that only
  // the sixteen state vectors are live across the rounds (x64 has sixteen vector registers).
  let x0 = i32x4.splat(C0), x1 = i32x4.splat(C1), x2 = i32x4.splat(C2), x3 = i32x4.splat(C3);
  let x4 = i32x4.splat(load<u32>(key)), x5 = i32x4.splat(load<u32>(key, 4));
  let x6 = i32x4.splat(load<u32>(key, 8)), x7 = i32x4.splat(load<u32>(key, 12));
  let x8 = i32x4.splat(load<u32>(key, 16)), x9 = i32x4.splat(load<u32>(key, 20));
  let x10 = i32x4.splat(load<u32>(key, 24)), x11 = i32x4.splat(load<u32>(key, 28));
  let x12 = i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3));
  let x13 = i32x4.splat(load<u32>(nonce)), x14 = i32x4.splat(load<u32>(nonce, 4)), x15 = i32x4.splat(load<u32>(nonce, 8));
  for (let i = 0; i < 10; i++) {
    x0 = i32x4.add(x0, x4); x12 = rot16(v128.xor(x12, x0));
    x1 = i32x4.add(x1, x5); x13 = rot16(v128.xor(x13, x1));
    x2 = i32x4.add(x2, x6); x14 = rot16(v128.xor(x14, x2));
    x3 = i32x4.add(x3, x7); x15 = rot16(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x4 = rot12(v128.xor(x4, x8));
    x9 = i32x4.add(x9, x13); x5 = rot12(v128.xor(x5, x9));
    x10 = i32x4.add(x10, x14); x6 = rot12(v128.xor(x6, x10));
    x11 = i32x4.add(x11, x15); x7 = rot12(v128.xor(x7, x11));
    x0 = i32x4.add(x0, x4); x12 = rot8(v128.xor(x12, x0));
    x1 = i32x4.add(x1, x5); x13 = rot8(v128.xor(x13, x1));
    x2 = i32x4.add(x2, x6); x14 = rot8(v128.xor(x14, x2));
    x3 = i32x4.add(x3, x7); x15 = rot8(v128.xor(x15, x3));
    x8 = i32x4.add(x8, x12); x4 = rot7(v128.xor(x4, x8));
    x9 = i32x4.add(x9, x13); x5 = rot7(v128.xor(x5, x9));
    x10 = i32x4.add(x10, x14); x6 = rot7(v128.xor(x6, x10));
    x11 = i32x4.add(x11, x15); x7 = rot7(v128.xor(x7, x11));

    x0 = i32x4.add(x0, x5); x15 = rot16(v128.xor(x15, x0));
    x1 = i32x4.add(x1, x6); x12 = rot16(v128.xor(x12, x1));
    x2 = i32x4.add(x2, x7); x13 = rot16(v128.xor(x13, x2));
    x3 = i32x4.add(x3, x4); x14 = rot16(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x5 = rot12(v128.xor(x5, x10));
    x11 = i32x4.add(x11, x12); x6 = rot12(v128.xor(x6, x11));
    x8 = i32x4.add(x8, x13); x7 = rot12(v128.xor(x7, x8));
    x9 = i32x4.add(x9, x14); x4 = rot12(v128.xor(x4, x9));
    x0 = i32x4.add(x0, x5); x15 = rot8(v128.xor(x15, x0));
    x1 = i32x4.add(x1, x6); x12 = rot8(v128.xor(x12, x1));
    x2 = i32x4.add(x2, x7); x13 = rot8(v128.xor(x13, x2));
    x3 = i32x4.add(x3, x4); x14 = rot8(v128.xor(x14, x3));
    x10 = i32x4.add(x10, x15); x5 = rot7(v128.xor(x5, x10));
    x11 = i32x4.add(x11, x12); x6 = rot7(v128.xor(x6, x11));
    x8 = i32x4.add(x8, x13); x7 = rot7(v128.xor(x7, x8));
    x9 = i32x4.add(x9, x14); x4 = rot7(v128.xor(x4, x9));
  }
  x0 = i32x4.add(x0, i32x4.splat(C0)); x1 = i32x4.add(x1, i32x4.splat(C1));
  x2 = i32x4.add(x2, i32x4.splat(C2)); x3 = i32x4.add(x3, i32x4.splat(C3));
  x4 = i32x4.add(x4, i32x4.splat(load<u32>(key))); x5 = i32x4.add(x5, i32x4.splat(load<u32>(key, 4)));
  x6 = i32x4.add(x6, i32x4.splat(load<u32>(key, 8))); x7 = i32x4.add(x7, i32x4.splat(load<u32>(key, 12)));
  x8 = i32x4.add(x8, i32x4.splat(load<u32>(key, 16))); x9 = i32x4.add(x9, i32x4.splat(load<u32>(key, 20)));
  x10 = i32x4.add(x10, i32x4.splat(load<u32>(key, 24))); x11 = i32x4.add(x11, i32x4.splat(load<u32>(key, 28)));
  x12 = i32x4.add(x12, i32x4.add(i32x4.splat(counter), i32x4(0, 1, 2, 3)));
  x13 = i32x4.add(x13, i32x4.splat(load<u32>(nonce))); x14 = i32x4.add(x14, i32x4.splat(load<u32>(nonce, 4)));
  x15 = i32x4.add(x15, i32x4.splat(load<u32>(nonce, 8)));
  emit4(x0, x1, x2, x3, src, dst);
  emit4(x4, x5, x6, x7, src + 16, dst + 16);
  emit4(x8, x9, x10, x11, src + 32, dst + 32);
  emit4(x12, x13, x14, x15, src + 48, dst + 48);
}

/** Transposes words a..d (lane j = block j) into per-block rows and XORs them at offset 0/64/128/192. */
@inline
export function emit4(a: v128, b: v128, c: v128, d: v128, src: usize, dst: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.xor(v128.load(src), i64x2.shuffle(t0, t1, 0, 2)));
  v128.store(dst, v128.xor(v128.load(src, 64), i64x2.shuffle(t0, t1, 1, 3)), 64);
  v128.store(dst, v128.xor(v128.load(src, 128), i64x2.shuffle(t2, t3, 0, 2)), 128);
  v128.store(dst, v128.xor(v128.load(src, 192), i64x2.shuffle(t2, t3, 1, 3)), 192);
}
