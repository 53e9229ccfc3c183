/**
 * EREPORT: a report of the calling enclave's identity plus 64 bytes of its own data, MAC'd with the report key
 * of a *target* enclave on the same platform, so only that target (via EGETKEY) can verify it — SGX local
 * attestation (Intel SDM Vol. 3D, §40 "EREPORT"; Anati et al., "Innovative Technology for CPU Based Attestation
 * and Sealing", HASP 2013). SGX MACs with AES-CMAC; emon uses HMAC-SHA256 (RFC 2104) so the target can check
 * it with the enclave crypto core.
 *
 * REPORT (208 bytes): 0 MRENCLAVE[32], 32 MRSIGNER[32], 64 ISVPRODID u16, 66 ISVSVN u16, 68 ATTRIBUTES u32,
 *   72 reserved[8], 80 REPORTDATA[64], 144 KEYID[32], 176 MAC[32] = HMAC(report key, bytes 0..144).
 * TARGETINFO (64 bytes): 0 MRENCLAVE[32], 32 ATTRIBUTES u32, 36..64 reserved.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { reportKey } from './egetkey.js';
import type { EnclaveIdentity } from './identity.js';
import type { PlatformSecrets } from './platform.js';

export const REPORT_SIZE = 208;
export const REPORT_BODY_SIZE = 144;
export const REPORT_DATA_SIZE = 64;
export const TARGETINFO_SIZE = 64;

/** Like SGX's CR_REPORT_KEYID: chosen once per platform boot (here, per process). */
const bootKeyId = new Uint8Array(randomBytes(32));

export interface TargetInfo {
  readonly mrenclave: Uint8Array;
  readonly attributes: number;
}

export function encodeTargetInfo(t: TargetInfo): Uint8Array {
  const out = new Uint8Array(TARGETINFO_SIZE);
  out.set(t.mrenclave, 0);
  new DataView(out.buffer).setUint32(32, t.attributes, true);
  return out;
}

export function decodeTargetInfo(bytes: Uint8Array): TargetInfo {
  return { mrenclave: bytes.slice(0, 32), attributes: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(32, true) };
}

/** HMAC-SHA256 (RFC 2104), natively: the simulated CPU is trusted hardware and may use the host's primitive. */
function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return createHmac('sha256', key).update(data).digest();
}

/** EREPORT by `self` for `target`, carrying `reportData` (64 bytes). */
export function ereport(platform: PlatformSecrets, self: EnclaveIdentity, target: TargetInfo, reportData: Uint8Array): Uint8Array {
  const report = new Uint8Array(REPORT_SIZE);
  const dv = new DataView(report.buffer);
  report.set(self.mrenclave, 0);
  report.set(self.mrsigner, 32);
  dv.setUint16(64, self.isvProdId, true);
  dv.setUint16(66, self.isvSvn, true);
  dv.setUint32(68, self.attributes, true);
  report.set(reportData.subarray(0, REPORT_DATA_SIZE), 80);
  report.set(bootKeyId, REPORT_BODY_SIZE);
  const key = reportKey(platform, target.mrenclave, target.attributes, bootKeyId);
  report.set(hmacSha256(key, report.subarray(0, REPORT_BODY_SIZE)), 176);
  return report;
}

/** What the enclave-side report library checks, for host-side tests and tools: is `report` MAC'd for `target`? */
export function verifyReportFor(platform: PlatformSecrets, target: TargetInfo, report: Uint8Array): boolean {
  if (report.length !== REPORT_SIZE) return false;
  const key = reportKey(platform, target.mrenclave, target.attributes, report.subarray(144, 176));
  const mac = hmacSha256(key, report.subarray(0, REPORT_BODY_SIZE));
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= mac[i]! ^ report[176 + i]!;
  return diff === 0;
}
