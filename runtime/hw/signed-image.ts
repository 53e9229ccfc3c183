/**
 * Verifying a signed image, the part of loading that both backends share: an SGX enclave at EINIT (Intel SDM
 * Vol. 3D, §38.11: signature, then measurement, then the expected signer) and a TrustZone TA when the secure
 * world loads it (OP-TEE checks a TA's signed header before mapping it; optee_os core/crypto/signed_hdr.c).
 * Both use the same SIGSTRUCT-signed Wasm made by `emon enclave sign`, so both backends get the same identity
 * (MRENCLAVE, MRSIGNER, product id, SVN) from the same bytes. Compiling the image is the backend's business.
 */
import { EmonError } from '../errors.js';
import { ATTR_INIT, hex, type EnclaveIdentity } from './sgx/identity.js';
import { attributesOf, MeasurementLog } from './sgx/measurement.js';
import { decodeSigstruct, mrsignerOf, sigstructSignatureValid, type Sigstruct } from './sgx/sigstruct.js';
import { readCustomSection, stripCustomSection } from './sgx/wasm-sections.js';

export const SIGSTRUCT_SECTION = 'emon.sigstruct';
export const EDL_SECTION = 'emon.edl';

export interface VerifyOptions {
  /** A SIGSTRUCT given beside the file (`enclave.wasm.sig`); otherwise the image's emon.sigstruct section. */
  readonly sigstruct?: Uint8Array;
  /** MRSIGNER the caller (the guest's manifest) requires. */
  readonly expectedMrsigner?: Uint8Array;
}

export interface VerifiedImage {
  readonly identity: EnclaveIdentity;
  readonly sigstruct: Sigstruct;
  /** The measured bytes: the module without its SIGSTRUCT. */
  readonly image: Uint8Array;
  /** The EDL carried in the image (measured), or null. */
  readonly edl: string | null;
}

/** Signature, then measurement, then signer; every failure is a typed error naming the check. */
export function verifySignedImage(bytes: Uint8Array, file: string, options: VerifyOptions = {}, what = 'EINIT'): VerifiedImage {
  const sigBytes = options.sigstruct ?? readCustomSection(bytes, SIGSTRUCT_SECTION, file);
  if (!sigBytes) {
    throw new EmonError('E_EINIT_SIGSTRUCT', `${file}: ${what} failed: the image is not signed (no SIGSTRUCT in the module or beside it)`, {
      hint: 'sign it: emon enclave sign --key KEY.pem ' + file,
    });
  }
  const sig = decodeSigstruct(sigBytes, `${file}: SIGSTRUCT`);
  const image = stripCustomSection(bytes, SIGSTRUCT_SECTION, file);
  const log = new MeasurementLog(sig.config); // ECREATE
  log.addImage(image); // EADD + EEXTEND
  const mrenclave = log.finish();
  if (!sigstructSignatureValid(sig)) {
    throw new EmonError('E_EINIT_SIGNATURE', `${file}: ${what} failed: bad SIGSTRUCT signature (the SIGSTRUCT was altered or not made with this signer key)`, {
      hint: 're-sign it with `emon enclave sign`',
    });
  }
  if (!equal(mrenclave, sig.enclaveHash)) {
    throw new EmonError('E_EINIT_MEASUREMENT', `${file}: ${what} failed: measurement mismatch — the module measures ${hex(mrenclave)} but its SIGSTRUCT was signed for ${hex(sig.enclaveHash)} (tampered module, or signed for another build)`, {
      hint: 'rebuild and re-sign it; never edit a signed module',
    });
  }
  const mrsigner = mrsignerOf(sig.signerKey);
  if (options.expectedMrsigner && !equal(mrsigner, options.expectedMrsigner)) {
    throw new EmonError('E_EINIT_SIGNER', `${file}: ${what} failed: wrong signer — MRSIGNER is ${hex(mrsigner)}, the guest requires ${hex(options.expectedMrsigner)}`, {
      hint: "sign it with the expected key, or fix the mrsigner in the guest's manifest",
    });
  }
  const identity: EnclaveIdentity = { mrenclave, mrsigner, isvProdId: sig.config.isvProdId, isvSvn: sig.config.isvSvn, attributes: attributesOf(sig.config) | ATTR_INIT };
  const edlBytes = readCustomSection(image, EDL_SECTION, file);
  return { identity, sigstruct: sig, image, edl: edlBytes ? new TextDecoder().decode(edlBytes) : null };
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
