/**
 * The Provisioning Certification Enclave (Intel SGX DCAP; "Supporting Third Party Attestation for Intel SGX with
 * Intel Data Center Attestation Primitives", 2018, §3): it holds the platform's PCK (Provisioning Certification
 * Key), an ECDSA P-256 key derived from the platform's fused secrets and its TCB level, whose certificate the
 * manufacturer issues, and it certifies a quoting enclave's attestation key by signing that enclave's report
 * body. emon models the PCE as part of the hardware: its report key check is the one EREPORT targets.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { EmonError } from '../../errors.js';
import { verifyReportFor, type TargetInfo } from './ereport.js';
import { ATTR_INIT } from './identity.js';
import type { PlatformSecrets } from './platform.js';
import { reportBodyOf } from './report-body.js';
import { platformTcb, type PlatformTcb } from './tcb.js';

/** The PCE's TARGETINFO: a fixed identity, as Intel's PCE has one MRENCLAVE per release. */
export const PCE_TARGET: TargetInfo = { mrenclave: sha256(new TextEncoder().encode('emon provisioning certification enclave v1')), attributes: ATTR_INIT };

const N = p256.Point.CURVE().n;

/** The PCK private key (32 bytes): depends on the platform and its TCB level, as Intel's does. */
function pckSecret(platform: PlatformSecrets, tcb: PlatformTcb): Uint8Array {
  const info = new Uint8Array([...new TextEncoder().encode('emon pck v1'), ...tcb.cpuSvn, tcb.pceSvn & 0xff, tcb.pceSvn >>> 8]);
  const okm = hkdf(sha256, platform.sealRoot, tcb.ppid, info, 48);
  let d = 0n;
  for (const b of okm) d = (d << 8n) | BigInt(b);
  d = (d % (N - 1n)) + 1n;
  return Buffer.from(d.toString(16).padStart(64, '0'), 'hex');
}

/** The PCK public key, uncompressed SEC 1 (65 bytes), for the manufacturer to certify. */
export function pckPublicKey(platform: PlatformSecrets): Uint8Array {
  return p256.getPublicKey(pckSecret(platform, platformTcb(platform)), false);
}

export interface QeCertification {
  /** The QE's report body in Intel's layout (384 bytes). */
  readonly qeReportBody: Uint8Array;
  /** ECDSA-SHA256 by the PCK over it, r||s. */
  readonly qeReportSignature: Uint8Array;
}

/** Checks that `qeReport` (an emon REPORT) was made on this platform for the PCE, and signs its body. */
export function pceCertify(platform: PlatformSecrets, qeReport: Uint8Array): QeCertification {
  if (!verifyReportFor(platform, PCE_TARGET, qeReport)) {
    throw new EmonError('E_PCE_REPORT', 'PCE: the quoting enclave report does not verify (not made on this platform for the PCE, or altered)', {
      hint: 'the report must come from the quoting enclave on this platform, targeted at PCE_TARGET',
    });
  }
  const tcb = platformTcb(platform);
  const qeReportBody = reportBodyOf(qeReport, tcb.cpuSvn);
  const sig = p256.sign(qeReportBody, pckSecret(platform, tcb), { prehash: true, lowS: false });
  return { qeReportBody, qeReportSignature: sig };
}
