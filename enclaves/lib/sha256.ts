/**
 * SHA-256, FIPS 180-4 §6.2 (padding §5.1.1, initial hash value §5.3.3, constants §4.2.2).
 *
 * Streaming state lives in a caller-provided context of SHA256_CTX_SIZE bytes; the one-shot form uses a private
 * context. No allocation: the message schedule is a 16-word window in locals.
 */

export const SHA256_CTX_SIZE: usize = 112;
export const SHA256_DIGEST_SIZE: usize = 32;
export const SHA256_BLOCK_SIZE: usize = 64;

// Context layout (bytes): state H0..H7 @0, total length (bytes, u64) @32, buffered count @40, buffer (64) @48.
const ST: usize = 0;
const TOTAL: usize = 32;
const FILL: usize = 40;
const BUF: usize = 48;

const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const ONESHOT: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);

/** Starts a hash in `ctx`. */
export function sha256_init(ctx: usize): void {
  store<u32>(ctx + ST, 0x6a09e667); store<u32>(ctx + ST, 0xbb67ae85, 4);
  store<u32>(ctx + ST, 0x3c6ef372, 8); store<u32>(ctx + ST, 0xa54ff53a, 12);
  store<u32>(ctx + ST, 0x510e527f, 16); store<u32>(ctx + ST, 0x9b05688c, 20);
  store<u32>(ctx + ST, 0x1f83d9ab, 24); store<u32>(ctx + ST, 0x5be0cd19, 28);
  store<u64>(ctx + TOTAL, 0);
  store<u32>(ctx + FILL, 0);
}

/** Absorbs `len` bytes at `p`. */
export function sha256_update(ctx: usize, p: usize, len: usize): void {
  store<u64>(ctx + TOTAL, load<u64>(ctx + TOTAL) + <u64>len);
  let fill = <usize>load<u32>(ctx + FILL);
  if (fill > 0) {
    let want: usize = 64 - fill;
    if (want > len) want = len;
    memory.copy(ctx + BUF + fill, p, want);
    fill += want;
    p += want;
    len -= want;
    if (fill < 64) {
      store<u32>(ctx + FILL, <u32>fill);
      return;
    }
    compress(ctx, ctx + BUF, 1);
  }
  const blocks = len >> 6;
  if (blocks > 0) compress(ctx, p, blocks);
  const rest = len & 63;
  if (rest > 0) memory.copy(ctx + BUF, p + (blocks << 6), rest);
  store<u32>(ctx + FILL, <u32>rest);
}

/** Writes the 32-byte digest to `out` and wipes `ctx`. */
export function sha256_final(ctx: usize, out: usize): void {
  const fill = <usize>load<u32>(ctx + FILL);
  const bits = load<u64>(ctx + TOTAL) << 3;
  store<u8>(ctx + BUF + fill, 0x80);
  if (fill + 1 > 56) {
    memory.fill(ctx + BUF + fill + 1, 0, 63 - fill);
    compress(ctx, ctx + BUF, 1);
    memory.fill(ctx + BUF, 0, 56);
  } else {
    memory.fill(ctx + BUF + fill + 1, 0, 55 - fill);
  }
  store<u64>(ctx + BUF + 56, bswap<u64>(bits));
  compress(ctx, ctx + BUF, 1);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(out + i, bswap<u32>(load<u32>(ctx + ST + i)));
  memory.fill(ctx, 0, SHA256_CTX_SIZE);
}

/** One-shot SHA-256 of `len` bytes at `p` into the 32 bytes at `out`. */
export function sha256(p: usize, len: usize, out: usize): void {
  sha256_init(ONESHOT);
  sha256_update(ONESHOT, p, len);
  sha256_final(ONESHOT, out);
}

@inline function bsig0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
@inline function bsig1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
@inline function ssig0(x: u32): u32 { return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >> 3); }
@inline function ssig1(x: u32): u32 { return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >> 10); }

/**
 * FIPS 180-4 §6.2.2 over `n` consecutive 64-byte blocks at `p`. The 16-word message schedule window lives in
 * locals w0..w15 and the eight working variables rotate by name, so a round touches memory only for K[t];
 * rounds 16..63 run as three passes of one 16-round body.
 */
function compress(ctx: usize, p: usize, n: usize): void {
  let h0 = load<u32>(ctx + ST), h1 = load<u32>(ctx + ST, 4), h2 = load<u32>(ctx + ST, 8), h3 = load<u32>(ctx + ST, 12);
  let h4 = load<u32>(ctx + ST, 16), h5 = load<u32>(ctx + ST, 20), h6 = load<u32>(ctx + ST, 24), h7 = load<u32>(ctx + ST, 28);
  for (let blk: usize = 0; blk < n; blk++) {
    const m = p + (blk << 6);
    let w0 = bswap<u32>(load<u32>(m, 0)), w1 = bswap<u32>(load<u32>(m, 4)), w2 = bswap<u32>(load<u32>(m, 8)), w3 = bswap<u32>(load<u32>(m, 12)),
      w4 = bswap<u32>(load<u32>(m, 16)), w5 = bswap<u32>(load<u32>(m, 20)), w6 = bswap<u32>(load<u32>(m, 24)), w7 = bswap<u32>(load<u32>(m, 28)),
      w8 = bswap<u32>(load<u32>(m, 32)), w9 = bswap<u32>(load<u32>(m, 36)), w10 = bswap<u32>(load<u32>(m, 40)), w11 = bswap<u32>(load<u32>(m, 44)),
      w12 = bswap<u32>(load<u32>(m, 48)), w13 = bswap<u32>(load<u32>(m, 52)), w14 = bswap<u32>(load<u32>(m, 56)), w15 = bswap<u32>(load<u32>(m, 60));
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    let t1: u32;
    {
      t1 = h + bsig1(e) + ((e & f) ^ (~e & g)) + load<u32>(K + 0) + w0;
      d += t1;
      h = t1 + bsig0(a) + ((a & b) ^ (a & c) ^ (b & c));
      t1 = g + bsig1(d) + ((d & e) ^ (~d & f)) + load<u32>(K + 4) + w1;
      c += t1;
      g = t1 + bsig0(h) + ((h & a) ^ (h & b) ^ (a & b));
      t1 = f + bsig1(c) + ((c & d) ^ (~c & e)) + load<u32>(K + 8) + w2;
      b += t1;
      f = t1 + bsig0(g) + ((g & h) ^ (g & a) ^ (h & a));
      t1 = e + bsig1(b) + ((b & c) ^ (~b & d)) + load<u32>(K + 12) + w3;
      a += t1;
      e = t1 + bsig0(f) + ((f & g) ^ (f & h) ^ (g & h));
      t1 = d + bsig1(a) + ((a & b) ^ (~a & c)) + load<u32>(K + 16) + w4;
      h += t1;
      d = t1 + bsig0(e) + ((e & f) ^ (e & g) ^ (f & g));
      t1 = c + bsig1(h) + ((h & a) ^ (~h & b)) + load<u32>(K + 20) + w5;
      g += t1;
      c = t1 + bsig0(d) + ((d & e) ^ (d & f) ^ (e & f));
      t1 = b + bsig1(g) + ((g & h) ^ (~g & a)) + load<u32>(K + 24) + w6;
      f += t1;
      b = t1 + bsig0(c) + ((c & d) ^ (c & e) ^ (d & e));
      t1 = a + bsig1(f) + ((f & g) ^ (~f & h)) + load<u32>(K + 28) + w7;
      e += t1;
      a = t1 + bsig0(b) + ((b & c) ^ (b & d) ^ (c & d));
      t1 = h + bsig1(e) + ((e & f) ^ (~e & g)) + load<u32>(K + 32) + w8;
      d += t1;
      h = t1 + bsig0(a) + ((a & b) ^ (a & c) ^ (b & c));
      t1 = g + bsig1(d) + ((d & e) ^ (~d & f)) + load<u32>(K + 36) + w9;
      c += t1;
      g = t1 + bsig0(h) + ((h & a) ^ (h & b) ^ (a & b));
      t1 = f + bsig1(c) + ((c & d) ^ (~c & e)) + load<u32>(K + 40) + w10;
      b += t1;
      f = t1 + bsig0(g) + ((g & h) ^ (g & a) ^ (h & a));
      t1 = e + bsig1(b) + ((b & c) ^ (~b & d)) + load<u32>(K + 44) + w11;
      a += t1;
      e = t1 + bsig0(f) + ((f & g) ^ (f & h) ^ (g & h));
      t1 = d + bsig1(a) + ((a & b) ^ (~a & c)) + load<u32>(K + 48) + w12;
      h += t1;
      d = t1 + bsig0(e) + ((e & f) ^ (e & g) ^ (f & g));
      t1 = c + bsig1(h) + ((h & a) ^ (~h & b)) + load<u32>(K + 52) + w13;
      g += t1;
      c = t1 + bsig0(d) + ((d & e) ^ (d & f) ^ (e & f));
      t1 = b + bsig1(g) + ((g & h) ^ (~g & a)) + load<u32>(K + 56) + w14;
      f += t1;
      b = t1 + bsig0(c) + ((c & d) ^ (c & e) ^ (d & e));
      t1 = a + bsig1(f) + ((f & g) ^ (~f & h)) + load<u32>(K + 60) + w15;
      e += t1;
      a = t1 + bsig0(b) + ((b & c) ^ (b & d) ^ (c & d));
    }
    for (let k = K + 64; k < K + 256; k += 64) {
      w0 += ssig1(w14) + w9 + ssig0(w1);
      t1 = h + bsig1(e) + ((e & f) ^ (~e & g)) + load<u32>(k + 0) + w0;
      d += t1;
      h = t1 + bsig0(a) + ((a & b) ^ (a & c) ^ (b & c));
      w1 += ssig1(w15) + w10 + ssig0(w2);
      t1 = g + bsig1(d) + ((d & e) ^ (~d & f)) + load<u32>(k + 4) + w1;
      c += t1;
      g = t1 + bsig0(h) + ((h & a) ^ (h & b) ^ (a & b));
      w2 += ssig1(w0) + w11 + ssig0(w3);
      t1 = f + bsig1(c) + ((c & d) ^ (~c & e)) + load<u32>(k + 8) + w2;
      b += t1;
      f = t1 + bsig0(g) + ((g & h) ^ (g & a) ^ (h & a));
      w3 += ssig1(w1) + w12 + ssig0(w4);
      t1 = e + bsig1(b) + ((b & c) ^ (~b & d)) + load<u32>(k + 12) + w3;
      a += t1;
      e = t1 + bsig0(f) + ((f & g) ^ (f & h) ^ (g & h));
      w4 += ssig1(w2) + w13 + ssig0(w5);
      t1 = d + bsig1(a) + ((a & b) ^ (~a & c)) + load<u32>(k + 16) + w4;
      h += t1;
      d = t1 + bsig0(e) + ((e & f) ^ (e & g) ^ (f & g));
      w5 += ssig1(w3) + w14 + ssig0(w6);
      t1 = c + bsig1(h) + ((h & a) ^ (~h & b)) + load<u32>(k + 20) + w5;
      g += t1;
      c = t1 + bsig0(d) + ((d & e) ^ (d & f) ^ (e & f));
      w6 += ssig1(w4) + w15 + ssig0(w7);
      t1 = b + bsig1(g) + ((g & h) ^ (~g & a)) + load<u32>(k + 24) + w6;
      f += t1;
      b = t1 + bsig0(c) + ((c & d) ^ (c & e) ^ (d & e));
      w7 += ssig1(w5) + w0 + ssig0(w8);
      t1 = a + bsig1(f) + ((f & g) ^ (~f & h)) + load<u32>(k + 28) + w7;
      e += t1;
      a = t1 + bsig0(b) + ((b & c) ^ (b & d) ^ (c & d));
      w8 += ssig1(w6) + w1 + ssig0(w9);
      t1 = h + bsig1(e) + ((e & f) ^ (~e & g)) + load<u32>(k + 32) + w8;
      d += t1;
      h = t1 + bsig0(a) + ((a & b) ^ (a & c) ^ (b & c));
      w9 += ssig1(w7) + w2 + ssig0(w10);
      t1 = g + bsig1(d) + ((d & e) ^ (~d & f)) + load<u32>(k + 36) + w9;
      c += t1;
      g = t1 + bsig0(h) + ((h & a) ^ (h & b) ^ (a & b));
      w10 += ssig1(w8) + w3 + ssig0(w11);
      t1 = f + bsig1(c) + ((c & d) ^ (~c & e)) + load<u32>(k + 40) + w10;
      b += t1;
      f = t1 + bsig0(g) + ((g & h) ^ (g & a) ^ (h & a));
      w11 += ssig1(w9) + w4 + ssig0(w12);
      t1 = e + bsig1(b) + ((b & c) ^ (~b & d)) + load<u32>(k + 44) + w11;
      a += t1;
      e = t1 + bsig0(f) + ((f & g) ^ (f & h) ^ (g & h));
      w12 += ssig1(w10) + w5 + ssig0(w13);
      t1 = d + bsig1(a) + ((a & b) ^ (~a & c)) + load<u32>(k + 48) + w12;
      h += t1;
      d = t1 + bsig0(e) + ((e & f) ^ (e & g) ^ (f & g));
      w13 += ssig1(w11) + w6 + ssig0(w14);
      t1 = c + bsig1(h) + ((h & a) ^ (~h & b)) + load<u32>(k + 52) + w13;
      g += t1;
      c = t1 + bsig0(d) + ((d & e) ^ (d & f) ^ (e & f));
      w14 += ssig1(w12) + w7 + ssig0(w15);
      t1 = b + bsig1(g) + ((g & h) ^ (~g & a)) + load<u32>(k + 56) + w14;
      f += t1;
      b = t1 + bsig0(c) + ((c & d) ^ (c & e) ^ (d & e));
      w15 += ssig1(w13) + w8 + ssig0(w0);
      t1 = a + bsig1(f) + ((f & g) ^ (~f & h)) + load<u32>(k + 60) + w15;
      e += t1;
      a = t1 + bsig0(b) + ((b & c) ^ (b & d) ^ (c & d));
    }
    h0 += a; h1 += b; h2 += c; h3 += d; h4 += e; h5 += f; h6 += g; h7 += h;
  }
  store<u32>(ctx + ST, h0); store<u32>(ctx + ST, h1, 4); store<u32>(ctx + ST, h2, 8); store<u32>(ctx + ST, h3, 12);
  store<u32>(ctx + ST, h4, 16); store<u32>(ctx + ST, h5, 20); store<u32>(ctx + ST, h6, 24); store<u32>(ctx + ST, h7, 28);
}
