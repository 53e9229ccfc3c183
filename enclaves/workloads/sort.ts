// Sorting kernel: heapsort of n pseudo-random u32 values in place. Heapsort's sift-down jumps across the
// whole array, so its working set is the array itself and its page accesses are far from sequential.
import { region, xorshift } from './region';

/** Fills, sorts and returns a checksum of the sorted array (0xffffffff if it is not sorted). */
export function sortKernel(n: u32, seed: u32): u32 {
  const base = region(n << 2);
  let x = seed | 1;
  for (let i: u32 = 0; i < n; i++) {
    x = xorshift(x);
    store<u32>(base + (<usize>i << 2), x);
  }
  heapsort(base, n);
  let sum: u32 = 0;
  let prev: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const v = load<u32>(base + (<usize>i << 2));
    if (v < prev) return 0xffffffff;
    sum = (sum ^ v) * 0x01000193;
    prev = v;
  }
  return sum;
}

function heapsort(base: usize, n: u32): void {
  if (n < 2) return;
  let start = n >>> 1;
  let end = n;
  while (end > 1) {
    if (start > 0) {
      start--;
    } else {
      end--;
      const a = base + (<usize>end << 2);
      const t = load<u32>(a);
      store<u32>(a, load<u32>(base));
      store<u32>(base, t);
    }
    let root = start;
    while (true) {
      let child = (root << 1) + 1;
      if (child >= end) break;
      if (child + 1 < end && load<u32>(base + (<usize>child << 2)) < load<u32>(base + (<usize>(child + 1) << 2))) child++;
      const ra = base + (<usize>root << 2);
      const ca = base + (<usize>child << 2);
      const rv = load<u32>(ra);
      const cv = load<u32>(ca);
      if (rv >= cv) break;
      store<u32>(ra, cv);
      store<u32>(ca, rv);
      root = child;
    }
  }
}
