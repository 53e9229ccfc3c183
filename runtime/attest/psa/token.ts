/**
 * Parsing and verification of a PSA attestation token (RFC 9783 §4, §6): a COSE_Sign1 (RFC 9052 §4.2), tagged 18
 * or not, with an ES256 protected header, over the CBOR claims. Each claim's type and size is checked as the RFC
 * gives it, so tampered or hostile CBOR is a named refusal (E_ATTEST_MALFORMED), and the signature is checked
 * against the endorsed key of the token's instance ID (E_ATTEST_UNKNOWN_KEY when none is).
 */
import { Decoder, Tag } from 'cbor-x';
import { p256 } from '@noble/curves/nist.js';
import { CLAIM, lifecycleName, SW, type PsaClaims, type SoftwareComponent } from '../../hw/psa/claims.js';
import { COSE_ALG_ES256, COSE_SIGN1_TAG, sigStructure } from '../../hw/psa/token.js';
import { refused } from '../reasons.js';

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });

export interface ParsedToken {
  readonly protectedHeader: Uint8Array;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly claims: PsaClaims;
}

const malformed = (m: string): never => {
  throw refused('E_ATTEST_MALFORMED', `PSA token: ${m}`);
};

function decode(bytes: Uint8Array, what: string): unknown {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    return malformed(`${what} is not well-formed CBOR (${(e as Error).message})`);
  }
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function bytesClaim(m: Map<unknown, unknown>, key: number, name: string, sizes: readonly number[] | null): Uint8Array {
  const v = m.get(key);
  if (!isBytes(v)) return malformed(`claim ${name} (${key}) is missing or not a byte string`);
  if (sizes && !sizes.includes(v.length)) return malformed(`claim ${name} is ${v.length} bytes, expected ${sizes.join(' or ')}`);
  return new Uint8Array(v);
}

function intClaim(m: Map<unknown, unknown>, key: number, name: string): number {
  const v = m.get(key);
  if (typeof v !== 'number' || !Number.isInteger(v)) return malformed(`claim ${name} (${key}) is missing or not an integer`);
  return v;
}

function components(v: unknown): SoftwareComponent[] {
  if (!Array.isArray(v) || v.length === 0) return malformed('claim software-components (2399) is missing or empty');
  return v.map((c: unknown, i: number) => {
    if (!(c instanceof Map)) return malformed(`software component ${i} is not a map`);
    const mv = c.get(SW.measurementValue), sid = c.get(SW.signerId), mt = c.get(SW.measurementType), ver = c.get(SW.version), desc = c.get(SW.measurementDesc);
    if (!isBytes(mv) || !isBytes(sid)) return malformed(`software component ${i} lacks measurement-value or signer-id bytes`);
    for (const [n, x] of [['measurement-type', mt], ['version', ver], ['measurement-desc', desc]] as const) {
      if (x !== undefined && typeof x !== 'string') return malformed(`software component ${i}: ${n} must be text`);
    }
    return {
      measurementValue: new Uint8Array(mv),
      signerId: new Uint8Array(sid),
      ...(typeof mt === 'string' ? { measurementType: mt } : {}),
      ...(typeof ver === 'string' ? { version: ver } : {}),
      ...(typeof desc === 'string' ? { measurementDesc: desc } : {}),
    };
  });
}

export function parsePsaToken(bytes: Uint8Array): ParsedToken {
  let top = decode(bytes, 'the token');
  if (top instanceof Tag) {
    if (top.tag !== COSE_SIGN1_TAG) malformed(`CBOR tag ${top.tag}, expected ${COSE_SIGN1_TAG} (COSE_Sign1)`);
    top = top.value;
  }
  if (!Array.isArray(top) || top.length !== 4) return malformed('not a COSE_Sign1 array of four elements');
  const [prot, unprot, payload, signature] = top as [unknown, unknown, unknown, unknown];
  if (!isBytes(prot) || !isBytes(payload) || !isBytes(signature) || !(unprot instanceof Map)) return malformed('COSE_Sign1 fields have the wrong types');
  const ph = decode(prot, 'the protected header');
  if (!(ph instanceof Map) || ph.get(1) !== COSE_ALG_ES256) return malformed('the protected header does not name ES256 (alg -7)');
  if (signature.length !== 64) return malformed(`the ES256 signature is ${signature.length} bytes, expected 64`);
  const m = decode(payload, 'the claims');
  if (!(m instanceof Map)) return malformed('the claims are not a CBOR map');
  const profile = m.get(CLAIM.profile);
  if (typeof profile !== 'string') return malformed('claim profile (265) is missing or not text');
  const lifecycle = intClaim(m, CLAIM.lifecycle, 'security-lifecycle');
  if (lifecycleName(lifecycle) === 'invalid') malformed(`security lifecycle 0x${lifecycle.toString(16)} is not one RFC 9783 defines`);
  const claims: PsaClaims = {
    profile,
    nonce: bytesClaim(m, CLAIM.nonce, 'nonce', [32, 48, 64]),
    instanceId: bytesClaim(m, CLAIM.instanceId, 'instance-id', [33]),
    implementationId: bytesClaim(m, CLAIM.implementationId, 'implementation-id', [32]),
    bootSeed: bytesClaim(m, CLAIM.bootSeed, 'boot-seed', [8, 16, 24, 32]),
    lifecycle,
    clientId: intClaim(m, CLAIM.clientId, 'client-id'),
    swComponents: components(m.get(CLAIM.swComponents)),
    ...(typeof m.get(CLAIM.certificationReference) === 'string' ? { certificationReference: m.get(CLAIM.certificationReference) as string } : {}),
    ...(typeof m.get(CLAIM.verificationService) === 'string' ? { verificationService: m.get(CLAIM.verificationService) as string } : {}),
  };
  return { protectedHeader: new Uint8Array(prot), payload: new Uint8Array(payload), signature: new Uint8Array(signature), claims };
}

/** Checks the COSE_Sign1 signature with `publicKey` (65-byte uncompressed P-256). */
export function psaSignatureValid(t: ParsedToken, publicKey: Uint8Array): boolean {
  try {
    return p256.verify(t.signature, sigStructure(t.protectedHeader, t.payload), publicKey, { prehash: true, lowS: false });
  } catch {
    return false;
  }
}
