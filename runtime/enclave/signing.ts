/**
 * The enclave author's side of SGX signing (the Intel SGX SDK's `sgx_sign sign`): a signer key file, and
 * stamping an enclave .wasm with its EDL and a SIGSTRUCT for a given config. The key file is PEM-like text
 * holding the 32-byte Ed25519 secret key (RFC 8032), written 0600.
 */
import { readRegularFile } from '../files.js';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { EmonError } from '../errors.js';
import { EDL_SECTION, SIGSTRUCT_SECTION } from '../hw/sgx/enclave.js';
import { measure, type EnclaveConfig } from '../hw/sgx/measurement.js';
import { generateSignerKey, signSigstruct, type Sigstruct } from '../hw/sgx/sigstruct.js';
import { stripCustomSection, withCustomSection } from '../hw/sgx/wasm-sections.js';

const BEGIN = '-----BEGIN EMON ENCLAVE SIGNING KEY-----';
const END = '-----END EMON ENCLAVE SIGNING KEY-----';

export const DEFAULT_CONFIG: EnclaveConfig = { heapPages: 64, threads: 1, isvProdId: 0, isvSvn: 0, debug: false };

export function encodeSignerKey(secretKey: Uint8Array): string {
  return `${BEGIN}\n${Buffer.from(secretKey).toString('base64')}\n${END}\n`;
}

/**
 * Writes a fresh key to `file`, refusing an existing one unless `replace`: a lost key cannot sign the next
 * version of its enclaves under the same MRSIGNER, so replacing one is a deliberate act. A replacement goes to
 * a private temporary first and is renamed over the old key, so a failure leaves the old key whole.
 */
export function writeNewSignerKey(file: string, replace = false): Uint8Array {
  const { secretKey, publicKey } = generateSignerKey();
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    if (replace) {
      writeFileSync(tmp, encodeSignerKey(secretKey), { mode: 0o600, flag: 'wx' });
      renameSync(tmp, file);
    } else writeFileSync(file, encodeSignerKey(secretKey), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if (replace) rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'the file exists' : code === 'EISDIR' ? 'it is a directory' : (code ?? (e as Error).message);
    throw new EmonError('E_KEY_FILE', `cannot write signer key ${file}: ${why}`, {
      hint: code === 'EEXIST' ? 'choose another path, or pass --force to replace the key (enclaves signed with it keep its MRSIGNER)' : 'give a file path in an existing, writable directory',
    });
  }
  return publicKey;
}

export function readSignerKey(file: string): Uint8Array {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_KEY_FILE', `cannot read signer key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'create one with `emon enclave keygen KEYFILE`',
    });
  }
  const m = text.match(new RegExp(`${BEGIN}\\s+([A-Za-z0-9+/=]+)\\s+${END}`));
  const key = m ? Buffer.from(m[1]!, 'base64') : null;
  if (!key || key.length !== 32) {
    throw new EmonError('E_KEY_FILE', `${file} is not an emon enclave signing key`, { hint: 'create one with `emon enclave keygen KEYFILE`' });
  }
  return new Uint8Array(key);
}

/**
 * Embed `edl` (when given) and sign: the measurement covers the module including its EDL, so the interface is
 * part of the enclave's identity. Returns the signed module and its SIGSTRUCT.
 */
export function signEnclave(wasm: Uint8Array, file: string, secretKey: Uint8Array, config: EnclaveConfig, edl?: string): { signed: Uint8Array; sigstruct: Sigstruct } {
  let image = stripCustomSection(wasm, SIGSTRUCT_SECTION, file);
  if (edl !== undefined) image = withCustomSection(image, EDL_SECTION, new TextEncoder().encode(edl), file);
  const sigstruct = signSigstruct(measure(image, config), config, secretKey);
  return { signed: withCustomSection(image, SIGSTRUCT_SECTION, sigstruct.bytes, file), sigstruct };
}
