// Connection tracking, as Linux netfilter's nf_conntrack does for a stateful firewall: a flow that a rule
// allowed is remembered by its 5-tuple, in either direction, so its replies pass without a rule of their own
// until the flow has been idle for the timeout. A fixed open-addressing table inside the enclave; when a
// bucket's probe run is full of live flows the new flow is not tracked (and counted), never someone else's
// entry overwritten.

export const CT_SLOTS: i32 = 4096;
const SLOT: usize = 24; // used u8, proto u8, pad u16, ipA u32, ipB u32, portA u16, portB u16, lastSeen u64 (s)
const PROBE: i32 = 16;
const TABLE: usize = memory.data(CT_SLOTS * <i32>SLOT, 16);

let live: i32 = 0;

export function ct_reset(): void {
  memory.fill(TABLE, 0, CT_SLOTS * <i32>SLOT);
  live = 0;
}

export function ct_live(): i32 {
  return live;
}

// The normalised key: the lower (ip, port) end first, so both directions of a flow find one entry.
let kA: u32 = 0;
let kB: u32 = 0;
let kPA: u16 = 0;
let kPB: u16 = 0;

function key(src: u32, sport: u16, dst: u32, dport: u16): i32 {
  if (src < dst || (src == dst && sport <= dport)) {
    kA = src; kPA = sport; kB = dst; kPB = dport;
  } else {
    kA = dst; kPA = dport; kB = src; kPB = sport;
  }
  let h: u32 = 2166136261;
  h = (h ^ kA) * 16777619;
  h = (h ^ kB) * 16777619;
  h = (h ^ ((<u32>kPA << 16) | <u32>kPB)) * 16777619;
  return <i32>((h ^ (h >> 15)) & <u32>(CT_SLOTS - 1));
}

@inline function slot(i: i32): usize {
  return TABLE + <usize>(i & (CT_SLOTS - 1)) * SLOT;
}

@inline function same(e: usize, proto: u8): bool {
  return load<u8>(e + 1) == proto && load<u32>(e + 4) == kA && load<u32>(e + 8) == kB && load<u16>(e + 12) == kPA && load<u16>(e + 14) == kPB;
}

/** True (and the flow refreshed) when this flow is tracked and not idle past `timeoutS`. */
export function ct_lookup(proto: u8, src: u32, sport: u16, dst: u32, dport: u16, nowS: u64, timeoutS: u64): bool {
  const h = key(src, sport, dst, dport);
  for (let i = 0; i < PROBE; i++) {
    const e = slot(h + i);
    if (load<u8>(e) == 0) return false;
    if (same(e, proto)) {
      if (nowS - load<u64>(e + 16) > timeoutS) return false;
      store<u64>(e + 16, nowS);
      return true;
    }
  }
  return false;
}

/** Tracks a flow; false when its probe run holds only live flows (the table is full there). */
export function ct_insert(proto: u8, src: u32, sport: u16, dst: u32, dport: u16, nowS: u64, timeoutS: u64): bool {
  const h = key(src, sport, dst, dport);
  let free: usize = 0;
  for (let i = 0; i < PROBE; i++) {
    const e = slot(h + i);
    if (load<u8>(e) == 0) {
      if (free == 0) free = e;
      break;
    }
    if (same(e, proto)) {
      store<u64>(e + 16, nowS);
      return true;
    }
    if (free == 0 && nowS - load<u64>(e + 16) > timeoutS) free = e;
  }
  if (free == 0) return false;
  if (load<u8>(free) == 0) live++;
  store<u8>(free, 1);
  store<u8>(free + 1, proto);
  store<u32>(free + 4, kA);
  store<u32>(free + 8, kB);
  store<u16>(free + 12, kPA);
  store<u16>(free + 14, kPB);
  store<u64>(free + 16, nowS);
  return true;
}
