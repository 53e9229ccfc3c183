/**
 * GlobalPlatform TEE constants shared by both sides of the secure world's boundary, with GP's names and values:
 * return codes and origins (GP TEE Client API Specification v1.0, §4.4.2-4.4.3; TEE Internal Core API v1.3.1,
 * §3.3 "Return Code Ranges"), parameter types (Client API §4.5.4 and Internal Core API §4.1.2), login methods
 * (Client API §4.5.1) and OP-TEE's TA flags (optee_os lib/libutee/include/user_ta_header.h).
 */

export const TEE_SUCCESS = 0x00000000;
export const TEE_ERROR_GENERIC = 0xffff0000;
export const TEE_ERROR_ACCESS_DENIED = 0xffff0001;
export const TEE_ERROR_CANCEL = 0xffff0002;
export const TEE_ERROR_ACCESS_CONFLICT = 0xffff0003;
export const TEE_ERROR_EXCESS_DATA = 0xffff0004;
export const TEE_ERROR_BAD_FORMAT = 0xffff0005;
export const TEE_ERROR_BAD_PARAMETERS = 0xffff0006;
export const TEE_ERROR_BAD_STATE = 0xffff0007;
export const TEE_ERROR_ITEM_NOT_FOUND = 0xffff0008;
export const TEE_ERROR_NOT_IMPLEMENTED = 0xffff0009;
export const TEE_ERROR_NOT_SUPPORTED = 0xffff000a;
export const TEE_ERROR_NO_DATA = 0xffff000b;
export const TEE_ERROR_OUT_OF_MEMORY = 0xffff000c;
export const TEE_ERROR_BUSY = 0xffff000d;
export const TEE_ERROR_COMMUNICATION = 0xffff000e;
export const TEE_ERROR_SECURITY = 0xffff000f;
export const TEE_ERROR_SHORT_BUFFER = 0xffff0010;
export const TEE_ERROR_EXTERNAL_CANCEL = 0xffff0011;
export const TEE_ERROR_TARGET_DEAD = 0xffff3024;

/** Where an error came from (TEEC_ORIGIN_*). */
export const TEE_ORIGIN_API = 1;
export const TEE_ORIGIN_COMMS = 2;
export const TEE_ORIGIN_TEE = 3;
export const TEE_ORIGIN_TRUSTED_APP = 4;

/** Parameter types, one nibble per parameter (TEEC_PARAM_TYPES / TEE_PARAM_TYPES). */
export const PARAM_NONE = 0;
export const PARAM_VALUE_INPUT = 1;
export const PARAM_VALUE_OUTPUT = 2;
export const PARAM_VALUE_INOUT = 3;
export const PARAM_MEMREF_INPUT = 5;
export const PARAM_MEMREF_OUTPUT = 6;
export const PARAM_MEMREF_INOUT = 7;

export function paramTypes(t0: number, t1 = 0, t2 = 0, t3 = 0): number {
  return (t0 & 0xf) | ((t1 & 0xf) << 4) | ((t2 & 0xf) << 8) | ((t3 & 0xf) << 12);
}

export function paramType(types: number, i: number): number {
  return (types >>> (4 * i)) & 0xf;
}

export const isValue = (t: number): boolean => t >= PARAM_VALUE_INPUT && t <= PARAM_VALUE_INOUT;
export const isMemref = (t: number): boolean => t >= PARAM_MEMREF_INPUT && t <= PARAM_MEMREF_INOUT;
/** Data flows from the client into the TA. */
export const isInput = (t: number): boolean => t === PARAM_VALUE_INPUT || t === PARAM_VALUE_INOUT || t === PARAM_MEMREF_INPUT || t === PARAM_MEMREF_INOUT;
/** Data flows from the TA back to the client. */
export const isOutput = (t: number): boolean => t === PARAM_VALUE_OUTPUT || t === PARAM_VALUE_INOUT || t === PARAM_MEMREF_OUTPUT || t === PARAM_MEMREF_INOUT;

/** Login methods (TEEC_LOGIN_*). */
export const LOGIN_PUBLIC = 0;
export const LOGIN_USER = 1;
export const LOGIN_GROUP = 2;
export const LOGIN_APPLICATION = 4;
export const LOGIN_USER_APPLICATION = 5;
export const LOGIN_GROUP_APPLICATION = 6;
export const LOGINS: readonly number[] = [LOGIN_PUBLIC, LOGIN_USER, LOGIN_GROUP, LOGIN_APPLICATION, LOGIN_USER_APPLICATION, LOGIN_GROUP_APPLICATION];

/** OP-TEE TA flags (user_ta_header.h). */
export const TA_FLAG_SINGLE_INSTANCE = 1 << 2;
export const TA_FLAG_MULTI_SESSION = 1 << 3;
export const TA_FLAG_INSTANCE_KEEP_ALIVE = 1 << 4;

/** TEE_Param on wasm32: a union of {buffer: u32, size: u32} and {a: u32, b: u32}. */
export const TEE_PARAM_SIZE = 8;

const NAMES: Record<number, string> = {
  [TEE_SUCCESS]: 'TEE_SUCCESS',
  [TEE_ERROR_GENERIC]: 'TEE_ERROR_GENERIC',
  [TEE_ERROR_ACCESS_DENIED]: 'TEE_ERROR_ACCESS_DENIED',
  [TEE_ERROR_CANCEL]: 'TEE_ERROR_CANCEL',
  [TEE_ERROR_ACCESS_CONFLICT]: 'TEE_ERROR_ACCESS_CONFLICT',
  [TEE_ERROR_EXCESS_DATA]: 'TEE_ERROR_EXCESS_DATA',
  [TEE_ERROR_BAD_FORMAT]: 'TEE_ERROR_BAD_FORMAT',
  [TEE_ERROR_BAD_PARAMETERS]: 'TEE_ERROR_BAD_PARAMETERS',
  [TEE_ERROR_BAD_STATE]: 'TEE_ERROR_BAD_STATE',
  [TEE_ERROR_ITEM_NOT_FOUND]: 'TEE_ERROR_ITEM_NOT_FOUND',
  [TEE_ERROR_NOT_IMPLEMENTED]: 'TEE_ERROR_NOT_IMPLEMENTED',
  [TEE_ERROR_NOT_SUPPORTED]: 'TEE_ERROR_NOT_SUPPORTED',
  [TEE_ERROR_NO_DATA]: 'TEE_ERROR_NO_DATA',
  [TEE_ERROR_OUT_OF_MEMORY]: 'TEE_ERROR_OUT_OF_MEMORY',
  [TEE_ERROR_BUSY]: 'TEE_ERROR_BUSY',
  [TEE_ERROR_COMMUNICATION]: 'TEE_ERROR_COMMUNICATION',
  [TEE_ERROR_SECURITY]: 'TEE_ERROR_SECURITY',
  [TEE_ERROR_SHORT_BUFFER]: 'TEE_ERROR_SHORT_BUFFER',
  [TEE_ERROR_EXTERNAL_CANCEL]: 'TEE_ERROR_EXTERNAL_CANCEL',
  [TEE_ERROR_TARGET_DEAD]: 'TEE_ERROR_TARGET_DEAD',
};

/** GP's name of a return code, or its hex value. */
export function resultName(code: number): string {
  return NAMES[code >>> 0] ?? `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/** A GP result with where it came from; what every secure-world operation returns to the normal world. */
export interface TeeResult {
  readonly code: number;
  readonly origin: number;
}

export const ok: TeeResult = { code: TEE_SUCCESS, origin: TEE_ORIGIN_TRUSTED_APP };
export const fail = (code: number, origin: number): TeeResult => ({ code: code >>> 0, origin });
