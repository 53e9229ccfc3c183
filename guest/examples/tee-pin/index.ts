// Secure UI with TrustZone: the guest asks the PIN TA to enroll a PIN and then to check the next ones, all typed
// on a keypad assigned to the secure world. The guest only learns "match" or "no match"; its own attempt to
// read the keypad is refused (and shows in the trace).
// Run: printf '2468\n1111\n2468\n' > keys; emon run --backend=tz --ta-dir=build/ta --secure:keypad=keys build/guests/tee-pin.wasm
import { puts } from "../../as/index";
import {
  emon_device_read, TEEC_CloseSession, TEEC_InitializeContext, TEEC_InvokeCommand, TEEC_LOGIN_PUBLIC, TEEC_NONE, TEEC_OpenSession,
  TEEC_OperationInit, TEEC_PARAM_TYPES, TEEC_SetUUID, TEEC_SUCCESS, TEEC_VALUE_OUTPUT, TEEC_ValueA, TEEC_ValueB,
} from "../../as/tee_client";

const ctx: usize = memory.data(4, 4);
const sess: usize = memory.data(8, 4);
const uuid: usize = memory.data(16, 4);
const op: usize = memory.data(60, 4);
const origin: usize = memory.data(4, 4);
const stolen: usize = memory.data(64, 8);

export function solo5_app_main(_si: usize): i32 {
  if (TEEC_InitializeContext(null, ctx) != TEEC_SUCCESS) return 1;
  TEEC_SetUUID(uuid, 0x6b5e3a10, 0x1c2d, 0x4e5f, 0x8a9b0c1d2e3f4a5b);
  if (TEEC_OpenSession(ctx, sess, uuid, TEEC_LOGIN_PUBLIC, 0, 0, origin) != TEEC_SUCCESS) {
    puts("cannot open the PIN TA");
    return 1;
  }
  const denied = emon_device_read("keypad", stolen, 64);
  puts("guest reads the keypad itself: 0x" + denied.toString(16) + " (TEEC_ERROR_ACCESS_DENIED)");
  TEEC_OperationInit(op, TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE));
  let r = TEEC_InvokeCommand(sess, 0, op, origin);
  if (r != TEEC_SUCCESS) {
    puts("enroll failed: 0x" + r.toString(16));
    return 1;
  }
  puts("PIN enrolled on the secure keypad");
  for (let i = 0; i < 8; i++) {
    TEEC_OperationInit(op, TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE));
    r = TEEC_InvokeCommand(sess, 1, op, origin);
    if (r != TEEC_SUCCESS) {
      puts("verify: 0x" + r.toString(16) + (r == 0xffff000b ? " (no more key presses)" : r == 0xffff0001 ? " (locked)" : ""));
      break;
    }
    puts("PIN check: " + (TEEC_ValueA(op, 0) == 1 ? "match" : "no match") + ", " + TEEC_ValueB(op, 0).toString() + " tries left");
  }
  TEEC_CloseSession(sess);
  return 0;
}
