/**
 * SIGSTRUCT: the enclave author's signed statement of which measurement and config an enclave must have
 * (Intel SDM Vol. 3D, §38.14 "Enclave Signature Structure"). SGX signs with RSA-3072; emon signs with Ed25519
 * (RFC 8032, via @noble/curves) and keeps SGX's meaning: MRSIGNER is the SHA-256 of the signer's public key.
 *
 * Layout (little endian, 160 bytes):
 *   0  "EMSIGST1"          8   vendor u32        12  date u32 (yyyymmdd)
 *   16 ENCLAVEHASH[32]     48  ISVPRODID u16     50  ISVSVN u16      52 attributes u32
 *   56 heapPages u32       60  threads u32       64  signer public key[32]
 *   96 Ed25519 signature[64] over bytes 0..96
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { EmonError } from '../../errors.js';
import { attributesOf, checkConfig, type EnclaveConfig } from './measurement.js';

export const SIGSTRUCT_SIZE = 160;
const MAGIC = 'EMSIGST1';
const SIGNED_LEN = 96;

export interface Sigstruct {
  readonly enclaveHash: Uint8Array;
  readonly config: EnclaveConfig;
  readonly date: number;
  readonly signerKey: Uint8Array;
  readonly signature: Uint8Array;
  /** The encoded structure (what is signed is bytes 0..96). */
  readonly bytes: Uint8Array;
}

export function mrsignerOf(signerPublicKey: Uint8Array): Uint8Array {
  return sha256(signerPublicKey);
}

export function generateSignerKey(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** Build and sign a SIGSTRUCT for `enclaveHash` (MRENCLAVE computed over the module under `config`). */
export function signSigstruct(enclaveHash: Uint8Array, config: EnclaveConfig, secretKey: Uint8Array, date = todayYmd()): Sigstruct {
  checkConfig(config, 'signing the enclave');
  if (enclaveHash.length !== 32) throw new EmonError('E_INTERNAL', 'ENCLAVEHASH must be 32 bytes');
  const bytes = new Uint8Array(SIGSTRUCT_SIZE);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  dv.setUint32(12, date, true);
  bytes.set(enclaveHash, 16);
  dv.setUint16(48, config.isvProdId, true);
  dv.setUint16(50, config.isvSvn, true);
  dv.setUint32(52, attributesOf(config), true);
  dv.setUint32(56, config.heapPages, true);
  dv.setUint32(60, config.threads, true);
  const publicKey = ed25519.getPublicKey(secretKey);
  bytes.set(publicKey, 64);
  bytes.set(ed25519.sign(bytes.subarray(0, SIGNED_LEN), secretKey), SIGNED_LEN);
  return decodeSigstruct(bytes, 'the new SIGSTRUCT');
}

/** Parse without verifying (EINIT verifies). Malformed input is E_SIGSTRUCT naming `what`. */
export function decodeSigstruct(bytes: Uint8Array, what: string): Sigstruct {
  const bad = (why: string): never => {
    throw new EmonError('E_SIGSTRUCT', `${what}: malformed SIGSTRUCT (${why})`, { hint: 'sign the enclave again with `emon enclave sign`' });
  };
  if (bytes.length !== SIGSTRUCT_SIZE) bad(`${bytes.length} bytes, expected ${SIGSTRUCT_SIZE}`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) bad('bad magic');
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer);
  const attributes = dv.getUint32(52, true);
  if ((attributes & ~0x6) !== 0 || (attributes & 4) === 0) bad(`unknown attributes 0x${attributes.toString(16)}`);
  const config: EnclaveConfig = {
    isvProdId: dv.getUint16(48, true),
    isvSvn: dv.getUint16(50, true),
    debug: (attributes & 2) !== 0,
    heapPages: dv.getUint32(56, true),
    threads: dv.getUint32(60, true),
  };
  try {
    checkConfig(config, what);
  } catch (e) {
    bad(e instanceof Error ? e.message : String(e));
  }
  return {
    enclaveHash: copy.slice(16, 48),
    config,
    date: dv.getUint32(12, true),
    signerKey: copy.slice(64, 96),
    signature: copy.slice(96, 160),
    bytes: copy,
  };
}

/** True when the signature over the SIGSTRUCT body verifies under the key it carries. */
export function sigstructSignatureValid(s: Sigstruct): boolean {
  try {
    return ed25519.verify(s.signature, s.bytes.subarray(0, SIGNED_LEN), s.signerKey);
  } catch {
    return false;
  }
}

function todayYmd(): number {
  const d = new Date();
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}
