/**
 * The verifier engine (RFC 9334 §3, the Verifier role): appraises one piece of evidence — an SGX quote or a PSA
 * token — against endorsements, reference values and a policy, and returns an appraisal: the status, the AR4SI
 * trustworthiness vector, the named reasons for every failed check, and the evidence's claims annotated for the
 * relying party. The CLI (`emon attest verify`) and the service (`emon verifier serve`) are two faces of it;
 * ear.ts turns an appraisal into a signed EAR.
 *
 * Key binding: evidence binds the attester's public key and the verifier's nonce. SGX report data is
 * SHA-256(key) || nonce; a PSA nonce claim of 64 bytes is nonce || SHA-256(key) (32 bytes: the nonce alone).
 */
import { createPublicKey } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { EmonError } from '../errors.js';
import { lifecycleName, LIFECYCLE } from '../hw/psa/claims.js';
import { parsePsaToken, psaSignatureValid } from './psa/token.js';
import type { Endorsements, Policy, ReferenceValues } from './policy.js';
import { reason, REASONS, type Reason } from './reasons.js';
import { verifySgxQuote } from './sgx/verify.js';
import { emptyVector, statusOf, TV, valueFor, type EarStatus, type TrustVector } from './trust-vector.js';

export type EvidenceType = 'sgx-quote' | 'psa-token';

export const MEDIA_TYPES: Readonly<Record<EvidenceType, string>> = {
  'sgx-quote': 'application/vnd.emon.sgx-quote',
  'psa-token': 'application/psa-attestation-token',
};

export interface EvidenceInput {
  readonly type: EvidenceType;
  readonly bytes: Uint8Array;
  /** The public key the attester presents with the evidence (checked against the binding). */
  readonly key?: Uint8Array;
}

export interface AppraisalContext {
  readonly endorsements: Endorsements;
  readonly references: ReferenceValues;
  readonly policy: Policy;
  /** The nonce the verifier issued; without it freshness is not checked (offline use). */
  readonly nonce?: Uint8Array;
  readonly now?: Date;
}

export interface Appraisal {
  readonly scheme: 'SGX' | 'PSA';
  readonly status: EarStatus;
  readonly trustVector: TrustVector;
  readonly reasons: readonly Reason[];
  readonly claims: Readonly<Record<string, unknown>>;
  readonly policyId: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const eq = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

/** The uncompressed P-256 point of an SPKI PEM, or null. */
export function pemP256Point(pem: string): Uint8Array | null {
  try {
    const jwk = createPublicKey(pem).export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) return null;
    return new Uint8Array([4, ...Buffer.from(jwk.x, 'base64url'), ...Buffer.from(jwk.y, 'base64url')]);
  } catch {
    return null;
  }
}

function bindingChecks(ctx: AppraisalContext, key: Uint8Array | undefined, nonceGot: Uint8Array, keyHashGot: Uint8Array | null, reasons: Reason[], tv: TrustVector): void {
  if (ctx.nonce && !eq(nonceGot, ctx.nonce)) {
    reasons.push(reason('E_ATTEST_NONCE', `the evidence carries nonce ${hex(nonceGot)}, the verifier expects ${hex(ctx.nonce)}`));
    tv['instance-identity'] = TV.untrustworthyInstance;
  }
  if (key) {
    if (!keyHashGot || !eq(keyHashGot, sha256(key))) {
      reasons.push(reason('E_ATTEST_BINDING', `the evidence binds ${keyHashGot ? hex(keyHashGot) : 'no key'}, not SHA-256 of the presented key ${hex(key)}`));
      tv['instance-identity'] = TV.untrustworthyInstance;
    }
  } else if (ctx.policy.requireKeyBinding) {
    reasons.push(reason('E_ATTEST_BINDING', 'the policy requires a public key bound to the evidence and none was presented'));
    tv['instance-identity'] = TV.untrustworthyInstance;
  }
}

async function appraiseSgx(ev: EvidenceInput, ctx: AppraisalContext, reasons: Reason[], tv: TrustVector): Promise<Record<string, unknown>> {
  const e = ctx.endorsements;
  const { claims } = await verifySgxQuote(ev.bytes, {
    roots: e.sgxRoots,
    ...(e.pckCert ? { pckCert: e.pckCert } : {}),
    ...(e.pckChain ? { pckChain: e.pckChain } : {}),
    ...(e.tcbInfo ? { tcbInfo: e.tcbInfo } : {}),
    ...(e.tcbChain ? { tcbChain: e.tcbChain } : {}),
    ...(e.qeIdentity ? { qeIdentity: e.qeIdentity } : {}),
  }, ctx.now);
  tv['instance-identity'] = TV.trustworthyInstance;
  tv['runtime-opaque'] = TV.encryptedMemory;
  tv['storage-opaque'] = TV.hwKeysEncryptedSecrets;
  const outcome = ctx.policy.tcb[claims.tcbStatus] ?? 'contraindicated';
  tv.hardware = claims.tcbStatus === 'unknown' && outcome !== 'contraindicated' ? TV.unsafeHardware : valueFor(outcome);
  if (claims.tcbStatus === 'Revoked') reasons.push(reason('E_ATTEST_TCB_REVOKED', `the platform's TCB (CPUSVN ${claims.cpuSvn}, PCESVN ${claims.pceSvn}) is revoked`));
  else if (claims.tcbStatus === 'OutOfDate') reasons.push(reason('E_ATTEST_TCB_OUT_OF_DATE', `the platform's TCB (CPUSVN ${claims.cpuSvn}, PCESVN ${claims.pceSvn}) is out of date`));
  else if (claims.tcbStatus === 'unknown' && ctx.endorsements.tcbInfo) reasons.push(reason('E_ATTEST_TCB_UNKNOWN', `no TCB level applies to CPUSVN ${claims.cpuSvn}, PCESVN ${claims.pceSvn}`));
  if (claims.debug) {
    tv.configuration = ctx.policy.allowDebug ? TV.unsafeConfig : TV.unsupportableConfig;
    tv['runtime-opaque'] = ctx.policy.allowDebug ? TV.isolatedMemory : 96;
    if (!ctx.policy.allowDebug) reasons.push(reason('E_ATTEST_DEBUG', `enclave ${claims.mrenclave} is a debug enclave (ATTRIBUTES.DEBUG set); policy ${ctx.policy.id} refuses debug enclaves`));
  } else tv.configuration = TV.approvedConfig;
  const refs = ctx.references.sgx;
  if (refs.length === 0) tv.executables = TV.unrecognizedRuntime;
  else {
    const same = refs.filter((r) => (r.mrenclave === undefined || r.mrenclave === claims.mrenclave) && (r.mrsigner === undefined || r.mrsigner === claims.mrsigner) && (r.isvProdId === undefined || r.isvProdId === claims.isvProdId));
    if (same.length === 0) {
      reasons.push(reason('E_ATTEST_REFERENCE', `MRENCLAVE ${claims.mrenclave} / MRSIGNER ${claims.mrsigner} (product ${claims.isvProdId}) matches no reference value`));
      tv.executables = TV.contraindicatedRuntime;
    } else if (!same.some((r) => claims.isvSvn >= (r.minIsvSvn ?? 0))) {
      reasons.push(reason('E_ATTEST_SVN', `ISVSVN ${claims.isvSvn} is below the minimum ${Math.min(...same.map((r) => r.minIsvSvn ?? 0))} of the matching reference values`));
      tv.executables = TV.contraindicatedRuntime;
    } else tv.executables = TV.approvedRuntime;
  }
  bindingChecks(ctx, ev.key, claims.reportData.subarray(32, 64), claims.reportData.subarray(0, 32), reasons, tv);
  return { ...claims, reportData: hex(claims.reportData) };
}

function appraisePsa(ev: EvidenceInput, ctx: AppraisalContext, reasons: Reason[], tv: TrustVector): Record<string, unknown> {
  const t = parsePsaToken(ev.bytes);
  const c = t.claims;
  const device = ctx.endorsements.psaDevices.find((d) => d.instanceId.toLowerCase() === hex(c.instanceId));
  if (!device) {
    reasons.push(reason('E_ATTEST_UNKNOWN_KEY', `no attestation key is endorsed for instance ID ${hex(c.instanceId)}`));
    tv['instance-identity'] = TV.unrecognizedInstance;
    return { instanceId: hex(c.instanceId) };
  }
  const point = pemP256Point(device.key);
  if (!point) throw new EmonError('E_ATTEST_ENDORSEMENT', `the endorsed key of instance ${device.instanceId} is not a P-256 public key in PEM`, { hint: 'provision the device key as SPKI PEM' });
  if (!psaSignatureValid(t, point)) {
    reasons.push(reason('E_ATTEST_SIGNATURE', `the token's COSE_Sign1 signature does not verify with the key endorsed for instance ${hex(c.instanceId)} (forged or re-signed)`));
    tv['instance-identity'] = TV.untrustworthyInstance;
    return { instanceId: hex(c.instanceId) };
  }
  tv['instance-identity'] = TV.trustworthyInstance;
  tv.hardware = TV.genuineHardware;
  // TrustZone isolates secure memory without encrypting it: AR4SI's runtime-opaque would be 32 (a warning), so the
  // claim is left unset, as Veraison's PSA scheme does.
  tv['storage-opaque'] = TV.hwKeysEncryptedSecrets;
  const secured = c.lifecycle >>> 8 === LIFECYCLE.secured >>> 8;
  if (!secured) {
    tv.configuration = ctx.policy.allowDebug ? TV.unsafeConfig : TV.unsupportableConfig;
    if (!ctx.policy.allowDebug) reasons.push(reason('E_ATTEST_DEBUG', `the device's security lifecycle is ${lifecycleName(c.lifecycle)}, not secured; policy ${ctx.policy.id} refuses it`));
  } else tv.configuration = TV.approvedConfig;
  const measured = new Set(c.swComponents.map((s) => hex(s.measurementValue)));
  const refs = ctx.references.psa.filter((r) => r.implementationId === undefined || r.implementationId === hex(c.implementationId));
  if (ctx.references.psa.length === 0) tv.executables = TV.unrecognizedRuntime;
  else if (refs.some((r) => r.measurements.every((m) => measured.has(m)))) tv.executables = TV.approvedRuntime;
  else {
    reasons.push(reason('E_ATTEST_REFERENCE', `the software components (${[...measured].join(', ')}) of implementation ${hex(c.implementationId)} match no reference value`));
    tv.executables = TV.contraindicatedRuntime;
  }
  const nonce = c.nonce.subarray(0, 32);
  bindingChecks(ctx, ev.key, nonce, c.nonce.length === 64 ? c.nonce.subarray(32, 64) : null, reasons, tv);
  return {
    profile: c.profile,
    instanceId: hex(c.instanceId),
    implementationId: hex(c.implementationId),
    bootSeed: hex(c.bootSeed),
    lifecycle: lifecycleName(c.lifecycle),
    clientId: c.clientId,
    nonce: hex(c.nonce),
    swComponents: c.swComponents.map((s) => ({ measurementType: s.measurementType, measurementValue: hex(s.measurementValue), signerId: hex(s.signerId), version: s.version })),
  };
}

export async function appraise(ev: EvidenceInput, ctx: AppraisalContext): Promise<Appraisal> {
  const reasons: Reason[] = [];
  const tv = emptyVector();
  let claims: Record<string, unknown> = {};
  try {
    claims = ev.type === 'sgx-quote' ? await appraiseSgx(ev, ctx, reasons, tv) : appraisePsa(ev, ctx, reasons, tv);
  } catch (e) {
    if (!(e instanceof EmonError) || !(e.code in REASONS)) throw e;
    reasons.push(reason(e.code as Reason['code'], e.message));
    tv['instance-identity'] = TV.untrustworthyInstance;
  }
  return { scheme: ev.type === 'sgx-quote' ? 'SGX' : 'PSA', status: statusOf(tv), trustVector: tv, reasons, claims, policyId: ctx.policy.id };
}
