// The quoting enclave (Intel SGX DCAP QE3; Intel, "Intel SGX ECDSA Quote Library Reference", and "Supporting
// Third Party Attestation for Intel SGX with Intel Data Center Attestation Primitives", 2018). It verifies an
// application enclave's EREPORT with its own report key, so only reports of enclaves on this platform are quoted,
// and signs Intel's ECDSA quote v3 header and report body with a P-256 attestation key. The key is derived from
// this enclave's seal key (MRENCLAVE policy), so it is the same at every start on one platform, never leaves the
// enclave, and is certified by the PCE's signature over this enclave's own report (qe_certify).
export { __emon_ms, __emon_ms_size } from './generated/quoting_t';
import { get_key, KEYNAME_SEAL, POLICY_MRENCLAVE, REPORT_ATTRIBUTES, REPORT_DATA, REPORT_ISVPRODID, REPORT_ISVSVN, REPORT_MRENCLAVE, REPORT_MRSIGNER, REPORT_SIZE } from '../sdk/sgx';
import { create_report, self_report, self_target, verify_report } from '../lib/report';
import { hkdf_sha256 } from '../lib/hkdf';
import { sha256 } from '../lib/sha256';
import { p256_public, p256_reduce_private, p256_sign } from '../sdk/p256';

export const QE_OK: i32 = 0;
export const QE_E_REPORT: i32 = -2; // the REPORT's MAC does not verify: not for this enclave, altered, or another platform
export const QE_E_KEY: i32 = -3; // EGETKEY failed
export const QE_E_SIGN: i32 = -4;

// Quote v3 layout (Intel SGX ECDSA Quote Library Reference, "Quote Format", sgx_quote_3_t).
const HEADER: usize = 48;
const BODY: usize = 384;
const QUOTE_SIGNED: usize = HEADER + BODY;
// Report body (sgx_report_body_t) offsets.
const B_CPUSVN: usize = 0;
const B_ATTRIBUTES: usize = 48;
const B_MRENCLAVE: usize = 64;
const B_MRSIGNER: usize = 128;
const B_ISVPRODID: usize = 256;
const B_ISVSVN: usize = 258;
const B_REPORTDATA: usize = 320;

const SELF: usize = memory.data(<i32>REPORT_SIZE, 16);
const AK: usize = memory.data(32, 16);
const AK_PUB: usize = memory.data(64, 16);
const SEAL: usize = memory.data(32, 16);
const DIGEST: usize = memory.data(32, 16);
const HBUF: usize = memory.data(96, 16);
const RD: usize = memory.data(64, 16);
// KEYID for the attestation key's seal key, and the HKDF info: "emon qe attestation key v1".
const KEYID: usize = memory.data<u8>([113, 101, 45, 97, 107, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const INFO: usize = memory.data<u8>([101, 109, 111, 110, 32, 113, 101, 32, 97, 116, 116, 101, 115, 116, 97, 116, 105, 111, 110, 32, 107, 101, 121, 32, 118, 49]);
const INFO_LEN: usize = 26;
// QE vendor ID of Intel's QE3: 939A7233-F79C-4CA9-940A-0DB3957F0607.
const VENDOR: usize = memory.data<u8>([0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07]);
let haveKey = false;

function attestation_key(): bool {
  if (haveKey) return true;
  self_report(SELF);
  if (get_key(KEYNAME_SEAL, POLICY_MRENCLAVE, load<u16>(SELF + REPORT_ISVSVN), KEYID, SEAL) != 0) return false;
  hkdf_sha256(0, 0, SEAL, 32, INFO, INFO_LEN, AK, 32);
  memory.fill(SEAL, 0, 32);
  p256_reduce_private(AK);
  if (!p256_public(AK, AK_PUB)) return false;
  haveKey = true;
  return true;
}

export function qe_target(target: usize): i32 {
  self_target(target);
  return QE_OK;
}

export function qe_certify(pceTarget: usize, authData: usize, akPub: usize, report: usize): i32 {
  if (!attestation_key()) return QE_E_KEY;
  memory.copy(HBUF, AK_PUB, 64);
  memory.copy(HBUF + 64, authData, 32);
  memory.fill(RD, 0, 64);
  sha256(HBUF, 96, RD);
  memory.copy(akPub, AK_PUB, 64);
  return create_report(pceTarget, RD, report) == 0 ? QE_OK : QE_E_KEY;
}

export function qe_quote(report: usize, platform: usize, quote: usize): i32 {
  if (!verify_report(report)) return QE_E_REPORT;
  if (!attestation_key()) return QE_E_KEY;
  memory.fill(quote, 0, QUOTE_SIGNED + 64);
  // Header: version 3, attestation key type 2 (ECDSA-256-with-P-256), QE SVN, PCE SVN, QE vendor ID.
  store<u16>(quote, 3, 0);
  store<u16>(quote, 2, 2);
  store<u16>(quote, load<u16>(SELF + REPORT_ISVSVN), 8);
  store<u16>(quote, load<u16>(platform), 10);
  memory.copy(quote + 12, VENDOR, 16);
  // Report body from the verified REPORT.
  const b = quote + HEADER;
  memory.copy(b + B_CPUSVN, platform + 2, 16);
  store<u64>(b + B_ATTRIBUTES, <u64>load<u32>(report + REPORT_ATTRIBUTES));
  memory.copy(b + B_MRENCLAVE, report + REPORT_MRENCLAVE, 32);
  memory.copy(b + B_MRSIGNER, report + REPORT_MRSIGNER, 32);
  store<u16>(b + B_ISVPRODID, load<u16>(report + REPORT_ISVPRODID));
  store<u16>(b + B_ISVSVN, load<u16>(report + REPORT_ISVSVN));
  memory.copy(b + B_REPORTDATA, report + REPORT_DATA, 64);
  sha256(quote, QUOTE_SIGNED, DIGEST);
  return p256_sign(AK, DIGEST, quote + QUOTE_SIGNED) ? QE_OK : QE_E_SIGN;
}
