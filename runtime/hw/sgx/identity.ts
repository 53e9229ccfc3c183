/**
 * An initialised enclave's identity as SGX's SECS holds it after EINIT (Intel SDM Vol. 3D, §38.7): MRENCLAVE,
 * MRSIGNER, ISVPRODID, ISVSVN and ATTRIBUTES. Keys and reports are functions of these fields only.
 */
export interface EnclaveIdentity {
  readonly mrenclave: Uint8Array;
  readonly mrsigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  /** Bit 0 INIT, bit 1 DEBUG, bit 2 MODE64BIT. */
  readonly attributes: number;
}

export const ATTR_INIT = 1;
export const ATTR_DEBUG = 2;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
