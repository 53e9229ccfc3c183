/**
 * The host side of emon's trusted crypto core (enclaves/lib): one Wasm instance, its memory laid out once, and
 * views created once. The simulated hardware (the EPC pager, DESIGN.md §5), tests and benchmarks use it for
 * ChaCha20-Poly1305 / XChaCha20-Poly1305 (RFC 8439, draft-irtf-cfrg-xchacha-03), SHA-256 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869). It never touches node:crypto: the host is untrusted.
 *
 * Inputs are validated here, at the edge (sizes of keys, nonces, tags, pages); the core trusts its caller.
 * The page path (sealPage/openPage) copies through fixed regions and allocates nothing per call.
 */
import { EmonError } from '../../errors.js';
import { CoreExports, CryptoFlavor, engineSupportsSimd, instantiateCore } from './core.js';
import { HKDF_MAX_OUTPUT, KEY_SIZE, need, needBytes, NONCE_SIZE, PAGE_AAD_MAX, PAGE_SIZE, SHA256_SIZE, TAG_SIZE, XNONCE_SIZE } from './params.js';
import { HashStream, type StreamHost } from './hash-stream.js';

// Fixed layout above the core's static data (offsets from `base`).
const KEY = 0;
const NONCE = 32;
const TAG = 64;
const OUT = 96;
const SLOTS = 256;
const SLOT_SIZE = 256;
const SLOT_COUNT = 16;
const PAGE_AAD = SLOTS + SLOT_SIZE * SLOT_COUNT;
const PAGE = PAGE_AAD + PAGE_AAD_MAX;
const DATA = PAGE + PAGE_SIZE;
/** Streams feed large inputs through the data region in chunks of this size instead of growing memory. */
const CHUNK = 64 * 1024;
const EMPTY = new Uint8Array(0);

export interface WasmCryptoOptions {
  /** Which build of the core to run; default `simd` when the engine supports it. */
  readonly flavor?: CryptoFlavor;
  /** Use this .wasm file instead of the built one (tests of malformed cores). */
  readonly file?: string;
}

export class WasmCrypto implements StreamHost {
  readonly flavor: CryptoFlavor;
  private readonly core: CoreExports;
  private readonly base: number;
  private mem: Uint8Array;
  // Views over the fixed regions, recreated only when memory grows (which replaces the ArrayBuffer).
  private pageView: Uint8Array;
  private pageAadView: Uint8Array;
  private tagView: Uint8Array;
  private readonly freeSlots: number[] = [];

  private constructor(flavor: CryptoFlavor, core: CoreExports) {
    this.flavor = flavor;
    this.core = core;
    this.base = (core.heap_base() + 63) & ~63;
    this.mem = this.pageView = this.pageAadView = this.tagView = new Uint8Array(0);
    for (let i = SLOT_COUNT - 1; i >= 0; i--) this.freeSlots.push(this.base + SLOTS + i * SLOT_SIZE);
    this.refreshViews();
    this.ensure(0);
  }

  /** Instantiates the core (once; keep the instance for the life of the hardware model). */
  static create(options: WasmCryptoOptions = {}): WasmCrypto {
    const flavor = options.flavor ?? (engineSupportsSimd() ? 'simd' : 'scalar');
    const core = options.file === undefined ? instantiateCore(flavor) : instantiateCore(flavor, options.file);
    if ((core.simd_enabled() === 1) !== (flavor === 'simd')) {
      throw new EmonError('E_CRYPTO_CORE_INVALID', `the ${flavor} crypto core reports the other flavour`, {
        hint: 'rebuild with `npm run build -- --force`',
      });
    }
    return new WasmCrypto(flavor, core);
  }

  // ---- ChaCha20-Poly1305 page path (EPC pager): no allocation per call -------------------------------------

  /** Seals one 4 KiB page from `src` into `dst` (may be the same array) and `tag`, binding `aad`. */
  sealPage(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array, tag: Uint8Array): void {
    this.loadPage(key, nonce, aad, src, dst, tag);
    const b = this.base;
    this.core.chacha20poly1305_seal(b + KEY, b + NONCE, b + PAGE_AAD, aad.length, b + PAGE, PAGE_SIZE, b + PAGE, b + TAG);
    dst.set(this.pageView);
    tag.set(this.tagView);
    this.mem.fill(0, b + KEY, b + NONCE);
  }

  /** Opens one sealed 4 KiB page; on a bad tag returns false and leaves `dst` untouched. */
  openPage(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, src: Uint8Array, tag: Uint8Array, dst: Uint8Array): boolean {
    this.loadPage(key, nonce, aad, src, dst, tag);
    const b = this.base;
    this.tagView.set(tag);
    const ok = this.core.chacha20poly1305_open(b + KEY, b + NONCE, b + PAGE_AAD, aad.length, b + PAGE, PAGE_SIZE, b + PAGE, b + TAG) === 1;
    if (ok) dst.set(this.pageView);
    this.mem.fill(0, b + KEY, b + NONCE);
    this.pageView.fill(0);
    return ok;
  }

  private loadPage(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array, tag: Uint8Array): void {
    need('page key', key, KEY_SIZE);
    need('page nonce', nonce, NONCE_SIZE);
    need('page', src, PAGE_SIZE);
    need('page destination', dst, PAGE_SIZE);
    need('page tag', tag, TAG_SIZE);
    needBytes('page associated data', aad);
    if (aad.length > PAGE_AAD_MAX) {
      throw new EmonError('E_CRYPTO_PARAM', `page associated data is ${aad.length} bytes, at most ${PAGE_AAD_MAX} allowed`, {
        hint: 'bind a short page identity (enclave id, page number, version), not the page itself',
      });
    }
    const m = this.mem;
    const b = this.base;
    m.set(key, b + KEY);
    m.set(nonce, b + NONCE);
    this.pageAadView.set(aad);
    this.pageView.set(src);
  }

  // ---- AEAD, general sizes ----------------------------------------------------------------------------------

  /** ChaCha20-Poly1305 seal: returns ciphertext || 16-byte tag (newly allocated). */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    need('AEAD key', key, KEY_SIZE);
    need('ChaCha20-Poly1305 nonce', nonce, NONCE_SIZE);
    needBytes('plaintext', plaintext);
    const out = new Uint8Array(plaintext.length + TAG_SIZE);
    this.sealInto(key, nonce, plaintext, out, aad);
    return out;
  }

  /** ChaCha20-Poly1305 seal into `out` (exactly plaintext.length + 16 bytes): allocates no buffer. */
  sealInto(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, out: Uint8Array, aad: Uint8Array = EMPTY): void {
    need('ChaCha20-Poly1305 nonce', nonce, NONCE_SIZE);
    this.sealWith(false, key, nonce, plaintext, aad, out);
  }

  /** ChaCha20-Poly1305 open of ciphertext || tag: the plaintext, or null when authentication fails. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array | null {
    need('AEAD key', key, KEY_SIZE);
    need('ChaCha20-Poly1305 nonce', nonce, NONCE_SIZE);
    needBytes('sealed data', sealed);
    if (sealed.length < TAG_SIZE) return null;
    const out = new Uint8Array(sealed.length - TAG_SIZE);
    return this.openInto(key, nonce, sealed, out, aad) ? out : null;
  }

  /**
   * ChaCha20-Poly1305 open into `out` (exactly sealed.length - 16 bytes): true with the plaintext in `out`, or
   * false with `out` untouched. Allocates no buffer.
   */
  openInto(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, out: Uint8Array, aad: Uint8Array = EMPTY): boolean {
    need('AEAD key', key, KEY_SIZE);
    need('ChaCha20-Poly1305 nonce', nonce, NONCE_SIZE);
    return this.openWith(false, key, nonce, sealed, aad, out);
  }

  /** XChaCha20-Poly1305 seal (24-byte nonce, safe to choose at random): ciphertext || tag. */
  xseal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array {
    need('XChaCha20-Poly1305 nonce', nonce, XNONCE_SIZE);
    needBytes('plaintext', plaintext);
    const out = new Uint8Array(plaintext.length + TAG_SIZE);
    this.sealWith(true, key, nonce, plaintext, aad, out);
    return out;
  }

  /** XChaCha20-Poly1305 open: the plaintext, or null when authentication fails. */
  xopen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array | null {
    need('AEAD key', key, KEY_SIZE);
    need('XChaCha20-Poly1305 nonce', nonce, XNONCE_SIZE);
    needBytes('sealed data', sealed);
    if (sealed.length < TAG_SIZE) return null;
    const out = new Uint8Array(sealed.length - TAG_SIZE);
    return this.openWith(true, key, nonce, sealed, aad, out) ? out : null;
  }

  private sealWith(x: boolean, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, out: Uint8Array): void {
    need('AEAD key', key, KEY_SIZE);
    needBytes('plaintext', plaintext);
    needBytes('associated data', aad);
    need('AEAD output', out, plaintext.length + TAG_SIZE);
    const p = this.stage(key, nonce, aad, plaintext);
    const b = this.base;
    const fn = x ? this.core.xchacha20poly1305_seal : this.core.chacha20poly1305_seal;
    fn(b + KEY, b + NONCE, b + DATA, aad.length, p, plaintext.length, p, p + plaintext.length);
    out.set(this.mem.subarray(p, p + out.length));
    this.mem.fill(0, b + KEY, b + NONCE);
  }

  private openWith(x: boolean, key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array, out: Uint8Array): boolean {
    need('AEAD key', key, KEY_SIZE);
    needBytes('sealed data', sealed);
    needBytes('associated data', aad);
    if (sealed.length < TAG_SIZE) return false;
    const len = sealed.length - TAG_SIZE;
    need('AEAD output', out, len);
    const p = this.stage(key, nonce, aad, sealed);
    const b = this.base;
    const fn = x ? this.core.xchacha20poly1305_open : this.core.chacha20poly1305_open;
    const ok = fn(b + KEY, b + NONCE, b + DATA, aad.length, p, len, p, p + len) === 1;
    if (ok) out.set(this.mem.subarray(p, p + len));
    this.mem.fill(0, b + KEY, b + NONCE);
    this.mem.fill(0, p, p + sealed.length);
    return ok;
  }

  /** Copies key, nonce, aad (to base + DATA) and data into the instance; returns the offset of the data. */
  private stage(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): number {
    const a = this.base + DATA;
    const p = a + ((aad.length + 15) & ~15);
    this.ensure(p - a + data.length + TAG_SIZE);
    const m = this.mem;
    m.set(key, this.base + KEY);
    m.set(nonce, this.base + NONCE);
    m.set(aad, a);
    m.set(data, p);
    return p;
  }

  // ---- SHA-256, HMAC, HKDF ----------------------------------------------------------------------------------

  /** SHA-256 digest of `data`. */
  sha256(data: Uint8Array): Uint8Array {
    return this.sha256Stream().update(data).digest();
  }

  /** Streaming SHA-256; call digest() (or dispose()) to give its context back. */
  sha256Stream(): HashStream {
    const slot = this.takeSlot('SHA-256');
    this.core.sha256_init(slot);
    return new HashStream(this, slot, this.core.sha256_update, this.core.sha256_final);
  }

  /** HMAC-SHA256 of `message` under `key` (any length). */
  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
    return this.hmacSha256Stream(key).update(message).digest();
  }

  /** Streaming HMAC-SHA256 under `key`. */
  hmacSha256Stream(key: Uint8Array): HashStream {
    needBytes('HMAC key', key);
    const slot = this.takeSlot('HMAC-SHA256');
    const p = this.put(key);
    this.core.hmac_sha256_init(slot, p, key.length);
    this.mem.fill(0, p, p + key.length);
    return new HashStream(this, slot, this.core.hmac_sha256_update, this.core.hmac_sha256_final);
  }

  /** HKDF-Extract (RFC 5869 §2.2): the 32-byte PRK. An empty salt means 32 zero bytes. */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
    needBytes('HKDF salt', salt);
    needBytes('HKDF input key material', ikm);
    const s = this.base + DATA;
    const i = s + ((salt.length + 15) & ~15);
    this.ensure(i - s + ikm.length);
    this.mem.set(salt, s);
    this.mem.set(ikm, i);
    this.core.hkdf_sha256_extract(s, salt.length, i, ikm.length, this.base + OUT);
    const out = this.mem.slice(this.base + OUT, this.base + OUT + SHA256_SIZE);
    this.mem.fill(0, s, i + ikm.length);
    this.mem.fill(0, this.base + OUT, this.base + OUT + SHA256_SIZE);
    return out;
  }

  /** HKDF-Expand (RFC 5869 §2.3): `length` bytes (at most 8160) of output keying material. */
  hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    needBytes('HKDF PRK', prk);
    needBytes('HKDF info', info);
    if (!Number.isInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT) {
      throw new EmonError('E_CRYPTO_PARAM', `HKDF-SHA256 output length ${length} is outside 0..${HKDF_MAX_OUTPUT}`, {
        hint: 'RFC 5869 allows at most 255 * 32 bytes; derive several keys with different info instead',
      });
    }
    const k = this.base + DATA;
    const i = k + ((prk.length + 15) & ~15);
    const o = i + ((info.length + 15) & ~15);
    this.ensure(o - k + length);
    this.mem.set(prk, k);
    this.mem.set(info, i);
    this.core.hkdf_sha256_expand(k, prk.length, i, info.length, o, length);
    const out = this.mem.slice(o, o + length);
    this.mem.fill(0, k, o + length);
    return out;
  }

  /** HKDF (extract then expand). */
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    return this.hkdfExpand(this.hkdfExtract(salt, ikm), info, length);
  }

  // ---- memory management ------------------------------------------------------------------------------------

  /** @internal Feeds `data` to a stream context through the data region, CHUNK bytes at a time. */
  feed(slot: number, update: (ctx: number, p: number, len: number) => void, data: Uint8Array): void {
    const d = this.base + DATA;
    this.ensure(Math.min(data.length, CHUNK));
    for (let off = 0; off < data.length; off += CHUNK) {
      const n = Math.min(CHUNK, data.length - off);
      this.mem.set(data.subarray(off, off + n), d);
      update(slot, d, n);
    }
  }

  /** @internal Runs `final` into the output region and returns a copy of the 32 bytes; frees the slot. */
  finish(slot: number, final: (ctx: number, out: number) => void): Uint8Array {
    const o = this.base + OUT;
    final(slot, o);
    const out = this.mem.slice(o, o + SHA256_SIZE);
    this.mem.fill(0, o, o + SHA256_SIZE);
    this.release(slot);
    return out;
  }

  /** @internal */
  release(slot: number): void {
    this.mem.fill(0, slot, slot + SLOT_SIZE);
    this.freeSlots.push(slot);
  }

  private takeSlot(what: string): number {
    const slot = this.freeSlots.pop();
    if (slot === undefined) {
      throw new EmonError('E_CRYPTO_BUSY', `no free ${what} context: ${SLOT_COUNT} streams are already open`, {
        hint: 'call digest() or dispose() on streams you no longer need',
      });
    }
    return slot;
  }

  private put(bytes: Uint8Array): number {
    const p = this.base + DATA;
    this.ensure(bytes.length);
    this.mem.set(bytes, p);
    return p;
  }

  /** Grows memory so the data region holds `bytes`; recreates the views when the buffer changes. */
  private ensure(bytes: number): void {
    const needEnd = this.base + DATA + bytes;
    const have = this.mem.byteLength;
    if (needEnd <= have) return;
    const pages = Math.ceil((needEnd - have) / 65536);
    try {
      this.core.memory.grow(pages);
    } catch (e) {
      throw new EmonError('E_CRYPTO_MEMORY', `cannot grow the crypto core's memory to ${needEnd} bytes`, {
        hint: 'process the data in smaller pieces',
        cause: e,
      });
    }
    this.refreshViews();
  }

  private refreshViews(): void {
    const buf = this.core.memory.buffer;
    const b = this.base;
    this.mem = new Uint8Array(buf);
    this.pageView = new Uint8Array(buf, b + PAGE, PAGE_SIZE);
    this.pageAadView = new Uint8Array(buf, b + PAGE_AAD, PAGE_AAD_MAX);
    this.tagView = new Uint8Array(buf, b + TAG, TAG_SIZE);
  }
}
