/**
 * Evidence bound to a key (issue 16 point 4): the relying party appraises the attester enclave's quote for its
 * nonce and the key it presents, then sends a secret that only the holder of that key opens (X25519, HKDF-SHA256,
 * ChaCha20-Poly1305 via @noble on the relying side, the Wasm crypto core inside the enclave). The enclave proves
 * it read the secret without revealing it; a secret sealed to any other key, or altered on the way, is refused,
 * and the untrusted side's memory never holds the plaintext.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { appraise } from '../../runtime/attest/engine.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { SgxRig, sgxContext, tmp } from './helpers.js';

const m = await Manufacturer.open(tmp('emon-att-ca-'));
const rig = await SgxRig.create({ manufacturer: m });

/** The relying party's side: a box for the enclave key `pub`, and the key to check the enclave's proof. */
function boxFor(pub: Uint8Array, secret: Uint8Array) {
  const mine = x25519.utils.randomSecretKey();
  const minePub = x25519.getPublicKey(mine);
  const key = hkdf(sha256, x25519.getSharedSecret(mine, pub), sha256(new Uint8Array([...pub, ...minePub])), new TextEncoder().encode('emon attested channel v1'), 32);
  const nonce = new Uint8Array(randomBytes(12));
  return { minePub, key, box: new Uint8Array([...nonce, ...chacha20poly1305(key, nonce).encrypt(secret)]) };
}

describe('attested channel to the holder of the bound key', () => {
  it('only the attested enclave opens the secret, and proves it', async () => {
    const nonce = new Uint8Array(randomBytes(32));
    const ev = await rig.evidence(nonce);
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote, key: ev.pub }, await sgxContext(m, { nonce }));
    expect(a.reasons).toEqual([]);
    const secret = new TextEncoder().encode('sensor calibration key 0123456789');
    const { minePub, key, box } = boxFor(ev.pub, secret);
    const { rc, outs } = rig.attester.call('att_open', [minePub, box, box.length, { out: 32 }]);
    expect(rc).toBe(0);
    expect(Buffer.from(outs[0]!).toString('hex')).toBe(Buffer.from(hmac(sha256, key, secret)).toString('hex'));
    expect(Buffer.from(rig.attester.memory.buffer).includes(Buffer.from(secret))).toBe(false);
    // Sealed to another key (say, a key the untrusted host substituted in the evidence): refused.
    const wrong = boxFor(x25519.getPublicKey(x25519.utils.randomSecretKey()), secret);
    expect(rig.attester.call('att_open', [wrong.minePub, wrong.box, wrong.box.length, { out: 32 }]).rc).toBe(-3);
    // Altered in transit: refused.
    const altered = box.slice();
    altered[20]! ^= 1;
    expect(rig.attester.call('att_open', [minePub, altered, altered.length, { out: 32 }]).rc).toBe(-3);
  });

  it('a host that swaps in its own key is caught by the verifier before any secret is sent', async () => {
    const nonce = new Uint8Array(randomBytes(32));
    const ev = await rig.evidence(nonce);
    const hostKey = x25519.getPublicKey(x25519.utils.randomSecretKey());
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote, key: hostKey }, await sgxContext(m, { nonce }));
    expect(a.reasons.map((r) => r.code)).toEqual(['E_ATTEST_BINDING']);
    expect(a.status).toBe('contraindicated');
  });
});
