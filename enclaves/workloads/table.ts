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
