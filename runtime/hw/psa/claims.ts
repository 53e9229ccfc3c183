/**
 * The claims of a PSA attestation token (RFC 9783, "Arm's Platform Security Architecture (PSA) Attestation
 * Token", §4) with their CBOR keys, the security-lifecycle values (§4.3.1) and the software-component map keys
 * (§4.4.1). Shared by the token issuer here and the verifier in runtime/attest/psa.
 */
export const CLAIM = {
  nonce: 10, // eat_nonce
  instanceId: 256, // ueid
  profile: 265, // eat_profile
  clientId: 2394,
  lifecycle: 2395,
  implementationId: 2396,
  bootSeed: 2397,
  certificationReference: 2398,
  swComponents: 2399,
  verificationService: 2400,
} as const;

export const SW = { measurementType: 1, measurementValue: 2, version: 4, signerId: 5, measurementDesc: 6 } as const;

export const PSA_PROFILE = 'tag:psacertified.org,2023:psa#tfm';

/** Security lifecycle: the high byte is the state (RFC 9783 §4.3.1). */
export const LIFECYCLE = {
  unknown: 0x0000,
  assemblyAndTest: 0x1000,
  psaRotProvisioning: 0x2000,
  secured: 0x3000,
  nonPsaRotDebug: 0x4000,
  recoverablePsaRotDebug: 0x5000,
  decommissioned: 0x6000,
} as const;

export function lifecycleName(v: number): string {
  const names: Record<number, string> = {
    0x00: 'unknown',
    0x10: 'assembly-and-test',
    0x20: 'psa-rot-provisioning',
    0x30: 'secured',
    0x40: 'non-psa-rot-debug',
    0x50: 'recoverable-psa-rot-debug',
    0x60: 'decommissioned',
  };
  return names[v >>> 8] ?? 'invalid';
}

export interface SoftwareComponent {
  readonly measurementType?: string;
  readonly measurementValue: Uint8Array;
  readonly signerId: Uint8Array;
  readonly version?: string;
  readonly measurementDesc?: string;
}

/** What the caller (the TrustZone backend's attestation service) supplies; the issuer adds the device's identity. */
export interface PsaClaimsIn {
  /** 32, 48 or 64 bytes. */
  readonly nonce: Uint8Array;
  readonly implementationId: Uint8Array;
  readonly bootSeed: Uint8Array;
  readonly lifecycle: number;
  readonly clientId: number;
  readonly swComponents: readonly SoftwareComponent[];
  readonly certificationReference?: string;
  readonly verificationService?: string;
}

export interface PsaClaims extends PsaClaimsIn {
  readonly instanceId: Uint8Array;
  readonly profile: string;
}
