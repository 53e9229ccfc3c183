/**
 * On-disk layout of design 3's image (after OP-TEE's REE FS, core/tee/fs_htree.c: two copies of every node
 * and of the header, the header naming which copy is current, so a commit never overwrites committed state).
 *
 *   [0, 8 KiB)            two superblock slots of 4 KiB
 *   [8 KiB, +2·M·4 KiB)   M leaf pages of the hash tree, two slots each
 *   [data, +2·N·B)        N data blocks of B bytes, two slots each
 *
 * A superblock slot is `magic[8] | storeId[16] | nonce[12] | len u32 | sealed payload | tag[16]`, the payload
 * sealed with ChaCha20-Poly1305 under the store's superblock key, bound to (magic, store id, slot). Payload:
 * `generation u64 | blockSize u32 | blocks u32 | leafPages u32 | root[32] | page slots (one bit per page) |
 * fresh count u32 | fresh block numbers u32...`: the blocks this commit wrote, which open checks before it
 * accepts a commit whose counter increment did not happen (./sealed.ts).
 */
export const MAGIC = new TextEncoder().encode('EMONSTO3');
export const SUPER_SLOT_BYTES = 4096;
export const PAGE_BYTES = 4096;
export const LEAF_BYTES = 32;
export const LEAVES_PER_PAGE = PAGE_BYTES / LEAF_BYTES;
export const STORE_ID_BYTES = 16;
export const HEADER_BYTES = 8 + STORE_ID_BYTES + 12 + 4;
export const PAYLOAD_FIXED = 8 + 4 + 4 + 4 + 32;
/** Blocks a superblock lists as written by its commit; a commit writing more syncs its data first. */
export const FRESH_MAX = 128;
/** Pages whose slot bits fit in one superblock. */
export const MAX_LEAF_PAGES = (SUPER_SLOT_BYTES - HEADER_BYTES - 16 - PAYLOAD_FIXED - 4 - 4 * FRESH_MAX) * 8;

export interface Geometry {
  readonly blockSize: number;
  readonly blocks: number;
  readonly leafPages: number;
  readonly dataStart: number;
  readonly totalBytes: number;
}

export function geometry(blockSize: number, blocks: number): Geometry {
  const leafPages = Math.max(1, Math.ceil(blocks / LEAVES_PER_PAGE));
  const metaEnd = 2 * SUPER_SLOT_BYTES + 2 * leafPages * PAGE_BYTES;
  const dataStart = Math.ceil(metaEnd / blockSize) * blockSize;
  return { blockSize, blocks, leafPages, dataStart, totalBytes: dataStart + 2 * blocks * blockSize };
}

export const superOffset = (slot: number): number => slot * SUPER_SLOT_BYTES;
export const pageOffset = (page: number, slot: number): number => 2 * SUPER_SLOT_BYTES + (2 * page + slot) * PAGE_BYTES;
export const blockOffset = (g: Geometry, block: number, slot: number): number => g.dataStart + (2 * block + slot) * g.blockSize;

export interface SuperPayload {
  readonly generation: number;
  readonly blockSize: number;
  readonly blocks: number;
  readonly leafPages: number;
  readonly root: Uint8Array;
  /** One byte per leaf page: 0 or 1. */
  readonly pageSlots: Uint8Array;
  /** Blocks written by this commit (empty when the commit synced them before its superblock). */
  readonly fresh: readonly number[];
}

export function encodePayload(p: SuperPayload): Uint8Array {
  const bitmap = Math.ceil(p.leafPages / 8);
  const out = new Uint8Array(PAYLOAD_FIXED + bitmap + 4 + 4 * p.fresh.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(PAYLOAD_FIXED + bitmap, p.fresh.length, true);
  p.fresh.forEach((b, i) => dv.setUint32(PAYLOAD_FIXED + bitmap + 4 + 4 * i, b, true));
  dv.setBigUint64(0, BigInt(p.generation), true);
  dv.setUint32(8, p.blockSize, true);
  dv.setUint32(12, p.blocks, true);
  dv.setUint32(16, p.leafPages, true);
  out.set(p.root, 20);
  for (let i = 0; i < p.leafPages; i++) if (p.pageSlots[i]) out[PAYLOAD_FIXED + (i >> 3)]! |= 1 << (i & 7);
  return out;
}

/** Decodes an authenticated payload; null if its sizes do not agree (only trusted code writes payloads). */
export function decodePayload(b: Uint8Array): SuperPayload | null {
  if (b.length < PAYLOAD_FIXED) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const leafPages = dv.getUint32(16, true);
  const bitmap = Math.ceil(leafPages / 8);
  if (b.length < PAYLOAD_FIXED + bitmap + 4) return null;
  const count = dv.getUint32(PAYLOAD_FIXED + bitmap, true);
  if (count > FRESH_MAX || b.length !== PAYLOAD_FIXED + bitmap + 4 + 4 * count) return null;
  const fresh: number[] = [];
  for (let i = 0; i < count; i++) fresh.push(dv.getUint32(PAYLOAD_FIXED + bitmap + 4 + 4 * i, true));
  const pageSlots = new Uint8Array(leafPages);
  for (let i = 0; i < leafPages; i++) pageSlots[i] = (b[PAYLOAD_FIXED + (i >> 3)]! >> (i & 7)) & 1;
  return {
    generation: Number(dv.getBigUint64(0, true)),
    blockSize: dv.getUint32(8, true),
    blocks: dv.getUint32(12, true),
    leafPages,
    root: b.slice(20, 52),
    pageSlots,
    fresh,
  };
}

/** Associated data of a superblock slot: the cleartext header fields and the slot it was written to. */
export function superAad(storeId: Uint8Array, slot: number): Uint8Array {
  const aad = new Uint8Array(8 + STORE_ID_BYTES + 4);
  aad.set(MAGIC);
  aad.set(storeId, 8);
  new DataView(aad.buffer).setUint32(8 + STORE_ID_BYTES, slot, true);
  return aad;
}
