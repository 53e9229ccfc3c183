/**
 * Differential property tests: emon's Wasm core (both builds) against @noble/ciphers and @noble/hashes on random
 * keys, nonces, associated data and lengths 0..70,000, biased towards block boundaries (16, 64, 256, 4096 bytes
 * and their neighbours) where padding, tail and SIMD/scalar hand-over bugs live. Also checks that SIMD and scalar
 * agree byte for byte and that any single-bit change to sealed data, tag or AAD is refused.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chacha20, chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { WasmCrypto } from '../../runtime/hw/crypto/index.js';
import { RawCore } from './helpers.js';

const POLY1305_CTX_SIZE = 96;

const simd = WasmCrypto.create({ flavor: 'simd' });
const scalar = WasmCrypto.create({ flavor: 'scalar' });

const boundaries = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 191, 192, 193, 255, 256, 257, 447, 448, 449, 511, 512, 703, 704, 705, 1023, 1024, 4095, 4096, 4097, 8192, 65535, 65536, 70000];
/** Lengths 0..max: half the time exactly on or next to a block boundary. */
const length = (max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(...boundaries.filter((b) => b <= max)), fc.integer({ min: 0, max }));

/** Deterministic bytes from a seed (xorshift32): cheap for 70 KB inputs and shrinkable through seed and length. */
function bytes(seed: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const seed = fc.integer({ min: 1, max: 0x7fffffff });
const eq = (a: Uint8Array | null, b: Uint8Array): boolean => a !== null && Buffer.from(a).equals(Buffer.from(b));

describe('differential against @noble', () => {
  it('ChaCha20-Poly1305 seal/open: both builds equal noble; SIMD equals scalar', () => {
    fc.assert(
      fc.property(seed, length(70000), length(300), (s, len, aadLen) => {
        const key = bytes(s, 32), nonce = bytes(s + 1, 12), aad = bytes(s + 2, aadLen), msg = bytes(s + 3, len);
        const want = chacha20poly1305(key, nonce, aad).encrypt(msg);
        const a = simd.seal(key, nonce, msg, aad), b = scalar.seal(key, nonce, msg, aad);
        return eq(a, want) && eq(b, want) && eq(simd.open(key, nonce, want, aad), msg) && eq(scalar.open(key, nonce, want, aad), msg);
      }),
      { numRuns: 150 },
    );
  });

  it('XChaCha20-Poly1305 seal/open: both builds equal noble', () => {
    fc.assert(
      fc.property(seed, length(70000), length(300), (s, len, aadLen) => {
        const key = bytes(s, 32), nonce = bytes(s + 1, 24), aad = bytes(s + 2, aadLen), msg = bytes(s + 3, len);
        const want = xchacha20poly1305(key, nonce, aad).encrypt(msg);
        return eq(simd.xseal(key, nonce, msg, aad), want) && eq(scalar.xseal(key, nonce, msg, aad), want)
          && eq(simd.xopen(key, nonce, want, aad), msg) && eq(scalar.xopen(key, nonce, want, aad), msg);
      }),
      { numRuns: 80 },
    );
  });

  it('any single flipped bit in ciphertext, tag or AAD is refused', () => {
    fc.assert(
      fc.property(seed, length(5000), length(64), fc.nat(), fc.integer({ min: 0, max: 7 }), (s, len, aadLen, at, bit) => {
        const key = bytes(s, 32), nonce = bytes(s + 1, 12), aad = bytes(s + 2, aadLen);
        const sealed = simd.seal(key, nonce, bytes(s + 3, len), aad);
        const pos = at % (sealed.length + aadLen);
        if (pos < sealed.length) sealed[pos]! ^= 1 << bit;
        else aad[pos - sealed.length]! ^= 1 << bit;
        return simd.open(key, nonce, sealed, aad) === null && scalar.open(key, nonce, sealed, aad) === null;
      }),
      { numRuns: 150 },
    );
  });

  it('raw ChaCha20 at random block counters equals noble (SIMD lanes carry the counter right)', () => {
    const cores = [new RawCore('simd'), new RawCore('scalar')];
    fc.assert(
      fc.property(seed, length(5000), fc.integer({ min: 0, max: 0xfffff000 }), (s, len, counter) => {
        const key = bytes(s, 32), nonce = bytes(s + 1, 12), msg = bytes(s + 2, len);
        const want = chacha20(key, nonce, msg, undefined, counter);
        return cores.every((c) => {
          c.reset();
          const k = c.put(key), n = c.put(nonce), p = c.put(msg);
          c.core.chacha20_xor(k, n, counter, p, p, len);
          return eq(c.get(p, len), want);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('raw AEAD API: in place equals out of place, and a bad tag leaves zeros (both builds, all chunk paths)', () => {
    const cores = [new RawCore('simd'), new RawCore('scalar')];
    fc.assert(
      fc.property(seed, length(5000), length(40), fc.nat(), (s, len, aadLen, flip) => {
        const key = bytes(s, 32), nonce = bytes(s + 1, 12), aad = bytes(s + 2, aadLen), msg = bytes(s + 3, len);
        const want = chacha20poly1305(key, nonce, aad).encrypt(msg);
        return cores.every((c) => {
          c.reset();
          const k = c.put(key), n = c.put(nonce), a = c.put(aad), src = c.put(msg), dst = c.put(len), tag = c.put(16);
          c.core.chacha20poly1305_seal(k, n, a, aadLen, src, len, dst, tag);
          const outOfPlace = eq(c.get(dst, len), want.subarray(0, len)) && eq(c.get(tag, 16), want.subarray(len));
          c.core.chacha20poly1305_seal(k, n, a, aadLen, src, len, src, tag);
          const inPlace = eq(c.get(src, len), want.subarray(0, len)) && eq(c.get(tag, 16), want.subarray(len));
          // Corrupt one bit of ciphertext or tag; open in place must refuse and leave only zeros.
          const at = flip % (len + 16);
          c.mem[at < len ? src + at : tag + at - len]! ^= 1 << (flip % 8);
          const refused = c.core.chacha20poly1305_open(k, n, a, aadLen, src, len, src, tag) === 0;
          return outOfPlace && inPlace && refused && c.get(src, len).every((b) => b === 0);
        });
      }),
      { numRuns: 80 },
    );
  });

  it('raw Poly1305, streamed in random pieces, equals noble (both builds)', () => {
    const cores = [new RawCore('simd'), new RawCore('scalar')];
    fc.assert(
      fc.property(seed, length(5000), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 20 }), (s, len, cuts) => cores.every((c) => {
        c.reset();
        const key = bytes(s, 32), msg = bytes(s + 1, len);
        const k = c.put(key), m = c.put(msg), ctx = c.put(POLY1305_CTX_SIZE), tag = c.put(16);
        c.core.poly1305_init(ctx, k);
        let off = 0;
        for (const cut of cuts) {
          const n = Math.min(cut, len - off);
          c.core.poly1305_update(ctx, m + off, n);
          off += n;
        }
        c.core.poly1305_update(ctx, m + off, len - off);
        c.core.poly1305_final(ctx, tag);
        return eq(c.get(tag, 16), poly1305(msg, key));
      })),
      { numRuns: 80 },
    );
  });

  it('SHA-256 one-shot and streamed in random pieces equal noble', () => {
    fc.assert(
      fc.property(seed, length(70000), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 10 }), (s, len, cuts) => {
        const msg = bytes(s, len);
        const want = sha256(msg);
        const stream = scalar.sha256Stream();
        let off = 0;
        for (const cut of cuts) {
          const n = Math.min(cut, len - off);
          stream.update(msg.subarray(off, off + n));
          off += n;
        }
        stream.update(msg.subarray(off));
        return eq(simd.sha256(msg), want) && eq(stream.digest(), want);
      }),
      { numRuns: 40 },
    );
  });

  it('HMAC-SHA256 with keys of 0..200 bytes equals noble', () => {
    fc.assert(
      fc.property(seed, length(200), length(5000), (s, keyLen, len) => {
        const key = bytes(s, keyLen), msg = bytes(s + 1, len);
        return eq(simd.hmacSha256(key, msg), hmac(sha256, key, msg));
      }),
      { numRuns: 80 },
    );
  });

  it('HKDF-SHA256 with outputs of 0..8160 bytes equals noble', () => {
    fc.assert(
      fc.property(seed, length(100), length(80), length(100), fc.integer({ min: 0, max: 255 * 32 }), (s, ikmLen, saltLen, infoLen, outLen) => {
        const ikm = bytes(s, ikmLen), salt = bytes(s + 1, saltLen), info = bytes(s + 2, infoLen);
        return eq(scalar.hkdf(ikm, salt, info, outLen), hkdf(sha256, ikm, salt, info, outLen));
      }),
      { numRuns: 60 },
    );
  });
});

describe('SIMD and scalar builds', () => {
  it('report their flavour', () => {
    expect(simd.flavor).toBe('simd');
    expect(scalar.flavor).toBe('scalar');
  });
});
