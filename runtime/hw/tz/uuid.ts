/**
 * TEE UUIDs (RFC 4122 as GP uses them, TEE Client API §4.3.4 TEEC_UUID): the text form names `<uuid>.ta` files,
 * the 16-byte struct form (timeLow u32, timeMid u16, timeHiAndVersion u16, clockSeqAndNode[8], fields little
 * endian in memory as a C struct on wasm32) is what guests pass to TEEC_OpenSession.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export const UUID_SIZE = 16;
const TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(text: string): boolean {
  return TEXT.test(text);
}

/** A TEEC_UUID struct read from memory, as canonical lower-case text. */
export function uuidFromStruct(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, UUID_SIZE);
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const node = [...b.subarray(8, 16)].map((x) => h(x, 2)).join('');
  return `${h(dv.getUint32(0, true), 8)}-${h(dv.getUint16(4, true), 4)}-${h(dv.getUint16(6, true), 4)}-${node.slice(0, 4)}-${node.slice(4)}`;
}

/** The TEEC_UUID struct bytes of a text UUID. */
export function uuidToStruct(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  const out = new Uint8Array(UUID_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parseInt(hex.slice(0, 8), 16), true);
  dv.setUint16(4, parseInt(hex.slice(8, 12), 16), true);
  dv.setUint16(6, parseInt(hex.slice(12, 16), 16), true);
  for (let i = 0; i < 8; i++) out[8 + i] = parseInt(hex.slice(16 + 2 * i, 18 + 2 * i), 16);
  return out;
}

/** A name-based UUID (RFC 4122 §4.3 layout, version 8 bits, SHA-256) for an image that has none, e.g. an EDL enclave run as a TA. */
export function uuidOfBytes(bytes: Uint8Array): string {
  const d = sha256(bytes).slice(0, 16);
  d[6] = (d[6]! & 0x0f) | 0x80;
  d[8] = (d[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(d).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
