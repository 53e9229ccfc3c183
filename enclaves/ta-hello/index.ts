// The hello-world trusted application: OP-TEE's optee_examples/hello_world TA (same UUID and commands 0 and 1:
// increment and decrement a value), plus commands that exercise memrefs (SHA-256 digest with GP short-buffer
// semantics, echo), TEE_Malloc against the TA's data limit, randomness, system and REE time, a TA fault, the
// secure world's block device "disk", ChaCha20-Poly1305, an HMAC check with TEE_MACCompareFinal, and the trace
// macros. Each session counts its own commands in a session context allocated with TEE_Malloc.
import {
  DMSG, EMSG, IMSG, TEE_ALG_SHA256, TEE_AllocateOperation, TEE_DigestDoFinal, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_NOT_SUPPORTED,
  TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_SHORT_BUFFER, TEE_Free, TEE_FreeOperation, TEE_GenerateRandom, TEE_GetSystemTime, TEE_MALLOC_FILL_ZERO,
  TEE_Malloc, TEE_MODE_DIGEST, TEE_PARAM_TYPE_MEMREF_INOUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_VALUE_INOUT,
  TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPES, TEE_ParamMemrefBuffer, TEE_ParamMemrefSize, TEE_ParamValueA,
  TEE_Result, TEE_SetParamMemrefSize, TEE_SetParamValue, TEE_SUCCESS, TEE_MemMove, TEE_SecureBlockInfo, TEE_SecureBlockRead, TEE_SecureBlockWrite,
  TEE_GetREETime, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, TEE_SetOperationKeyBytes, TEE_MACInit, TEE_MACCompareFinal, TEE_ALG_CHACHA20_POLY1305_EMON,
  TEE_MODE_ENCRYPT, TEE_MODE_DECRYPT, TEE_AEEncryptChaCha20Poly1305, TEE_AEDecryptChaCha20Poly1305, TEE_ParamValueB,
} from '../tasdk/index';
export { __tee_params, __tee_shm, __tee_shm_size } from '../tasdk/index';

export const TA_HELLO_WORLD_CMD_INC_VALUE: u32 = 0;
export const TA_HELLO_WORLD_CMD_DEC_VALUE: u32 = 1;
const CMD_SHA256: u32 = 2;
const CMD_ECHO: u32 = 3;
const CMD_NULL: u32 = 4;
const CMD_ALLOC: u32 = 5;
const CMD_TRAP: u32 = 6;
const CMD_RANDOM: u32 = 7;
const CMD_TIME: u32 = 8;
const CMD_COUNT: u32 = 9;
const CMD_TOUCH: u32 = 10;
/** The secure world's block device "disk" (--secure:disk=block:PATH): info, and whole-block read / write. */
const CMD_BLOCK_INFO: u32 = 11;
const CMD_BLOCK_READ: u32 = 12;
const CMD_BLOCK_WRITE: u32 = 13;
const BLOCK_INFO: usize = memory.data(16, 8);
/** TEE_GetREETime: the normal world's clock (value a seconds, b milliseconds). */
const CMD_REE_TIME: u32 = 14;
/** ChaCha20-Poly1305: value (a: 1 encrypt / 0 decrypt, b: AAD length), memref key(32) || nonce(12) || AAD, memref in, memref out. */
const CMD_AEAD: u32 = 15;
/** HMAC-SHA256 check: memref key, memref message, memref the expected MAC (TEE_MACCompareFinal). */
const CMD_HMAC_COMPARE: u32 = 16;
/** A DMSG line (shown only with the secure world's debug level, `emon run -v`) and an EMSG line (always shown). */
const CMD_TRACE: u32 = 17;
/** value a: a recursion depth (an AssemblyScript TA's frames live on Wasm's own stack, bounded by the engine). */
const CMD_RECURSE: u32 = 18;

function recurse(n: u32): u32 {
  return n == 0 ? 0 : recurse(n - 1) + (n & 1);
}

const OP: usize = memory.data(4, 4);
const LEN: usize = memory.data(4, 4);
const TIME: usize = memory.data(8, 4);
/** Blocks handed out by CMD_ALLOC, kept so that they stay allocated. */
let held: usize = 0;

export function TA_CreateEntryPoint(): TEE_Result {
  DMSG('has been called');
  return TEE_SUCCESS;
}

export function TA_DestroyEntryPoint(): void {
  DMSG('has been called');
}

export function TA_OpenSessionEntryPoint(paramTypes: u32, params: usize, sessCtx: usize): TEE_Result {
  if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
  const ctx = TEE_Malloc(4, TEE_MALLOC_FILL_ZERO);
  if (ctx == 0) return TEE_ERROR_OUT_OF_MEMORY;
  store<u32>(sessCtx, <u32>ctx);
  IMSG('Hello World!');
  return TEE_SUCCESS;
}

export function TA_CloseSessionEntryPoint(sessCtx: usize): void {
  TEE_Free(sessCtx);
  IMSG('Goodbye!');
}

function expect(paramTypes: u32, t0: u32, t1: u32): bool {
  return paramTypes == TEE_PARAM_TYPES(t0, t1, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);
}

export function TA_InvokeCommandEntryPoint(sessCtx: usize, cmd: u32, paramTypes: u32, params: usize): TEE_Result {
  store<u32>(sessCtx, load<u32>(sessCtx) + 1);
  // The benchmark's commands first: null, and one memref in and out changed in place ("4 KiB in and out").
  if (cmd == CMD_NULL) return paramTypes == 0 ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
  if (cmd == CMD_TOUCH) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_MEMREF_INOUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const p = TEE_ParamMemrefBuffer(params, 0);
    if (TEE_ParamMemrefSize(params, 0) > 0) store<u8>(p, load<u8>(p) + 1);
    return TEE_SUCCESS;
  }
  if (cmd == TA_HELLO_WORLD_CMD_INC_VALUE || cmd == TA_HELLO_WORLD_CMD_DEC_VALUE) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const a = TEE_ParamValueA(params, 0);
    TEE_SetParamValue(params, 0, cmd == TA_HELLO_WORLD_CMD_INC_VALUE ? a + 1 : a - 1, 0);
    return TEE_SUCCESS;
  }
  if (cmd == CMD_SHA256) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT)) return TEE_ERROR_BAD_PARAMETERS;
    if (TEE_ParamMemrefSize(params, 1) < 32) {
      TEE_SetParamMemrefSize(params, 1, 32);
      return TEE_ERROR_SHORT_BUFFER;
    }
    const r = TEE_AllocateOperation(OP, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
    if (r != TEE_SUCCESS) return r;
    const op = <usize>load<u32>(OP);
    store<u32>(LEN, TEE_ParamMemrefSize(params, 1));
    const res = TEE_DigestDoFinal(op, TEE_ParamMemrefBuffer(params, 0), TEE_ParamMemrefSize(params, 0), TEE_ParamMemrefBuffer(params, 1), LEN);
    TEE_FreeOperation(op);
    TEE_SetParamMemrefSize(params, 1, load<u32>(LEN));
    return res;
  }
  if (cmd == CMD_ECHO) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT)) return TEE_ERROR_BAD_PARAMETERS;
    const n = TEE_ParamMemrefSize(params, 0);
    if (TEE_ParamMemrefSize(params, 1) < n) {
      TEE_SetParamMemrefSize(params, 1, n);
      return TEE_ERROR_SHORT_BUFFER;
    }
    TEE_MemMove(TEE_ParamMemrefBuffer(params, 1), TEE_ParamMemrefBuffer(params, 0), n);
    TEE_SetParamMemrefSize(params, 1, n);
    return TEE_SUCCESS;
  }
  if (cmd == CMD_ALLOC) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const p = TEE_Malloc(TEE_ParamValueA(params, 0), 1);
    if (p == 0) {
      EMSG('TEE_Malloc failed');
      return TEE_ERROR_OUT_OF_MEMORY;
    }
    held = p;
    return TEE_SUCCESS;
  }
  if (cmd == CMD_TRAP) unreachable();
  if (cmd == CMD_RANDOM) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    TEE_GenerateRandom(TEE_ParamMemrefBuffer(params, 0), TEE_ParamMemrefSize(params, 0));
    return TEE_SUCCESS;
  }
  if (cmd == CMD_TIME) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    TEE_GetSystemTime(TIME);
    TEE_SetParamValue(params, 0, load<u32>(TIME), load<u32>(TIME, 4));
    return TEE_SUCCESS;
  }
  if (cmd == CMD_BLOCK_INFO) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const r = TEE_SecureBlockInfo('disk', BLOCK_INFO);
    if (r != TEE_SUCCESS) return r;
    TEE_SetParamValue(params, 0, <u32>load<u64>(BLOCK_INFO), <u32>load<u64>(BLOCK_INFO, 8));
    return TEE_SUCCESS;
  }
  if (cmd == CMD_BLOCK_READ) {
    // value a: the byte offset; memref: the blocks read.
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT)) return TEE_ERROR_BAD_PARAMETERS;
    return TEE_SecureBlockRead('disk', <u64>TEE_ParamValueA(params, 0), TEE_ParamMemrefBuffer(params, 1), TEE_ParamMemrefSize(params, 1));
  }
  if (cmd == CMD_BLOCK_WRITE) {
    // value a: the byte offset; memref: the blocks to write.
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT)) return TEE_ERROR_BAD_PARAMETERS;
    return TEE_SecureBlockWrite('disk', <u64>TEE_ParamValueA(params, 0), TEE_ParamMemrefBuffer(params, 1), TEE_ParamMemrefSize(params, 1));
  }
  if (cmd == CMD_REE_TIME) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    TEE_GetREETime(TIME);
    TEE_SetParamValue(params, 0, load<u32>(TIME), load<u32>(TIME, 4));
    return TEE_SUCCESS;
  }
  if (cmd == CMD_AEAD) return aead(paramTypes, params);
  if (cmd == CMD_HMAC_COMPARE) {
    if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    const r = TEE_AllocateOperation(OP, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, 512);
    if (r != TEE_SUCCESS) return r;
    const op = <usize>load<u32>(OP);
    let res = TEE_SetOperationKeyBytes(op, TEE_ParamMemrefBuffer(params, 0), TEE_ParamMemrefSize(params, 0));
    if (res == TEE_SUCCESS) {
      TEE_MACInit(op, 0, 0);
      res = TEE_MACCompareFinal(op, TEE_ParamMemrefBuffer(params, 1), TEE_ParamMemrefSize(params, 1), TEE_ParamMemrefBuffer(params, 2), TEE_ParamMemrefSize(params, 2));
    }
    TEE_FreeOperation(op);
    return res;
  }
  if (cmd == CMD_RECURSE) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    TEE_SetParamValue(params, 0, TEE_ParamValueA(params, 0), recurse(TEE_ParamValueA(params, 0)));
    return TEE_SUCCESS;
  }
  if (cmd == CMD_TRACE) {
    if (paramTypes != 0) return TEE_ERROR_BAD_PARAMETERS;
    DMSG('a debug line');
    EMSG('an error line');
    return TEE_SUCCESS;
  }
  if (cmd == CMD_COUNT) {
    if (!expect(paramTypes, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    TEE_SetParamValue(params, 0, load<u32>(sessCtx), <u32>held);
    return TEE_SUCCESS;
  }
  return TEE_ERROR_NOT_SUPPORTED;
}

function aead(paramTypes: u32, params: usize): TEE_Result {
  if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT)) return TEE_ERROR_BAD_PARAMETERS;
  const encrypt = TEE_ParamValueA(params, 0) != 0;
  const aadLen = <usize>TEE_ParamValueB(params, 0);
  const kna = TEE_ParamMemrefBuffer(params, 1);
  if (<usize>TEE_ParamMemrefSize(params, 1) != 44 + aadLen) return TEE_ERROR_BAD_PARAMETERS;
  const src = TEE_ParamMemrefBuffer(params, 2);
  const len = <usize>TEE_ParamMemrefSize(params, 2);
  if (!encrypt && len < 16) return TEE_ERROR_BAD_PARAMETERS;
  const need = encrypt ? len + 16 : len - 16;
  if (<usize>TEE_ParamMemrefSize(params, 3) < need) {
    TEE_SetParamMemrefSize(params, 3, <u32>need);
    return TEE_ERROR_SHORT_BUFFER;
  }
  const r = TEE_AllocateOperation(OP, TEE_ALG_CHACHA20_POLY1305_EMON, encrypt ? TEE_MODE_ENCRYPT : TEE_MODE_DECRYPT, 256);
  if (r != TEE_SUCCESS) return r;
  const op = <usize>load<u32>(OP);
  TEE_SetOperationKeyBytes(op, kna, 32);
  const out = TEE_ParamMemrefBuffer(params, 3);
  const res = encrypt
    ? TEE_AEEncryptChaCha20Poly1305(op, kna + 32, kna + 44, aadLen, src, len, out)
    : TEE_AEDecryptChaCha20Poly1305(op, kna + 32, kna + 44, aadLen, src, len, out);
  TEE_FreeOperation(op);
  TEE_SetParamMemrefSize(params, 3, res == TEE_SUCCESS ? <u32>need : 0);
  return res;
}
