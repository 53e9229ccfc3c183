/**
 * Every case of Project Wycheproof's chacha20_poly1305, xchacha20_poly1305, hmac_sha256 and hkdf_sha256 files
 * (../shared/vectors/wycheproof) through the hw wrapper, on both builds of the core. Valid cases must be
 * reproduced exactly; invalid ones must be refused — by the tag check, or, for sizes the API does not take
 * (nonces other than 12/24 bytes, HKDF output over 255*32 bytes), by a typed E_CRYPTO_PARAM error. Counts are
 * printed and checked against numberOfTests so nothing is skipped silently.
 */
import { describe, expect, it } from 'vitest';
import { WasmCrypto } from '../../runtime/hw/crypto/index.js';
import { isEmonError } from '../../runtime/errors.js';
import { flavors, hex, toHex, wycheproof } from './helpers.js';

interface AeadCase { tcId: number; key: string; iv: string; aad: string; msg: string; ct: string; tag: string; result: string }
interface MacCase { tcId: number; key: string; msg: string; tag: string; result: string }
interface HkdfCase { tcId: number; ikm: string; salt: string; info: string; size: number; okm: string; result: string }

function paramError(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch (e) {
    return isEmonError(e, 'E_CRYPTO_PARAM');
  }
}

describe.each(flavors)('Wycheproof, %s core', (flavor) => {
  const c = WasmCrypto.create({ flavor });

  for (const [file, x, nonceSize] of [['chacha20_poly1305', false, 12], ['xchacha20_poly1305', true, 24]] as const) {
    it(`${file}: every case`, () => {
      const data = wycheproof<{ ivSize: number; tagSize: number; tests: AeadCase[] }>(file);
      const counts = { validAccepted: 0, invalidRejectedByTag: 0, invalidRejectedBySize: 0 };
      const seal = x ? c.xseal.bind(c) : c.seal.bind(c);
      const open = x ? c.xopen.bind(c) : c.open.bind(c);
      for (const g of data.testGroups) {
        expect(g.tagSize).toBe(128);
        for (const t of g.tests) {
          const key = hex(t.key), iv = hex(t.iv), aad = hex(t.aad), msg = hex(t.msg);
          const sealed = hex(t.ct + t.tag);
          const label = `${file} tcId ${t.tcId}`;
          if (iv.length !== nonceSize) {
            expect(t.result, label).toBe('invalid');
            expect(paramError(() => open(key, iv, sealed, aad)), label).toBe(true);
            expect(paramError(() => seal(key, iv, msg, aad)), label).toBe(true);
            counts.invalidRejectedBySize++;
            continue;
          }
          const opened = open(key, iv, sealed, aad);
          if (t.result === 'valid') {
            expect(toHex(seal(key, iv, msg, aad)), label).toBe(t.ct + t.tag);
            expect(opened && toHex(opened), label).toBe(t.msg);
            counts.validAccepted++;
          } else {
            expect(opened, label).toBeNull();
            counts.invalidRejectedByTag++;
          }
        }
      }
      console.log(`${flavor} ${file}: ${JSON.stringify(counts)} of ${data.numberOfTests}`);
      expect(counts.validAccepted + counts.invalidRejectedByTag + counts.invalidRejectedBySize).toBe(data.numberOfTests);
    });
  }

  it('hmac_sha256: every case (tags truncated to the group tag size)', () => {
    const data = wycheproof<{ keySize: number; tagSize: number; tests: MacCase[] }>('hmac_sha256');
    const counts = { validAccepted: 0, invalidRejected: 0 };
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        const mac = toHex(c.hmacSha256(hex(t.key), hex(t.msg)).subarray(0, g.tagSize / 8));
        // Truncated tags are compared on the truncated length, as a verifier given this tag size would.
        if (t.result === 'valid') {
          expect(mac, `tcId ${t.tcId}`).toBe(t.tag);
          counts.validAccepted++;
        } else {
          expect(mac, `tcId ${t.tcId}`).not.toBe(t.tag);
          counts.invalidRejected++;
        }
      }
    }
    console.log(`${flavor} hmac_sha256: ${JSON.stringify(counts)} of ${data.numberOfTests}`);
    expect(counts.validAccepted + counts.invalidRejected).toBe(data.numberOfTests);
  });

  it('hkdf_sha256: every case', () => {
    const data = wycheproof<{ keySize: number; tests: HkdfCase[] }>('hkdf_sha256');
    const counts = { validAccepted: 0, invalidRejectedBySize: 0, invalidOther: 0 };
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        const run = (): Uint8Array => c.hkdf(hex(t.ikm), hex(t.salt), hex(t.info), t.size);
        if (t.result === 'valid') {
          expect(toHex(run()), `tcId ${t.tcId}`).toBe(t.okm);
          counts.validAccepted++;
        } else if (t.size > 255 * 32) {
          expect(paramError(run), `tcId ${t.tcId}`).toBe(true);
          counts.invalidRejectedBySize++;
        } else {
          counts.invalidOther++;
        }
      }
    }
    console.log(`${flavor} hkdf_sha256: ${JSON.stringify(counts)} of ${data.numberOfTests}`);
    expect(counts.invalidOther).toBe(0);
    expect(counts.validAccepted + counts.invalidRejectedBySize).toBe(data.numberOfTests);
  });
});
