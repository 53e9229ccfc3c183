/**
 * The hash tree over a store's blocks (in the spirit of OP-TEE's REE FS hash tree, core/tee/fs_htree.c, and
 * dm-verity): each block has a 32-byte leaf `version u64 | slot u8 | written u8 | 0[6] | tag[16]` holding the
 * AEAD tag of its current ciphertext, the version it was sealed under and which of its two slots holds it;
 * leaves are packed 128 to a 4 KiB page; a page's node is SHA-256 of the page and the root is SHA-256 of the
 * page nodes in order. The sealed superblock holds the root, so a leaf page that is altered, replayed or moved
 * changes the root. The whole tree stays in trusted memory (32 bytes per block); only changed pages are
 * rehashed.
 */
import type { WasmCrypto } from '../hw/crypto/index.js';
import { LEAF_BYTES, LEAVES_PER_PAGE, PAGE_BYTES } from './layout.js';

export class HashTree {
  /** Every leaf page, back to back. */
  readonly pages: Uint8Array;
  private readonly dv: DataView;
  private readonly nodes: Uint8Array;

  constructor(
    private readonly crypto: WasmCrypto,
    readonly leafPages: number,
  ) {
    this.pages = new Uint8Array(leafPages * PAGE_BYTES);
    this.dv = new DataView(this.pages.buffer);
    this.nodes = new Uint8Array(leafPages * 32);
  }

  page(p: number): Uint8Array {
    return this.pages.subarray(p * PAGE_BYTES, (p + 1) * PAGE_BYTES);
  }

  static pageOf(block: number): number {
    return Math.floor(block / LEAVES_PER_PAGE);
  }

  written(block: number): boolean {
    return this.pages[block * LEAF_BYTES + 9] === 1;
  }
  version(block: number): number {
    return Number(this.dv.getBigUint64(block * LEAF_BYTES, true));
  }
  slot(block: number): number {
    return this.pages[block * LEAF_BYTES + 8]!;
  }
  tag(block: number): Uint8Array {
    const o = block * LEAF_BYTES + 16;
    return this.pages.subarray(o, o + 16);
  }

  setLeaf(block: number, version: number, slot: number, tag: Uint8Array): void {
    const o = block * LEAF_BYTES;
    this.dv.setBigUint64(o, BigInt(version), true);
    this.pages[o + 8] = slot;
    this.pages[o + 9] = 1;
    this.pages.set(tag, o + 16);
  }

  /** Recomputes page p's node. */
  rehash(p: number): void {
    this.nodes.set(this.crypto.sha256(this.page(p)), p * 32);
  }

  rehashAll(): void {
    for (let p = 0; p < this.leafPages; p++) this.rehash(p);
  }

  root(): Uint8Array {
    return this.crypto.sha256(this.nodes);
  }

  /** The node of page p as stored (to name a bad page). */
  node(p: number): Uint8Array {
    return this.nodes.subarray(p * 32, p * 32 + 32);
  }
}
