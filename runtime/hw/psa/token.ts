/**
 * PSA initial attestation (RFC 9783; Arm, "PSA Attestation API 1.0", psa_initial_attest_get_token): the device's
 * attestation service signs the claims as a COSE_Sign1 (RFC 9052 §4.2, ES256) with its Initial Attestation Key, a
 * P-256 key derived here from a per-device secret with HKDF-SHA256 (RFC 5869), as the SGX platform keys are from
 * theirs. The instance ID is 0x01 || SHA-256(IAK public key), as TF-M makes it. CBOR by cbor-x; the COSE_Sign1
 * structure is four fields, written here against RFC 9052 rather than through a COSE library.
 *
 * `PsaTokenIssuer` is the interface a TrustZone backend calls: claims in, token out.
 */
import { Encoder, Tag } from 'cbor-x';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { EmonError } from '../../errors.js';
import { CLAIM, PSA_PROFILE, SW, type PsaClaimsIn } from './claims.js';

export const COSE_SIGN1_TAG = 18;
export const COSE_ALG_ES256 = -7;

export interface PsaTokenIssuer {
  /** 33 bytes: 0x01 || SHA-256(public key). */
  readonly instanceId: Uint8Array;
  /** The IAK public key, uncompressed SEC 1 (65 bytes), for the verifier's endorsements. */
  readonly publicKey: Uint8Array;
  /** A signed token for these claims. */
  issue(claims: PsaClaimsIn): Uint8Array;
}

const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
export const cbor = (v: unknown): Uint8Array => new Uint8Array(encoder.encode(v));

const N = p256.Point.CURVE().n;

function iakSecret(deviceSecret: Uint8Array): Uint8Array {
  const okm = hkdf(sha256, deviceSecret, new TextEncoder().encode('emon psa iak v1'), new TextEncoder().encode('initial attestation key'), 48);
  let d = 0n;
  for (const b of okm) d = (d << 8n) | BigInt(b);
  return Buffer.from(((d % (N - 1n)) + 1n).toString(16).padStart(64, '0'), 'hex');
}

/** The COSE Sig_structure for COSE_Sign1 (RFC 9052 §4.4) with empty external AAD. */
export function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return cbor(['Signature1', protectedHeader, new Uint8Array(0), payload]);
}

function check(claims: PsaClaimsIn): void {
  const fail = (m: string): never => {
    throw new EmonError('E_PSA_CLAIMS', `PSA token: ${m}`, { hint: 'see RFC 9783 §4 for the claim sizes' });
  };
  if (![32, 48, 64].includes(claims.nonce.length)) fail(`the nonce is ${claims.nonce.length} bytes; it must be 32, 48 or 64`);
  if (claims.implementationId.length !== 32) fail('the implementation ID must be 32 bytes');
  if (claims.bootSeed.length < 8 || claims.bootSeed.length > 32) fail('the boot seed must be 8 to 32 bytes');
  if (claims.swComponents.length === 0) fail('at least one software component is required');
}

/** The issuer of one device, keyed by its secret (never stored: the key is derived on each start). */
export function psaIssuer(deviceSecret: Uint8Array): PsaTokenIssuer {
  const secret = iakSecret(deviceSecret);
  const publicKey = p256.getPublicKey(secret, false);
  const instanceId = new Uint8Array([0x01, ...sha256(publicKey)]);
  const protectedHeader = cbor(new Map([[1, COSE_ALG_ES256]]));
  return {
    instanceId,
    publicKey,
    issue(claims: PsaClaimsIn): Uint8Array {
      check(claims);
      const m = new Map<number, unknown>([
        [CLAIM.profile, PSA_PROFILE],
        [CLAIM.clientId, claims.clientId],
        [CLAIM.lifecycle, claims.lifecycle],
        [CLAIM.implementationId, claims.implementationId],
        [CLAIM.bootSeed, claims.bootSeed],
        [CLAIM.swComponents, claims.swComponents.map((c) => new Map<number, unknown>([
          ...(c.measurementType !== undefined ? [[SW.measurementType, c.measurementType] as [number, unknown]] : []),
          [SW.measurementValue, c.measurementValue],
          ...(c.version !== undefined ? [[SW.version, c.version] as [number, unknown]] : []),
          [SW.signerId, c.signerId],
          ...(c.measurementDesc !== undefined ? [[SW.measurementDesc, c.measurementDesc] as [number, unknown]] : []),
        ]))],
        [CLAIM.nonce, claims.nonce],
        [CLAIM.instanceId, instanceId],
      ]);
      if (claims.certificationReference !== undefined) m.set(CLAIM.certificationReference, claims.certificationReference);
      if (claims.verificationService !== undefined) m.set(CLAIM.verificationService, claims.verificationService);
      const payload = cbor(m);
      const signature = p256.sign(sigStructure(protectedHeader, payload), secret, { prehash: true });
      return cbor(new Tag([protectedHeader, new Map(), payload, signature], COSE_SIGN1_TAG));
    },
  };
}
