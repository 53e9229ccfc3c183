/**
 * Sealing (issue 5 point 5) end to end through the gate: the sealer enclave's seal_data/unseal_data under
 * MRENCLAVE and MRSIGNER policies across enclaves, signers, products, SVNs and platforms, plus every kind of
 * blob tampering. Keys come from EGETKEY in runtime/hw/sgx; the AEAD is the Wasm crypto core. Every case runs on
 * both backends (the TZ backend runs the same enclave as a TA, keys from the board's HUK), and a blob sealed on
 * one backend does not open on the other.
 */
import { describe, expect, it } from 'vitest';
import { OK } from '../../runtime/enclave/abi.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';
import { BACKEND_NAMES, backendOf, FREE, image, signed, tempPlatform, TestGuest } from './harness.js';

const MRENCLAVE = 1;
const MRSIGNER = 2;
const DATA = FREE;
const AAD = FREE + 4096;
const BLOB = FREE + 8192;
const OUT = FREE + 16384;
const E_KEY = -4;
const E_AUTH = -5;
const E_FORMAT = -2;
const E_VERSION = -3;

function sealWith(g: TestGuest, policy: number, data: Uint8Array, aad = new Uint8Array(0)): Uint8Array {
  g.put(DATA, data);
  g.put(AAD, aad);
  const r = g.call('seal_data', [policy, AAD, aad.length, DATA, data.length, BLOB, 4096]);
  expect(r.status).toBe(OK);
  expect(Number(r.ret & 0xffffffffn) | 0).toBe(64 + aad.length + data.length + 16);
  return g.u8().slice(BLOB, BLOB + (Number(r.ret & 0xffffffffn) | 0));
}

function unsealWith(g: TestGuest, blob: Uint8Array): { n: number; data: Uint8Array } {
  g.put(BLOB, blob);
  g.u8().fill(0xee, OUT, OUT + 4096);
  const r = g.call('unseal_data', [BLOB, blob.length, OUT, 4096]);
  expect(r.status).toBe(OK);
  const n = Number(r.ret & 0xffffffffn) | 0;
  return { n, data: g.u8().slice(OUT, OUT + Math.max(0, n)) };
}

const secret = new TextEncoder().encode('attack at dawn');

describe.each(BACKEND_NAMES)('sealing on %s', (backend) => {
  const platform = tempPlatform(backend);
  const key = generateSignerKey().secretKey;
  const v1 = image('sealer', signed('sealer', { isvSvn: 1 }, key).bytes, backend);

  it('round-trips under both policies in the same enclave, and an [out] buffer of zeros on failure', () => {
    for (const policy of [MRENCLAVE, MRSIGNER]) {
      const g = new TestGuest().open(v1, platform);
      const blob = sealWith(g, policy, secret, new TextEncoder().encode('hdr'));
      const fresh = new TestGuest().open(v1, platform);
      const { n, data } = unsealWith(fresh, blob);
      expect(n).toBe(secret.length);
      expect(data).toEqual(secret);
    }
  });

  it('MRENCLAVE blobs open only in the same enclave; MRSIGNER blobs in any same-signer, same-product enclave with SVN >= the sealer', () => {
    const v2 = image('sealer', signed('sealer', { isvSvn: 2 }, key).bytes, backend);
    const otherProduct = image('sealer', signed('sealer', { isvSvn: 2, isvProdId: 7 }, key).bytes, backend);
    const otherSigner = image('sealer', signed('sealer', { isvSvn: 2 }).bytes, backend);
    const byV1 = { enc: sealWith(new TestGuest().open(v1, platform), MRENCLAVE, secret), sig: sealWith(new TestGuest().open(v1, platform), MRSIGNER, secret) };
    const byV2 = sealWith(new TestGuest().open(v2, platform), MRSIGNER, secret);
    const open = (img: ReturnType<typeof image>, blob: Uint8Array) => unsealWith(new TestGuest().open(img, platform), blob).n;
    expect(open(v2, byV1.enc)).toBe(E_AUTH); // different MRENCLAVE
    expect(open(v2, byV1.sig)).toBe(secret.length); // newer SVN reads older data
    expect(open(v1, byV2)).toBe(E_KEY); // older SVN cannot get the newer key
    expect(open(otherProduct, byV1.sig)).toBe(E_AUTH);
    expect(open(otherSigner, byV1.sig)).toBe(E_AUTH);
    expect(open(v1, byV1.enc)).toBe(secret.length);
  });

  it('a blob sealed on another platform does not open', () => {
    const blob = sealWith(new TestGuest().open(v1, tempPlatform(backend)), MRSIGNER, secret);
    expect(unsealWith(new TestGuest().open(v1, platform), blob).n).toBe(E_AUTH);
  });

  it('every single-byte change, truncation or extension of a blob is refused and writes nothing', () => {
    const aad = new TextEncoder().encode('v1');
    const blob = sealWith(new TestGuest().open(v1, platform), MRSIGNER, secret, aad);
    const g = new TestGuest().open(v1, platform);
    let checked = 0;
    for (let i = 0; i < blob.length; i++) {
      const bad = blob.slice();
      bad[i]! ^= 0x01;
      const { n } = unsealWith(g, bad);
      expect(n, `flipped byte ${i}`).toBeLessThan(0);
      expect(g.u8().subarray(OUT, OUT + secret.length).every((b) => b === 0)).toBe(true);
      checked++;
    }
    for (const len of [0, 10, 63, 64, 79, blob.length - 1]) expect(unsealWith(g, blob.slice(0, len)).n).toBe(E_FORMAT);
    expect(unsealWith(g, new Uint8Array([...blob, 0])).n).toBe(E_FORMAT);
    const v2 = blob.slice();
    v2[4] = 2;
    expect(unsealWith(g, v2).n).toBe(E_VERSION);
    expect(checked).toBe(blob.length);
  });
});

describe('sealing across backends', () => {
  it('a blob sealed on one backend of a platform does not open on the other (the TZ keys come from its HUK)', () => {
    const key = generateSignerKey().secretKey;
    const bytes = signed('sealer', { isvSvn: 1 }, key).bytes;
    const dir = tempPlatform('sgx').stateDir;
    const sgx = backendOf('sgx').platform(dir);
    const tz = backendOf('tz').platform(dir);
    for (const policy of [MRENCLAVE, MRSIGNER]) {
      const onSgx = sealWith(new TestGuest().open(image('sealer', bytes, 'sgx'), sgx), policy, secret);
      const onTz = sealWith(new TestGuest().open(image('sealer', bytes, 'tz'), tz), policy, secret);
      expect(unsealWith(new TestGuest().open(image('sealer', bytes, 'tz'), tz), onSgx).n).toBe(E_AUTH);
      expect(unsealWith(new TestGuest().open(image('sealer', bytes, 'sgx'), sgx), onTz).n).toBe(E_AUTH);
      expect(unsealWith(new TestGuest().open(image('sealer', bytes, 'tz'), tz), onTz).n).toBe(secret.length);
    }
  });
});
