/**
 * Poly1305 one-time authenticator, RFC 8439 §2.5 (the 2^130-5 prime field, r clamped as in §2.5.1).
 *
 * The accumulator and r are held in five 26-bit limbs so every product fits a u64 (the "donna-32" layout:
 * limb products < 2^58, sums of five < 2^61). Wasm has 64-bit multiplies but no 64x64->128 one, so this is the
 * widest limb size that needs no carry handling inside a multiplication.
 *
 * State lives in a caller-provided context of POLY1305_CTX_SIZE bytes (no allocation); it is loaded into locals
 * once per update, not once per block.
 */

export const POLY1305_CTX_SIZE: usize = 96;

// Context layout (bytes): r0..r4 @0, h0..h4 @20, pad0..3 @40, buffered count @56, buffer (16) @64.
export const POLY1305_R: usize = 0;
export const POLY1305_H: usize = 20;
const R = POLY1305_R;
const H = POLY1305_H;
const PAD: usize = 40;
const FILL: usize = 56;
const BUF: usize = 64;
const MASK26: u32 = 0x3ffffff;

/** Starts a MAC with the 32-byte one-time `key` (r || s). */
export function poly1305_init(ctx: usize, key: usize): void {
  store<u32>(ctx + R, load<u32>(key) & 0x3ffffff);
  store<u32>(ctx + R + 4, (load<u32>(key, 3) >> 2) & 0x3ffff03);
  store<u32>(ctx + R + 8, (load<u32>(key, 6) >> 4) & 0x3ffc0ff);
  store<u32>(ctx + R + 12, (load<u32>(key, 9) >> 6) & 0x3f03fff);
  store<u32>(ctx + R + 16, (load<u32>(key, 12) >> 8) & 0x00fffff);
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
    poly1305_blocks(ctx, ctx + BUF, 16, 1 << 24);
    fill = 0;
  }
  const whole = len & ~(<usize>15);
  if (whole > 0) poly1305_blocks(ctx, m, whole, 1 << 24);
  const rest = len - whole;
  if (rest > 0) memory.copy(ctx + BUF, m + whole, rest);
  store<u32>(ctx + FILL, <u32>rest);
}

/**
 * Absorbs whole 16-byte blocks (`len` a multiple of 16). `hibit` is 2^24 in the top limb (the 2^128 bit every
 * full block carries), or 0 for a final block that was padded with a 1 byte by poly1305_final.
 * AEAD (RFC 8439 §2.8) pads with zeros to whole blocks, so it calls this directly.
 */
export function poly1305_blocks(ctx: usize, m: usize, len: usize, hibit: u32): void {
  const r0 = <u64>load<u32>(ctx + R), r1 = <u64>load<u32>(ctx + R + 4), r2 = <u64>load<u32>(ctx + R + 8);
  const r3 = <u64>load<u32>(ctx + R + 12), r4 = <u64>load<u32>(ctx + R + 16);
  const s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
  let h0 = load<u32>(ctx + H), h1 = load<u32>(ctx + H + 4), h2 = load<u32>(ctx + H + 8);
  let h3 = load<u32>(ctx + H + 12), h4 = load<u32>(ctx + H + 16);
  const end = m + len;
  while (m < end) {
    h0 += load<u32>(m) & MASK26;
    h1 += (load<u32>(m, 3) >> 2) & MASK26;
    h2 += (load<u32>(m, 6) >> 4) & MASK26;
    h3 += (load<u32>(m, 9) >> 6) & MASK26;
    h4 += (load<u32>(m, 12) >> 8) | hibit;
    const a0 = <u64>h0, a1 = <u64>h1, a2 = <u64>h2, a3 = <u64>h3, a4 = <u64>h4;
    const d0 = a0 * r0 + a1 * s4 + a2 * s3 + a3 * s2 + a4 * s1;
    let d1 = a0 * r1 + a1 * r0 + a2 * s4 + a3 * s3 + a4 * s2;
    let d2 = a0 * r2 + a1 * r1 + a2 * r0 + a3 * s4 + a4 * s3;
    let d3 = a0 * r3 + a1 * r2 + a2 * r1 + a3 * r0 + a4 * s4;
    let d4 = a0 * r4 + a1 * r3 + a2 * r2 + a3 * r1 + a4 * r0;
    h0 = <u32>d0 & MASK26; d1 += d0 >> 26;
    h1 = <u32>d1 & MASK26; d2 += d1 >> 26;
    h2 = <u32>d2 & MASK26; d3 += d2 >> 26;
    h3 = <u32>d3 & MASK26; d4 += d3 >> 26;
    h4 = <u32>d4 & MASK26;
    const t = <u64>h0 + (d4 >> 26) * 5;
    h0 = <u32>t & MASK26; h1 += <u32>(t >> 26);
    m += 16;
  }
  store<u32>(ctx + H, h0); store<u32>(ctx + H + 4, h1); store<u32>(ctx + H + 8, h2);
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
  let h0 = load<u32>(ctx + H), h1 = load<u32>(ctx + H + 4), h2 = load<u32>(ctx + H + 8);
  let h3 = load<u32>(ctx + H + 12), h4 = load<u32>(ctx + H + 16);
  // Full carry so every limb is < 2^26, then h mod p by computing h + 5 - 2^130 and selecting without branches.
  let c: u32;
  c = h1 >> 26; h1 &= MASK26; h2 += c;
  c = h2 >> 26; h2 &= MASK26; h3 += c;
  c = h3 >> 26; h3 &= MASK26; h4 += c;
  c = h4 >> 26; h4 &= MASK26; h0 += c * 5;
  c = h0 >> 26; h0 &= MASK26; h1 += c;
  let g0 = h0 + 5; c = g0 >> 26; g0 &= MASK26;
  let g1 = h1 + c; c = g1 >> 26; g1 &= MASK26;
  let g2 = h2 + c; c = g2 >> 26; g2 &= MASK26;
  let g3 = h3 + c; c = g3 >> 26; g3 &= MASK26;
  let g4 = h4 + c - (1 << 26);
  let sel = (g4 >> 31) - 1; // all ones when h >= p (g4 did not go negative)
  g0 &= sel; g1 &= sel; g2 &= sel; g3 &= sel; g4 &= sel;
  sel = ~sel;
  h0 = (h0 & sel) | g0; h1 = (h1 & sel) | g1; h2 = (h2 & sel) | g2; h3 = (h3 & sel) | g3; h4 = (h4 & sel) | g4;
  // h mod 2^128, plus s.
  const w0 = h0 | (h1 << 26), w1 = (h1 >> 6) | (h2 << 20), w2 = (h2 >> 12) | (h3 << 14), w3 = (h3 >> 18) | (h4 << 8);
  let f: u64 = <u64>w0 + <u64>load<u32>(ctx + PAD);
  store<u32>(tag, <u32>f);
  f = <u64>w1 + <u64>load<u32>(ctx + PAD + 4) + (f >> 32);
  store<u32>(tag, <u32>f, 4);
  f = <u64>w2 + <u64>load<u32>(ctx + PAD + 8) + (f >> 32);
  store<u32>(tag, <u32>f, 8);
  f = <u64>w3 + <u64>load<u32>(ctx + PAD + 12) + (f >> 32);
  store<u32>(tag, <u32>f, 12);
  memory.fill(ctx, 0, POLY1305_CTX_SIZE);
}

/** One-shot MAC of `len` bytes at `m` under the 32-byte one-time `key`; writes 16 bytes to `tag`. */
export function poly1305_mac(key: usize, m: usize, len: usize, tag: usize): void {
  poly1305_init(ONESHOT, key);
  poly1305_update(ONESHOT, m, len);
  poly1305_final(ONESHOT, tag);
}

const ONESHOT: usize = memory.data(<i32>POLY1305_CTX_SIZE, 16);
