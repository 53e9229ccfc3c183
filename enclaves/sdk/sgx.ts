// The enclave's view of the simulated SGX hardware: the ENCLU leaves emon's runtime/hw/sgx serves in import
// module "sgx" (Intel SDM Vol. 3D, ch. 40: EGETKEY, EREPORT; RDRAND from Vol. 2), plus the enclave's right to
// read and write untrusted (guest) memory, which SGX enclaves have and `user_check` pointers rely on.
// Structure layouts match runtime/hw/sgx/egetkey.ts and ereport.ts.

export const KEYNAME_REPORT: u16 = 3;
export const KEYNAME_SEAL: u16 = 4;
export const POLICY_MRENCLAVE: u16 = 1;
export const POLICY_MRSIGNER: u16 = 2;

export const KEYREQUEST_SIZE: usize = 64;
export const KEY_SIZE: usize = 32;
export const REPORT_SIZE: usize = 208;
export const REPORT_BODY_SIZE: usize = 144;
export const REPORT_DATA_SIZE: usize = 64;
export const TARGETINFO_SIZE: usize = 64;

// REPORT field offsets.
export const REPORT_MRENCLAVE: usize = 0;
export const REPORT_MRSIGNER: usize = 32;
export const REPORT_ISVPRODID: usize = 64;
export const REPORT_ISVSVN: usize = 66;
export const REPORT_ATTRIBUTES: usize = 68;
export const REPORT_DATA: usize = 80;
export const REPORT_KEYID: usize = 144;
export const REPORT_MAC: usize = 176;

/** Derives a key for the KEYREQUEST at `req` into `keyOut` (32 bytes); 0, or 0x100 | EGETKEY status, or 2. */
@external("sgx", "egetkey")
export declare function egetkey(req: usize, keyOut: usize): i32;

/** REPORT of this enclave for TARGETINFO `target` (0: itself) with 64 bytes of `data`, into `out` (208 bytes). */
@external("sgx", "ereport")
export declare function ereport(target: usize, data: usize, out: usize): i32;

/** Fills `len` bytes at `dst` with hardware randomness. */
@external("sgx", "rdrand")
export declare function rdrand(dst: usize, len: usize): i32;

/** Copies `len` bytes of untrusted memory at `src` into this enclave at `dst` (2 if out of bounds). */
@external("sgx", "read_untrusted")
export declare function read_untrusted(src: usize, len: usize, dst: usize): i32;

/** Copies `len` bytes of this enclave at `src` to untrusted memory at `dst` (2 if out of bounds). */
@external("sgx", "write_untrusted")
export declare function write_untrusted(dst: usize, src: usize, len: usize): i32;

const REQ: usize = memory.data(<i32>KEYREQUEST_SIZE, 16);

/** EGETKEY with a fresh KEYREQUEST; returns 0 or the hw status. */
export function get_key(keyName: u16, policy: u16, isvSvn: u16, keyId: usize, keyOut: usize): i32 {
  memory.fill(REQ, 0, KEYREQUEST_SIZE);
  store<u16>(REQ, keyName, 0);
  store<u16>(REQ, policy, 2);
  store<u16>(REQ, isvSvn, 4);
  memory.copy(REQ + 8, keyId, 32);
  return egetkey(REQ, keyOut);
}
