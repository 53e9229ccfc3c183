/**
 * What the verifier appraises against, in the RATS architecture's terms (RFC 9334 §8): endorsements (trust
 * anchors, device keys, TCB collateral), reference values (MRENCLAVE/MRSIGNER with a minimum ISVSVN for SGX,
 * software-component measurements for PSA), and an appraisal policy (debug enclaves, TCB statuses accepted, key
 * binding required). Loaded from JSON files the user writes; every malformed field is named.
 */
import { readRegularFile } from '../files.js';
import { EmonError } from '../errors.js';

export type Status = 'affirming' | 'warning' | 'contraindicated';

export interface Policy {
  readonly id: string;
  /** Debug enclaves (SGX ATTRIBUTES.DEBUG) and non-secured PSA lifecycles are refused unless true. */
  readonly allowDebug: boolean;
  /** Outcome per TCB status (UpToDate, SWHardeningNeeded, ConfigurationNeeded, OutOfDate, Revoked, unknown). */
  readonly tcb: Readonly<Record<string, Status>>;
  /** Evidence must bind a public key (report data / nonce claim) presented with it. */
  readonly requireKeyBinding: boolean;
}

export const DEFAULT_POLICY: Policy = {
  id: 'policy:emon/production',
  allowDebug: false,
  tcb: { UpToDate: 'affirming', SWHardeningNeeded: 'warning', ConfigurationNeeded: 'warning', OutOfDate: 'contraindicated', Revoked: 'contraindicated', unknown: 'warning' },
  requireKeyBinding: false,
};

export interface SgxReference {
  readonly mrenclave?: string;
  readonly mrsigner?: string;
  readonly isvProdId?: number;
  readonly minIsvSvn?: number;
}

export interface PsaReference {
  readonly implementationId?: string; // hex
  /** Every listed measurement (hex) must appear among the token's software components. */
  readonly measurements: readonly string[];
}

export interface ReferenceValues {
  readonly sgx: readonly SgxReference[];
  readonly psa: readonly PsaReference[];
}

export interface PsaDeviceKey {
  readonly instanceId: string; // hex of the 33-byte UEID
  /** SPKI PEM of the initial attestation key. */
  readonly key: string;
}

export interface Endorsements {
  readonly sgxRoots: readonly string[];
  /** PCK certificate and its issuer chain, when given apart from the quote (DCAP collateral). */
  readonly pckCert?: string;
  readonly pckChain?: string;
  readonly tcbInfo?: string;
  readonly tcbChain?: string;
  readonly qeIdentity?: string;
  readonly psaDevices: readonly PsaDeviceKey[];
}

const bad = (file: string, what: string): EmonError =>
  new EmonError('E_ATTEST_POLICY', `${file}: ${what}`, {
    hint: 'a policy is {"id": "...", "allowDebug": false, "tcb": {"OutOfDate": "warning"}, "requireKeyBinding": true}; see docs/attestation.md',
  });

/** Reads a policy file; fields not given keep the production defaults. */
export function loadPolicy(file: string): Policy {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readRegularFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw bad(file, `cannot read the policy: ${(e as Error).message}`);
  }
  return parsePolicy(j, file);
}

export function parsePolicy(j: unknown, file = 'policy'): Policy {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad(file, 'the policy must be a JSON object');
  const o = j as Record<string, unknown>;
  if (o['id'] !== undefined && typeof o['id'] !== 'string') throw bad(file, '"id" must be a string');
  if (o['allowDebug'] !== undefined && typeof o['allowDebug'] !== 'boolean') throw bad(file, '"allowDebug" must be true or false');
  if (o['requireKeyBinding'] !== undefined && typeof o['requireKeyBinding'] !== 'boolean') throw bad(file, '"requireKeyBinding" must be true or false');
  const tcb: Record<string, Status> = { ...DEFAULT_POLICY.tcb };
  if (o['tcb'] !== undefined) {
    if (typeof o['tcb'] !== 'object' || o['tcb'] === null) throw bad(file, '"tcb" must map TCB statuses to affirming/warning/contraindicated');
    for (const [k, v] of Object.entries(o['tcb'] as Record<string, unknown>)) {
      if (v !== 'affirming' && v !== 'warning' && v !== 'contraindicated') throw bad(file, `"tcb"."${k}" must be affirming, warning or contraindicated`);
      tcb[k] = v;
    }
  }
  return {
    id: (o['id'] as string | undefined) ?? DEFAULT_POLICY.id,
    allowDebug: (o['allowDebug'] as boolean | undefined) ?? false,
    tcb,
    requireKeyBinding: (o['requireKeyBinding'] as boolean | undefined) ?? false,
  };
}

const isHex = (s: unknown, n?: number): s is string => typeof s === 'string' && /^[0-9a-fA-F]*$/.test(s) && s.length % 2 === 0 && (n === undefined || s.length === n * 2);

/** Reference values from JSON: {"sgx": [{"mrenclave": hex, "mrsigner": hex, "isvProdId": n, "minIsvSvn": n}], "psa": [...]}. */
export function parseReferenceValues(j: unknown, what = 'reference values'): ReferenceValues {
  const fail = (m: string): EmonError => new EmonError('E_ATTEST_REFERENCE_VALUES', `${what}: ${m}`, { hint: 'see docs/attestation.md for the reference value format' });
  if (typeof j !== 'object' || j === null) throw fail('must be a JSON object');
  const o = j as { sgx?: unknown; psa?: unknown };
  const sgx = (Array.isArray(o.sgx) ? o.sgx : o.sgx === undefined ? [] : null) as unknown[] | null;
  const psa = (Array.isArray(o.psa) ? o.psa : o.psa === undefined ? [] : null) as unknown[] | null;
  if (!sgx || !psa) throw fail('"sgx" and "psa" must be arrays');
  return {
    sgx: sgx.map((r, i) => {
      const x = r as Record<string, unknown>;
      if (x['mrenclave'] !== undefined && !isHex(x['mrenclave'], 32)) throw fail(`sgx[${i}].mrenclave must be 64 hex digits`);
      if (x['mrsigner'] !== undefined && !isHex(x['mrsigner'], 32)) throw fail(`sgx[${i}].mrsigner must be 64 hex digits`);
      for (const k of ['isvProdId', 'minIsvSvn']) if (x[k] !== undefined && (typeof x[k] !== 'number' || !Number.isInteger(x[k]))) throw fail(`sgx[${i}].${k} must be an integer`);
      if (x['mrenclave'] === undefined && x['mrsigner'] === undefined) throw fail(`sgx[${i}] names neither mrenclave nor mrsigner`);
      return {
        ...(x['mrenclave'] !== undefined ? { mrenclave: (x['mrenclave'] as string).toLowerCase() } : {}),
        ...(x['mrsigner'] !== undefined ? { mrsigner: (x['mrsigner'] as string).toLowerCase() } : {}),
        ...(x['isvProdId'] !== undefined ? { isvProdId: x['isvProdId'] as number } : {}),
        ...(x['minIsvSvn'] !== undefined ? { minIsvSvn: x['minIsvSvn'] as number } : {}),
      };
    }),
    psa: psa.map((r, i) => {
      const x = r as Record<string, unknown>;
      if (x['implementationId'] !== undefined && !isHex(x['implementationId'])) throw fail(`psa[${i}].implementationId must be hex`);
      if (!Array.isArray(x['measurements']) || !x['measurements'].every((m) => isHex(m))) throw fail(`psa[${i}].measurements must be an array of hex strings`);
      return {
        ...(x['implementationId'] !== undefined ? { implementationId: (x['implementationId'] as string).toLowerCase() } : {}),
        measurements: (x['measurements'] as string[]).map((m) => m.toLowerCase()),
      };
    }),
  };
}
