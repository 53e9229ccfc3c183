/**
 * Poly1305 one-time authenticator, RFC 8439 §2.5 (the 2^130-5 prime field, r clamped as in §2.5.1).
 *
 * The accumulator h is four 32-bit limbs plus a small fifth one; r is four 32-bit limbs. Clamping leaves every
 * r limb below 2^28 and r1..r3 divisible by 4, so each 33x28-bit product fits a u64 with room for four of them
 * (which also lets a message block be added to h without a carry chain), and
 * the reduction by 2^130 = 5 folds into the precomputed s_i = r_i + r_i/4 (= 5·r_i/4). That is 16 wide
 * multiplies per block, against 25 for 26-bit limbs; Wasm has a 64-bit multiply but no 64x64->128 one, and
 * multiplies are what a block costs. (The 32-bit "base 2^32" layout of OpenSSL's poly1305.c.)
 *
 * State lives in a caller-provided context of POLY1305_CTX_SIZE bytes (no allocation); it is loaded into
 * locals once per update, not once per block.
 */

export const POLY1305_CTX_SIZE: usize = 96;

// Context layout (bytes): r0..r3 @0, h0..h4 @16, s (pad) @36, buffered count @52, buffer (16) @64.
export const POLY1305_R: usize = 0;
export const POLY1305_H: usize = 16;
const R = POLY1305_R;
const H = POLY1305_H;
const PAD: usize = 36;
const FILL: usize = 52;
const BUF: usize = 64;

/** Starts a MAC with the 32-byte one-time `key` (r || s). */
export function poly1305_init(ctx: usize, key: usize): void {
  store<u32>(ctx + R, load<u32>(key) & 0x0fffffff);
  store<u32>(ctx + R + 4, load<u32>(key, 4) & 0x0ffffffc);
  store<u32>(ctx + R + 8, load<u32>(key, 8) & 0x0ffffffc);
  store<u32>(ctx + R + 12, load<u32>(key, 12) & 0x0ffffffc);
  memory.fill(ctx + H, 0, 20);
  memory.copy(ctx + PAD, key + 16, 16);
  store<u32>(ctx + FILL, 0);
  memory.fill(ctx + BUF, 0, 16);
}

/** Absorbs `len` bytes; partial blocks are buffered until more data or poly1305_final. */
export function poly1305_update(ctx: usize, m: usize, len: usize): void {
  let fill = <usize>load<u32>(ctx + FILL);
  if (fill > 0) {
    let want: usize = 16 - fill;
    if (want > len) want = len;
    memory.copy(ctx + BUF + fill, m, want);
    fill += want;
    m += want;
    len -= want;
    if (fill < 16) {
      store<u32>(ctx + FILL, <u32>fill);
      return;
    }
    poly1305_blocks(ctx, ctx + BUF, 16, 1);
    fill = 0;
  }
  const whole = len & ~(<usize>15);
  if (whole > 0) poly1305_blocks(ctx, m, whole, 1);
  const rest = len - whole;
  if (rest > 0) memory.copy(ctx + BUF, m + whole, rest);
  store<u32>(ctx + FILL, <u32>rest);
}

/**
 * Absorbs whole 16-byte blocks (`len` a multiple of 16). `padbit` is 1 for full blocks (each carries 2^128),
 * 0 for a final block already padded with a 1 byte by poly1305_final. AEAD (RFC 8439 §2.8) pads with zeros to
 * whole blocks, so it calls this directly.
 *
 * After each block h is only partially reduced (h < 2^130 + a few multiples of 2^128); poly1305_final does
 * the last conditional subtraction.
 */
export function poly1305_blocks(ctx: usize, m: usize, len: usize, padbit: u32): void {
  const r0 = <u64>load<u32>(ctx + R), r1 = <u64>load<u32>(ctx + R + 4);
  const r2 = <u64>load<u32>(ctx + R + 8), r3 = <u64>load<u32>(ctx + R + 12);
  const s1 = r1 + (r1 >> 2), s2 = r2 + (r2 >> 2), s3 = r3 + (r3 >> 2);
  let h0 = load<u32>(ctx + H), h1 = <u64>load<u32>(ctx + H + 4), h2 = load<u32>(ctx + H + 8);
  let h3 = load<u32>(ctx + H + 12), h4 = load<u32>(ctx + H + 16);
  const end = m + len;
  while (m < end) {
    // h += m without carrying between limbs (each a_i < 2^33 + 2), then h *= r partially reduced mod 2^130-5.
    // Bounds: a_i·r_j, a_i·s_j < 2^61.4, four of them < 2^63.4; e4 < 2^32. Only the carry out of h0 is
    // propagated (into h1, which may then reach 2^32 + 1 and is kept in a u64); the rest waits for the end.
    const a0 = <u64>h0 + <u64>load<u32>(m), a1 = h1 + <u64>load<u32>(m, 4);
    const a2 = <u64>h2 + <u64>load<u32>(m, 8), a3 = <u64>h3 + <u64>load<u32>(m, 12);
    const a4 = <u64>(h4 + padbit);
    const d0 = a0 * r0 + a1 * s3 + a2 * s2 + a3 * s1;
    let d1 = a0 * r1 + a1 * r0 + a2 * s3 + a3 * s2 + a4 * s1;
    let d2 = a0 * r2 + a1 * r1 + a2 * r0 + a3 * s3 + a4 * s2;
    let d3 = a0 * r3 + a1 * r2 + a2 * r1 + a3 * r0 + a4 * s3;
    d1 += d0 >> 32;
    d2 += d1 >> 32;
    d3 += d2 >> 32;
    const e4 = <u32>(a4 * r0) + <u32>(d3 >> 32);
    // Fold everything at or above 2^130 back in: (e4 >> 2) * 5 = (e4 & ~3) + (e4 >> 2).
    const t = (d0 & 0xffffffff) + <u64>(e4 >> 2) + <u64>(e4 & ~3);
    h0 = <u32>t;
    h1 = (d1 & 0xffffffff) + (t >> 32);
    h2 = <u32>d2;
    h3 = <u32>d3;
    h4 = e4 & 3;
    m += 16;
  }
  // Finish the carries deferred in the loop, so the context holds 32-bit limbs.
  let u = <u64>h2 + (h1 >> 32);
  h2 = <u32>u;
  u = <u64>h3 + (u >> 32);
  h3 = <u32>u;
  h4 += <u32>(u >> 32);
  store<u32>(ctx + H, h0); store<u32>(ctx + H + 4, <u32>h1); store<u32>(ctx + H + 8, h2);
  store<u32>(ctx + H + 12, h3); store<u32>(ctx + H + 16, h4);
}

/** Finishes the MAC: writes the 16-byte tag to `tag` and wipes the context. */
export function poly1305_final(ctx: usize, tag: usize): void {
  const fill = <usize>load<u32>(ctx + FILL);
  if (fill > 0) {
    store<u8>(ctx + BUF + fill, 1);
    memory.fill(ctx + BUF + fill + 1, 0, 15 - fill);
    poly1305_blocks(ctx, ctx + BUF, 16, 0);
  }
  let h0 = load<u32>(ctx + H), h1 = <u64>load<u32>(ctx + H + 4), h2 = load<u32>(ctx + H + 8);
  let h3 = load<u32>(ctx + H + 12);
  const h4 = load<u32>(ctx + H + 16);
  // g = h + 5: if it reaches 2^130, h >= p and h - p = g mod 2^130 is the reduced value. Select without branches.
  let t = <u64>h0 + 5;
  let g0 = <u32>t;
  t = <u64>h1 + (t >> 32);
  let g1 = <u32>t;
  t = <u64>h2 + (t >> 32);
  let g2 = <u32>t;
  t = <u64>h3 + (t >> 32);
  let g3 = <u32>t;
  const g4 = h4 + <u32>(t >> 32);
  const useG = 0 - (g4 >> 2); // all ones when g >= 2^130
  h0 = (h0 & ~useG) | (g0 & useG);
  h1 = (h1 & ~useG) | (g1 & useG);
  h2 = (h2 & ~useG) | (g2 & useG);
  h3 = (h3 & ~useG) | (g3 & useG);
  // tag = (h + s) mod 2^128.
  t = <u64>h0 + <u64>load<u32>(ctx + PAD);
  store<u32>(tag, <u32>t);
  t = <u64>h1 + <u64>load<u32>(ctx + PAD + 4) + (t >> 32);
  store<u32>(tag, <u32>t, 4);
  t = <u64>h2 + <u64>load<u32>(ctx + PAD + 8) + (t >> 32);
  store<u32>(tag, <u32>t, 8);
  t = <u64>h3 + <u64>load<u32>(ctx + PAD + 12) + (t >> 32);
  store<u32>(tag, <u32>t, 12);
  memory.fill(ctx, 0, POLY1305_CTX_SIZE);
}

/** One-shot MAC of `len` bytes at `m` under the 32-byte one-time `key`; writes 16 bytes to `tag`. */
export function poly1305_mac(key: usize, m: usize, len: usize, tag: usize): void {
  poly1305_init(ONESHOT, key);
  poly1305_update(ONESHOT, m, len);
  poly1305_final(ONESHOT, tag);
}

const ONESHOT: usize = memory.data(<i32>POLY1305_CTX_SIZE, 16);
