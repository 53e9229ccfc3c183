/**
 * The enclave SDK's X25519 (enclaves/sdk/x25519.ts), used by local attestation, against RFC 7748 §5.2 and §6.1
 * test vectors and differentially against @noble/curves on random inputs, through the gatetest enclave.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OK } from '../../runtime/enclave/abi.js';
import { FREE, image, signed, tempPlatform, TestGuest } from './harness.js';

const g = new TestGuest({ ocall_tick: () => 0, ocall_null: () => undefined, ocall_echo: () => undefined }).open(image('gatetest', signed('gatetest').bytes), tempPlatform());
const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

function enclaveX25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  g.put(FREE, scalar);
  g.put(FREE + 32, u);
  expect(g.call('x25519', [FREE, FREE + 32, FREE + 64]).status).toBe(OK);
  return g.u8().slice(FREE + 64, FREE + 96);
}

describe('X25519 in the enclave SDK', () => {
  it('matches RFC 7748 §5.2 and §6.1', () => {
    const vectors = [
      ['a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
      ['4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'],
      ['77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', '0900000000000000000000000000000000000000000000000000000000000000', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'],
      ['5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'],
    ] as const;
    for (const [k, u, out] of vectors) expect(Buffer.from(enclaveX25519(h(k), h(u))).toString('hex')).toBe(out);
  });

  it('agrees with @noble/curves on random scalars and points', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (k, u) => {
        expect(enclaveX25519(k, u)).toEqual(x25519.scalarMult(k, u));
      }),
      { numRuns: 40 },
    );
  });
});
