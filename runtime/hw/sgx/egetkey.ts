/**
 * EGETKEY: derives an enclave's seal and report keys from the platform root secrets and the requesting
 * enclave's identity (Intel SDM Vol. 3D, §40 "EGETKEY"; key derivation as described in Intel SGX Explained,
 * Costan & Devadas 2016, §5.7.5). emon derives with HKDF-SHA256 (RFC 5869, @noble/hashes) instead of the
 * hardware's AES-CMAC, keeping the same inputs and the same rule on SVNs: an enclave may ask for the seal key
 * of any ISVSVN up to its own, never above, so newer code can unseal older data and not the reverse. Derivation
 * runs natively and derived keys are cached in hw (./keycache.ts), so EGETKEY and EREPORT cost what a leaf costs.
 *
 * KEYREQUEST layout (64 bytes, little endian): 0 KEYNAME u16, 2 KEYPOLICY u16, 4 ISVSVN u16, 6 reserved u16,
 * 8 KEYID[32], 40..64 reserved (must be zero). The key written back is 32 bytes.
 */
import type { EnclaveIdentity } from './identity.js';
import { cachedKey, hkdfSha256, keyPart } from './keycache.js';
import type { PlatformSecrets } from './platform.js';

export const KEYREQUEST_SIZE = 64;
export const KEY_SIZE = 32;
export const KEYNAME_REPORT = 3;
export const KEYNAME_SEAL = 4;
export const POLICY_MRENCLAVE = 1;
export const POLICY_MRSIGNER = 2;

/** EGETKEY status codes as the enclave sees them (SGX: SGX_INVALID_KEYNAME, SGX_INVALID_ISVSVN, ...). */
export const EGETKEY_OK = 0;
export const EGETKEY_INVALID_KEYNAME = 1;
export const EGETKEY_INVALID_ISVSVN = 2;
export const EGETKEY_INVALID_POLICY = 3;
export const EGETKEY_INVALID_REQUEST = 4;

export interface KeyRequest {
  readonly keyName: number;
  readonly keyPolicy: number;
  readonly isvSvn: number;
  readonly keyId: Uint8Array;
}

export function decodeKeyRequest(bytes: Uint8Array): KeyRequest | number {
  if (bytes.length !== KEYREQUEST_SIZE) return EGETKEY_INVALID_REQUEST;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(6, true) !== 0) return EGETKEY_INVALID_REQUEST;
  for (let i = 40; i < KEYREQUEST_SIZE; i++) if (bytes[i] !== 0) return EGETKEY_INVALID_REQUEST;
  return { keyName: dv.getUint16(0, true), keyPolicy: dv.getUint16(2, true), isvSvn: dv.getUint16(4, true), keyId: bytes.slice(8, 40) };
}

const REPORT_LABEL = new TextEncoder().encode('emon sgx report key v1');
const SEAL_LABEL = new TextEncoder().encode('emon sgx seal key v1');

/** The report key of the enclave whose MRENCLAVE/attributes are given (EREPORT uses the target's). */
export function reportKey(platform: PlatformSecrets, mrenclave: Uint8Array, attributes: number, keyId: Uint8Array): Uint8Array {
  // Keyed on the request before the HKDF info is built, so a hit costs a map lookup.
  return cachedKey(platform.reportRoot, `r${attributes}:${keyPart(mrenclave)}${keyPart(keyId)}`, () => {
    const info = new Uint8Array(REPORT_LABEL.length + 36);
    info.set(REPORT_LABEL, 0);
    info.set(mrenclave, REPORT_LABEL.length);
    new DataView(info.buffer).setUint32(REPORT_LABEL.length + 32, attributes >>> 0, true);
    return hkdfSha256(platform.reportRoot, keyId, info, KEY_SIZE);
  });
}

/** EGETKEY for `self`; returns the 32-byte key or an EGETKEY_* status. */
export function egetkey(platform: PlatformSecrets, self: EnclaveIdentity, req: KeyRequest): Uint8Array | number {
  if (req.keyName === KEYNAME_REPORT) return reportKey(platform, self.mrenclave, self.attributes, req.keyId);
  if (req.keyName !== KEYNAME_SEAL) return EGETKEY_INVALID_KEYNAME;
  if (req.keyPolicy !== POLICY_MRENCLAVE && req.keyPolicy !== POLICY_MRSIGNER) return EGETKEY_INVALID_POLICY;
  if (req.isvSvn > self.isvSvn) return EGETKEY_INVALID_ISVSVN;
  const who = req.keyPolicy === POLICY_MRENCLAVE ? self.mrenclave : self.mrsigner;
  const id = `s${req.keyPolicy}:${self.isvProdId}:${req.isvSvn}:${self.attributes}:${keyPart(who)}${keyPart(req.keyId)}`;
  return cachedKey(platform.sealRoot, id, () => sealKey(platform, self, req, who));
}

function sealKey(platform: PlatformSecrets, self: EnclaveIdentity, req: KeyRequest, who: Uint8Array): Uint8Array {
  // info = label || policy u16 || MRENCLAVE or MRSIGNER || ISVPRODID u16 || ISVSVN u16 || ATTRIBUTES u32 (LE).
  const n = SEAL_LABEL.length;
  const info = new Uint8Array(n + 2 + who.length + 8);
  const dv = new DataView(info.buffer);
  info.set(SEAL_LABEL, 0);
  dv.setUint16(n, req.keyPolicy, true);
  info.set(who, n + 2);
  dv.setUint16(n + 2 + who.length, self.isvProdId, true);
  dv.setUint16(n + 4 + who.length, req.isvSvn, true);
  dv.setUint32(n + 6 + who.length, self.attributes >>> 0, true);
  return hkdfSha256(platform.sealRoot, req.keyId, info, KEY_SIZE);
}
