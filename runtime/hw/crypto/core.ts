/**
 * Loads emon's trusted crypto core (enclaves/lib, compiled by runtime/build/steps/10-crypto.ts) as its own Wasm
 * instance. Two builds come from the same sources: `simd` (v128, four ChaCha20 blocks per step) and `scalar`;
 * both implement RFC 8439, FIPS 180-4, RFC 2104 and RFC 5869 and must give identical results.
 * The core imports nothing from the host: the host is untrusted (DESIGN.md §1, §6).
 */
import { readRegularFile } from '../../files.js';
import path from 'node:path';
import { buildDir } from '../../paths.js';
import { EmonError } from '../../errors.js';

export type CryptoFlavor = 'simd' | 'scalar';

/** The core's exports: raw pointers (i32 offsets into `memory`) and lengths, as in enclaves/lib/index.ts. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  simd_enabled(): number;
  chacha20_xor(key: number, nonce: number, counter: number, src: number, dst: number, len: number): void;
  chacha20_block(key: number, nonce: number, counter: number, out: number): void;
  hchacha20(key: number, nonce: number, out: number): void;
  poly1305_init(ctx: number, key: number): void;
  poly1305_update(ctx: number, m: number, len: number): void;
  poly1305_final(ctx: number, tag: number): void;
  poly1305_mac(key: number, m: number, len: number, tag: number): void;
  chacha20poly1305_seal(key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number, tag: number): void;
  chacha20poly1305_open(key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number, tag: number): number;
  xchacha20poly1305_seal(key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number, tag: number): void;
  xchacha20poly1305_open(key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number, tag: number): number;
  sha256_init(ctx: number): void;
  sha256_update(ctx: number, p: number, len: number): void;
  sha256_final(ctx: number, out: number): void;
  sha256(p: number, len: number, out: number): void;
  hmac_sha256_init(ctx: number, key: number, keyLen: number): void;
  hmac_sha256_update(ctx: number, p: number, len: number): void;
  hmac_sha256_final(ctx: number, out: number): void;
  hmac_sha256(key: number, keyLen: number, p: number, len: number, out: number): void;
  hkdf_sha256_extract(salt: number, saltLen: number, ikm: number, ikmLen: number, prk: number): void;
  hkdf_sha256_expand(prk: number, prkLen: number, info: number, infoLen: number, out: number, outLen: number): number;
  ct_equal(a: number, b: number, len: number): number;
}

const REQUIRED: readonly (keyof CoreExports)[] = [
  'memory', 'heap_base', 'simd_enabled', 'chacha20_xor', 'chacha20_block', 'hchacha20', 'poly1305_init',
  'poly1305_update', 'poly1305_final', 'poly1305_mac', 'chacha20poly1305_seal', 'chacha20poly1305_open',
  'xchacha20poly1305_seal', 'xchacha20poly1305_open', 'sha256_init', 'sha256_update', 'sha256_final', 'sha256',
  'hmac_sha256_init', 'hmac_sha256_update', 'hmac_sha256_final', 'hmac_sha256', 'hkdf_sha256_extract',
  'hkdf_sha256_expand', 'ct_equal',
];

/** Where the build puts each flavour of the core. */
export function coreModulePath(flavor: CryptoFlavor): string {
  return path.join(buildDir, 'crypto', `core-${flavor}.wasm`);
}

/** True when this Wasm engine accepts v128 (a one-function module returning a v128.const). */
export function engineSupportsSimd(): boolean {
  const probe = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01,
    0x00, 0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
  ]);
  return WebAssembly.validate(probe);
}

const compiled = new Map<CryptoFlavor, WebAssembly.Module>();

/** Compiles (once per process and flavour) and instantiates the core; every call gives a fresh instance. */
export function instantiateCore(flavor: CryptoFlavor, file: string = coreModulePath(flavor)): CoreExports {
  let module = file === coreModulePath(flavor) ? compiled.get(flavor) : undefined;
  if (!module) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readRegularFile(file));
    } catch (e) {
      throw new EmonError('E_CRYPTO_CORE_MISSING', `cannot read the ${flavor} crypto core at ${file}`, {
        hint: 'run `npm run build` (it compiles enclaves/lib into build/crypto)',
        cause: e,
      });
    }
    try {
      module = new WebAssembly.Module(bytes);
    } catch (e) {
      throw new EmonError('E_CRYPTO_CORE_INVALID', `the ${flavor} crypto core at ${file} is not valid Wasm: ${(e as Error).message}`, {
        hint: flavor === 'simd' ? 'this engine may lack Wasm SIMD; use the scalar core' : 'rebuild with `npm run build -- --force`',
        cause: e,
      });
    }
    if (file === coreModulePath(flavor)) compiled.set(flavor, module);
  }
  const instance = new WebAssembly.Instance(module, {});
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED) {
    if (exports[name] === undefined) {
      throw new EmonError('E_CRYPTO_CORE_INVALID', `the ${flavor} crypto core at ${file} does not export ${name}`, {
        hint: 'rebuild with `npm run build -- --force`',
      });
    }
  }
  return exports as unknown as CoreExports;
}
