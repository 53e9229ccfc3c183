// A T-table style lookup at cache-line granularity: the key nibble picks one 64-byte line of a table that lies
// in one page, as AES T-tables do (Osvik, Shamir, Tromer, CT-RSA 2006). Every version touches the same page, so
// page-level channels see nothing; a cache prime+probe sees which line. The hardened version reads all 16 lines
// and keeps one with a mask (cache-line uniform).
import { OUT, PAGE, SECRET, TTABLE, eqMask, setup } from './layout';

// @ts-ignore: decorator
@external("emon_victim", "ocall")
declare function ocall(kind: u32, size: u32): void;

// @ts-ignore: decorator
@external("emon_hw", "paging_events")
declare function pagingEvents(): u32;

export function ttable_naive(n: u32): u32 {
  setup();
  let acc: u32 = 3;
  for (let i: u32 = 0; i < n; i++) {
    const s = <u32>load<u8>(SECRET + i) & 15;
    acc = load<u32>(TTABLE + (s << 6)) ^ (acc >>> 3);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(4, 1);
  }
  return n;
}

export function ttable_hardened(n: u32): u32 {
  setup();
  let acc: u32 = 3;
  for (let i: u32 = 0; i < n; i++) {
    const s = <u32>load<u8>(SECRET + i) & 15;
    let r: u32 = 0;
    for (let k: u32 = 0; k < 16; k++) r |= load<u32>(TTABLE + (k << 6)) & eqMask(k, s);
    acc = r ^ (acc >>> 3);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    ocall(4, 1);
  }
  return n;
}

/** The paging-event check does not see a cache attack: this version is here to show it (it runs to the end). */
export function ttable_detect(n: u32): u32 {
  setup();
  let acc: u32 = 3;
  let strikes: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e0 = pagingEvents();
    const s = <u32>load<u8>(SECRET + i) & 15;
    acc = load<u32>(TTABLE + (s << 6)) ^ (acc >>> 3);
    store<u8>(OUT + (i & (PAGE - 1)), <u8>acc);
    if (pagingEvents() - e0 > 2) {
      if (++strikes >= 3) return i + 1;
    } else strikes = 0;
    ocall(4, 1);
  }
  return n;
}
