// Hashing kernel: fills a large buffer and hashes it with 64-bit FNV-1a over 8-byte words, `passes` times.
// Its working set is swept sequentially, the access pattern of sealing or measuring a large blob.
import { region, xorshift } from './region';

export function hashKernel(bytes: u32, passes: u32, seed: u32): u64 {
  const base = region(bytes & ~7);
  hashFill(base, bytes, seed);
  return hashAt(base, bytes, passes);
}

/** Fills [base, base+bytes) with the kernel's pseudo-random words. */
export function hashFill(base: usize, bytes: u32, seed: u32): void {
  const words = bytes >>> 3;
  let x = seed | 1;
  for (let i: u32 = 0; i < words; i++) {
    x = xorshift(x);
    store<u64>(base + (<usize>i << 3), (<u64>x << 32) | <u64>xorshift(x ^ 0x9e3779b9));
  }
}

/** FNV-1a-64 over the words of [base, base+bytes), `passes` times. */
export function hashAt(base: usize, bytes: u32, passes: u32): u64 {
  const words = bytes >>> 3;
  let h: u64 = 0xcbf29ce484222325;
  for (let p: u32 = 0; p < passes; p++) {
    for (let i: u32 = 0; i < words; i++) {
      h = (h ^ load<u64>(base + (<usize>i << 3))) * 0x100000001b3;
    }
  }
  return h;
}
