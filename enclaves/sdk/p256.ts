// ECDSA over NIST P-256 with SHA-256 (FIPS 186-5 §6.4, curve from SP 800-186 §3.2.1.3): the signature the SGX
// quoting enclave makes with its attestation key (Intel SGX ECDSA Quote Library Reference, "ECDSA-256-with-P-256
// curve"). Numbers are 8 little-endian u32 limbs; field and scalar arithmetic use Montgomery multiplication
// (CIOS, Koç et al., "Analyzing and Comparing Montgomery Multiplication Algorithms", 1996) with u64 products,
// points are Jacobian with a = -3 (doubling dbl-2001-b, addition add-2007-bl, from the Explicit-Formulas
// Database). The scalar multiplication always adds and selects the result with a mask, so its sequence of
// operations does not depend on the bits; the field arithmetic (final subtractions, exceptional cases of the
// addition) is not hardened beyond that. Keys and signatures at the API are
// big-endian bytes as in SEC 1: private key 32, public key x||y 64, signature r||s 64. No allocation.
import { rdrand } from './sgx';

const W: usize = 32; // bytes per number

const P: usize = memory.data<u32>([0xffffffff, 0xffffffff, 0xffffffff, 0x0, 0x0, 0x0, 0x1, 0xffffffff]);
const N: usize = memory.data<u32>([0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x0, 0xffffffff]);
const R2P: usize = memory.data<u32>([0x3, 0x0, 0xffffffff, 0xfffffffb, 0xfffffffe, 0xffffffff, 0xfffffffd, 0x4]);
const R2N: usize = memory.data<u32>([0xbe79eea2, 0x83244c95, 0x49bd6fa6, 0x4699799c, 0x2b6bec59, 0x2845b239, 0xf3d95620, 0x66e12d94]);
const PM2: usize = memory.data<u32>([0xfffffffd, 0xffffffff, 0xffffffff, 0x0, 0x0, 0x0, 0x1, 0xffffffff]);
const NM2: usize = memory.data<u32>([0xfc63254f, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x0, 0xffffffff]);
const PINV: u32 = 0x1;
const NINV: u32 = 0xee00bc4f;
const GX: usize = memory.data<u32>([0x18a9143c, 0x79e730d4, 0x5fedb601, 0x75ba95fc, 0x77622510, 0x79fb732b, 0xa53755c6, 0x18905f76]);
const GY: usize = memory.data<u32>([0xce95560a, 0xddf25357, 0xba19e45c, 0x8b4ab8e4, 0xdd21f325, 0xd2e88688, 0x25885d85, 0x8571ff18]);
const ONE_P: usize = memory.data<u32>([0x1, 0x0, 0x0, 0xffffffff, 0xffffffff, 0xffffffff, 0xfffffffe, 0x0]);
const ONE: usize = memory.data<u32>([1, 0, 0, 0, 0, 0, 0, 0]);

// Scratch (the module is single-threaded, as every enclave instance is).
const T: usize = memory.data(40, 16);
const S0: usize = memory.data(32, 16);
const S1: usize = memory.data(32, 16);
const S2: usize = memory.data(32, 16);
const S3: usize = memory.data(32, 16);
const S4: usize = memory.data(32, 16);
const S5: usize = memory.data(32, 16);
const S6: usize = memory.data(32, 16);
const S7: usize = memory.data(32, 16);
const PW: usize = memory.data(32, 16);
const ACC: usize = memory.data(96, 16); // Jacobian X, Y, Z
const TMP: usize = memory.data(96, 16);
const GJ: usize = memory.data(96, 16);
const K: usize = memory.data(32, 16);
const D: usize = memory.data(32, 16);
const E: usize = memory.data(32, 16);
const XR: usize = memory.data(32, 16);
const YR: usize = memory.data(32, 16);

// @ts-ignore: decorator
@inline function limb(p: usize, i: i32): u64 {
  return <u64>load<u32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function setl(p: usize, i: i32, v: u64): void {
  store<u32>(p + (<usize>i << 2), <u32>v);
}

/** a >= m (both 8 limbs). */
function geq(a: usize, m: usize): bool {
  for (let i = 7; i >= 0; i--) {
    const x = limb(a, i), y = limb(m, i);
    if (x != y) return x > y;
  }
  return true;
}

function is_zero(a: usize): bool {
  let z: u32 = 0;
  for (let i = 0; i < 8; i++) z |= load<u32>(a + (<usize>i << 2));
  return z == 0;
}

/** out = a - m (mod 2^256); returns the borrow. */
function sub_raw(out: usize, a: usize, m: usize): u64 {
  let borrow: u64 = 0;
  for (let i = 0; i < 8; i++) {
    const d = limb(a, i) - limb(m, i) - borrow;
    setl(out, i, d);
    borrow = (d >> 63) & 1;
  }
  return borrow;
}

/** out = a + m (mod 2^256); returns the carry. */
function add_raw(out: usize, a: usize, m: usize): u64 {
  let c: u64 = 0;
  for (let i = 0; i < 8; i++) {
    const s = limb(a, i) + limb(m, i) + c;
    setl(out, i, s);
    c = s >> 32;
  }
  return c;
}

/** out = a + b mod m (a, b < m). */
function add_mod(out: usize, a: usize, b: usize, m: usize): void {
  const c = add_raw(out, a, b);
  if (c != 0 || geq(out, m)) sub_raw(out, out, m);
}

/** out = a - b mod m (a, b < m). */
function sub_mod(out: usize, a: usize, b: usize, m: usize): void {
  if (sub_raw(out, a, b) != 0) add_raw(out, out, m);
}

/** out = a * b * 2^-256 mod m (Montgomery product, CIOS); out may alias a or b. */
function mont_mul(out: usize, a: usize, b: usize, m: usize, minv: u32): void {
  memory.fill(T, 0, 40);
  for (let i = 0; i < 8; i++) {
    const bi = limb(b, i);
    let c: u64 = 0;
    for (let j = 0; j < 8; j++) {
      const s = limb(T, j) + limb(a, j) * bi + c;
      setl(T, j, s);
      c = s >> 32;
    }
    let s8 = limb(T, 8) + c;
    setl(T, 8, s8);
    setl(T, 9, s8 >> 32);
    const q = <u64>(<u32>(limb(T, 0) * <u64>minv));
    let s = limb(T, 0) + q * limb(m, 0);
    c = s >> 32;
    for (let j = 1; j < 8; j++) {
      s = limb(T, j) + q * limb(m, j) + c;
      setl(T, j - 1, s);
      c = s >> 32;
    }
    s8 = limb(T, 8) + c;
    setl(T, 7, s8);
    setl(T, 8, limb(T, 9) + (s8 >> 32));
  }
  if (limb(T, 8) != 0 || geq(T, m)) sub_raw(out, T, m);
  else memory.copy(out, T, W);
}

/** out = a^e (Montgomery form in and out), e plain; out must not alias a. */
function mont_pow(out: usize, a: usize, e: usize, one: usize, m: usize, minv: u32): void {
  memory.copy(out, one, W);
  for (let i = 255; i >= 0; i--) {
    mont_mul(out, out, out, m, minv);
    if (((load<u32>(e + (<usize>(i >> 5) << 2)) >> (<u32>i & 31)) & 1) != 0) mont_mul(out, out, a, m, minv);
  }
}

function be_to_limbs(out: usize, be: usize): void {
  for (let i = 0; i < 8; i++) store<u32>(out + (<usize>i << 2), bswap<u32>(load<u32>(be + W - 4 - (<usize>i << 2))));
}
function limbs_to_be(out: usize, a: usize): void {
  for (let i = 0; i < 8; i++) store<u32>(out + W - 4 - (<usize>i << 2), bswap<u32>(load<u32>(a + (<usize>i << 2))));
}

// Field helpers (Montgomery domain mod p).
// @ts-ignore: decorator
@inline function fmul(o: usize, a: usize, b: usize): void { mont_mul(o, a, b, P, PINV); }
// @ts-ignore: decorator
@inline function fadd(o: usize, a: usize, b: usize): void { add_mod(o, a, b, P); }
// @ts-ignore: decorator
@inline function fsub(o: usize, a: usize, b: usize): void { sub_mod(o, a, b, P); }

/** In place: point at q = 2q (Jacobian, a = -3, dbl-2001-b). */
function point_double(q: usize): void {
  const X = q, Y = q + 32, Z = q + 64;
  if (is_zero(Z)) return;
  fmul(S0, Z, Z); // delta
  fmul(S1, Y, Y); // gamma
  fmul(S2, X, S1); // beta
  fsub(S3, X, S0);
  fadd(S4, X, S0);
  fmul(S3, S3, S4);
  fadd(S4, S3, S3);
  fadd(S3, S4, S3); // alpha = 3 (X - delta)(X + delta)
  fadd(S4, Y, Z);
  fmul(S4, S4, S4);
  fsub(S4, S4, S1);
  fsub(Z, S4, S0); // Z3 = (Y + Z)^2 - gamma - delta
  fadd(S5, S2, S2);
  fadd(S5, S5, S5); // 4 beta
  fadd(S6, S5, S5); // 8 beta
  fmul(X, S3, S3);
  fsub(X, X, S6); // X3 = alpha^2 - 8 beta
  fsub(S5, S5, X);
  fmul(S5, S3, S5);
  fmul(S1, S1, S1);
  fadd(S1, S1, S1);
  fadd(S1, S1, S1);
  fadd(S1, S1, S1); // 8 gamma^2
  fsub(Y, S5, S1);
}

/** In place: point at q = q + r (Jacobian, add-2007-bl); handles the point at infinity and q == r. */
function point_add(q: usize, r: usize): void {
  const X1 = q, Y1 = q + 32, Z1 = q + 64, X2 = r, Y2 = r + 32, Z2 = r + 64;
  if (is_zero(Z2)) return;
  if (is_zero(Z1)) {
    memory.copy(q, r, 96);
    return;
  }
  fmul(S0, Z1, Z1); // Z1Z1
  fmul(S1, Z2, Z2); // Z2Z2
  fmul(S2, X1, S1); // U1
  fmul(S3, X2, S0); // U2
  fmul(S4, Y1, Z2);
  fmul(S4, S4, S1); // S1
  fmul(S5, Y2, Z1);
  fmul(S5, S5, S0); // S2
  fsub(S3, S3, S2); // H
  fsub(S5, S5, S4);
  fadd(S5, S5, S5); // r
  if (is_zero(S3)) {
    if (is_zero(S5)) point_double(q);
    else memory.fill(Z1, 0, W);
    return;
  }
  fadd(S6, S3, S3);
  fmul(S6, S6, S6); // I
  fmul(S7, S3, S6); // J
  fmul(S6, S2, S6); // V
  // Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H
  fadd(S2, Z1, Z2);
  fmul(S2, S2, S2);
  fsub(S2, S2, S0);
  fsub(S2, S2, S1);
  fmul(Z1, S2, S3);
  // X3 = r^2 - J - 2V
  fmul(X1, S5, S5);
  fsub(X1, X1, S7);
  fsub(X1, X1, S6);
  fsub(X1, X1, S6);
  // Y3 = r (V - X3) - 2 S1 J
  fsub(S6, S6, X1);
  fmul(S6, S5, S6);
  fmul(S4, S4, S7);
  fadd(S4, S4, S4);
  fsub(Y1, S6, S4);
}

/** Affine x, y (plain, limbs) of k·G for the scalar k (limbs, 0 < k < n). */
function base_mul(k: usize): void {
  memory.copy(GJ, GX, W);
  memory.copy(GJ + 32, GY, W);
  memory.copy(GJ + 64, ONE_P, W);
  memory.fill(ACC, 0, 96);
  for (let i = 255; i >= 0; i--) {
    point_double(ACC);
    const bit = (load<u32>(k + (<usize>(i >> 5) << 2)) >> (<u32>i & 31)) & 1;
    memory.copy(TMP, ACC, 96);
    point_add(TMP, GJ);
    // ACC = bit ? TMP : ACC, without a branch on the secret bit.
    const mask: u32 = 0 - bit;
    for (let j: usize = 0; j < 96; j += 4) {
      const a = load<u32>(ACC + j);
      store<u32>(ACC + j, a ^ ((a ^ load<u32>(TMP + j)) & mask));
    }
  }
  mont_pow(S7, ACC + 64, PM2, ONE_P, P, PINV); // 1/Z
  memory.copy(PW, S7, W);
  fmul(S6, PW, PW); // 1/Z^2
  fmul(XR, ACC, S6);
  fmul(S6, S6, PW); // 1/Z^3
  fmul(YR, ACC + 32, S6);
  mont_mul(XR, XR, ONE, P, PINV);
  mont_mul(YR, YR, ONE, P, PINV);
}

/** True when the 32 big-endian bytes at `priv` are a valid private key (1 <= d < n). */
export function p256_valid_private(priv: usize): bool {
  be_to_limbs(D, priv);
  return !is_zero(D) && !geq(D, N);
}

/** The public key x||y (64 bytes) of the private key at `priv`; false if the key is out of range. */
export function p256_public(priv: usize, pubOut: usize): bool {
  if (!p256_valid_private(priv)) return false;
  base_mul(D);
  limbs_to_be(pubOut, XR);
  limbs_to_be(pubOut + 32, YR);
  return true;
}

/**
 * ECDSA signature r||s (64 bytes) over the SHA-256 digest at `digest` with the private key at `priv`, with a
 * fresh per-signature secret from RDRAND (FIPS 186-5 §6.4.1). False if the key is out of range.
 */
export function p256_sign(priv: usize, digest: usize, sigOut: usize): bool {
  if (!p256_valid_private(priv)) return false;
  be_to_limbs(E, digest);
  if (geq(E, N)) sub_raw(E, E, N);
  for (;;) {
    rdrand(S7, W);
    be_to_limbs(K, S7);
    if (is_zero(K) || geq(K, N)) continue;
    base_mul(K);
    if (geq(XR, N)) sub_raw(XR, XR, N); // r = x mod n (x < p < 2n)
    if (is_zero(XR)) continue;
    be_to_limbs(D, priv);
    // s = k^-1 (e + r d) mod n, in the Montgomery domain mod n.
    mont_mul(S0, K, R2N, N, NINV);
    mont_pow(S1, S0, NM2, ONE_N_M, N, NINV); // k^-1
    mont_mul(S2, XR, R2N, N, NINV);
    mont_mul(S3, D, R2N, N, NINV);
    mont_mul(S2, S2, S3, N, NINV); // r d
    mont_mul(S3, E, R2N, N, NINV);
    add_mod(S2, S2, S3, N);
    mont_mul(S2, S1, S2, N, NINV);
    mont_mul(S2, S2, ONE, N, NINV);
    if (is_zero(S2)) continue;
    limbs_to_be(sigOut, XR);
    limbs_to_be(sigOut + 32, S2);
    memory.fill(K, 0, W);
    memory.fill(D, 0, W);
    memory.fill(S0, 0, W);
    memory.fill(S1, 0, W);
    return true;
  }
}

const ONE_N_M: usize = memory.data<u32>([0x39cdaaf, 0xc46353d, 0x58e8617b, 0x43190552, 0x0, 0x0, 0xffffffff, 0x0]);

/** Reduces the 32 big-endian bytes at `seed` to a private key in [1, n-1] in place (for keys derived by KDF). */
export function p256_reduce_private(seed: usize): void {
  be_to_limbs(D, seed);
  if (geq(D, N)) sub_raw(D, D, N);
  if (is_zero(D)) setl(D, 0, 1);
  limbs_to_be(seed, D);
}
