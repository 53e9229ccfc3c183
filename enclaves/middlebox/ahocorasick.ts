// Multi-pattern payload matching with the Aho-Corasick automaton (A. V. Aho, M. J. Corasick, "Efficient string
// matching: an aid to bibliographic search", CACM 18(6), 1975), compiled to a full DFA so the scan does one table
// load per payload byte whatever the number of patterns, as IDS engines (Snort, Suricata) do.

export const AC_MAX_STATES: i32 = 1024;

const DELTA: usize = memory.data(AC_MAX_STATES * 256 * 2, 16); // u16 next state per (state, byte)
const FAIL: usize = memory.data(AC_MAX_STATES * 2, 16);
const OUT: usize = memory.data(AC_MAX_STATES, 16); // 1 when some pattern ends here
const QUEUE: usize = memory.data(AC_MAX_STATES * 2, 16);
let states: i32 = 1;
let patterns: i32 = 0;

@inline function delta(s: i32, c: i32): usize {
  return DELTA + ((<usize>s << 8) + <usize>c) * 2;
}

export function ac_reset(): void {
  memory.fill(DELTA, 0, AC_MAX_STATES * 256 * 2);
  memory.fill(FAIL, 0, AC_MAX_STATES * 2);
  memory.fill(OUT, 0, AC_MAX_STATES);
  states = 1;
  patterns = 0;
}

export function ac_patterns(): i32 {
  return patterns;
}

/** Adds one pattern to the trie (0 is "no edge" while building: the root is never a target). False when full. */
export function ac_add(p: usize, len: usize): bool {
  let s = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(p + i);
    let t = <i32>load<u16>(delta(s, c));
    if (t == 0) {
      if (states >= AC_MAX_STATES) return false;
      t = states++;
      store<u16>(delta(s, c), <u16>t);
    }
    s = t;
  }
  store<u8>(OUT + <usize>s, 1);
  patterns++;
  return true;
}

/** Failure links by breadth-first search, then the missing edges filled in so the trie becomes a DFA. */
export function ac_build(): void {
  let head = 0;
  let tail = 0;
  for (let c = 0; c < 256; c++) {
    const t = <i32>load<u16>(delta(0, c));
    if (t != 0) {
      store<u16>(FAIL + (<usize>t << 1), 0);
      store<u16>(QUEUE + (<usize>(tail++) << 1), <u16>t);
    }
  }
  while (head < tail) {
    const s = <i32>load<u16>(QUEUE + (<usize>(head++) << 1));
    const f = <i32>load<u16>(FAIL + (<usize>s << 1));
    if (load<u8>(OUT + <usize>f) != 0) store<u8>(OUT + <usize>s, 1);
    for (let c = 0; c < 256; c++) {
      const t = <i32>load<u16>(delta(s, c));
      if (t != 0) {
        store<u16>(FAIL + (<usize>t << 1), load<u16>(delta(f, c)));
        store<u16>(QUEUE + (<usize>(tail++) << 1), <u16>t);
      } else {
        store<u16>(delta(s, c), load<u16>(delta(f, c)));
      }
    }
  }
}

/** True when some pattern occurs in [p, p + len). */
export function ac_scan(p: usize, len: usize): bool {
  if (patterns == 0) return false;
  let s = 0;
  for (let i: usize = 0; i < len; i++) {
    s = <i32>load<u16>(delta(s, <i32>load<u8>(p + i)));
    if (load<u8>(OUT + <usize>s) != 0) return true;
  }
  return false;
}
