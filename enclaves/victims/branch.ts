// A secret-dependent branch over code pages: square-and-multiply whose square and multiply are distinct
// functions, each about 5 KiB of code, working on the same data page. Only instruction fetch tells them apart,
// so this victim leaks through code pages alone (code-fetch.ts lays the functions out and makes each entry fetch
// its page), as libjpeg's and FreeType's control flow did in Xu et al. (IEEE S&P 2015).
import { OUT, PAGE, SECRET, SQ, eqMask, setup } from './layout';

// @ts-ignore: decorator
@external("emon_victim", "ocall")
declare function ocall(kind: u32, size: u32): void;

// @ts-ignore: decorator
@external("emon_hw", "paging_events")
declare function pagingEvents(): u32;

// @ts-ignore: decorator
@inline
function mix(x: u32, k: u32): u32 {
  x = (x ^ (x << 7)) * k;
  store<u32>(SQ + ((x >>> 6) & 1020), x);
  return x ^ (x >>> 11);
}
// @ts-ignore: decorator
@inline
function mix4(x: u32, k: u32): u32 {
  return mix(mix(mix(mix(x, k), k + 2), k + 4), k + 6);
}
// @ts-ignore: decorator
@inline
function mix16(x: u32, k: u32): u32 {
  return mix4(mix4(mix4(mix4(x, k), k + 8), k + 16), k + 24);
}
// @ts-ignore: decorator
@inline
function mix64(x: u32, k: u32): u32 {
  return mix16(mix16(mix16(mix16(x, k), k + 32), k + 64), k + 96);
}

function square(x: u32): u32 {
  return mix64(mix64(x, 0x9e3779b1), 0x85ebca6b);
}

function multiply(x: u32): u32 {
  return mix64(mix64(x, 0xc2b2ae35), 0x27d4eb2f);
}

const STRIKE_EVENTS: u32 = 2;
const STRIKES_TO_STOP: u32 = 3;

export function branch_naive(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  for (let i: u32 = 0; i < n; i++) {
    acc = square(acc);
    if ((load<u8>(SECRET + i) & 1) != 0) acc = multiply(acc);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(3, 4);
  }
  return n;
}

export function branch_hardened(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  for (let i: u32 = 0; i < n; i++) {
    acc = square(acc);
    const m = multiply(acc);
    const bit = eqMask(<u32>load<u8>(SECRET + i) & 1, 1);
    acc = (m & bit) | (acc & ~bit);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(3, 4);
  }
  return n;
}

export function branch_detect(n: u32): u32 {
  setup();
  let acc: u32 = 1;
  let strikes: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e0 = pagingEvents();
    acc = square(acc);
    if ((load<u8>(SECRET + i) & 1) != 0) acc = multiply(acc);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    if (pagingEvents() - e0 > STRIKE_EVENTS) {
      if (++strikes >= STRIKES_TO_STOP) return i + 1;
    } else strikes = 0;
    ocall(3, 4);
  }
  return n;
}
