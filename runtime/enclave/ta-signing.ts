/**
 * Signing a trusted application for the TrustZone backend: the same SIGSTRUCT signing as enclaves
 * (./signing.ts), over a module that carries its TA properties in the measured `emon.ta` section — what OP-TEE's
 * sign_encrypt.py does with a TA's ELF and its `.ta_head` (optee_os scripts/sign_encrypt.py). The signed config's
 * heap size is the TA's memory limit, so the limit is part of the TA's identity.
 */
import { TA_SECTION, type TaProperties } from '../hw/tz/ta-image.js';
import { WASM_PAGE } from '../hw/tz/carveout.js';
import { stripCustomSection, withCustomSection } from '../hw/sgx/wasm-sections.js';
import { signEnclave } from './signing.js';

export function signTa(wasm: Uint8Array, file: string, secretKey: Uint8Array, props: TaProperties): Uint8Array {
  const image = withCustomSection(stripCustomSection(wasm, TA_SECTION, file), TA_SECTION, new TextEncoder().encode(JSON.stringify(props)), file);
  const heapPages = Math.max(1, Math.ceil((props.stackSize + props.dataSize) / WASM_PAGE));
  return signEnclave(image, file, secretKey, { heapPages, threads: 1, isvProdId: 0, isvSvn: 0, debug: false }).signed;
}
