/** Ethernet/IPv4/UDP/TCP frames for middlebox tests and the net bench (RFC 791, 768, 9293 layouts). */
export const GUEST_MAC = [2, 0, 0, 0, 0, 1];
export const PEER_MAC = [2, 0, 0, 0, 0, 2];

export function ip4(text: string): number {
  return text.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export interface Flow {
  readonly proto: 'udp' | 'tcp';
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
}

/** One frame of `flow` carrying `payload`, padded to `size` bytes when given. */
export function ipFrame(flow: Flow, payload: Uint8Array | string = '', size = 0): Uint8Array {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const l4 = flow.proto === 'udp' ? 8 : 20;
  const ipLen = 20 + l4 + data.length;
  const f = new Uint8Array(Math.max(14 + ipLen, size));
  const dv = new DataView(f.buffer);
  f.set(PEER_MAC, 0);
  f.set(GUEST_MAC, 6);
  dv.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  dv.setUint16(ip + 2, ipLen);
  f[ip + 8] = 64;
  f[ip + 9] = flow.proto === 'udp' ? 17 : 6;
  dv.setUint32(ip + 12, ip4(flow.src));
  dv.setUint32(ip + 16, ip4(flow.dst));
  const t = ip + 20;
  dv.setUint16(t, flow.sport);
  dv.setUint16(t + 2, flow.dport);
  if (flow.proto === 'udp') dv.setUint16(t + 4, 8 + data.length);
  else f[t + 12] = 5 << 4;
  f.set(data, t + l4);
  return f;
}

export function reverse(flow: Flow): Flow {
  return { proto: flow.proto, src: flow.dst, sport: flow.dport, dst: flow.src, dport: flow.sport };
}

/** A non-IP frame of the given ethertype. */
export function etherFrame(type: number, payload = 'x'): Uint8Array {
  const f = new Uint8Array(60);
  f.set(PEER_MAC, 0);
  f.set(GUEST_MAC, 6);
  new DataView(f.buffer).setUint16(12, type);
  f.set(new TextEncoder().encode(payload), 14);
  return f;
}
