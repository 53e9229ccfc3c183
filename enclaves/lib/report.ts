// Local attestation primitives on EREPORT/EGETKEY (Intel SDM Vol. 3D, §40; the SGX SDK's sgx_create_report,
// sgx_verify_report and sgx_self_target): build a TARGETINFO for this enclave, create a report for another
// enclave, and verify a report addressed to this one by recomputing its MAC with this enclave's report key
// (HMAC-SHA256 on the crypto core, matching runtime/hw/sgx/ereport.ts).
import { hmac_sha256 } from './hmac';
import { ct_equal, wipe } from './ct';
import {
  ereport, get_key, KEYNAME_REPORT, REPORT_ATTRIBUTES, REPORT_BODY_SIZE, REPORT_KEYID, REPORT_MAC, REPORT_MRENCLAVE,
  REPORT_SIZE, TARGETINFO_SIZE,
} from '../sdk/sgx';

const TMP: usize = memory.data(<i32>REPORT_SIZE, 16);
const ZERO64: usize = memory.data(64, 16);
const KEY: usize = memory.data(32, 16);
const MAC: usize = memory.data(32, 16);

/** Writes this enclave's TARGETINFO (MRENCLAVE, ATTRIBUTES) to `out`, as sgx_self_target. */
export function self_target(out: usize): void {
  ereport(0, ZERO64, TMP);
  memory.fill(out, 0, TARGETINFO_SIZE);
  memory.copy(out, TMP + REPORT_MRENCLAVE, 32);
  store<u32>(out, load<u32>(TMP + REPORT_ATTRIBUTES), 32);
}

/** This enclave's own REPORT (targeted at itself), e.g. to read its MRENCLAVE/MRSIGNER/ISVSVN. */
export function self_report(out: usize): void {
  ereport(0, ZERO64, out);
}

/** A REPORT of this enclave for `target` carrying the 64 bytes at `data`; returns the hw status (0 = ok). */
export function create_report(target: usize, data: usize, out: usize): i32 {
  return ereport(target, data, out);
}

/** True when the REPORT at `report` was made on this platform for this enclave and is unaltered. */
export function verify_report(report: usize): bool {
  if (get_key(KEYNAME_REPORT, 0, 0, report + REPORT_KEYID, KEY) != 0) return false;
  hmac_sha256(KEY, 32, report, REPORT_BODY_SIZE, MAC);
  wipe(KEY, 32);
  return ct_equal(MAC, report + REPORT_MAC, 32);
}
