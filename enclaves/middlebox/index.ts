// The middlebox enclave: a secure network function on a guest NIC's path, as in S-NFV (Shih et al., "S-NFV:
// Securing NFV states by using SGX", SDN-NFV Security 2016) and LightBox (Duan et al., CCS 2019): the firewall
// rules, connection table, rate limiter and pattern set live in enclave memory, provisioned as a sealed blob;
// the host hands it batches of frames (one transition per batch) and learns only a verdict per frame and the
// counters this interface chooses to report. Until a rule set is installed every frame is dropped.
import { seal, unseal, POLICY_MRENCLAVE } from '../lib/seal';
import { ac_scan } from './ahocorasick';
import { ct_insert, ct_live, ct_lookup, ct_reset } from './conntrack';
import { f_dport, f_dst, f_ethertype, f_ipv4, f_payload, f_payload_len, f_proto, f_sport, f_src, FRAME_OK, parse_frame, PROTO_ICMP, PROTO_TCP, PROTO_UDP } from './frame';
import { rl_configure, rl_take } from './ratelimit';
import { ACTION_ALLOW, ctTimeout, loaded, MAX_RULES_BYTES, rateBurst, rateLimit, rules_check, rules_install, rules_match } from './rules';
export { __emon_ms, __emon_ms_size } from './generated/middlebox_t';

// Counters, in the order read_counters reports them.
const C_FRAMES = 0;
const C_BATCHES = 1;
const C_PASSED = 2;
const C_DROP_RULE = 3;
const C_DROP_MALFORMED = 4;
const C_DROP_RATE = 5;
const C_DROP_PATTERN = 6;
const C_DROP_UNLOADED = 7;
const C_CT_HITS = 8;
const C_CT_NEW = 9;
const C_CT_FULL = 10;
const C_CT_LIVE = 11;
const N_COUNTERS = 12;
const COUNTERS: usize = memory.data(N_COUNTERS * 8, 16);
const PLAIN: usize = memory.data(<i32>MAX_RULES_BYTES, 16);

@inline function bump(c: i32): void {
  const p = COUNTERS + (<usize>c << 3);
  store<u64>(p, load<u64>(p) + 1);
}

export function seal_rules(rules: usize, len: usize, blob: usize, cap: usize): i32 {
  const n = rules_check(rules, len);
  if (n < 0) return n;
  return seal(POLICY_MRENCLAVE, 0, 0, rules, len, blob, cap);
}

export function load_rules(blob: usize, len: usize): i32 {
  const n = unseal(blob, len, PLAIN, MAX_RULES_BYTES);
  if (n < 0) return n;
  const r = rules_install(PLAIN, <usize>n);
  memory.fill(PLAIN, 0, MAX_RULES_BYTES);
  if (r < 0) return r;
  rl_configure(rateLimit, rateBurst);
  ct_reset();
  memory.fill(COUNTERS, 0, N_COUNTERS * 8);
  return r;
}

function verdict(dir: u8, frame: usize, len: usize, nowNs: u64): bool {
  if (!loaded) {
    bump(C_DROP_UNLOADED);
    return false;
  }
  if (parse_frame(frame, len) != FRAME_OK) {
    bump(C_DROP_MALFORMED);
    return false;
  }
  const nowS = nowNs / 1_000_000_000;
  const tracked = f_ipv4 && (f_proto == PROTO_TCP || f_proto == PROTO_UDP || f_proto == PROTO_ICMP);
  if (tracked && ct_lookup(f_proto, f_src, f_sport, f_dst, f_dport, nowS, ctTimeout)) {
    bump(C_CT_HITS);
  } else {
    if (rules_match(dir, f_ipv4, f_ethertype, f_proto, f_src, f_dst, f_sport, f_dport) != ACTION_ALLOW) {
      bump(C_DROP_RULE);
      return false;
    }
    if (tracked) {
      if (ct_insert(f_proto, f_src, f_sport, f_dst, f_dport, nowS, ctTimeout)) bump(C_CT_NEW);
      else bump(C_CT_FULL);
    }
  }
  if (ac_scan(f_payload, f_payload_len)) {
    bump(C_DROP_PATTERN);
    return false;
  }
  if (!rl_take(nowNs)) {
    bump(C_DROP_RATE);
    return false;
  }
  bump(C_PASSED);
  return true;
}

export function filter(batch: usize, len: usize, count: u32, nowNs: u64, verdicts: usize): i32 {
  bump(C_BATCHES);
  let at: usize = 0;
  let passed = 0;
  for (let i: u32 = 0; i < count; i++) {
    bump(C_FRAMES);
    let ok = false;
    if (at + 4 <= len) {
      const flen = <usize>load<u16>(batch + at);
      const dir = load<u8>(batch + at + 2);
      const next = at + 4 + ((flen + 3) & ~3);
      if (at + 4 + flen <= len && (dir == 1 || dir == 2)) {
        ok = verdict(dir, batch + at + 4, flen, nowNs);
      } else {
        bump(C_DROP_MALFORMED);
      }
      at = next;
    } else {
      bump(C_DROP_MALFORMED);
    }
    store<u8>(verdicts + i, ok ? 1 : 0);
    if (ok) passed++;
  }
  return passed;
}

export function read_counters(out: usize, cap: usize): i32 {
  store<u64>(COUNTERS + (<usize>C_CT_LIVE << 3), <u64>ct_live());
  const n = <i32>min(cap >> 3, <usize>N_COUNTERS);
  memory.copy(out, COUNTERS, <usize>n << 3);
  return n;
}
