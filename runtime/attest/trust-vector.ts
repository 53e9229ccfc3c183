/**
 * The AR4SI trustworthiness vector (draft-ietf-rats-ar4si, §2.3) as EAR carries it (draft-ietf-rats-ear,
 * "ear.trustworthiness-vector"): eight claims, each a small integer whose tier is none (0-1), affirming (2-31),
 * warning (32-95) or contraindicated (96-127); the appraisal status is the worst tier.
 */
import type { Status } from './policy.js';

export interface TrustVector {
  'instance-identity': number;
  configuration: number;
  executables: number;
  'file-system': number;
  hardware: number;
  'runtime-opaque': number;
  'storage-opaque': number;
  'sourced-data': number;
}

/** The values emon uses, named as in AR4SI §2.3. */
export const TV = {
  none: 0,
  trustworthyInstance: 2,
  untrustworthyInstance: 96,
  unrecognizedInstance: 97,
  approvedConfig: 2,
  unsafeConfig: 32,
  unsupportableConfig: 96,
  approvedRuntime: 2,
  unrecognizedRuntime: 33,
  contraindicatedRuntime: 96,
  genuineHardware: 2,
  unsafeHardware: 32,
  contraindicatedHardware: 96,
  unrecognizedHardware: 97,
  encryptedMemory: 2,
  isolatedMemory: 32,
  hwKeysEncryptedSecrets: 2,
} as const;

export const emptyVector = (): TrustVector => ({
  'instance-identity': 0, configuration: 0, executables: 0, 'file-system': 0, hardware: 0, 'runtime-opaque': 0, 'storage-opaque': 0, 'sourced-data': 0,
});

export type EarStatus = Status | 'none';

export function tierOf(v: number): EarStatus {
  if (v >= 96) return 'contraindicated';
  if (v >= 32) return 'warning';
  if (v >= 2) return 'affirming';
  return 'none';
}

export function statusOf(tv: TrustVector): EarStatus {
  const rank: Record<EarStatus, number> = { none: 0, affirming: 1, warning: 2, contraindicated: 3 };
  let worst: EarStatus = 'none';
  for (const v of Object.values(tv)) if (rank[tierOf(v)] > rank[worst]) worst = tierOf(v);
  return worst;
}

export const valueFor = (s: Status): number => (s === 'affirming' ? 2 : s === 'warning' ? 32 : 96);
