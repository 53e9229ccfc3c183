// GlobalPlatform TEE Internal Core API constants (GP TEE Internal Core API Specification v1.3.1: §3.3 return
// codes, §4.1.2 parameter types, §6.1.1 algorithm identifiers), with the names and values of OP-TEE's
// lib/libutee/include/tee_api_defines.h, for trusted applications written in AssemblyScript.

export type TEE_Result = u32;

export const TEE_SUCCESS: u32 = 0x00000000;
export const TEE_ERROR_GENERIC: u32 = 0xffff0000;
export const TEE_ERROR_ACCESS_DENIED: u32 = 0xffff0001;
export const TEE_ERROR_CANCEL: u32 = 0xffff0002;
export const TEE_ERROR_ACCESS_CONFLICT: u32 = 0xffff0003;
export const TEE_ERROR_EXCESS_DATA: u32 = 0xffff0004;
export const TEE_ERROR_BAD_FORMAT: u32 = 0xffff0005;
export const TEE_ERROR_BAD_PARAMETERS: u32 = 0xffff0006;
export const TEE_ERROR_BAD_STATE: u32 = 0xffff0007;
export const TEE_ERROR_ITEM_NOT_FOUND: u32 = 0xffff0008;
export const TEE_ERROR_NOT_IMPLEMENTED: u32 = 0xffff0009;
export const TEE_ERROR_NOT_SUPPORTED: u32 = 0xffff000a;
export const TEE_ERROR_NO_DATA: u32 = 0xffff000b;
export const TEE_ERROR_OUT_OF_MEMORY: u32 = 0xffff000c;
export const TEE_ERROR_BUSY: u32 = 0xffff000d;
export const TEE_ERROR_COMMUNICATION: u32 = 0xffff000e;
export const TEE_ERROR_SECURITY: u32 = 0xffff000f;
export const TEE_ERROR_SHORT_BUFFER: u32 = 0xffff0010;
export const TEE_ERROR_MAC_INVALID: u32 = 0xffff3071;
export const TEE_ERROR_TARGET_DEAD: u32 = 0xffff3024;

export const TEE_PARAM_TYPE_NONE: u32 = 0;
export const TEE_PARAM_TYPE_VALUE_INPUT: u32 = 1;
export const TEE_PARAM_TYPE_VALUE_OUTPUT: u32 = 2;
export const TEE_PARAM_TYPE_VALUE_INOUT: u32 = 3;
export const TEE_PARAM_TYPE_MEMREF_INPUT: u32 = 5;
export const TEE_PARAM_TYPE_MEMREF_OUTPUT: u32 = 6;
export const TEE_PARAM_TYPE_MEMREF_INOUT: u32 = 7;

/** TEE_PARAM_TYPES(t0, t1, t2, t3): one nibble per parameter. */
export function TEE_PARAM_TYPES(t0: u32, t1: u32, t2: u32, t3: u32): u32 {
  return t0 | (t1 << 4) | (t2 << 8) | (t3 << 12);
}

/** TEE_PARAM_TYPE_GET(types, i). */
export function TEE_PARAM_TYPE_GET(types: u32, i: u32): u32 {
  return (types >> (i * 4)) & 0xf;
}

/** Algorithms of the Wasm crypto core (enclaves/lib). */
export const TEE_ALG_SHA256: u32 = 0x50000004;
export const TEE_ALG_HMAC_SHA256: u32 = 0x30000004;
/** emon extension: ChaCha20-Poly1305 (RFC 8439) is not in GP's list; the value is in GP's implementation-defined range. */
export const TEE_ALG_CHACHA20_POLY1305_EMON: u32 = 0xf0000001;

export const TEE_MODE_ENCRYPT: u32 = 0;
export const TEE_MODE_DECRYPT: u32 = 1;
export const TEE_MODE_MAC: u32 = 4;
export const TEE_MODE_DIGEST: u32 = 5;

/** TEE_Param on wasm32: 8 bytes, {buffer: u32, size: u32} or {a: u32, b: u32}. */
export const TEE_PARAM_SIZE: usize = 8;
