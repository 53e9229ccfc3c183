/**
 * The core's AssemblyScript API (raw pointers) against the published examples: RFC 8439 §2.3.2, §2.4.2, §2.5.2,
 * §2.6.2, §2.8.2, Appendix A.1/A.3/A.4, the HChaCha20 example of draft-irtf-cfrg-xchacha-03 §2.2.1, and the
 * FIPS 180-4 SHA-256 examples. Every vector runs on both builds (SIMD and scalar).
 */
import { describe, expect, it } from 'vitest';
import { ascii, flavors, hex, localVectors, RawCore, toHex } from './helpers.js';

interface Rfc8439 {
  chacha20Block: { ref: string; key: string; nonce: string; counter: number; out: string }[];
  chacha20Encrypt: { ref: string; key: string; nonce: string; counter: number; plaintextAscii: string; ciphertext: string }[];
  poly1305: { ref: string; key: string; msg?: string; msgAscii?: string; tag: string }[];
  poly1305KeyGen: { ref: string; key: string; nonce: string; otk: string }[];
  aead: { ref: string; key: string; nonce: string; aad: string; plaintextAscii: string; ciphertext: string; tag: string }[];
  hchacha20: { ref: string; key: string; nonce: string; subkey: string }[];
}
interface Fips { sha256: { ref: string; msgAscii: string; repeat: number; digest: string }[] }

const rfc = localVectors<Rfc8439>('rfc8439.json');
const fips = localVectors<Fips>('fips180-4.json');

describe.each(flavors)('published examples, %s core', (flavor) => {
  const c = new RawCore(flavor);

  it('ChaCha20 block function (RFC 8439 §2.3.2, A.1 #1-#5)', () => {
    for (const v of rfc.chacha20Block) {
      c.reset();
      const out = c.put(64);
      c.core.chacha20_block(c.put(hex(v.key)), c.put(hex(v.nonce)), v.counter, out);
      expect(toHex(c.get(out, 64)), v.ref).toBe(v.out);
    }
  });

  it('ChaCha20 encryption (RFC 8439 §2.4.2), out of place and in place', () => {
    for (const v of rfc.chacha20Encrypt) {
      c.reset();
      const pt = ascii(v.plaintextAscii);
      const k = c.put(hex(v.key)), n = c.put(hex(v.nonce)), src = c.put(pt), dst = c.put(pt.length);
      c.core.chacha20_xor(k, n, v.counter, src, dst, pt.length);
      expect(toHex(c.get(dst, pt.length)), v.ref).toBe(v.ciphertext);
      c.core.chacha20_xor(k, n, v.counter, src, src, pt.length);
      expect(toHex(c.get(src, pt.length)), `${v.ref} in place`).toBe(v.ciphertext);
    }
  });

  it('Poly1305 (RFC 8439 §2.5.2 and the A.3 edge cases), one-shot and streamed byte by byte', () => {
    for (const v of rfc.poly1305) {
      c.reset();
      const msg = v.msg !== undefined ? hex(v.msg) : ascii(v.msgAscii ?? '');
      const k = c.put(hex(v.key)), m = c.put(msg), tag = c.put(16), ctx = c.put(96);
      c.core.poly1305_mac(k, m, msg.length, tag);
      expect(toHex(c.get(tag, 16)), v.ref).toBe(v.tag);
      c.core.poly1305_init(ctx, k);
      for (let i = 0; i < msg.length; i++) c.core.poly1305_update(ctx, m + i, 1);
      c.core.poly1305_final(ctx, tag);
      expect(toHex(c.get(tag, 16)), `${v.ref} streamed`).toBe(v.tag);
    }
  });

  it('Poly1305 key generation (RFC 8439 §2.6.2, A.4 #1-#3) is keystream block 0', () => {
    for (const v of rfc.poly1305KeyGen) {
      c.reset();
      const out = c.put(64);
      c.core.chacha20_block(c.put(hex(v.key)), c.put(hex(v.nonce)), 0, out);
      expect(toHex(c.get(out, 32)), v.ref).toBe(v.otk);
    }
  });

  it('AEAD seal and open (RFC 8439 §2.8.2)', () => {
    for (const v of rfc.aead) {
      c.reset();
      const pt = ascii(v.plaintextAscii);
      const k = c.put(hex(v.key)), n = c.put(hex(v.nonce)), a = c.put(hex(v.aad));
      const buf = c.put(pt), tag = c.put(16), back = c.put(pt.length);
      c.core.chacha20poly1305_seal(k, n, a, 12, buf, pt.length, buf, tag);
      expect(toHex(c.get(buf, pt.length)), v.ref).toBe(v.ciphertext);
      expect(toHex(c.get(tag, 16)), v.ref).toBe(v.tag);
      expect(c.core.chacha20poly1305_open(k, n, a, 12, buf, pt.length, back, tag)).toBe(1);
      expect(c.get(back, pt.length)).toEqual(pt);
      // A flipped tag bit: open refuses and leaves zeros, not plaintext, in the destination.
      c.mem[tag + 15] ^= 0x80;
      c.mem.fill(0xee, back, back + pt.length);
      expect(c.core.chacha20poly1305_open(k, n, a, 12, buf, pt.length, back, tag)).toBe(0);
      expect(c.get(back, pt.length).every((b) => b === 0)).toBe(true);
    }
  });

  it('HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2.1)', () => {
    for (const v of rfc.hchacha20) {
      c.reset();
      const out = c.put(32);
      c.core.hchacha20(c.put(hex(v.key)), c.put(hex(v.nonce)), out);
      expect(toHex(c.get(out, 32)), v.ref).toBe(v.subkey);
    }
  });

  it('SHA-256 (FIPS 180-4 examples), one-shot and streamed in uneven pieces', () => {
    for (const v of fips.sha256) {
      c.reset();
      const msg = ascii(v.msgAscii.repeat(v.repeat));
      const m = c.put(msg), out = c.put(32), ctx = c.put(112);
      c.core.sha256(m, msg.length, out);
      expect(toHex(c.get(out, 32)), v.ref).toBe(v.digest);
      c.core.sha256_init(ctx);
      let off = 0;
      for (let step = 1; off < msg.length; step = (step * 7 + 3) % 200) {
        const n = Math.min(step, msg.length - off);
        c.core.sha256_update(ctx, m + off, n);
        off += n;
      }
      c.core.sha256_final(ctx, out);
      expect(toHex(c.get(out, 32)), `${v.ref} streamed`).toBe(v.digest);
    }
  });
});
