// Working memory for the EPC workloads: a bump region carved out of freshly grown linear memory, so that the
// kernels' working set is exactly the bytes they ask for (no allocator metadata) and paging sees plain
// loads, stores and bulk operations, as an enclave's own code would issue them.

/** Appends `bytes` of zeroed memory (rounded up to 64 KiB) and returns its first address. */
export function region(bytes: u32): usize {
  const base = <usize>memory.size() << 16;
  const pages = <i32>((bytes + 0xffff) >>> 16);
  if (pages > 0 && memory.grow(pages) < 0) unreachable();
  return base;
}

/** xorshift32 step (Marsaglia 2003): a cheap, reproducible stream of test data. */
// @ts-ignore: decorator
@inline
export function xorshift(x: u32): u32 {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x;
}
