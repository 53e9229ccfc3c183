// The normal-world half of OP-TEE's hello_world example (optee_examples/hello_world/host/main.c), as an emon
// guest: open a session on the hello-world TA by UUID, have it increment a value, then ask it for a SHA-256
// digest through memrefs, first with a buffer that is too short (the TA says the size it needs).
// Run: emon run --backend=tz --ta-dir=build/ta build/guests/tee-hello.wasm
import { puts } from "../../as/index";
import {
  TEEC_CloseSession, TEEC_FinalizeContext, TEEC_InitializeContext, TEEC_InvokeCommand, TEEC_LOGIN_PUBLIC, TEEC_MEMREF_TEMP_INPUT,
  TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_OpenSession, TEEC_OperationInit, TEEC_PARAM_TYPES, TEEC_SetTempMemref, TEEC_SetUUID,
  TEEC_SetValue, TEEC_SUCCESS, TEEC_ERROR_SHORT_BUFFER, TEEC_TempMemrefSize, TEEC_VALUE_INOUT, TEEC_ValueA,
} from "../../as/tee_client";

const TA_HELLO_WORLD_CMD_INC_VALUE: u32 = 0;
const CMD_SHA256: u32 = 2;

const ctx: usize = memory.data(4, 4);
const sess: usize = memory.data(8, 4);
const uuid: usize = memory.data(16, 4);
const op: usize = memory.data(60, 4);
const origin: usize = memory.data(4, 4);
const digest: usize = memory.data(32, 8);

function hex(p: usize, n: usize): string {
  let s = "";
  for (let i: usize = 0; i < n; i++) s += (<u32>load<u8>(p + i) | 0x100).toString(16).substring(1);
  return s;
}

function check(what: string, r: u32): bool {
  if (r == TEEC_SUCCESS) return true;
  puts(what + " failed with code 0x" + r.toString(16) + " origin 0x" + load<u32>(origin).toString(16));
  return false;
}

export function solo5_app_main(_si: usize): i32 {
  if (!check("TEEC_InitializeContext", TEEC_InitializeContext(null, ctx))) return 1;
  // TA_HELLO_WORLD_UUID { 0x8aaaf200, 0x2450, 0x11e4, { 0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b } }
  TEEC_SetUUID(uuid, 0x8aaaf200, 0x2450, 0x11e4, 0xabe20002a5d5c51b);
  if (!check("TEEC_OpenSession", TEEC_OpenSession(ctx, sess, uuid, TEEC_LOGIN_PUBLIC, 0, 0, origin))) return 1;

  TEEC_OperationInit(op, TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE));
  TEEC_SetValue(op, 0, 42, 0);
  puts("Invoking TA to increment " + TEEC_ValueA(op, 0).toString());
  if (!check("TEEC_InvokeCommand", TEEC_InvokeCommand(sess, TA_HELLO_WORLD_CMD_INC_VALUE, op, origin))) return 1;
  puts("TA incremented value to " + TEEC_ValueA(op, 0).toString());

  const msg = String.UTF8.encode("abc");
  TEEC_OperationInit(op, TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE));
  TEEC_SetTempMemref(op, 0, changetype<usize>(msg), <usize>msg.byteLength);
  TEEC_SetTempMemref(op, 1, digest, 16);
  const short = TEEC_InvokeCommand(sess, CMD_SHA256, op, origin);
  if (short != TEEC_ERROR_SHORT_BUFFER) return 1;
  puts("16-byte buffer: TEEC_ERROR_SHORT_BUFFER, the TA needs " + TEEC_TempMemrefSize(op, 1).toString() + " bytes");
  TEEC_SetTempMemref(op, 1, digest, 32);
  if (!check("TEEC_InvokeCommand", TEEC_InvokeCommand(sess, CMD_SHA256, op, origin))) return 1;
  puts("SHA-256(\"abc\") from the secure world: " + hex(digest, TEEC_TempMemrefSize(op, 1)));

  TEEC_CloseSession(sess);
  TEEC_FinalizeContext(ctx);
  return 0;
}
