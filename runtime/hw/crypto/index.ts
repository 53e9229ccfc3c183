/** runtime/hw's trusted crypto (Wasm core from enclaves/lib): see ./wasm-crypto.ts and ./core.ts. */
export { WasmCrypto } from './wasm-crypto.js';
export { HashStream } from './hash-stream.js';
export { KEY_SIZE, NONCE_SIZE, XNONCE_SIZE, TAG_SIZE, PAGE_SIZE, PAGE_AAD_MAX, SHA256_SIZE, HKDF_MAX_OUTPUT } from './params.js';
export type { WasmCryptoOptions } from './wasm-crypto.js';
export { coreModulePath, engineSupportsSimd, instantiateCore } from './core.js';
export type { CryptoFlavor, CoreExports } from './core.js';
