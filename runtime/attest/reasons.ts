/**
 * Why evidence was refused: one named reason per attack or fault, the same in the CLI (as the EmonError code)
 * and in the service (in the EAR and in HTTP problem details, RFC 9457). The names are emon's; the grouping
 * follows the AR4SI trustworthiness claims they affect (draft-ietf-rats-ar4si, §2.3).
 */
import { EmonError } from '../errors.js';

export const REASONS = {
  E_ATTEST_MALFORMED: 'the evidence does not parse (truncated quote, tampered CBOR, wrong structure)',
  E_ATTEST_SIGNATURE: 'a signature over the evidence does not verify (forged or re-signed)',
  E_ATTEST_CHAIN: 'the certificate chain does not lead to the trust anchor',
  E_ATTEST_CERT_VALIDITY: 'a certificate is outside its validity period',
  E_ATTEST_UNKNOWN_KEY: 'the device key is not among the provisioned endorsements',
  E_ATTEST_NONCE: 'the evidence is not bound to the expected nonce (replayed or stale)',
  E_ATTEST_BINDING: 'the report data does not bind the public key presented with the evidence',
  E_ATTEST_DEBUG: 'a debug enclave under a policy that refuses debug enclaves',
  E_ATTEST_SVN: 'the security version is below the minimum of the reference values',
  E_ATTEST_REFERENCE: 'the measurement matches no reference value',
  E_ATTEST_TCB_REVOKED: 'the platform TCB is revoked',
  E_ATTEST_TCB_OUT_OF_DATE: 'the platform TCB is out of date',
  E_ATTEST_TCB_UNKNOWN: 'the platform TCB matches no level of the TCB info',
  E_ATTEST_COLLATERAL: 'the collateral (TCB info, QE identity) does not verify or does not apply',
  E_ATTEST_EAR_SIGNATURE: 'the attestation result (EAR) signature does not verify',
} as const;

export type ReasonCode = keyof typeof REASONS;

export interface Reason {
  readonly code: ReasonCode;
  readonly detail: string;
}

export function reason(code: ReasonCode, detail: string): Reason {
  return { code, detail };
}

/** A parse or check failure of evidence as a typed error. */
export function refused(code: ReasonCode, detail: string, hint?: string): EmonError {
  return new EmonError(code, `${REASONS[code]}: ${detail}`, { hint: hint ?? 'the evidence cannot be trusted; obtain fresh evidence from a genuine platform' });
}
