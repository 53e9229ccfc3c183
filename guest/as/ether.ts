// Ethernet II framing (IEEE 802.3 clause 3.2): 6-byte destination, 6-byte source, 2-byte EtherType, payload.
// Framing functions for guests that speak raw frames over a Solo5 NET_BASIC device.

export const ETH_HEADER: i32 = 14;
/** IEEE 802 "local experimental" EtherType, used by the emon examples. */
export const ETHERTYPE_EXPERIMENTAL: u16 = 0x88b5;

export function setHeader(frame: Uint8Array, dst: Uint8Array, src: Uint8Array, ethertype: u16): void {
  for (let i = 0; i < 6; i++) {
    frame[i] = dst[i];
    frame[6 + i] = src[i];
  }
  frame[12] = <u8>(ethertype >> 8);
  frame[13] = <u8>(ethertype & 0xff);
}

export function ethertypeOf(frame: Uint8Array): u16 {
  return (<u16>frame[12] << 8) | <u16>frame[13];
}

/** Copies the source MAC of a frame into `out`. */
export function sourceOf(frame: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < 6; i++) out[i] = frame[6 + i];
}

export function isFor(frame: Uint8Array, mac: Uint8Array): bool {
  for (let i = 0; i < 6; i++) if (frame[i] != mac[i]) return false;
  return true;
}

/** Writes an ASCII payload after the header; returns the frame length. */
export function setPayload(frame: Uint8Array, text: string): i32 {
  const n = text.length;
  for (let i = 0; i < n; i++) frame[ETH_HEADER + i] = <u8>text.charCodeAt(i);
  return ETH_HEADER + n;
}

export function payloadOf(frame: Uint8Array, len: i32): string {
  let s = "";
  for (let i = ETH_HEADER; i < len; i++) s += String.fromCharCode(frame[i]);
  return s;
}

/** Fills `out` with the broadcast address ff:ff:ff:ff:ff:ff. */
export function setBroadcast(out: Uint8Array): void {
  out.fill(0xff);
}
