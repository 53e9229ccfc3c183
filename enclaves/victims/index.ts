// Victim enclaves with a known secret (issue 18): each function is an ECALL that processes the secret at
// SECRET, one symbol at a time, and streams one output byte per symbol out through an OCALL, as an encoder,
// a renderer or a spell checker does. Each victim has a naive version (the secret picks a page: the controlled
// channel of Xu et al., IEEE S&P 2015, and the accessed-bit channel of Van Bulck et al., USENIX Security 2017,
// both read it), a hardened version (page-uniform and branch-free: every symbol touches the same pages in the
// same order) and a detecting version (naive, but it stops when the trusted paging-event counter shows an
// abnormal rate, in the spirit of T-SGX, NDSS 2017, and Deja Vu, AsiaCCS 2017).
//
// The protocol any victim module follows (docs/side-channels.md): export `secret_buf(): usize` and ECALLs
// `(n: u32) => u32` that process n secret bytes and return how many they processed; import
// `emon_victim.ocall(kind, size)` for OCALLs and, opt-in, `emon_hw.paging_events()`.
import { DICT, DICT_PAGES, LUT, MUL, OUT, PAGE, SECRET, SQ, eqMask, setup } from './layout';

// @ts-ignore: decorator
@external("emon_victim", "ocall")
declare function ocall(kind: u32, size: u32): void;

// @ts-ignore: decorator
@external("emon_hw", "paging_events")
declare function pagingEvents(): u32;

/** Paging events (faults and page walks after an A/D clear) per symbol above which a symbol counts as a strike. */
const STRIKE_EVENTS: u32 = 2;
/** Consecutive strikes after which a detecting victim stops (T-SGX aborts after a run of aborts). */
const STRIKES_TO_STOP: u32 = 3;

export function secret_buf(): usize {
  setup();
  return SECRET;
}

// ---- lookup-table cipher: one substitution table per page, chosen by the key nibble -----------------------

// @ts-ignore: decorator
@inline
function lutNaive(s: u32, acc: u32): u32 {
  return <u32>load<u8>(LUT + ((s & 15) << 12) + (acc & 0xff)) ^ (acc >>> 1);
}

// @ts-ignore: decorator
@inline
function lutUniform(s: u32, acc: u32): u32 {
  let r: u32 = 0;
  for (let k: u32 = 0; k < 16; k++) r |= <u32>load<u8>(LUT + (k << 12) + (acc & 0xff)) & eqMask(k, s & 15);
  return r ^ (acc >>> 1);
}

export function lut_naive(n: u32): u32 {
  setup();
  let acc: u32 = 0x5a;
  for (let i: u32 = 0; i < n; i++) {
    acc = lutNaive(<u32>load<u8>(SECRET + i), acc);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(1, 1);
  }
  return n;
}

export function lut_hardened(n: u32): u32 {
  setup();
  let acc: u32 = 0x5a;
  for (let i: u32 = 0; i < n; i++) {
    acc = lutUniform(<u32>load<u8>(SECRET + i), acc);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(1, 1);
  }
  return n;
}

export function lut_detect(n: u32): u32 {
  setup();
  let acc: u32 = 0x5a;
  let strikes: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e0 = pagingEvents();
    acc = lutNaive(<u32>load<u8>(SECRET + i), acc);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    if (pagingEvents() - e0 > STRIKE_EVENTS) {
      if (++strikes >= STRIKES_TO_STOP) return i + 1;
    } else strikes = 0;
    ocall(1, 1);
  }
  return n;
}

// ---- spell-check style lookup: the dictionary page of each letter (Xu et al.'s Hunspell case) ---------------

// @ts-ignore: decorator
@inline
function spellNaive(c: u32, h: u32): u32 {
  return load<u32>(DICT + (c % DICT_PAGES) * PAGE + ((h & 0xff) << 2)) ^ (h * 31);
}

// @ts-ignore: decorator
@inline
function spellUniform(c: u32, h: u32): u32 {
  const want = c % DICT_PAGES;
  let r: u32 = 0;
  for (let k: u32 = 0; k < DICT_PAGES; k++) r |= load<u32>(DICT + k * PAGE + ((h & 0xff) << 2)) & eqMask(k, want);
  return r ^ (h * 31);
}

export function spell_naive(n: u32): u32 {
  setup();
  let h: u32 = 7;
  for (let i: u32 = 0; i < n; i++) {
    h = spellNaive(<u32>load<u8>(SECRET + i), h);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>h);
    ocall(1, 1);
  }
  return n;
}

export function spell_hardened(n: u32): u32 {
  setup();
  let h: u32 = 7;
  for (let i: u32 = 0; i < n; i++) {
    h = spellUniform(<u32>load<u8>(SECRET + i), h);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>h);
    ocall(1, 1);
  }
  return n;
}

export function spell_detect(n: u32): u32 {
  setup();
  let h: u32 = 7;
  let strikes: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e0 = pagingEvents();
    h = spellNaive(<u32>load<u8>(SECRET + i), h);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>h);
    if (pagingEvents() - e0 > STRIKE_EVENTS) {
      if (++strikes >= STRIKES_TO_STOP) return i + 1;
    } else strikes = 0;
    ocall(1, 1);
  }
  return n;
}

// ---- square-and-multiply: a secret-dependent branch (one exponent bit per symbol) ---------------------------

/** `rounds` dependent multiply-xorshift steps on the state at `at` (one page): the cost of a modular step. */
function work(at: usize, rounds: u32): u32 {
  let x = load<u32>(at) | 1;
  for (let r: u32 = 0; r < rounds; r++) {
    x = (x ^ (x << 13)) * 0x9e3779b1;
    x ^= x >>> 17;
    store<u32>(at + ((x >>> 4) & 1020), x);
  }
  store<u32>(at, x);
  return x;
}

const ROUNDS: u32 = 3000;

export function sqmul_naive(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  for (let i: u32 = 0; i < n; i++) {
    acc = work(SQ, ROUNDS) ^ acc;
    if ((load<u8>(SECRET + i) & 1) != 0) acc = work(MUL, ROUNDS) ^ acc;
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(2, 4);
  }
  return n;
}

export function sqmul_hardened(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  for (let i: u32 = 0; i < n; i++) {
    acc = work(SQ, ROUNDS) ^ acc;
    const m = work(MUL, ROUNDS) ^ acc;
    const bit = eqMask(<u32>load<u8>(SECRET + i) & 1, 1);
    acc = (m & bit) | (acc & ~bit);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(2, 4);
  }
  return n;
}

export function sqmul_detect(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  let strikes: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e0 = pagingEvents();
    acc = work(SQ, ROUNDS) ^ acc;
    if ((load<u8>(SECRET + i) & 1) != 0) acc = work(MUL, ROUNDS) ^ acc;
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    if (pagingEvents() - e0 > STRIKE_EVENTS) {
      if (++strikes >= STRIKES_TO_STOP) return i + 1;
    } else strikes = 0;
    ocall(2, 4);
  }
  return n;
}

// ---- EPC pressure: another tenant's working set (for the no-false-alarm runs) -------------------------------

let churnBase: usize = 0;
let churnPages: u32 = 0;

/** Touches `count` pages of a `pages`-page region, cyclically from `start`; returns a digest. */
export function churn(pages: u32, start: u32, count: u32): u32 {
  if (pages > churnPages) {
    churnBase = <usize>memory.size() << 16;
    if (memory.grow(<i32>((pages * PAGE + 0xffff) >>> 16)) < 0) unreachable();
    churnPages = pages;
  }
  let d: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const a = churnBase + ((start + i) % pages) * PAGE;
    d ^= load<u32>(a);
    store<u32>(a, d + i);
  }
  return d;
}

export { branch_naive, branch_hardened, branch_detect } from './branch';
export { ttable_naive, ttable_hardened, ttable_detect } from './ttable';
