// The compiled rule set the middlebox enforces (built from a text rule file by the host tool, see
// runtime/monitor/middlebox-rules.ts, which documents the text form) and its first-match evaluation, as in
// iptables/nftables chains. Every field is checked before a rule set is sealed or installed.
//
// Header (24 bytes, little endian): 0 magic "EMFW", 4 version u16 = 1, 6 default action u8, 7 flags u8 (0),
// 8 rate limit u32 frames/s (0 = none), 12 burst u32, 16 rules u16, 18 patterns u16, 20 conntrack timeout u32 s.
// Then the rules, 32 bytes each: 0 action u8 (0 deny, 1 allow), 1 direction u8 (0 any, 1 from the guest,
// 2 to the guest), 2 IP protocol u8 (0 any), 3 source prefix length u8, 4 destination prefix length u8, 5 pad,
// 6 ethertype u16 (0x0800 an IPv4 5-tuple rule, else a non-IPv4 ethertype, 0xffff any non-IPv4), 8 source IPv4
// u32, 12 destination IPv4 u32, 16 source ports lo, hi u16, 20 destination ports lo, hi u16, 24 reserved (0).
// Then the payload patterns: length u8 (1..255) and the bytes.
import { ac_add, ac_build, ac_reset } from './ahocorasick';

export const RULES_MAGIC: u32 = 0x57464d45; // "EMFW"
export const RULES_HEADER: usize = 24;
export const RULE_SIZE: usize = 32;
export const MAX_RULES: u32 = 256;
export const MAX_PATTERNS: u32 = 64;
export const MAX_RULES_BYTES: usize = RULES_HEADER + <usize>MAX_RULES * RULE_SIZE + <usize>MAX_PATTERNS * 256;

export const ACTION_DENY: u8 = 0;
export const ACTION_ALLOW: u8 = 1;
export const DIR_ANY: u8 = 0;
export const DIR_OUT: u8 = 1; // from the guest
export const DIR_IN: u8 = 2; // to the guest

export const RULES_E_FORMAT: i32 = -10;
export const RULES_E_PATTERNS: i32 = -11;

const ACTIVE: usize = memory.data(<i32>MAX_RULES_BYTES, 16);
export let loaded = false;
export let defaultAction: u8 = ACTION_DENY;
export let ruleCount: u32 = 0;
export let rateLimit: u32 = 0;
export let rateBurst: u32 = 0;
export let ctTimeout: u64 = 60;

/** Checks a rule set's structure; its length in bytes, or RULES_E_FORMAT. */
export function rules_check(p: usize, len: usize): i32 {
  if (len < RULES_HEADER || len > MAX_RULES_BYTES) return RULES_E_FORMAT;
  if (load<u32>(p) != RULES_MAGIC || load<u16>(p + 4) != 1 || load<u8>(p + 6) > 1 || load<u8>(p + 7) != 0) return RULES_E_FORMAT;
  const n = <u32>load<u16>(p + 16);
  const np = <u32>load<u16>(p + 18);
  if (n > MAX_RULES || np > MAX_PATTERNS) return RULES_E_FORMAT;
  let at = RULES_HEADER + <usize>n * RULE_SIZE;
  if (at > len) return RULES_E_FORMAT;
  for (let i: u32 = 0; i < n; i++) {
    const r = p + RULES_HEADER + <usize>i * RULE_SIZE;
    if (load<u8>(r) > 1 || load<u8>(r + 1) > 2 || load<u8>(r + 3) > 32 || load<u8>(r + 4) > 32) return RULES_E_FORMAT;
    if (load<u16>(r + 16) > load<u16>(r + 18) || load<u16>(r + 20) > load<u16>(r + 22)) return RULES_E_FORMAT;
    if (load<u64>(r + 24) != 0) return RULES_E_FORMAT;
  }
  for (let i: u32 = 0; i < np; i++) {
    if (at >= len) return RULES_E_FORMAT;
    const l = <usize>load<u8>(p + at);
    if (l == 0 || at + 1 + l > len) return RULES_E_FORMAT;
    at += 1 + l;
  }
  return at == len ? <i32>len : RULES_E_FORMAT;
}

/** Installs a checked rule set: copies it in and builds the pattern automaton. */
export function rules_install(p: usize, len: usize): i32 {
  if (rules_check(p, len) < 0) return RULES_E_FORMAT;
  memory.copy(ACTIVE, p, len);
  defaultAction = load<u8>(ACTIVE + 6);
  rateLimit = load<u32>(ACTIVE + 8);
  rateBurst = load<u32>(ACTIVE + 12);
  ruleCount = <u32>load<u16>(ACTIVE + 16);
  const np = <u32>load<u16>(ACTIVE + 18);
  const t = load<u32>(ACTIVE + 20);
  ctTimeout = t == 0 ? 60 : <u64>t;
  ac_reset();
  let at = RULES_HEADER + <usize>ruleCount * RULE_SIZE;
  for (let i: u32 = 0; i < np; i++) {
    const l = <usize>load<u8>(ACTIVE + at);
    if (!ac_add(ACTIVE + at + 1, l)) {
      loaded = false;
      return RULES_E_PATTERNS;
    }
    at += 1 + l;
  }
  ac_build();
  loaded = true;
  return <i32>ruleCount;
}

@inline function prefixMatch(rule: u32, ip: u32, bits: u8): bool {
  if (bits == 0) return true;
  const mask: u32 = bits >= 32 ? 0xffffffff : ~(<u32>0xffffffff >> bits);
  return (rule & mask) == (ip & mask);
}

/**
 * The action of the first rule matching this frame, or the default; -1 with no match when `dir` and the frame
 * fields are those of parse_frame. ipv4 false: only ethertype rules apply.
 */
export function rules_match(dir: u8, ipv4: bool, ethertype: u16, proto: u8, src: u32, dst: u32, sport: u16, dport: u16): u8 {
  for (let i: u32 = 0; i < ruleCount; i++) {
    const r = ACTIVE + RULES_HEADER + <usize>i * RULE_SIZE;
    const rd = load<u8>(r + 1);
    if (rd != DIR_ANY && rd != dir) continue;
    const et = load<u16>(r + 6);
    if (!ipv4) {
      if (et == 0xffff || et == ethertype) return load<u8>(r);
      continue;
    }
    if (et != 0x0800) continue;
    const rp = load<u8>(r + 2);
    if (rp != 0 && rp != proto) continue;
    if (!prefixMatch(load<u32>(r + 8), src, load<u8>(r + 3))) continue;
    if (!prefixMatch(load<u32>(r + 12), dst, load<u8>(r + 4))) continue;
    if (sport < load<u16>(r + 16) || sport > load<u16>(r + 18)) continue;
    if (dport < load<u16>(r + 20) || dport > load<u16>(r + 22)) continue;
    return load<u8>(r);
  }
  return defaultAction;
}
