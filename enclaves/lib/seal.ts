// Sealing: authenticated encryption of enclave data under a key only this enclave (MRENCLAVE policy) or any
// enclave of the same signer and product (MRSIGNER policy) can re-derive on this platform — the SGX SDK's
// sgx_seal_data/sgx_unseal_data (Intel SGX Developer Reference, "Sealing"), on emon's crypto core
// (ChaCha20-Poly1305, RFC 8439) with EGETKEY-derived keys.
//
// The key is bound to the ISV SVN recorded in the blob: an enclave seals at its own SVN and may unseal blobs of
// any SVN up to its own (EGETKEY refuses higher ones), so an update can read old data and old code cannot read
// new data. A fresh random KEYID per blob gives a fresh key; the nonce is random too.
//
// Blob v1 (little endian): 0 magic "EMSL", 4 version u16 = 1, 6 policy u16, 8 ISVSVN u16, 10 reserved u16 = 0,
// 12 aadLen u32, 16 dataLen u32, 20 KEYID[32], 52 nonce[12], 64 aad, then ciphertext, then the 16-byte tag.
// The AEAD's associated data is the header and the aad, so no header field can be changed undetected.
import { chacha20poly1305_open, chacha20poly1305_seal } from './chacha20poly1305';
import { wipe } from './ct';
import { ereport, get_key, KEYNAME_SEAL, POLICY_MRENCLAVE, POLICY_MRSIGNER, rdrand, REPORT_ISVSVN, REPORT_SIZE } from '../sdk/sgx';

export { POLICY_MRENCLAVE, POLICY_MRSIGNER };

export const SEAL_MAGIC: u32 = 0x4c534d45; // "EMSL"
export const SEAL_VERSION: u16 = 1;
export const SEAL_HEADER_SIZE: usize = 64;
export const SEAL_TAG_SIZE: usize = 16;

// Failures, as negative results.
export const SEAL_E_ARGS: i32 = -1; // bad policy or output too small
export const SEAL_E_FORMAT: i32 = -2; // not a blob, or lengths inconsistent
export const SEAL_E_VERSION: i32 = -3; // a blob version this code does not know
export const SEAL_E_KEY: i32 = -4; // EGETKEY refused (blob from a newer SVN, or a policy this enclave cannot use)
export const SEAL_E_AUTH: i32 = -5; // tampered blob, or sealed by another enclave/signer/platform

const KEY: usize = memory.data(32, 16);
const SELF: usize = memory.data(<i32>REPORT_SIZE, 16);
const ZERO64: usize = memory.data(64, 16);

/** Size of the blob that sealing `aadLen` + `dataLen` bytes produces. */
export function sealed_size(aadLen: usize, dataLen: usize): usize {
  return SEAL_HEADER_SIZE + aadLen + dataLen + SEAL_TAG_SIZE;
}

function own_svn(): u16 {
  ereport(0, ZERO64, SELF);
  return load<u16>(SELF + REPORT_ISVSVN);
}

/** Seals `data` with `aad` (authenticated, kept in clear) into `out`; returns the blob length or SEAL_E_*. */
export function seal(policy: u16, aad: usize, aadLen: usize, data: usize, dataLen: usize, out: usize, outCap: usize): i32 {
  if (policy != POLICY_MRENCLAVE && policy != POLICY_MRSIGNER) return SEAL_E_ARGS;
  if (aadLen > 0x40000000 || dataLen > 0x40000000) return SEAL_E_ARGS;
  const total = sealed_size(aadLen, dataLen);
  if (total > outCap) return SEAL_E_ARGS;
  const svn = own_svn();
  store<u32>(out, SEAL_MAGIC, 0);
  store<u16>(out, SEAL_VERSION, 4);
  store<u16>(out, policy, 6);
  store<u16>(out, svn, 8);
  store<u16>(out, 0, 10);
  store<u32>(out, <u32>aadLen, 12);
  store<u32>(out, <u32>dataLen, 16);
  rdrand(out + 20, 32 + 12);
  if (get_key(KEYNAME_SEAL, policy, svn, out + 20, KEY) != 0) return SEAL_E_KEY;
  memory.copy(out + SEAL_HEADER_SIZE, aad, aadLen);
  const ct = out + SEAL_HEADER_SIZE + aadLen;
  chacha20poly1305_seal(KEY, out + 52, out, SEAL_HEADER_SIZE + aadLen, data, dataLen, ct, ct + dataLen);
  wipe(KEY, 32);
  return <i32>total;
}

/** Length of the aad of a well-formed blob (-2 if it is not one); lets a caller size its buffers first. */
export function sealed_aad_len(blob: usize, blobLen: usize): i32 {
  if (blobLen < SEAL_HEADER_SIZE + SEAL_TAG_SIZE || load<u32>(blob) != SEAL_MAGIC) return SEAL_E_FORMAT;
  return <i32>load<u32>(blob, 12);
}

/** Length of the data a well-formed blob holds (-2 if it is not one). */
export function sealed_data_len(blob: usize, blobLen: usize): i32 {
  if (blobLen < SEAL_HEADER_SIZE + SEAL_TAG_SIZE || load<u32>(blob) != SEAL_MAGIC) return SEAL_E_FORMAT;
  return <i32>load<u32>(blob, 16);
}

/**
 * Authenticates and decrypts `blob` into `out` (nothing is written to `out` unless it authenticates); the aad
 * stays readable at blob + SEAL_HEADER_SIZE. Returns the data length or SEAL_E_*.
 */
export function unseal(blob: usize, blobLen: usize, out: usize, outCap: usize): i32 {
  if (blobLen < SEAL_HEADER_SIZE + SEAL_TAG_SIZE || load<u32>(blob) != SEAL_MAGIC) return SEAL_E_FORMAT;
  if (load<u16>(blob, 4) != SEAL_VERSION) return SEAL_E_VERSION;
  const policy = load<u16>(blob, 6);
  const svn = load<u16>(blob, 8);
  if (load<u16>(blob, 10) != 0) return SEAL_E_FORMAT;
  const aadLen = <u64>load<u32>(blob, 12);
  const dataLen = <u64>load<u32>(blob, 16);
  if (<u64>SEAL_HEADER_SIZE + aadLen + dataLen + <u64>SEAL_TAG_SIZE != <u64>blobLen) return SEAL_E_FORMAT;
  if (<u64>outCap < dataLen) return SEAL_E_ARGS;
  if (policy != POLICY_MRENCLAVE && policy != POLICY_MRSIGNER) return SEAL_E_FORMAT;
  if (get_key(KEYNAME_SEAL, policy, svn, blob + 20, KEY) != 0) return SEAL_E_KEY;
  const ct = blob + SEAL_HEADER_SIZE + <usize>aadLen;
  const ok = chacha20poly1305_open(KEY, blob + 52, blob, SEAL_HEADER_SIZE + <usize>aadLen, ct, <usize>dataLen, out, ct + <usize>dataLen);
  wipe(KEY, 32);
  return ok ? <i32>dataLen : SEAL_E_AUTH;
}
