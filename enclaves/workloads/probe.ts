// Single accesses with known addresses, so tests can predict the exact page-fault sequence a call produces.
import { region } from './region';

export function reserve(bytes: u32): usize {
  return region(bytes);
}
export function read8(addr: usize): u32 {
  return load<u8>(addr);
}
export function write8(addr: usize, v: u32): void {
  store<u8>(addr, <u8>v);
}
export function read64(addr: usize): u64 {
  return load<u64>(addr);
}
export function write64(addr: usize, v: u64): void {
  store<u64>(addr, v);
}
export function read128lo(addr: usize): u64 {
  return i64x2.extract_lane(v128.load(addr), 0);
}
export function copy(dst: usize, src: usize, n: usize): void {
  memory.copy(dst, src, n);
}
export function fill(dst: usize, v: u32, n: usize): void {
  memory.fill(dst, <u8>v, n);
}
export function size(): i32 {
  return memory.size();
}
export function grow(pages: i32): i32 {
  return memory.grow(pages);
}
/** Sums `n` bytes at `addr`, one byte load each (page-exact read pattern). */
export function sum(addr: usize, n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) s += load<u8>(addr + i);
  return s;
}
/** Reads one byte of each of `pages` pages from `base`, cyclically, `count` times: with more pages than the
 *  EPC holds, every read is one fault (evict one page, reload one). */
export function touchPages(base: usize, pages: u32, count: u32): u32 {
  let s: u32 = 0;
  let p: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    s += load<u8>(base + (<usize>p << 12));
    p = p + 1 == pages ? 0 : p + 1;
  }
  return s;
}
/** As touchPages, but writes one byte of each page: every fault reloads a page for a store and every victim is
 *  dirty (resealed on eviction), where touchPages' victims are clean. */
export function writePages(base: usize, pages: u32, count: u32): u32 {
  let p: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    store<u8>(base + (<usize>p << 12), <u8>i);
    p = p + 1 == pages ? 0 : p + 1;
  }
  return p;
}
