// The secure-UI TA (TrustZone's trusted user interface case, GP TEE Trusted User Interface API's idea): a PIN
// typed on a keypad assigned to the secure world (`emon run --secure:keypad=FILE`) is read here, never by the
// guest. CMD_ENROLL reads the first line typed and keeps its SHA-256; CMD_VERIFY reads the next line and
// answers only match / no match and the attempts left (three, then locked). A single-instance, keep-alive TA, so
// the enrolled PIN outlives the session that set it.
import {
  IMSG, TEE_ALG_SHA256, TEE_AllocateOperation, TEE_DigestDoFinal, TEE_ERROR_ACCESS_DENIED, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_BAD_STATE,
  TEE_ERROR_NO_DATA, TEE_ERROR_NOT_SUPPORTED, TEE_FreeOperation, TEE_MemFill, TEE_MODE_DIGEST, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_VALUE_OUTPUT,
  TEE_PARAM_TYPES, TEE_Result, TEE_SecureDeviceRead, TEE_SetParamValue, TEE_SUCCESS,
} from '../tasdk/index';
export { __tee_params, __tee_shm, __tee_shm_size } from '../tasdk/index';

const CMD_ENROLL: u32 = 0;
const CMD_VERIFY: u32 = 1;
const MAX_PIN: usize = 16;
const MAX_TRIES: u32 = 3;

const KEY: usize = memory.data(1, 1);
const PIN: usize = memory.data(<i32>MAX_PIN, 8);
const ENROLLED: usize = memory.data(32, 8);
const DIGEST: usize = memory.data(32, 8);
const OP: usize = memory.data(4, 4);
const LEN: usize = memory.data(4, 4);
let enrolled = false;
let triesLeft: u32 = MAX_TRIES;

/** Reads one line of key presses from the secure keypad into PIN; its length, or -1 when the keypad has none. */
function readPin(): i32 {
  let n: usize = 0;
  while (true) {
    const r = TEE_SecureDeviceRead('keypad', KEY, 1);
    if (r < 0) return -1;
    if (r == 0) break;
    const c = load<u8>(KEY);
    if (c == 0x0a) return <i32>n;
    if (n < MAX_PIN) store<u8>(PIN + n, c);
    n++;
  }
  return n == 0 ? -1 : <i32>n;
}

function digestPin(len: usize, out: usize): TEE_Result {
  const r = TEE_AllocateOperation(OP, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
  if (r != TEE_SUCCESS) return r;
  const op = <usize>load<u32>(OP);
  store<u32>(LEN, 32);
  const res = TEE_DigestDoFinal(op, PIN, len < MAX_PIN ? len : MAX_PIN, out, LEN);
  TEE_FreeOperation(op);
  TEE_MemFill(PIN, 0, MAX_PIN);
  return res;
}

export function TA_CreateEntryPoint(): TEE_Result { return TEE_SUCCESS; }
export function TA_DestroyEntryPoint(): void {}
export function TA_OpenSessionEntryPoint(paramTypes: u32, params: usize, sessCtx: usize): TEE_Result {
  return paramTypes == 0 ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}
export function TA_CloseSessionEntryPoint(sessCtx: usize): void {}

export function TA_InvokeCommandEntryPoint(sessCtx: usize, cmd: u32, paramTypes: u32, params: usize): TEE_Result {
  if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
  if (cmd == CMD_ENROLL) {
    if (enrolled) return TEE_ERROR_BAD_STATE;
    const n = readPin();
    if (n < 4) return TEE_ERROR_NO_DATA;
    const r = digestPin(<usize>n, ENROLLED);
    if (r != TEE_SUCCESS) return r;
    enrolled = true;
    IMSG('PIN enrolled from the secure keypad');
    TEE_SetParamValue(params, 0, 1, triesLeft);
    return TEE_SUCCESS;
  }
  if (cmd == CMD_VERIFY) {
    if (!enrolled) return TEE_ERROR_BAD_STATE;
    if (triesLeft == 0) return TEE_ERROR_ACCESS_DENIED;
    const n = readPin();
    if (n < 0) return TEE_ERROR_NO_DATA;
    const r = digestPin(<usize>n, DIGEST);
    if (r != TEE_SUCCESS) return r;
    let diff: u32 = 0;
    for (let i: usize = 0; i < 32; i++) diff |= <u32>(load<u8>(DIGEST + i) ^ load<u8>(ENROLLED + i));
    if (diff == 0) triesLeft = MAX_TRIES;
    else triesLeft--;
    TEE_SetParamValue(params, 0, diff == 0 ? 1 : 0, triesLeft);
    return TEE_SUCCESS;
  }
  return TEE_ERROR_NOT_SUPPORTED;
}
