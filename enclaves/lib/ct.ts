/**
 * Constant-time helpers for secrets in linear memory: tag comparison whose running time does not depend on where
 * the first differing byte is (RFC 8439 §4: "the tag comparison MUST be done in constant time"), and wiping of
 * key material once a primitive is done with it.
 */

/** True when the `len` bytes at `a` and `b` are equal; time depends only on `len`. */
export function ct_equal(a: usize, b: usize, len: usize): bool {
  let diff: u32 = 0;
  let i: usize = 0;
  for (; i + 4 <= len; i += 4) diff |= load<u32>(a + i) ^ load<u32>(b + i);
  for (; i < len; i++) diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

/** Overwrites `len` bytes at `p` with zeros (a memory.fill, which no optimiser may drop: memory is observable). */
export function wipe(p: usize, len: usize): void {
  memory.fill(p, 0, len);
}
