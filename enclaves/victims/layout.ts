// Memory of the victim enclaves: each table and buffer on its own 4 KiB pages, so that which page an access
// touches is exactly what the secret decides (the page granularity of Xu et al., IEEE S&P 2015).
import { region } from '../workloads/region';

export const PAGE: u32 = 4096;
/** Symbols of the secret, one per byte (at most 4096). */
export let SECRET: usize = 0;
/** The victims' output, one byte per symbol, streamed out by OCALLs. */
export let OUT: usize = 0;
/** Square-and-multiply state: the square's page, the multiply's page. */
export let SQ: usize = 0;
export let MUL: usize = 0;
/** Lookup-table cipher: 16 substitution tables of 256 bytes, one per page (one per key nibble). */
export let LUT: usize = 0;
export const LUT_PAGES: u32 = 16;
/** Spell-check style dictionary: one page of entries per first letter (26). */
export let DICT: usize = 0;
export const DICT_PAGES: u32 = 26;
/** T-table style lookup: 16 entries of one 64-byte cache line each, all in one page. */
export let TTABLE: usize = 0;

let ready = false;

export function setup(): void {
  if (ready) return;
  ready = true;
  const base = region((5 + LUT_PAGES + DICT_PAGES) * PAGE);
  SECRET = base;
  OUT = base + PAGE;
  SQ = base + 2 * PAGE;
  MUL = base + 3 * PAGE;
  LUT = base + 4 * PAGE;
  DICT = LUT + LUT_PAGES * PAGE;
  TTABLE = DICT + DICT_PAGES * PAGE;
  for (let i: u32 = 0; i < 16 * 64; i += 4) store<u32>(TTABLE + i, i * 0x9e3779b1);
  let x: u32 = 0x2545f491;
  for (let p: u32 = 0; p < LUT_PAGES; p++) {
    for (let i: u32 = 0; i < 256; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      store<u8>(LUT + p * PAGE + i, <u8>x);
    }
  }
  for (let p: u32 = 0; p < DICT_PAGES; p++) {
    for (let i: u32 = 0; i < 256; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      store<u32>(DICT + p * PAGE + (i << 2), x);
    }
  }
  store<u32>(SQ, 1);
  store<u32>(MUL, 1);
}

/** All ones when a == b, else 0, without a branch (the usual constant-time equality mask). */
// @ts-ignore: decorator
@inline
export function eqMask(a: u32, b: u32): u32 {
  return 0 - (((a ^ b) - 1) >>> 31);
}
