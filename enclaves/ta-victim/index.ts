// The side-channel observatory's victim TA (issue 18, TrustZone): a T-table style lookup at cache-line
// granularity, as AES T-tables are (Osvik, Shamir, Tromer, CT-RSA 2006; against TrustZone, TruSpy, Zhang et al.
// 2016, and ARMageddon, Lipp et al., USENIX Security 2016). The client provisions a secret once (CMD_PROVISION,
// one input memref) and then asks for one step per command, as a client asks a crypto TA for one block at a time:
// CMD_STEP_NAIVE reads the one 64-byte line of the table that the next secret nibble picks, CMD_STEP_HARDENED
// reads all 16 lines and keeps one with a mask (cache-line uniform). Both return the running output in a value
// parameter. The normal world sees each command's SMC; a prime+probe on the shared cache between two SMCs sees
// which lines the step used (runtime/attack/ta-campaign.ts).
import {
  TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_BAD_STATE, TEE_ERROR_NOT_SUPPORTED, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE,
  TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPES, TEE_ParamMemrefBuffer, TEE_ParamMemrefSize, TEE_Result, TEE_SetParamValue, TEE_SUCCESS,
} from '../tasdk/index';
export { __tee_params, __tee_shm, __tee_shm_size } from '../tasdk/index';

const CMD_PROVISION: u32 = 0;
const CMD_STEP_NAIVE: u32 = 1;
const CMD_STEP_HARDENED: u32 = 2;
const MAX_SECRET: u32 = 4096;

/** 16 lines of 64 bytes, line-aligned: the nibble picks a line. */
const TTABLE: usize = memory.data(1024, 64);
const SECRET: usize = memory.data(<i32>MAX_SECRET, 64);
let length: u32 = 0;
let position: u32 = 0;
let acc: u32 = 3;

/** All ones when a == b, else 0, without a branch. */
function eqMask(a: u32, b: u32): u32 {
  const x = a ^ b;
  return ((x | (0 - x)) >>> 31) - 1;
}

export function TA_CreateEntryPoint(): TEE_Result {
  for (let i: u32 = 0; i < 256; i++) store<u32>(TTABLE + (i << 2), i * 0x9e3779b1);
  return TEE_SUCCESS;
}
export function TA_DestroyEntryPoint(): void {}
export function TA_OpenSessionEntryPoint(paramTypes: u32, params: usize, sessCtx: usize): TEE_Result {
  return paramTypes == 0 ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}
export function TA_CloseSessionEntryPoint(sessCtx: usize): void {}

export function TA_InvokeCommandEntryPoint(sessCtx: usize, cmd: u32, paramTypes: u32, params: usize): TEE_Result {
  if (cmd == CMD_PROVISION) {
    if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const n = TEE_ParamMemrefSize(params, 0);
    if (n > MAX_SECRET) return TEE_ERROR_BAD_PARAMETERS;
    memory.copy(SECRET, TEE_ParamMemrefBuffer(params, 0), n);
    length = n;
    position = 0;
    acc = 3;
    return TEE_SUCCESS;
  }
  if (cmd != CMD_STEP_NAIVE && cmd != CMD_STEP_HARDENED) return TEE_ERROR_NOT_SUPPORTED;
  if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
  if (position >= length) return TEE_ERROR_BAD_STATE;
  const s = <u32>load<u8>(SECRET + position) & 15;
  let r: u32 = 0;
  if (cmd == CMD_STEP_NAIVE) r = load<u32>(TTABLE + (s << 6));
  else for (let k: u32 = 0; k < 16; k++) r |= load<u32>(TTABLE + (k << 6)) & eqMask(k, s);
  acc = r ^ (acc >>> 3);
  position++;
  TEE_SetParamValue(params, 0, acc, position);
  return TEE_SUCCESS;
}
