// Random-access table kernel: `ops` read-modify-write updates of a table of u32 counters at pseudo-random
// indices (GUPS-like, as in the HPC Challenge RandomAccess benchmark): the worst case for any page cache.
import { region, xorshift } from './region';

export function tableKernel(entries: u32, ops: u32, seed: u32): u32 {
  const base = region(entries << 2);
  return tableAt(base, entries, ops, seed);
}

/** `ops` updates of the table of `entries` counters at `base`, then its checksum. */
export function tableAt(base: usize, entries: u32, ops: u32, seed: u32): u32 {
  let x = seed | 1;
  for (let i: u32 = 0; i < ops; i++) {
    x = xorshift(x);
    const a = base + (<usize>(x % entries) << 2);
    store<u32>(a, load<u32>(a) + (x >>> 7) + 1);
  }
  let sum: u32 = 0;
  for (let i: u32 = 0; i < entries; i++) sum = (sum ^ load<u32>(base + (<usize>i << 2))) * 0x01000193;
  return sum;
}

/** As tableAt, but skewed: 7 of 8 updates go to the first eighth of the table (a hot set), the rest anywhere;
 *  returns a digest of the values it read (no full-table pass, so the hot set dominates the page references).
 *  Recency-aware policies (CLOCK) keep the hot pages resident; FIFO evicts them in turn with the cold ones. */
export function skewedAt(base: usize, entries: u32, ops: u32, seed: u32): u32 {
  let x = seed | 1;
  const hot = entries >>> 3 > 0 ? entries >>> 3 : 1;
  let digest: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    x = xorshift(x);
    const idx = (x & 7) != 0 ? (x >>> 3) % hot : (x >>> 3) % entries;
    const a = base + (<usize>idx << 2);
    const v = load<u32>(a);
    digest = (digest ^ v) * 0x01000193;
    store<u32>(a, v + (x >>> 7) + 1);
  }
  return digest;
}
