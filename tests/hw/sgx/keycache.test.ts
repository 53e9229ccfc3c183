/**
 * Native key derivation with a per-platform cache (runtime/hw/sgx/keycache.ts, issue 17 point 7): HKDF-SHA256
 * checked against RFC 5869's test vector and against @noble/hashes on random inputs, cached and uncached
 * results identical, and EGETKEY/EREPORT still deriving exactly the keys the noble-based derivation gave.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { deriveKey, forgetKeys } from '../../../runtime/hw/sgx/keycache.js';
import { egetkey, KEYNAME_SEAL, POLICY_MRSIGNER, reportKey } from '../../../runtime/hw/sgx/egetkey.js';
import { ereport, REPORT_BODY_SIZE, verifyReportFor } from '../../../runtime/hw/sgx/ereport.js';
import { loadPlatform } from '../../../runtime/hw/sgx/platform.js';
import type { EnclaveIdentity } from '../../../runtime/hw/sgx/identity.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('hw key derivation', () => {
  it('matches RFC 5869 test case 1', () => {
    const okm = deriveKey(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(Buffer.from(okm).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('equals @noble/hashes HKDF, cached or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 120 }), (root, salt, info) => {
        const want = hkdf(sha256, root, salt, info, 32);
        expect(deriveKey(root, salt, info, 32)).toEqual(want);
        expect(deriveKey(root, salt, info, 32)).toEqual(want); // the cached copy
      }),
      { numRuns: 200 },
    );
  });

  it('EGETKEY and EREPORT derive the same keys as before the cache', () => {
    const platform = loadPlatform(mkdtempSync(path.join(tmpdir(), 'emon-keys-')));
    const self: EnclaveIdentity = { mrenclave: new Uint8Array(32).fill(7), mrsigner: new Uint8Array(32).fill(9), isvProdId: 3, isvSvn: 2, attributes: 4 };
    const keyId = new Uint8Array(32).fill(5);
    const info = new Uint8Array([...new TextEncoder().encode('emon sgx seal key v1'), 2, 0, ...self.mrsigner, 3, 0, 1, 0, 4, 0, 0, 0]);
    const want = hkdf(sha256, platform.sealRoot, keyId, info, 32);
    for (let i = 0; i < 2; i++) expect(egetkey(platform, self, { keyName: KEYNAME_SEAL, keyPolicy: POLICY_MRSIGNER, isvSvn: 1, keyId })).toEqual(want);
    forgetKeys(platform);
    expect(egetkey(platform, self, { keyName: KEYNAME_SEAL, keyPolicy: POLICY_MRSIGNER, isvSvn: 1, keyId })).toEqual(want);
    // A report MAC'd natively verifies with the noble HMAC and the report key.
    const target = { mrenclave: new Uint8Array(32).fill(1), attributes: 4 };
    const report = ereport(platform, self, target, new Uint8Array(64).fill(8));
    const key = reportKey(platform, target.mrenclave, target.attributes, report.subarray(144, 176));
    expect(report.subarray(176)).toEqual(hmac(sha256, key, report.subarray(0, REPORT_BODY_SIZE)));
    expect(verifyReportFor(platform, target, report)).toBe(true);
    report[100]! ^= 1;
    expect(verifyReportFor(platform, target, report)).toBe(false);
  });
});
