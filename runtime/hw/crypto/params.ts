/**
 * Sizes fixed by the algorithms the crypto core implements (RFC 8439 §2.8: 256-bit key, 96-bit nonce, 128-bit
 * tag; draft-irtf-cfrg-xchacha-03: 192-bit nonce; RFC 5869 §2.3: HKDF output limit) and by the EPC's 4 KiB
 * page, with the checks every entry point of the wrapper runs on its inputs.
 */
import { EmonError } from '../../errors.js';

export const KEY_SIZE = 32;
export const NONCE_SIZE = 12;
export const XNONCE_SIZE = 24;
export const TAG_SIZE = 16;
export const PAGE_SIZE = 4096;
/** Largest associated data the page path takes (the pager binds enclave id, page number, version). */
export const PAGE_AAD_MAX = 256;
export const SHA256_SIZE = 32;
/** RFC 5869 §2.3: at most 255 hash lengths of output. */
export const HKDF_MAX_OUTPUT = 255 * 32;

export function need(what: string, value: Uint8Array, size: number): void {
  if (!(value instanceof Uint8Array) || value.length !== size) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new EmonError('E_CRYPTO_PARAM', `${what} must be ${size} bytes, got ${got}`, {
      hint: `pass a Uint8Array of exactly ${size} bytes`,
    });
  }
}

export function needBytes(what: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array)) {
    throw new EmonError('E_CRYPTO_PARAM', `${what} must be a Uint8Array, got ${typeof value}`, {
      hint: 'pass bytes as a Uint8Array (a Buffer is one)',
    });
  }
}
