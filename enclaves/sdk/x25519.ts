// X25519 (RFC 7748, §5): the Diffie-Hellman function on Curve25519 that local attestation uses to agree a
// session key, as the SGX SDK's sgx_dh does with ECDH P-256. Field arithmetic in 16 limbs of 16 bits held in
// i64, after TweetNaCl (Bernstein et al., "TweetNaCl: a crypto library in 100 tweets", 2014): constant time
// (no secret-dependent branches or indices), no allocation; field elements live in static scratch.

const LIMBS: i32 = 16;
const GF: usize = 128; // bytes per field element

// Scratch: x (the u-coordinate), a..f (ladder), t (31-limb product), inverse and packing temporaries.
const X: usize = memory.data(<i32>GF, 16);
const A: usize = memory.data(<i32>GF, 16);
const B: usize = memory.data(<i32>GF, 16);
const C: usize = memory.data(<i32>GF, 16);
const D: usize = memory.data(<i32>GF, 16);
const E: usize = memory.data(<i32>GF, 16);
const F: usize = memory.data(<i32>GF, 16);
const T: usize = memory.data(31 * 8, 16);
const INV: usize = memory.data(<i32>GF, 16);
const PM: usize = memory.data(<i32>GF, 16);
const PT: usize = memory.data(<i32>GF, 16);
const K121665: usize = memory.data<i64>([0xdb41, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const SCALAR: usize = memory.data(32, 16);

// @ts-ignore: decorator
@inline function get(p: usize, i: i32): i64 {
  return load<i64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function set(p: usize, i: i32, v: i64): void {
  store<i64>(p + (<usize>i << 3), v);
}

function car(o: usize): void {
  for (let i = 0; i < LIMBS; i++) {
    set(o, i, get(o, i) + (<i64>1 << 16));
    const c = get(o, i) >> 16;
    if (i < 15) set(o, i + 1, get(o, i + 1) + c - 1);
    else set(o, 0, get(o, 0) + 38 * (c - 1));
    set(o, i, get(o, i) - (c << 16));
  }
}

/** Swap p and q when b == 1, in constant time. */
function sel(p: usize, q: usize, b: i64): void {
  const c = ~(b - 1);
  for (let i = 0; i < LIMBS; i++) {
    const t = c & (get(p, i) ^ get(q, i));
    set(p, i, get(p, i) ^ t);
    set(q, i, get(q, i) ^ t);
  }
}

function add(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < LIMBS; i++) set(o, i, get(a, i) + get(b, i));
}

function sub(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < LIMBS; i++) set(o, i, get(a, i) - get(b, i));
}

function mul(o: usize, a: usize, b: usize): void {
  for (let i = 0; i < 31; i++) set(T, i, 0);
  for (let i = 0; i < LIMBS; i++) {
    const ai = get(a, i);
    for (let j = 0; j < LIMBS; j++) set(T, i + j, get(T, i + j) + ai * get(b, j));
  }
  for (let i = 0; i < 15; i++) set(T, i, get(T, i) + 38 * get(T, i + 16));
  for (let i = 0; i < LIMBS; i++) set(o, i, get(T, i));
  car(o);
  car(o);
}

function inv(o: usize, x: usize): void {
  memory.copy(INV, x, GF);
  for (let a = 253; a >= 0; a--) {
    mul(INV, INV, INV);
    if (a != 2 && a != 4) mul(INV, INV, x);
  }
  memory.copy(o, INV, GF);
}

function unpack(o: usize, n: usize): void {
  for (let i = 0; i < LIMBS; i++) set(o, i, <i64>load<u8>(n + 2 * i) + (<i64>load<u8>(n + 2 * i + 1) << 8));
  set(o, 15, get(o, 15) & 0x7fff);
}

function pack(o: usize, n: usize): void {
  memory.copy(PT, n, GF);
  car(PT);
  car(PT);
  car(PT);
  for (let j = 0; j < 2; j++) {
    set(PM, 0, get(PT, 0) - 0xffed);
    for (let i = 1; i < 15; i++) {
      set(PM, i, get(PT, i) - 0xffff - ((get(PM, i - 1) >> 16) & 1));
      set(PM, i - 1, get(PM, i - 1) & 0xffff);
    }
    set(PM, 15, get(PT, 15) - 0x7fff - ((get(PM, 14) >> 16) & 1));
    const b = (get(PM, 15) >> 16) & 1;
    set(PM, 14, get(PM, 14) & 0xffff);
    sel(PT, PM, 1 - b);
  }
  for (let i = 0; i < LIMBS; i++) {
    store<u8>(o + 2 * i, <u8>(get(PT, i) & 0xff));
    store<u8>(o + 2 * i + 1, <u8>((get(PT, i) >> 8) & 0xff));
  }
}

/** out = X25519(scalar, u): 32-byte little-endian scalar and u-coordinate (RFC 7748 §5). */
export function x25519(out: usize, scalar: usize, u: usize): void {
  memory.copy(SCALAR, scalar, 32);
  store<u8>(SCALAR, load<u8>(SCALAR) & 248);
  store<u8>(SCALAR + 31, (load<u8>(SCALAR + 31) & 127) | 64);
  unpack(X, u);
  for (let i = 0; i < LIMBS; i++) {
    set(B, i, get(X, i));
    set(A, i, 0);
    set(C, i, 0);
    set(D, i, 0);
  }
  set(A, 0, 1);
  set(D, 0, 1);
  for (let i = 254; i >= 0; i--) {
    const r = <i64>((load<u8>(SCALAR + (<usize>i >> 3)) >> (<u8>(i & 7))) & 1);
    sel(A, B, r);
    sel(C, D, r);
    add(E, A, C);
    sub(A, A, C);
    add(C, B, D);
    sub(B, B, D);
    mul(D, E, E);
    mul(F, A, A);
    mul(A, C, A);
    mul(C, B, E);
    add(E, A, C);
    sub(A, A, C);
    mul(B, A, A);
    sub(C, D, F);
    mul(A, C, K121665);
    add(A, A, D);
    mul(C, C, A);
    mul(A, D, F);
    mul(D, B, X);
    mul(B, E, E);
    sel(A, B, r);
    sel(C, D, r);
  }
  inv(C, C);
  mul(A, A, C);
  pack(out, A);
  memory.fill(SCALAR, 0, 32);
}

const BASE: usize = memory.data<u8>([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** out = X25519(scalar, 9): the public key of a private scalar. */
export function x25519_base(out: usize, scalar: usize): void {
  x25519(out, scalar, BASE);
}
