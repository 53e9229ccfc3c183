/**
 * Sealing of evicted pages (EWB / ELDU, Intel SDM Vol. 3D §36.5): a page leaving the EPC is encrypted and
 * authenticated with ChaCha20-Poly1305 (RFC 8439) in the Wasm crypto core, under a key only this hw instance
 * holds, bound to (platform, enclave, page number, version). The nonce is (enclave id, page, version): unique
 * per key because enclave ids are never reused by one pager and versions only grow (versions.ts). The same
 * fields, with the platform id, form the associated data, so a page swapped with another, moved to another
 * enclave or platform, or replayed from an older version fails to open.
 */
import { WasmCrypto } from '../crypto/index.js';
import { PAGE_SIZE } from './size.js';

export const TAG_BYTES = 16;
/** Bytes of one sealed page in backing storage: ciphertext then tag. */
export const SEALED_PAGE_BYTES = PAGE_SIZE + TAG_BYTES;

export class PageSealer {
  private readonly crypto: WasmCrypto;
  private readonly key = new Uint8Array(32);
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(32);
  private readonly nonceView = new DataView(this.nonce.buffer);
  private readonly aadView = new DataView(this.aad.buffer);

  constructor(platformId: Uint8Array, crypto: WasmCrypto = WasmCrypto.create()) {
    this.crypto = crypto;
    globalThis.crypto.getRandomValues(this.key);
    this.aad.set([0x45, 0x50, 0x43, 0x31]); // "EPC1": a domain tag, so no other AEAD use of a key can collide
    this.aad.set(platformId.subarray(0, 16), 4);
  }

  private bind(enclave: number, page: number, version: number): void {
    this.nonceView.setUint32(0, enclave, true);
    this.nonceView.setUint32(4, page, true);
    this.nonceView.setUint32(8, version, true);
    this.aadView.setUint32(20, enclave, true);
    this.aadView.setUint32(24, page, true);
    this.aadView.setUint32(28, version, true);
  }

  /** Seals the 4 KiB `plain` into `out` (ciphertext, then the 16-byte tag). */
  seal(enclave: number, page: number, version: number, plain: Uint8Array, out: Uint8Array): void {
    this.bind(enclave, page, version);
    this.crypto.sealPage(this.key, this.nonce, this.aad, plain, out.subarray(0, PAGE_SIZE), out.subarray(PAGE_SIZE, SEALED_PAGE_BYTES));
  }

  /** Opens `sealed` into the 4 KiB `plain`; false (and `plain` untouched) if it is not exactly what hw sealed. */
  open(enclave: number, page: number, version: number, sealed: Uint8Array, plain: Uint8Array): boolean {
    if (!(sealed instanceof Uint8Array) || sealed.length !== SEALED_PAGE_BYTES) return false;
    this.bind(enclave, page, version);
    return this.crypto.openPage(this.key, this.nonce, this.aad, sealed.subarray(0, PAGE_SIZE), sealed.subarray(PAGE_SIZE), plain);
  }
}
