// The GlobalPlatform TEE Client API for AssemblyScript guests (GP TEE Client API Specification v1.0), with GP's
// names, constants and C struct layouts on wasm32, so that the same memory holds what a C guest's
// tee_client_api.h (guest/c) would: TEEC_Context {fd: i32}, TEEC_Session {ctx: ptr, session_id: u32},
// TEEC_UUID (16 bytes), TEEC_Operation (60 bytes: started, paramTypes, params[4] of 12 bytes, session).
// Each function is a thin layer over the "teec" imports (runtime/enclave/teec.ts), which need --backend=tz.

export type TEEC_Result = u32;

export const TEEC_SUCCESS: u32 = 0x00000000;
export const TEEC_ERROR_GENERIC: u32 = 0xffff0000;
export const TEEC_ERROR_ACCESS_DENIED: u32 = 0xffff0001;
export const TEEC_ERROR_CANCEL: u32 = 0xffff0002;
export const TEEC_ERROR_ACCESS_CONFLICT: u32 = 0xffff0003;
export const TEEC_ERROR_EXCESS_DATA: u32 = 0xffff0004;
export const TEEC_ERROR_BAD_FORMAT: u32 = 0xffff0005;
export const TEEC_ERROR_BAD_PARAMETERS: u32 = 0xffff0006;
export const TEEC_ERROR_BAD_STATE: u32 = 0xffff0007;
export const TEEC_ERROR_ITEM_NOT_FOUND: u32 = 0xffff0008;
export const TEEC_ERROR_NOT_IMPLEMENTED: u32 = 0xffff0009;
export const TEEC_ERROR_NOT_SUPPORTED: u32 = 0xffff000a;
export const TEEC_ERROR_NO_DATA: u32 = 0xffff000b;
export const TEEC_ERROR_OUT_OF_MEMORY: u32 = 0xffff000c;
export const TEEC_ERROR_BUSY: u32 = 0xffff000d;
export const TEEC_ERROR_COMMUNICATION: u32 = 0xffff000e;
export const TEEC_ERROR_SECURITY: u32 = 0xffff000f;
export const TEEC_ERROR_SHORT_BUFFER: u32 = 0xffff0010;
export const TEEC_ERROR_EXTERNAL_CANCEL: u32 = 0xffff0011;
export const TEEC_ERROR_TARGET_DEAD: u32 = 0xffff3024;

export const TEEC_ORIGIN_API: u32 = 0x00000001;
export const TEEC_ORIGIN_COMMS: u32 = 0x00000002;
export const TEEC_ORIGIN_TEE: u32 = 0x00000003;
export const TEEC_ORIGIN_TRUSTED_APP: u32 = 0x00000004;

export const TEEC_NONE: u32 = 0x00000000;
export const TEEC_VALUE_INPUT: u32 = 0x00000001;
export const TEEC_VALUE_OUTPUT: u32 = 0x00000002;
export const TEEC_VALUE_INOUT: u32 = 0x00000003;
export const TEEC_MEMREF_TEMP_INPUT: u32 = 0x00000005;
export const TEEC_MEMREF_TEMP_OUTPUT: u32 = 0x00000006;
export const TEEC_MEMREF_TEMP_INOUT: u32 = 0x00000007;

export const TEEC_LOGIN_PUBLIC: u32 = 0x00000000;
export const TEEC_LOGIN_USER: u32 = 0x00000001;
export const TEEC_LOGIN_GROUP: u32 = 0x00000002;
export const TEEC_LOGIN_APPLICATION: u32 = 0x00000004;

export const TEEC_CONTEXT_SIZE: usize = 4;
export const TEEC_SESSION_SIZE: usize = 8;
export const TEEC_UUID_SIZE: usize = 16;
export const TEEC_OPERATION_SIZE: usize = 60;
const PARAM_SIZE: usize = 12;
const PARAMS: usize = 8;

/** TEEC_PARAM_TYPES(p0, p1, p2, p3). */
export function TEEC_PARAM_TYPES(p0: u32, p1: u32, p2: u32, p3: u32): u32 {
  return p0 | (p1 << 4) | (p2 << 8) | (p3 << 12);
}

@external("teec", "initialize_context") declare function teec_initialize_context(name: usize, len: usize): u32;
@external("teec", "open_session") declare function teec_open_session(uuid: usize, login: u32, op: usize, sessionOut: usize, originOut: usize): u32;
@external("teec", "invoke_command") declare function teec_invoke_command(session: u32, cmd: u32, op: usize, originOut: usize): u32;
@external("teec", "close_session") declare function teec_close_session(session: u32): void;
@external("teec", "request_cancellation") declare function teec_request_cancellation(op: usize): u32;
@external("teec", "device_read") declare function teec_device_read(name: usize, len: usize, buf: usize, cap: usize): u32;

/** TEEC_InitializeContext(name, context): `name` null for the default TEE. */
export function TEEC_InitializeContext(name: string | null, context: usize): TEEC_Result {
  store<i32>(context, -1);
  let r: u32;
  if (name === null) r = teec_initialize_context(0, 0);
  else {
    const b = String.UTF8.encode(name);
    r = teec_initialize_context(changetype<usize>(b), <usize>b.byteLength);
  }
  if (r == TEEC_SUCCESS) store<i32>(context, 1);
  return r;
}

export function TEEC_FinalizeContext(context: usize): void {
  store<i32>(context, -1);
}

/** TEEC_OpenSession(context, session, destination, connectionMethod, connectionData, operation, returnOrigin). */
export function TEEC_OpenSession(context: usize, session: usize, destination: usize, connectionMethod: u32, connectionData: usize, operation: usize, returnOrigin: usize): TEEC_Result {
  if (load<i32>(context) < 0) {
    if (returnOrigin != 0) store<u32>(returnOrigin, TEEC_ORIGIN_API);
    return TEEC_ERROR_BAD_STATE;
  }
  store<u32>(session, <u32>context);
  if (operation != 0) store<u32>(operation, 1);
  return teec_open_session(destination, connectionMethod, operation, session + 4, returnOrigin);
}

/** TEEC_InvokeCommand(session, commandID, operation, returnOrigin). */
export function TEEC_InvokeCommand(session: usize, commandID: u32, operation: usize, returnOrigin: usize): TEEC_Result {
  if (operation != 0) store<u32>(operation, 1);
  return teec_invoke_command(load<u32>(session, 4), commandID, operation, returnOrigin);
}

export function TEEC_CloseSession(session: usize): void {
  teec_close_session(load<u32>(session, 4));
}

/** GP allows an implementation without cancellation: this one returns TEEC_ERROR_NOT_SUPPORTED (GP's function returns void). */
export function TEEC_RequestCancellation(operation: usize): TEEC_Result {
  return teec_request_cancellation(operation);
}

/** emon: the normal world reaching for a device assigned to the secure world; always TEEC_ERROR_ACCESS_DENIED. */
export function emon_device_read(name: string, buf: usize, cap: usize): TEEC_Result {
  const b = String.UTF8.encode(name);
  return teec_device_read(changetype<usize>(b), <usize>b.byteLength, buf, cap);
}

// ---- TEEC_Operation helpers (the C struct's fields, for AssemblyScript) ----
export function TEEC_OperationInit(operation: usize, paramTypes: u32): void {
  memory.fill(operation, 0, TEEC_OPERATION_SIZE);
  store<u32>(operation, paramTypes, 4);
}
export function TEEC_SetValue(operation: usize, i: u32, a: u32, b: u32): void {
  store<u32>(operation + PARAMS + i * PARAM_SIZE, a);
  store<u32>(operation + PARAMS + i * PARAM_SIZE, b, 4);
}
export function TEEC_ValueA(operation: usize, i: u32): u32 {
  return load<u32>(operation + PARAMS + i * PARAM_SIZE);
}
export function TEEC_ValueB(operation: usize, i: u32): u32 {
  return load<u32>(operation + PARAMS + i * PARAM_SIZE, 4);
}
/** params[i].tmpref = {buffer, size}. */
export function TEEC_SetTempMemref(operation: usize, i: u32, buffer: usize, size: usize): void {
  store<u32>(operation + PARAMS + i * PARAM_SIZE, <u32>buffer);
  store<u32>(operation + PARAMS + i * PARAM_SIZE, <u32>size, 4);
}
/** params[i].tmpref.size: after a call, the bytes written or (TEEC_ERROR_SHORT_BUFFER) the size needed. */
export function TEEC_TempMemrefSize(operation: usize, i: u32): u32 {
  return load<u32>(operation + PARAMS + i * PARAM_SIZE, 4);
}
/** Writes a TEEC_UUID from its text form's fields. */
export function TEEC_SetUUID(uuid: usize, timeLow: u32, timeMid: u16, timeHiAndVersion: u16, clockSeqAndNode: u64): void {
  store<u32>(uuid, timeLow);
  store<u16>(uuid, timeMid, 4);
  store<u16>(uuid, timeHiAndVersion, 6);
  store<u64>(uuid, bswap<u64>(clockSeqAndNode), 8);
}
