// Bulk-memory kernel: memory.fill and memory.copy (forward, backward and overlapping) over a buffer larger
// than one page, then a checksum; the EPC must cover these instructions exactly as it covers loads/stores.
import { region, xorshift } from './region';

export function bulkKernel(bytes: u32, rounds: u32, seed: u32): u32 {
  const base = region(bytes);
  let x = seed | 1;
  for (let r: u32 = 0; r < rounds; r++) {
    x = xorshift(x);
    const len = x % (bytes >>> 1) + 1;
    x = xorshift(x);
    const src = x % (bytes - len + 1);
    x = xorshift(x);
    const dst = x % (bytes - len + 1);
    if ((r & 3) == 0) memory.fill(base + dst, <u8>x, len);
    else memory.copy(base + dst, base + src, len);
    store<u8>(base + (x % bytes), <u8>(x >>> 8));
  }
  let sum: u32 = 0;
  for (let i: u32 = 0; i < bytes; i += 4) sum = (sum ^ load<u32>(base + i)) * 0x01000193;
  return sum;
}
