// The frame parser of the middlebox: Ethernet II (IEEE 802.3 clause 3), IPv4 (RFC 791), TCP (RFC 9293 §3.1),
// UDP (RFC 768). It reads only inside [p, p + len) and classifies every frame: a frame it cannot vouch for
// (truncated header, a length field that disagrees with the frame, an IPv4 fragment, an oversize frame) is
// MALFORMED and the middlebox drops it, since a firewall that guesses at a fragment's ports can be bypassed.

export const ETH_HEADER: usize = 14;
export const MAX_FRAME: usize = 1514;
export const ETHERTYPE_IPV4: u16 = 0x0800;

export const PROTO_ICMP: u8 = 1;
export const PROTO_TCP: u8 = 6;
export const PROTO_UDP: u8 = 17;

export const FRAME_OK: i32 = 0;
export const FRAME_MALFORMED: i32 = 1;

// The parsed fields of the last frame, valid after parse_frame returned FRAME_OK.
export let f_ethertype: u16 = 0;
export let f_ipv4: bool = false;
export let f_proto: u8 = 0;
export let f_src: u32 = 0;
export let f_dst: u32 = 0;
export let f_sport: u16 = 0;
export let f_dport: u16 = 0;
/** The bytes the payload matcher scans: the L4 payload of IPv4, else everything after the Ethernet header. */
export let f_payload: usize = 0;
export let f_payload_len: usize = 0;

@inline function be16(p: usize): u16 {
  return bswap<u16>(load<u16>(p));
}

@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

export function parse_frame(p: usize, len: usize): i32 {
  if (len < ETH_HEADER || len > MAX_FRAME) return FRAME_MALFORMED;
  f_ethertype = be16(p + 12);
  f_ipv4 = false;
  f_proto = 0;
  f_src = 0;
  f_dst = 0;
  f_sport = 0;
  f_dport = 0;
  f_payload = p + ETH_HEADER;
  f_payload_len = len - ETH_HEADER;
  if (f_ethertype != ETHERTYPE_IPV4) return FRAME_OK;
  const ip = p + ETH_HEADER;
  const room = len - ETH_HEADER;
  if (room < 20) return FRAME_MALFORMED;
  const vihl = load<u8>(ip);
  if ((vihl >> 4) != 4) return FRAME_MALFORMED;
  const ihl = (<usize>(vihl & 15)) << 2;
  if (ihl < 20 || ihl > room) return FRAME_MALFORMED;
  const total = <usize>be16(ip + 2);
  // Ethernet pads short frames, so the frame may be longer than the datagram, never shorter.
  if (total < ihl || total > room) return FRAME_MALFORMED;
  const frag = be16(ip + 6);
  if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) return FRAME_MALFORMED; // MF set or a non-zero offset
  f_ipv4 = true;
  f_proto = load<u8>(ip + 9);
  f_src = be32(ip + 12);
  f_dst = be32(ip + 16);
  const l4 = ip + ihl;
  const l4len = total - ihl;
  if (f_proto == PROTO_TCP) {
    if (l4len < 20) return FRAME_MALFORMED;
    const off = (<usize>(load<u8>(l4 + 12) >> 4)) << 2;
    if (off < 20 || off > l4len) return FRAME_MALFORMED;
    f_sport = be16(l4);
    f_dport = be16(l4 + 2);
    f_payload = l4 + off;
    f_payload_len = l4len - off;
  } else if (f_proto == PROTO_UDP) {
    if (l4len < 8) return FRAME_MALFORMED;
    const ulen = <usize>be16(l4 + 4);
    if (ulen < 8 || ulen > l4len) return FRAME_MALFORMED;
    f_sport = be16(l4);
    f_dport = be16(l4 + 2);
    f_payload = l4 + 8;
    f_payload_len = ulen - 8;
  } else {
    f_payload = l4;
    f_payload_len = l4len;
  }
  return FRAME_OK;
}
